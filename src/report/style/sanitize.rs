//! Makes server text safe for a terminal or a ticket. Everything that came
//! from the network (greetings, replies, certificate fields, alert texts)
//! passes through here before text or Markdown output; JSON keeps the
//! exact text (serde escapes it).

/// Longest server string shown in text and Markdown, in characters.
pub const MAX_SHOWN: usize = 200;

/// True for characters that reorder text (bidi controls: Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Escapes control characters (`\x1b` → `\x1b`, visibly), bidi controls
/// (`\u{202e}`) and other invisible format characters, and cuts the
/// result to `max` characters with an ellipsis.
pub fn for_terminal(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 2));
    for (shown, c) in s.chars().enumerate() {
        if shown >= max {
            out.push('…');
            return out;
        }
        if c.is_control() {
            let n = u32::from(c);
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else if is_bidi_control(c) || matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}') {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
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
        // Enough to stop tables, emphasis, code, links and HTML: `(` only
        // matters after `]`, which is escaped too.
        if matches!(
            c,
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
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
    fn bidi_overrides_are_escaped() {
        assert_eq!(for_terminal("a\u{202e}b", 100), "a\\u{202e}b");
        assert_eq!(for_terminal("x\u{2066}y", 100), "x\\u{2066}y");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(for_terminal("abcdef", 3), "abc…");
        assert_eq!(for_terminal("abc", 3), "abc");
    }

    #[test]
    fn markdown_cannot_break_a_table_or_inject_html() {
        assert_eq!(
            for_markdown("a|b <img> [x](y)", 100),
            "a\\|b \\<img\\> \\[x\\](y)"
        );
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        let t = "250-mx.contoso.com Hello [192.0.2.1] ünïcode";
        assert_eq!(for_terminal(t, 100), t);
    }
}
