//! Markdown helpers every ticket renderer shares: the one escape set, the
//! code fence and code span choosers, and `prose` (running text whose
//! odd words go into code spans instead of collecting backslashes).

use crate::report::style::sanitize::{for_terminal, MAX_LINE, MAX_SHOWN};

/// The one set of characters escaped with a backslash in Markdown text:
/// enough to stop tables (`|`), emphasis (`*`, `_`, `~`), code (`` ` ``),
/// links and images (`[`, `]`; `(` and `!` only matter next to them),
/// HTML (`<`, `>`), and the backslash itself (a registry path keeps its
/// `\`). Escaped text never starts a line (it follows a list marker, a
/// label or a cell border), so `#` and `>` cannot open a heading or a
/// quote.
pub fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~'
    )
}

/// The longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A code fence longer than any backtick run inside `body` (at least
/// three backticks), so nothing in the body can close it.
pub fn fence_for(body: &str) -> String {
    "`".repeat((longest_backtick_run(body) + 1).max(3))
}

/// A fenced code block: `language` after the opening fence, `body` (with
/// or without a final line end), every line prefixed by `indent`, a line
/// end after the closing fence.
pub fn code_block(language: &str, body: &str, indent: &str) -> String {
    let fence = fence_for(body);
    let mut out = format!("{indent}{fence}{language}\n");
    for line in body.lines() {
        out.push_str(format!("{indent}{line}").trim_end());
        out.push('\n');
    }
    out.push_str(&format!("{indent}{fence}\n"));
    out
}

/// `s` as an inline code span: delimited by one backtick more than its
/// longest run, padded with a space where it starts or ends with one.
pub fn code_span(s: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run(s) + 1);
    if s.starts_with('`') || s.ends_with('`') {
        format!("{ticks} {s} {ticks}")
    } else {
        format!("{ticks}{s}{ticks}")
    }
}

/// Running text for a ticket, a server field cut at [`MAX_SHOWN`]: made
/// safe like `sanitize::for_markdown`, but a word with characters Markdown
/// would need a backslash for (`TLS_ECDHE_…`, `<>`, `*`) goes into a code
/// span instead, so a plain-text ticket field shows no backslashes.
pub fn prose(s: &str) -> String {
    prose_max(s, MAX_SHOWN)
}

/// [`prose`] for a line tlscheck writes (cut only at [`MAX_LINE`]).
pub fn prose_line(s: &str) -> String {
    prose_max(s, MAX_LINE)
}

fn prose_max(s: &str, max: usize) -> String {
    let safe = for_terminal(s, max);
    // tlscheck's own sentences mark commands and key names as code spans
    // (`reg import tls12.reg`): keep balanced spans as they are.
    if safe.matches('`').count() % 2 == 0 && safe.contains('`') {
        return safe
            .split('`')
            .enumerate()
            .map(|(i, part)| {
                if i % 2 == 1 {
                    format!("`{}`", part.replace('|', "\\|"))
                } else {
                    words(part, max)
                }
            })
            .collect();
    }
    words(&safe, max)
}

/// Sanitized words: plain ones as they are, odd ones as code spans.
fn words(safe: &str, max: usize) -> String {
    safe.split(' ')
        .map(|word| {
            if !word.contains(needs_escape) {
                return word.to_owned();
            }
            // Keep plain punctuation around the word outside the span.
            let lead = word.len() - word.trim_start_matches(['(', '"', '\'']).len();
            let trail = word.len()
                - word
                    .trim_end_matches([')', ',', ';', '.', ':', '"', '\''])
                    .len();
            let (head, rest) = word.split_at(lead);
            let (core, tail) = rest.split_at(rest.len().saturating_sub(trail));
            if core.is_empty() {
                return crate::report::style::sanitize::for_markdown(word, max);
            }
            // A pipe ends a table cell even inside a code span.
            format!("{head}{}{tail}", code_span(&core.replace('|', "\\|")))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a````b"), "`````");
        assert_eq!(
            code_block("text", "x\n```\n", ""),
            "````text\nx\n```\n````\n"
        );
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code_span("a"), "`a`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`a"), "`` `a ``");
    }

    #[test]
    fn prose_puts_odd_words_into_code_spans() {
        assert_eq!(
            prose("accepted (TLS_AES_128_GCM_SHA256), ok"),
            "accepted (`TLS_AES_128_GCM_SHA256`), ok"
        );
        assert_eq!(prose("a|b"), "`a\\|b`");
    }

    #[test]
    fn prose_keeps_the_code_spans_of_tlscheck_sentences() {
        assert_eq!(
            prose("run `reg import tls12.reg` and `postconf -P | grep x`, then a_b"),
            "run `reg import tls12.reg` and `postconf -P \\| grep x`, then `a_b`"
        );
    }
}
