//! Markdown helpers every ticket renderer shares: the one escape set, the
//! code fence and code span choosers, and `prose` (running text whose
//! odd words go into code spans instead of collecting backslashes).
//!
//! Server text renders literally (CommonMark): a backtick from a server
//! is never tlscheck's code markup, a `&` never starts an entity, and a
//! code span's content is shown as it is (no `\|` outside table cells).
//! In a line that mixes tlscheck's words and server text (`prose_line`)
//! only backtick pairs shaped like tlscheck's own spans (a whole word,
//! `` `postconf -P` ``) are kept as spans: a server value shaped exactly
//! like that shows as a code span (its text literal, its two backticks
//! not shown); telling them apart fully needs the server text marked
//! where the line is built.

use crate::report::style::sanitize::{for_terminal, MAX_LINE, MAX_SHOWN};

/// The one set of characters escaped with a backslash in Markdown text:
/// enough to stop tables (`|`), emphasis (`*`, `_`, `~`), code (`` ` ``),
/// links and images (`[`, `]`; `(` and `!` only matter next to them),
/// HTML (`<`, `>`), entity and numeric character references (`&`: an
/// `&#x202E;` from a server would become a real bidi control when the
/// ticket is rendered), and the backslash itself (a registry path keeps
/// its `\`). Escaped text never starts a line (it follows a list marker,
/// a label or a cell border), so `#` and `>` cannot open a heading or a
/// quote.
pub fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' | '&'
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
/// Its content is literal (CommonMark: no backslash escapes, no entities
/// inside a code span), so a command in it can be copied as it is. Not
/// for a table cell: see [`cell_code_span`].
pub fn code_span(s: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run(s) + 1);
    if s.starts_with('`') || s.ends_with('`') {
        format!("{ticks} {s} {ticks}")
    } else {
        format!("{ticks}{s}{ticks}")
    }
}

/// [`code_span`] for a cell of a pipe table: there (GFM) a `|` ends the
/// cell even inside a code span, and `\|` is how a code span in a cell
/// holds a pipe. Everywhere else a `\|` in a code span would show.
pub fn cell_code_span(s: &str) -> String {
    code_span(&s.replace('|', "\\|"))
}

/// Running text for a ticket, a server field cut at [`MAX_SHOWN`]: made
/// safe like `sanitize::for_markdown`, but a word with characters Markdown
/// would need a backslash for (`TLS_ECDHE_…`, `<>`, `*`) goes into a code
/// span instead, so a plain-text ticket field shows no backslashes. Every
/// backtick in it is text (in a code span with a longer fence), never
/// code markup.
pub fn prose(s: &str) -> String {
    words(&for_terminal(s, MAX_SHOWN), MAX_SHOWN)
}

/// [`prose`] for a line of server text and tlscheck's plain words (a
/// sender's label), cut only at [`MAX_LINE`].
pub fn server_line(s: &str) -> String {
    words(&for_terminal(s, MAX_LINE), MAX_LINE)
}

/// A line tlscheck writes (cut only at [`MAX_LINE`]), which may quote
/// server text: tlscheck's own code spans (`reg import tls12.reg`) are
/// kept (see `own_spans`); everything else is made safe like [`prose`].
pub fn prose_line(s: &str) -> String {
    let safe = for_terminal(s, MAX_LINE);
    let mut out = String::with_capacity(safe.len() + 8);
    let mut at = 0;
    for (start, end) in own_spans(&safe) {
        out.push_str(&words(&safe[at..start], MAX_LINE));
        out.push_str(&safe[start..end]);
        at = end;
    }
    out.push_str(&words(&safe[at..], MAX_LINE));
    out
}

/// The byte ranges of the code spans tlscheck writes in its own
/// sentences: a backtick that opens a word (at the start, after a space,
/// `(` or `"`), text with no backtick and no space at either end, and a
/// backtick that closes the word (before the end, a space or closing
/// punctuation). A backtick anywhere else (`|`x`|`, ``` `` ```) is text.
fn own_spans(s: &str) -> Vec<(usize, usize)> {
    let opens_after = |c: Option<char>| matches!(c, None | Some(' ' | '(' | '"'));
    let closes_before = |c: Option<char>| {
        matches!(
            c,
            None | Some(' ' | ')' | ',' | ';' | '.' | ':' | '"' | '\'')
        )
    };
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(open) = s[from..].find('`').map(|i| from + i) {
        let before = s[..open].chars().next_back();
        let Some(close) = s[open + 1..].find('`').map(|i| open + 1 + i) else {
            break;
        };
        let inner = &s[open + 1..close];
        let after = s[close + 1..].chars().next();
        let own = opens_after(before)
            && closes_before(after)
            && !inner.is_empty()
            && !inner.starts_with(' ')
            && !inner.ends_with(' ');
        if own {
            spans.push((open, close + 1));
            from = close + 1;
        } else {
            // This backtick is text; the next one may still open a span.
            from = open + 1;
        }
    }
    spans
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
            format!("{head}{}{tail}", code_span(core))
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
        assert_eq!(prose("a|b"), "`a|b`");
    }

    #[test]
    fn prose_keeps_the_code_spans_of_tlscheck_sentences() {
        // Outside a table a `\|` in a code span shows: a pasted command
        // would break.
        assert_eq!(
            prose_line("run `reg import tls12.reg` and `postconf -P | grep x`, then a_b"),
            "run `reg import tls12.reg` and `postconf -P | grep x`, then `a_b`"
        );
    }

    #[test]
    fn a_table_cell_code_span_escapes_its_pipes() {
        assert_eq!(
            cell_code_span("postconf -P | grep x"),
            "`postconf -P \\| grep x`"
        );
        assert_eq!(code_span("postconf -P | grep x"), "`postconf -P | grep x`");
    }

    #[test]
    fn backticks_in_server_text_are_text_not_markup() {
        // A banner: every backtick shown, in spans with longer fences.
        assert_eq!(
            prose("220 mx | `a|b` `c` ok"),
            "220 mx `|` `` `a|b` `` `` `c` `` ok"
        );
        // A sender's EHLO name inside one of tlscheck's sentences.
        let ehlo = "mx.\u{1b}[31mevil\u{1b}[0m\u{202e}|`x`|";
        assert_eq!(
            prose_line(&format!("sender 192.0.2.7 (EHLO {ehlo}): run `tlscheck listen`")),
            "sender 192.0.2.7 (EHLO ``mx.\\x1b[31mevil\\x1b[0m\\u{202e}|`x`|``): run `tlscheck listen`"
        );
        assert_eq!(
            server_line(&format!("sender 192.0.2.7 (EHLO {ehlo})")),
            "sender 192.0.2.7 (EHLO ``mx.\\x1b[31mevil\\x1b[0m\\u{202e}|`x`|``)"
        );
        // Backticks that do not make a word stay text, even in a line.
        assert_eq!(prose_line("a ``b`` c `d"), "a ``` ``b`` ``` c `` `d ``");
    }

    #[test]
    fn character_references_in_server_text_stay_text() {
        assert_eq!(
            prose("220 &#x202E;lmth.exe&#x202C; &amp;"),
            "220 `&#x202E;lmth.exe&#x202C`; `&amp`;"
        );
        assert_eq!(
            crate::report::style::sanitize::md_field("a&#x202E;b"),
            "a\\&#x202E;b"
        );
    }
}
