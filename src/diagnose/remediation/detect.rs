//! Which mail server software answers, from its greeting and EHLO reply.

use super::ServerSoftware;

/// Banner fragments (lower case) that name the software.
pub(super) const BANNER_HINTS: &[(&str, ServerSoftware)] = &[
    ("microsoft esmtp mail service", ServerSoftware::Exchange),
    ("microsoft smtp server", ServerSoftware::Exchange),
    ("microsoft exchange", ServerSoftware::Exchange),
    ("esmtp postfix", ServerSoftware::Postfix),
    ("esmtp exim", ServerSoftware::Exim),
    ("esmtp sendmail", ServerSoftware::Sendmail),
];

/// EHLO keywords only Exchange advertises; they give it away when the
/// banner has been changed to hide the product.
pub(super) const EXCHANGE_EHLO_KEYWORDS: &[&str] = &[
    "X-ANONYMOUSTLS",
    "X-EXPS",
    "XEXCH50",
    "XRDST",
    "XSHADOW",
    "XSHADOWREQUEST",
    "X-LINK2STATE",
];

/// Guesses the server software from the 220 greeting (with or without its
/// `220 ` prefix) and the lines of the EHLO reply (with or without `250-`).
pub fn detect(banner: &str, ehlo_lines: &[String]) -> ServerSoftware {
    let banner = banner.to_ascii_lowercase();
    if let Some((_, sw)) = BANNER_HINTS.iter().find(|(hint, _)| banner.contains(hint)) {
        return *sw;
    }
    for line in ehlo_lines {
        let line = line.trim();
        let line = line
            .strip_prefix("250-")
            .or_else(|| line.strip_prefix("250 "))
            .unwrap_or(line);
        let keyword = line.split_whitespace().next().unwrap_or_default();
        if EXCHANGE_EHLO_KEYWORDS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
        {
            return ServerSoftware::Exchange;
        }
        // Sendmail's EHLO greeting line, kept even with a custom banner.
        if line.to_ascii_lowercase().contains("pleased to meet you") {
            return ServerSoftware::Sendmail;
        }
    }
    ServerSoftware::Other
}
