//! The one rendering toolkit every command's renderers share: the palette
//! (colour decided once, plain by construction), the sanitizer for server
//! text (one escape form, one length policy), the Markdown helpers (one
//! escape set, one fence chooser) and the word wrapper.

pub mod markdown;
pub mod palette;
pub mod sanitize;
pub mod wrap;
