//! Makes server text safe for a terminal or a ticket. Everything that came
//! from the network or a file (greetings, replies, certificate fields,
//! alert texts, registry key names, a sender's EHLO name) passes through
//! here before text or Markdown output; JSON keeps the exact text (serde
//! escapes it).
//!
//! One escape form: a control character below U+0100 becomes `\xNN`
//! (ripgrep's form), any other control, bidi or invisible format
//! character becomes `\u{NNNN}`.
//!
//! One length policy, the same in text and Markdown, by what the string
//! is: a single *field* from the peer (a reply, a name, an address) is cut
//! at [`MAX_SHOWN`] characters; a *line* tlscheck writes (a title, a
//! sentence that quotes fields, a list of names) is cut only at the
//! [`MAX_LINE`] bound, which nothing tlscheck writes reaches. JSON is never
//! cut.

use crate::report::style::markdown::needs_escape;

/// Longest server field shown in text and Markdown, in characters.
pub const MAX_SHOWN: usize = 200;

/// Longest line tlscheck writes around server text (findings, summaries,
/// DNS and policy lines): a bound, never reached by its own words.
pub const MAX_LINE: usize = 4096;

/// True for characters that reorder text (bidi controls: Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// True for characters that take no room and hide text (zero-width
/// spaces and joiners, word joiner, invisible operators, BOM).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2065}' | '\u{FEFF}')
}

/// Escapes control characters (`\x1b` → `\x1b`, visibly), bidi controls
/// (`\u{202e}`) and other invisible format characters, and cuts the
/// result to `max` characters with an ellipsis.
pub fn for_terminal(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(2)));
    for (shown, c) in s.chars().enumerate() {
        if shown >= max {
            out.push('…');
            return out;
        }
        let n = u32::from(c);
        if c.is_control() && n < 0x100 {
            out.push_str(&format!("\\x{n:02x}"));
        } else if c.is_control() || is_bidi_control(c) || is_invisible(c) {
            out.push_str(&format!("\\u{{{n:x}}}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// [`for_terminal`] plus Markdown escaping, so server text cannot open a
/// table cell, a link, an HTML tag or emphasis in a ticket.
pub fn for_markdown(s: &str, max: usize) -> String {
    let safe = for_terminal(s, max);
    let mut out = String::with_capacity(safe.len() + 8);
    for c in safe.chars() {
        if needs_escape(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A server field for a terminal, cut at [`MAX_SHOWN`].
pub fn field(s: &str) -> String {
    for_terminal(s, MAX_SHOWN)
}

/// A line tlscheck writes, for a terminal (bounded by [`MAX_LINE`]).
pub fn line(s: &str) -> String {
    for_terminal(s, MAX_LINE)
}

/// A server field for Markdown, cut at [`MAX_SHOWN`].
pub fn md_field(s: &str) -> String {
    for_markdown(s, MAX_SHOWN)
}

/// A line tlscheck writes, for Markdown (bounded by [`MAX_LINE`]).
pub fn md_line(s: &str) -> String {
    for_markdown(s, MAX_LINE)
}

/// A block of lines (a `.reg` file that quotes key names from the export)
/// for a terminal or a code block: each line made safe as a [`line`], the
/// line ends kept.
pub fn block(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for l in s.lines() {
        out.push_str(&line(l));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(
            for_terminal("220 \x1b[31mred\x1b[0m\r\n", 100),
            "220 \\x1b[31mred\\x1b[0m\\x0d\\x0a"
        );
    }

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_escaped() {
        assert_eq!(for_terminal("a\u{202e}b", 100), "a\\u{202e}b");
        assert_eq!(for_terminal("x\u{2066}y", 100), "x\\u{2066}y");
        assert_eq!(
            for_terminal("x\u{2060}y\u{feff}", 100),
            "x\\u{2060}y\\u{feff}"
        );
        assert_eq!(for_terminal("c1\u{85}", 100), "c1\\x85");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(for_terminal("abcdef", 3), "abc…");
        assert_eq!(for_terminal("abc", 3), "abc");
        assert_eq!(field(&"x".repeat(300)).chars().count(), MAX_SHOWN + 1);
        assert_eq!(line(&"x".repeat(300)).chars().count(), 300);
    }

    #[test]
    fn markdown_cannot_break_a_table_or_inject_html() {
        assert_eq!(
            for_markdown("a|b <img> [x](y)", 100),
            "a\\|b \\<img\\> \\[x\\](y)"
        );
        assert_eq!(
            for_markdown(r"SOFTWARE\.NETFramework", 100),
            r"SOFTWARE\\.NETFramework"
        );
    }

    #[test]
    fn a_block_keeps_its_line_ends_and_escapes_each_line() {
        assert_eq!(block("a\x1b[2J\nb\r\n"), "a\\x1b[2J\nb\n");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        let t = "250-mx.contoso.com Hello [192.0.2.1] ünïcode";
        assert_eq!(for_terminal(t, 100), t);
    }
}
