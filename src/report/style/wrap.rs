//! The one word wrapper of the text renderers.

/// The width of the old `schannel::render_text` API, which knows no
/// terminal. Commands wrap to the terminal's width, or not at all (see
/// [`wrap_to`]).
pub const TEXT_WIDTH: usize = 78;

/// Columns `s` takes on a terminal: escape sequences (`\x1b[…m`) take none.
pub fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut in_esc = false;
    for c in s.chars() {
        match (in_esc, c) {
            (false, '\x1b') => in_esc = true,
            (true, 'm') => in_esc = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Whitespace-separated words, with a run from a word starting with `'` to
/// the next word holding a closing `'` kept as one unit (registry key
/// names such as 'TLS 1.2' contain a space).
fn units(text: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    for word in text.split_whitespace() {
        match open.take() {
            Some(mut unit) => {
                unit.push(' ');
                unit.push_str(word);
                if word.contains('\'') {
                    units.push(unit);
                } else {
                    open = Some(unit);
                }
            }
            None => {
                let quote_opens = word
                    .strip_prefix('\'')
                    .is_some_and(|rest| !rest.contains('\''));
                if quote_opens {
                    open = Some(word.to_owned());
                } else {
                    units.push(word.to_owned());
                }
            }
        }
    }
    units.extend(open);
    units
}

/// Greedy word wrap: no line wider than `width` visible columns, unless a
/// single word is. The first line continues after `start` columns the
/// caller has already written; every later line begins with `indent`. A
/// 'quoted name' is not broken. No line end after the last line.
pub fn wrap(text: &str, width: usize, start: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut col = start;
    let mut empty = true;
    let indent_width = visible_width(indent);
    for word in units(text) {
        let len = visible_width(&word);
        if !empty && col + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            col = indent_width;
            empty = true;
        }
        if !empty {
            out.push(' ');
            col += 1;
        }
        out.push_str(&word);
        col += len;
        empty = false;
    }
    out
}

/// [`wrap`] to a terminal's `width`, the rule of every text report: wrap
/// where there is a terminal wide enough to be worth it (over 20 columns
/// past the indent); `None` (pipes and files) never wraps or cuts.
pub fn wrap_to(text: &str, width: Option<usize>, start: usize, indent: &str) -> String {
    match width.filter(|w| *w > visible_width(indent) + 20) {
        Some(width) => wrap(text, width, start, indent),
        None => text.to_owned(),
    }
}

/// [`wrap_to`] as a paragraph: `first` before the first line, `rest`
/// before the others, a line end after the last.
pub fn paragraph(text: &str, first: &str, rest: &str, width: Option<usize>) -> String {
    format!(
        "{first}{}\n",
        wrap_to(text, width, visible_width(first), rest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_the_width_and_keeps_long_words_whole() {
        let text = format!("{} {}", "word ".repeat(30), "x".repeat(100));
        let wrapped = paragraph(&text, "  ", "  ", Some(TEXT_WIDTH));
        for line in wrapped.lines() {
            assert!(
                line.chars().count() <= TEXT_WIDTH || !line.trim().contains(' '),
                "{line}"
            );
        }
        assert!(wrapped.contains(&"x".repeat(100)));
    }

    #[test]
    fn wrap_keeps_quoted_key_names_on_one_line() {
        let text = format!(
            "{}'TLS 1.2' and 'TLS 1,2' stay whole, unterminated 'a b",
            "w ".repeat(37)
        );
        let wrapped = paragraph(&text, "", "", Some(TEXT_WIDTH));
        assert!(
            wrapped.contains("'TLS 1.2'") && wrapped.contains("'TLS 1,2'"),
            "{wrapped}"
        );
        assert!(wrapped.contains("'a b"), "{wrapped}");
    }

    #[test]
    fn continuation_lines_start_with_the_indent_and_fit() {
        let long = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,"; 10].join(" ");
        let wrapped = wrap(&long, TEXT_WIDTH, 17, &" ".repeat(17));
        for line in wrapped.lines().skip(1) {
            assert!(line.starts_with(&" ".repeat(17)), "{line}");
            assert!(line.chars().count() <= TEXT_WIDTH, "{line}");
        }
    }

    #[test]
    fn escape_codes_take_no_columns() {
        assert_eq!(visible_width("\x1b[1;31mFAIL\x1b[0m"), 4);
        let coloured = format!("\x1b[31m{}\x1b[0m {}", "a".repeat(10), "b".repeat(10));
        assert!(!wrap(&coloured, 21, 0, "").contains('\n'));
    }

    #[test]
    fn without_a_terminal_nothing_is_wrapped() {
        let text = "word ".repeat(40);
        let text = text.trim_end();
        assert_eq!(paragraph(text, "", "  ", None), format!("{text}\n"));
        assert_eq!(wrap_to(text, None, 0, ""), text);
        // A terminal: its width, whatever it is.
        let wrapped = paragraph(text, "", "  ", Some(100));
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 100),
            "{wrapped}"
        );
        assert!(wrapped.lines().any(|l| l.chars().count() > 90), "{wrapped}");
        // Too narrow to be worth it: not wrapped.
        assert_eq!(wrap_to(text, Some(20), 0, "  "), text);
    }
}
