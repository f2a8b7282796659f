//! Advice fitted to the server software: no Windows, SCHANNEL or Exchange
//! steps for a Postfix, Exim or Sendmail server.

use super::ServerSoftware;

/// Words that mark advice as Windows- or Exchange-specific (compared in
/// lower case).
pub(super) const WINDOWS_MARKERS: &[&str] = &[
    "schannel",
    "windows",
    "registry",
    ".reg ",
    ".net framework",
    "send connector",
    "receive connector",
    "group policy",
    "gpo",
    "iis crypto",
    "exchange server",
    "exchange and edge",
];

pub(super) fn windows_specific(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    WINDOWS_MARKERS.iter().any(|m| lower.contains(m))
}

/// A remediation line fitted to the server software: for Postfix, Exim and
/// Sendmail the Windows/SCHANNEL/Exchange parts are taken out (a
/// parenthesis, a sentence, or an item of a comma list that names them);
/// `None` when nothing is left. Other software gets the line unchanged.
pub fn fit_line(line: &str, sw: ServerSoftware) -> Option<String> {
    if !sw.is_unix_mta() || !windows_specific(line) {
        return Some(line.to_owned());
    }
    let without_parens = drop_windows_parentheses(line);
    let mut kept: Vec<String> = Vec::new();
    for sentence in split_keeping(&without_parens, &[". ", "; "]) {
        if !windows_specific(&sentence) {
            kept.push(sentence);
            continue;
        }
        // Keep the items of a list that are not Windows-specific
        // ("Check the SCHANNEL key, run `tlscheck schannel`, or let it send
        // to `tlscheck listen`" keeps the last).
        let items: Vec<String> = sentence
            .split(", ")
            .filter(|item| !windows_specific(item))
            .map(|item| {
                let item = item.trim().trim_end_matches(['.', ';']);
                let item = item.strip_prefix("or ").unwrap_or(item);
                item.strip_prefix("and ").unwrap_or(item).to_owned()
            })
            .filter(|item| item.split_whitespace().count() >= 3)
            .collect();
        if !items.is_empty() {
            kept.push(format!("{}.", capitalise(&items.join(", "))));
        }
    }
    let last = kept.len().saturating_sub(1);
    let out = kept
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.trim()))
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| {
            // A sentence cut after "; " ends the line with a full stop.
            let s = if i == last {
                s.trim_end_matches([';', ','])
            } else {
                s
            };
            if s.ends_with(['.', ':', '!', '?', ';']) {
                s.to_owned()
            } else {
                format!("{s}.")
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    (!out.is_empty()).then_some(out)
}

/// The summary fix fitted to the software: a neutral one instead of a
/// SCHANNEL one for Postfix, Exim and Sendmail.
pub fn fit_fix_short(fix_short: &'static str, sw: ServerSoftware) -> &'static str {
    if sw.is_unix_mta() && windows_specific(fix_short) {
        "enable TLS 1.2 for receiving and sending, then reload the mail service"
    } else {
        fix_short
    }
}

/// `line` without the parenthesised parts that are Windows-specific.
pub(super) fn drop_windows_parentheses(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find(" (") {
        let Some(close) = rest[open..].find(')').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let inner = &rest[open..=close];
        if !windows_specific(inner) {
            out.push_str(inner);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` cut after each separator, separators kept at the piece ends
/// (trimmed).
pub(super) fn split_keeping(text: &str, separators: &[&str]) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        if let Some(sep) = separators
            .iter()
            .find(|sep| text.get(i..).is_some_and(|t| t.starts_with(**sep)))
        {
            let end = i + sep.len();
            pieces.push(text[start..end].trim().to_owned());
            start = end;
            i = end;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if start < text.len() {
        pieces.push(text[start..].trim().to_owned());
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

pub(super) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
