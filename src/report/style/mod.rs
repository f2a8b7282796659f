//! The one rendering toolkit every command's renderers share: the palette
//! (colour decided once, plain by construction), the sanitizer for server
//! text, and the Markdown helpers.

pub mod palette;
pub mod sanitize;
