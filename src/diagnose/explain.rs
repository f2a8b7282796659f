//! `explain`: finds the catalogue's failure signatures in text an admin
//! pastes (an error line, a whole NDR with headers and HTML, a queue
//! "Last error", a protocol log, a Postfix log line). Pure: text in,
//! matches out; no IO, no printing. The renderer decides what to show when
//! nothing matched.
//!
//! # Rules
//!
//! 1. Only the first [`MAX_INPUT`] bytes are read.
//! 2. The text is normalised: HTML tags are dropped, a few entities
//!    (`&nbsp;`, `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`, numeric) are
//!    decoded, quoted-printable soft line breaks (`=` at a line end) are
//!    joined, `>` quote markers at the start of a line are dropped,
//!    zero-width characters are removed, and every run of whitespace
//!    (line wraps included) becomes one space. Matching is ASCII
//!    case-insensitive.
//! 3. An enhanced status code (`4.4.2`) matches only as a whole token: not
//!    inside `14.4.2` or `4.4.20`. A basic reply code directly before it
//!    (`421 4.4.2`, `421-4.4.2`) is taken into the match.
//! 4. A matcher with a code needs its phrases *after* the code, within
//!    [`WINDOW`] bytes, with no other enhanced code in between: words belong
//!    to the reply they follow. So `451 4.4.0 Primary target … "421 4.4.1
//!    Connection timed out"` is a 4.4.1 timeout wrapped in a 4.4.0
//!    envelope, not a 4.4.0 timeout.
//! 5. A matcher without a code anchors on its first phrase; its other
//!    phrases must lie within [`WINDOW`] bytes after (or, failing that,
//!    before) it.
//! 6. A code-only matcher (`Strength::Code`) needs the basic reply code
//!    too: a bare `4.4.2` is also Postfix's `dsn=` for any lost connection,
//!    so on its own it says too little, while `421 4.4.2` with other words
//!    is still Exchange's dropped-connection family and worth a hint.
//! 7. Each signature is reported once, by its strongest hit (earliest on a
//!    tie). A hit is dropped when a stronger hit of another signature
//!    overlaps it (`530 5.7.0 Must issue a STARTTLS command first` is
//!    Postfix's reply, not a weak form of Exchange's `451 5.7.3`).
//! 8. Results are ordered strongest first, then by position in the text.

use std::cmp::Reverse;
use std::net::IpAddr;

use super::catalogue::{Matcher, Signature, Strength, CATALOGUE};

/// Bytes of pasted text that are read; the rest is ignored. A whole NDR
/// with headers is a few tens of KiB; this bounds the work on a pasted log.
pub const MAX_INPUT: usize = 1 << 20;

/// Longest fragment returned, in bytes (an ellipsis is added past it).
pub const MAX_FRAGMENT: usize = 240;

/// How far, in bytes of normalised text, the parts of one matcher may lie
/// from its anchor. Long enough for `454 4.7.5 The certificate specified in
/// TlsCertificateName`, short enough that words from the next line of a log
/// do not attach to this line's code.
pub const WINDOW: usize = 120;

/// Longest HTML tag skipped; a `<` without `>` within this many bytes is
/// kept as text.
const MAX_TAG: usize = 2048;

/// Longest character entity decoded (`&#x1F600;` is 10 bytes).
const MAX_ENTITY: usize = 10;

/// One catalogue entry found in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainMatch {
    /// The catalogue entry.
    pub signature: &'static Signature,
    /// How well it matched.
    pub strength: Strength,
    /// The matched part of the user's text, normalised (single spaces, no
    /// tags) but in its original case; at most [`MAX_FRAGMENT`] bytes plus
    /// an ellipsis.
    pub fragment: String,
}

/// The catalogue entries `text` contains, best first. Unknown text gives
/// an empty vector.
pub fn explain(text: &str) -> Vec<ExplainMatch> {
    let norm = normalise(text);
    let lower = norm.to_ascii_lowercase();
    let hits: Vec<Hit> = CATALOGUE
        .iter()
        .enumerate()
        .filter_map(|(order, sig)| best_hit(&lower, sig, order))
        .collect();
    let mut kept: Vec<&Hit> = hits
        .iter()
        .filter(|h| {
            !hits
                .iter()
                .any(|o| o.strength > h.strength && o.start < h.end && h.start < o.end)
        })
        .collect();
    kept.sort_by_key(|h| (Reverse(h.strength), h.start, h.order));
    kept.into_iter()
        .map(|h| ExplainMatch {
            signature: h.signature,
            strength: h.strength,
            fragment: fragment(&norm, h.start, h.end),
        })
        .collect()
}

/// Which end of the failed delivery the pasted text tells about, and who
/// the other end is: read out of the text itself, never guessed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The receiving server's name: `LastAttemptedServerName=`, a queue's
    /// `NextHopDomain` / `{FQDN=…}`, Postfix's `relay=`, `connect to`,
    /// `host … said` (lower case, no trailing dot).
    pub receiver_host: Option<String>,
    /// The receiving server's address: `LastAttemptedIP=`, "The last
    /// endpoint attempted was IP:25", a queue's `{IP=…}`, Postfix's
    /// `host[IP]`.
    pub receiver_ip: Option<IpAddr>,
    /// The server that wrote the NDR (`Generating server:`).
    pub generating_server: Option<String>,
    /// The sending server's name or address, when the text is the
    /// receiving side's log (Postfix `smtpd`, Exim "from HOST [IP]").
    pub sender_peer: Option<String>,
    /// What the text establishes about the direction.
    pub direction: Direction,
}

/// Who sent and who received, as far as the text says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// The receiving server is Office 365: the reader's server is the
    /// sender, and the fix is on the sending side.
    ToOffice365,
    /// The receiving server is named and is not Office 365; Office 365 was
    /// the sender (its NDR or trace).
    FromOffice365,
    /// The receiving server is named; the sender is not Office 365 (an
    /// on-premises queue, a Postfix log).
    ReceiverNamed,
    /// The text is the receiving side's own log: the reader's server
    /// received and the peer sent.
    YouReceive,
    /// The text does not say.
    #[default]
    Unknown,
}

impl Direction {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::ToOffice365 => "to_office365",
            Self::FromOffice365 => "from_office365",
            Self::ReceiverNamed => "receiver_named",
            Self::YouReceive => "you_receive",
            Self::Unknown => "unknown",
        }
    }
}

/// Placeholder for the host the reader must fill in.
pub const PLACEHOLDER: &str = "YOUR-DOMAIN";

impl Context {
    /// The receiving server as the user would type it for `tlscheck`: the
    /// name if the text gives one, else the address.
    pub fn receiver(&self) -> Option<String> {
        self.receiver_host
            .clone()
            .or_else(|| self.receiver_ip.map(|ip| ip.to_string()))
    }

    /// One sentence saying which side to fix and what to run, or `None`
    /// when the text names neither side.
    pub fn advice(&self) -> Option<String> {
        let at = |ip: Option<IpAddr>| ip.map(|ip| format!(" [{ip}]")).unwrap_or_default();
        let receiver = self.receiver().unwrap_or_default();
        match self.direction {
            Direction::ToOffice365 => Some(format!(
                "The receiving server is Office 365{}. You are the sender: check your sending side (`tlscheck schannel FILE` on a registry export of the sending server, `tlscheck listen` to see what it offers when it sends).",
                if receiver.is_empty() {
                    " (your \"Outbound to Office 365\" Send connector)".to_owned()
                } else {
                    format!(
                        " ({receiver}{})",
                        at(self.receiver_ip.filter(|_| self.receiver_host.is_some()))
                    )
                }
            )),
            Direction::FromOffice365 => Some(format!(
                "Office 365{} was the sender; the receiving server is {receiver}{}: run `tlscheck {receiver}`.",
                self.generating_server
                    .as_ref()
                    .map(|g| format!(" ({g})"))
                    .unwrap_or_default(),
                at(self.receiver_ip.filter(|_| self.receiver_host.is_some()))
            )),
            Direction::ReceiverNamed => Some(format!(
                "The receiving server is {receiver}{}: run `tlscheck {receiver}`. If it accepts TLS 1.2, the fault is on the sending side: check it with `tlscheck schannel FILE` or `tlscheck listen`.",
                at(self.receiver_ip.filter(|_| self.receiver_host.is_some()))
            )),
            Direction::YouReceive => Some(format!(
                "This is the receiving side's own log: you are the receiver{}. Check your server as senders see it: `tlscheck {PLACEHOLDER}` (your MX host or domain); the sender's fix, if any, is on its side.",
                self.sender_peer
                    .as_ref()
                    .map(|p| format!(" and the sender is {p}"))
                    .unwrap_or_default()
            )),
            Direction::Unknown => None,
        }
    }

    /// `sig.next_step` with `{target}` filled in: the receiving server the
    /// text names; for a sender whose receiver is Office 365, the sending
    /// side's check instead; the placeholder only when the text names none.
    pub fn next_step(&self, sig: &Signature) -> String {
        if !sig.next_step.contains("{target}") {
            return sig.next_step.to_owned();
        }
        match (self.direction, self.receiver()) {
            (Direction::ToOffice365, _) => "tlscheck listen --bind 0.0.0.0:25 --once".to_owned(),
            (Direction::FromOffice365 | Direction::ReceiverNamed, Some(r)) => {
                sig.next_step.replace("{target}", &r)
            }
            _ => sig.next_step.replace("{target}", PLACEHOLDER),
        }
    }
}

/// Longest host name or address token read out of the text (RFC 1035's
/// 253 plus a port).
const MAX_TOKEN: usize = 260;

/// Reads the side and the peer out of pasted text (normalised as for
/// [`explain`]).
pub fn context(text: &str) -> Context {
    let norm = normalise(text);
    let lower = norm.to_ascii_lowercase();
    let mut c = Context {
        generating_server: after_label(&lower, "generating server:").and_then(host_token),
        ..Context::default()
    };
    // Exchange Online NDR and message trace.
    c.receiver_host = after_label(&lower, "lastattemptedservername=").and_then(host_token);
    c.receiver_ip = after_label(&lower, "lastattemptedip=").and_then(|t| ip_token(t, true));
    // Exchange on-premises queue ("Last error" and Get-Queue).
    if c.receiver_ip.is_none() {
        c.receiver_ip =
            after_label(&lower, "the last endpoint attempted was").and_then(|t| ip_token(t, true));
    }
    if c.receiver_host.is_none() {
        c.receiver_host = after_label(&lower, "{fqdn=")
            .or_else(|| after_label(&lower, "nexthopdomain :"))
            .or_else(|| after_label(&lower, "nexthopdomain:"))
            .or_else(|| after_label(&lower, "next hop domain:"))
            .and_then(host_token);
    }
    if c.receiver_ip.is_none() {
        c.receiver_ip = after_label(&lower, "{ip=").and_then(|t| ip_token(t, false));
    }
    // Postfix as the sender: relay=HOST[IP]:25, connect to HOST[IP]:25,
    // host HOST[IP] said:, not offered by host HOST[IP].
    let postfix_client = lower.contains("postfix/smtp[") || lower.contains("postfix/smtp:");
    for label in ["relay=", "connect to ", "host ", "not offered by host "] {
        if c.receiver_host.is_some() {
            break;
        }
        let Some((host, ip)) = find_host_bracket_ip(&lower, label) else {
            continue;
        };
        if host != "none" {
            c.receiver_host = Some(host);
            c.receiver_ip = c.receiver_ip.or(ip);
        }
    }
    // Exchange protocol logs (CSV: date-time, connector-id, session-id,
    // sequence-number, local-endpoint, remote-endpoint, …). The Send
    // connector the Hybrid Configuration Wizard creates is "Outbound to
    // Office 365"; Receive connectors are named "SERVER\Connector".
    let mut to_office365_connector = false;
    if c.receiver_host.is_none() && c.receiver_ip.is_none() {
        for name in [",outbound to office 365,", ",outbound to microsoft 365,"] {
            if let Some(remote) = csv_field_after(&lower, name, 3) {
                to_office365_connector = true;
                c.receiver_ip = ip_token(remote, true);
                break;
            }
        }
    }
    let exchange_receive_log = c.receiver_host.is_none()
        && c.receiver_ip.is_none()
        && !to_office365_connector
        && lower.contains("\\default frontend ");
    if exchange_receive_log {
        c.sender_peer = csv_field_after(&lower, "\\default frontend ", 3)
            .and_then(|remote| ip_token(remote, true))
            .map(|ip| ip.to_string());
    }
    // The receiving side's own logs: Postfix smtpd, Exim "from HOST [IP]",
    // an Exchange Receive connector.
    let receive_log = !postfix_client
        && (exchange_receive_log
            || lower.contains("postfix/smtpd[")
            || lower.contains("tls error on connection from")
            || lower.contains("ssl_accept error from"));
    if receive_log
        && c.sender_peer.is_none()
        && c.receiver_host.is_none()
        && c.receiver_ip.is_none()
    {
        c.sender_peer = find_host_bracket_ip(&lower, "from ").map(|(h, ip)| match ip {
            Some(ip) if h != "unknown" => format!("{h} [{ip}]"),
            Some(ip) => ip.to_string(),
            None => h,
        });
    }
    let microsoft = |h: &str| is_office365_host(h);
    c.direction = if to_office365_connector || c.receiver_host.as_deref().is_some_and(microsoft) {
        Direction::ToOffice365
    } else if c.receiver_host.is_some() || c.receiver_ip.is_some() {
        if c.generating_server.as_deref().is_some_and(microsoft) {
            Direction::FromOffice365
        } else {
            Direction::ReceiverNamed
        }
    } else if receive_log {
        Direction::YouReceive
    } else {
        Direction::Unknown
    };
    c
}

/// The `n`th comma-separated field after the first `marker` (which ends
/// with the separator or a field's start), trimmed.
fn csv_field_after<'a>(lower: &'a str, marker: &str, n: usize) -> Option<&'a str> {
    let at = lower.find(marker)? + marker.len();
    // The marker may end inside its field ("\default frontend "): skip to
    // the end of that field first.
    let rest = lower.get(at..)?;
    let rest = if marker.ends_with(',') {
        rest
    } else {
        rest.split_once(',')?.1
    };
    rest.split(',').nth(n).map(str::trim)
}

/// Host names of Office 365's mail servers and NDR-generating servers
/// (`*.mail.protection.outlook.com`, `*.prod.outlook.com`,
/// `*.prod.exchangelabs.com`, `*.office365.com`).
pub fn is_office365_host(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    ["outlook.com", "exchangelabs.com", "office365.com"]
        .iter()
        .any(|d| h == *d || h.strip_suffix(d).is_some_and(|rest| rest.ends_with('.')))
}

/// The text right after the first `label` (lower case), without leading
/// spaces or quotes.
fn after_label<'a>(lower: &'a str, label: &str) -> Option<&'a str> {
    let at = lower.find(label)? + label.len();
    Some(lower.get(at..)?.trim_start_matches([' ', '"', '\'']))
}

/// A host name at the start of `s`: letters, digits, `-`, `.`, `_`; at
/// least one dot; not an address.
fn host_token(s: &str) -> Option<String> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
        .unwrap_or(s.len());
    let host = s.get(..end)?.trim_end_matches('.');
    let ok = (3..=MAX_TOKEN).contains(&host.len())
        && host.contains('.')
        && host.parse::<IpAddr>().is_err()
        && host.bytes().any(|b| b.is_ascii_alphabetic())
        && !host.starts_with(['.', '-']);
    ok.then(|| host.to_owned())
}

/// An IPv4 or IPv6 address at the start of `s`. `with_port`: the text
/// always puts a port after the address (`LastAttemptedIP=198.51.100.7:25`,
/// "The last endpoint attempted was 2001:db8::7:25"), so the last
/// `:digits` is the port even after an unbracketed IPv6 address.
fn ip_token(s: &str, with_port: bool) -> Option<IpAddr> {
    if let Some(inner) = s.strip_prefix('[') {
        let close = inner.find(']').filter(|c| *c <= MAX_TOKEN)?;
        return inner.get(..close)?.parse().ok();
    }
    let end = s
        .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':')))
        .unwrap_or(s.len());
    let token = s.get(..end.min(MAX_TOKEN))?.trim_end_matches(['.', ':']);
    if with_port {
        if let Some((addr, port)) = token.rsplit_once(':') {
            if port.parse::<u16>().is_ok() {
                if let Ok(ip) = addr.parse::<IpAddr>() {
                    return Some(ip);
                }
            }
        }
    }
    if let Ok(ip) = token.parse::<IpAddr>() {
        return Some(ip);
    }
    let (addr, port) = token.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// `HOST[IP]` after the first `label` at which one stands (Postfix's
/// `relay=mx.example.net[203.0.113.25]:25`).
fn find_host_bracket_ip(lower: &str, label: &str) -> Option<(String, Option<IpAddr>)> {
    for (at, _) in lower.match_indices(label) {
        let rest = lower.get(at + label.len()..)?;
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        let Some(inner) = after.strip_prefix('[').or_else(|| after.strip_prefix(" [")) else {
            continue;
        };
        let Some(close) = inner.find(']').filter(|c| *c <= MAX_TOKEN) else {
            continue;
        };
        let ip = inner
            .get(..close)
            .and_then(|t| t.trim_start_matches("ipv6:").parse::<IpAddr>().ok());
        let name = name.trim_end_matches('.');
        if name.is_empty() || name.len() > MAX_TOKEN {
            continue;
        }
        if name == "unknown" || host_token(name).is_some() {
            return Some((name.to_owned(), ip));
        }
    }
    None
}

/// The best place one signature matched.
struct Hit {
    signature: &'static Signature,
    /// Index in the catalogue: the last tie-breaker, for a stable order.
    order: usize,
    strength: Strength,
    /// Byte range in the normalised text.
    start: usize,
    end: usize,
}

fn best_hit(lower: &str, signature: &'static Signature, order: usize) -> Option<Hit> {
    signature
        .matchers
        .iter()
        .filter_map(|m| {
            find(lower, m).map(|(start, end)| Hit {
                signature,
                order,
                strength: m.strength,
                start,
                end,
            })
        })
        .max_by_key(|h| (h.strength, Reverse(h.start)))
}

/// The first place `m` matches in `lower`, as a byte range.
fn find(lower: &str, m: &Matcher) -> Option<(usize, usize)> {
    match m.enhanced {
        Some(code) => find_coded(lower, m.reply, code, m.phrases),
        None => find_words(lower, m.phrases),
    }
}

fn find_coded(
    lower: &str,
    reply: Option<u16>,
    code: &str,
    phrases: &[&str],
) -> Option<(usize, usize)> {
    'anchor: for (at, _) in lower.match_indices(code) {
        let end = at + code.len();
        if !is_code_token(lower.as_bytes(), at, end) {
            continue;
        }
        let start = match (reply, reply_before(lower.as_bytes(), at)) {
            (Some(want), Some((s, got))) if got == want => s,
            (Some(_), _) => continue,
            (None, Some((s, _))) => s,
            (None, None) => at,
        };
        let mut span_end = end;
        for phrase in phrases {
            let limit = ceil_boundary(lower, end + WINDOW + phrase.len());
            let Some(found) = lower.get(end..limit).and_then(|w| w.find(phrase)) else {
                continue 'anchor;
            };
            let phrase_at = end + found;
            if lower
                .get(end..phrase_at)
                .is_some_and(|between| contains_code(between.as_bytes()))
            {
                continue 'anchor;
            }
            span_end = span_end.max(phrase_at + phrase.len());
        }
        return Some((start, span_end));
    }
    None
}

fn find_words(lower: &str, phrases: &[&str]) -> Option<(usize, usize)> {
    let (first, rest) = phrases.split_first()?;
    'anchor: for (at, _) in lower.match_indices(first) {
        let end = at + first.len();
        let (mut lo, mut hi) = (at, end);
        for phrase in rest {
            let after_limit = ceil_boundary(lower, end + WINDOW + phrase.len());
            let after = lower
                .get(end..after_limit)
                .and_then(|w| w.find(phrase))
                .map(|p| end + p);
            let before_start = ceil_boundary(lower, at.saturating_sub(WINDOW + phrase.len()));
            let found = after.or_else(|| {
                lower
                    .get(before_start..at)
                    .and_then(|w| w.rfind(phrase))
                    .map(|p| before_start + p)
            });
            let Some(p) = found else {
                continue 'anchor;
            };
            lo = lo.min(p);
            hi = hi.max(p + phrase.len());
        }
        return Some((lo, hi));
    }
    None
}

/// True when `bytes[start..end]` (an enhanced code found by substring
/// search) stands alone: no digit or dot before it, no digit after it, and
/// not a dot followed by a digit after it (`4.4.2.1`).
fn is_code_token(bytes: &[u8], start: usize, end: usize) -> bool {
    let before_ok = match start.checked_sub(1).and_then(|i| bytes.get(i)) {
        Some(b) => !b.is_ascii_digit() && *b != b'.',
        None => true,
    };
    let after_ok = match bytes.get(end) {
        Some(b) if b.is_ascii_digit() => false,
        Some(b'.') => !bytes.get(end + 1).is_some_and(u8::is_ascii_digit),
        _ => true,
    };
    before_ok && after_ok
}

/// The basic reply code directly before the enhanced code at `at`
/// (`421 4.4.2`, `421-4.4.2`): its start and value.
fn reply_before(bytes: &[u8], at: usize) -> Option<(usize, u16)> {
    let start = at.checked_sub(4)?;
    let &[d0, d1, d2, sep] = bytes.get(start..at)? else {
        return None;
    };
    // Reply codes start with 2 to 5 (RFC 5321 §4.2.1); anything else
    // before an enhanced code is a port, a count, a date.
    if !matches!(sep, b' ' | b'-')
        || !(b'2'..=b'5').contains(&d0)
        || ![d1, d2].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    if start
        .checked_sub(1)
        .and_then(|i| bytes.get(i))
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
    {
        return None;
    }
    let value = [d0, d1, d2]
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Some((start, value))
}

/// True when `bytes` holds something shaped like an enhanced status code
/// (RFC 3463 §2: class `2`, `4` or `5`, then `.subject.detail` of 1–3
/// digits each) standing alone.
fn contains_code(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|i| code_len_at(bytes, i).is_some())
}

fn code_len_at(bytes: &[u8], i: usize) -> Option<usize> {
    let class = *bytes.get(i)?;
    if !matches!(class, b'2' | b'4' | b'5') || bytes.get(i + 1) != Some(&b'.') {
        return None;
    }
    let mut end = i + 2;
    for part in 0..2 {
        let digits = bytes
            .get(end..)?
            .iter()
            .take(4)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=3).contains(&digits) {
            return None;
        }
        end += digits;
        if part == 0 {
            if bytes.get(end) != Some(&b'.') {
                return None;
            }
            end += 1;
        }
    }
    is_code_token(bytes, i, end).then_some(end - i)
}

/// The largest char boundary of `s` at or below `i` (clamped to its length).
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or above `i` (clamped to its length).
fn ceil_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn fragment(norm: &str, start: usize, end: usize) -> String {
    let cut = floor_boundary(norm, end.min(start.saturating_add(MAX_FRAGMENT)));
    let mut out = norm.get(start..cut).unwrap_or_default().trim().to_owned();
    if cut < end {
        out.push('…');
    }
    out
}

/// Normalises pasted text for matching (rule 2 of the module docs); the
/// result keeps the original case.
pub(crate) fn normalise(input: &str) -> String {
    let mut rest = input
        .get(..floor_boundary(input, MAX_INPUT))
        .unwrap_or(input);
    let mut out = String::with_capacity(rest.len());
    let mut space = false;
    let mut line_start = true;
    while let Some(c) = rest.chars().next() {
        if c == '=' {
            if let Some(r) = rest
                .strip_prefix("=\r\n")
                .or_else(|| rest.strip_prefix("=\n"))
            {
                rest = r;
                continue;
            }
        }
        if c == '<' {
            if let Some(r) = skip_tag(rest) {
                space = true;
                rest = r;
                continue;
            }
        }
        let after = rest.get(c.len_utf8()..).unwrap_or_default();
        let (ch, r) = match c {
            '&' => decode_entity(rest).unwrap_or((c, after)),
            _ => (c, after),
        };
        rest = r;
        match ch {
            '\n' => {
                line_start = true;
                space = true;
            }
            // Zero-width space, zero-width joiner/non-joiner, BOM, soft
            // hyphen: invisible in a mail client, present in a paste.
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{ad}' => {}
            c if c.is_whitespace() => space = true,
            '>' if line_start => space = true,
            c => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                line_start = false;
                out.push(c);
            }
        }
    }
    out
}

/// `rest` starts with `<`: the text after the tag if it is one (`<p>`,
/// `</td>`, `<!-- … -->`, `<br/>`).
fn skip_tag(rest: &str) -> Option<&str> {
    let mut chars = rest.chars().skip(1);
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || matches!(first, '/' | '!' | '?')) {
        return None;
    }
    let window = rest.get(..ceil_boundary(rest, MAX_TAG))?;
    let close = window.find('>')?;
    rest.get(close + 1..)
}

/// `rest` starts with `&`: the decoded character and the text after the
/// entity, for the few entities NDRs use and numeric ones.
fn decode_entity(rest: &str) -> Option<(char, &str)> {
    let window = rest.get(..ceil_boundary(rest, MAX_ENTITY))?;
    let semi = window.find(';')?;
    let name = window.get(1..semi)?;
    let ch = match name {
        "nbsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let num = name.strip_prefix('#')?;
            let value = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(value)?
        }
    };
    Some((ch, rest.get(semi + 1..)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::time::{Duration, Instant};

    fn ids(matches: &[ExplainMatch]) -> Vec<&'static str> {
        matches.iter().map(|m| m.signature.id).collect()
    }

    fn first_id(text: &str) -> Option<&'static str> {
        explain(text).first().map(|m| m.signature.id)
    }

    /// A realistic sample per catalogue entry, as it appears in the place
    /// admins find it (with its surrounding words).
    const SAMPLES: &[(&str, &str)] = &[
        (
            "exo-dane-starttls-not-supported-5-7-321",
            "Remote server returned '550 5.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.'",
        ),
        (
            "exo-dane-certificate-expired-5-7-322",
            "550 5.7.322 certificate-expired: Destination mail server's certificate is expired.",
        ),
        (
            "exo-dane-tlsa-invalid-5-7-323",
            "Reason: [{LED=450 4.7.323 tlsa-invalid: The domain failed DANE validation.};{MSG=};{FQDN=mx.fabrikam.com}]",
        ),
        (
            "exo-dane-dnssec-invalid-5-7-324",
            "550 5.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records",
        ),
        (
            "exo-dane-certificate-host-mismatch-5-7-325",
            "550 5.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or subject alternative name matching the hostname (DANE)",
        ),
        (
            "exo-mta-sts-mx-5-4-8",
            "550 5.4.8 MX hosts of fabrikam.com failed MTA-STS validation",
        ),
        (
            "exo-mta-sts-certificate-5-7-5",
            "451 4.7.5 Remote certificate failed MTA-STS validation. Reason: <validityStatus>",
        ),
        (
            "socket-error-421-4-4-2",
            "Remote Server returned '421 4.4.2 Connection dropped due to SocketError'",
        ),
        (
            "tls-negotiation-failed-socketerror",
            "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E6F,3,10.0.0.5:25,104.47.1.1:25,*,,TLS negotiation failed with error SocketError",
        ),
        (
            "starttls-required-451-5-7-3",
            "2026-11-28T10:00:01.000Z,Outbound to Office 365,08DD2A1B3C4D5E70,7,10.0.0.5:41000,104.47.1.1:25,<,451 5.7.3 Must issue a STARTTLS command first,",
        ),
        (
            "starttls-required-530-5-7-0",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=0.4, dsn=5.7.0, status=bounced (host mx.example.net[203.0.113.25] said: 530 5.7.0 Must issue a STARTTLS command first (in reply to MAIL FROM command))",
        ),
        (
            "starttls-unavailable-454-4-7-0",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: host mx.example.net[203.0.113.25] offered STARTTLS: [454 4.7.0 TLS not available due to local problem]",
        ),
        (
            "starttls-refused-454",
            "2026-11-28 10:00:00 1tAbCd-000123-Ef H=mx.example.net [203.0.113.25]: SMTP error from remote mail server after STARTTLS: 454 TLS currently unavailable",
        ),
        (
            "exo-dns-query-failed-450-4-4-312",
            "Reason: [{LED=450 4.4.312 DNS query failed [Message=ServerFailure] [LastAttemptedServerName=mail.contoso.com] [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=mail.contoso.com};{IP=};{LRT=}]",
        ),
        (
            "exo-connection-timed-out-450-4-4-315",
            "Reason: [{LED=450 4.4.315 Connection timed out [Message=Socket error code 10060] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]}]",
        ),
        (
            "exo-connection-refused-450-4-4-316",
            "Reason: [{LED=450 4.4.316 Connection refused [Message=Socket error code 10061] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]}]",
        ),
        (
            "exo-cannot-connect-450-4-4-317",
            "LED=450 4.4.317 Cannot connect to remote server [Message=Remote host rejected connection] [LastAttemptedServerName=mail.contoso.com]",
        ),
        (
            "exo-connection-closed-450-4-4-318",
            "LED=450 4.4.318 Connection was closed abruptly [Message=Remote host closed connection] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]",
        ),
        (
            "exo-certificate-validation-450-4-7-320",
            "Reason: [{LED=450 4.7.320 Certificate validation failed [Message=SubjectMismatch] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]};{MSG=SubjectMismatch}]",
        ),
        (
            "exo-tenant-attribution-550-5-7-64",
            "Remote Server returned '550 5.7.64 TenantAttribution; Relay Access Denied [AM4PEPF00012345.eurprd04.prod.outlook.com]'",
        ),
        (
            "tls-negotiation-failed-unknowncredentials",
            "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E71,21,,,*,,TLS negotiation failed with error UnknownCredentials",
        ),
        (
            "tls-negotiation-failed-nocredentials",
            "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E72,21,10.0.0.5:41001,104.47.1.1:25,*,,TLS negotiation failed with error NoCredentials",
        ),
        (
            "send-connector-certificate-454-4-7-5",
            "LastError: 454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.",
        ),
        (
            "certificate-validation-454-4-7-5",
            "451 4.4.0 Primary target IP address responded with: \"454 4.7.5 Certificate validation failure.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "tls-negotiation-failed-algorithmmismatch",
            "System.Security.Authentication.AuthenticationException: A call to SSPI failed. The client and server cannot communicate, because they do not possess a common algorithm",
        ),
        (
            "dns-query-failed-451-4-4-0",
            "Remote Server returned '451 4.4.0 DNS query failed. The error was: DNS query failed with error ErrorRetry'",
        ),
        (
            "primary-target-451-4-4-0",
            "LastError: 451 4.4.0 Primary target IP address responded with: \"421 4.2.0 Service busy.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "unable-to-connect-421-4-2-1",
            "451 4.4.0 Primary target IP address responded with: \"421 4.2.1 Unable to connect.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "connect-timeout-421-4-4-1",
            "451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed out.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "smtp-auth-legacy-tls-421-4-7-66",
            "Send failed: 421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
        ),
        (
            "throttled-421-4-7-0-too-many-connections",
            "host mx.example.net[203.0.113.25] refused to talk to me: 421 4.7.0 mx.example.net Error: too many connections from 198.51.100.7",
        ),
        (
            "throttled-421-4-3-2",
            "Remote Server returned '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel'",
        ),
        (
            "back-pressure-452-4-3-1",
            "2026-11-28T10:00:00.000Z,EX01\\Default Frontend EX01,08DD2A1B3C4D5E73,5,10.0.0.5:25,203.0.113.9:50000,>,452 4.3.1 Insufficient system resources,",
        ),
        (
            "exo-outdated-exchange-throttled-4-7-230",
            "2026-11-28T10:00:01.000Z,Outbound to Office 365,08DD2A1B3C4D5E71,9,10.0.0.5:41000,104.47.1.1:25,<,450 4.7.230 Connecting Exchange server version is out-of-date; connection to Exchange Online throttled for 5 mins/hr.,",
        ),
        (
            "exo-outdated-exchange-blocked-5-7-230",
            "2026-11-28T10:00:01.000Z,Outbound to Office 365,08DD2A1B3C4D5E72,9,10.0.0.5:41000,104.47.1.1:25,<,550 5.7.230 Connecting Exchange server version is out-of-date; connection to Exchange Online blocked for 10 mins/hr.,",
        ),
        (
            "connect-timeout-port-25",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: connect to mx.example.net[203.0.113.25]:25: Connection timed out",
        ),
        (
            "postfix-tls-handshake-failure",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=30, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)",
        ),
        (
            "postfix-tls-required-not-offered",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.example.net[203.0.113.25])",
        ),
        (
            "tls-alert-protocol-version",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: warning: TLS library problem: error:0A00042E:SSL routines::tlsv1 alert protocol version:../ssl/record/rec_layer_s3.c:1599:SSL alert number 70:",
        ),
        (
            "openssl-unsupported-protocol",
            "Nov 28 10:00:00 mx1 postfix/smtpd[4243]: SSL_accept error from old.example.org[198.51.100.9]: -1 warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1658:",
        ),
        (
            "openssl-no-shared-cipher",
            "2026-11-28 10:00:00 TLS error on connection from old.example.org [198.51.100.9] (SSL_accept): error:0A0000C1:SSL routines::no shared cipher",
        ),
        (
            "sendmail-403-4-7-0-tls-handshake-failed",
            "Nov 28 10:00:00 mx1 sm-mta[4244]: 5ASA00a1004244: to=<bob@example.net>, delay=00:00:02, mailer=esmtp, relay=mx.example.net. [203.0.113.25], dsn=4.0.0, stat=Deferred: 403 4.7.0 TLS handshake failed.",
        ),
    ];

    /// Puts `sample` in an Exchange-style NDR with headers and noise.
    fn in_ndr(sample: &str) -> String {
        format!(
            "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>\r\n\
             To: Alice <alice@contoso.com>\r\n\
             Subject: Undeliverable: Quarterly report\r\n\r\n\
             Delivery has failed to these recipients or groups:\r\n\r\n\
             bob@example.net\r\n\
             A problem occurred while delivering this message to this email address.\r\n\r\n\
             Diagnostic information for administrators:\r\n\r\n\
             Generating server: EX01.contoso.local\r\n\r\n\
             {sample}\r\n\r\n\
             Original message headers:\r\n\r\n\
             Received: from EX01.contoso.local (10.0.0.5) by EX02.contoso.local (10.0.0.6) with\r\n \
             Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n \
             15.2.1544.4; Sat, 28 Nov 2026 10:00:00 +0000\r\n\
             Message-ID: <0123456789abcdef@EX01.contoso.local>\r\n\
             MIME-Version: 1.0\r\n"
        )
    }

    /// Puts `sample` in the HTML part of an NDR, with entities for quotes.
    fn in_html(sample: &str) -> String {
        let escaped = sample
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&#39;")
            .replace('"', "&quot;")
            .replacen(' ', "&nbsp;", 1)
            .replacen(' ', "&#160;", 1);
        format!(
            "<html><head><style>p {{ font-family: Segoe UI; }}</style></head><body>\n\
             <p><b>Diagnostic information for administrators:</b></p>\n\
             <p>Generating server: <span>EX01.contoso.local</span><br>\n\
             <font color=\"#808080\">{escaped}</font></p>\n</body></html>"
        )
    }

    /// Wraps `sample` at about 30 columns and quotes it as a reply would.
    fn wrapped_and_quoted(sample: &str) -> String {
        let mut out = String::from("> ");
        let mut col = 0;
        for word in sample.split(' ') {
            if col > 30 {
                out.push_str("\r\n>  ");
                col = 0;
            } else if col > 0 {
                out.push_str("   ");
            }
            out.push_str(word);
            col += word.len() + 1;
        }
        format!("Hi, we keep getting this:\n\n{out}\n\nAny idea?")
    }

    #[test]
    fn samples_cover_every_catalogue_entry() {
        let sampled: BTreeSet<&str> = SAMPLES.iter().map(|(id, _)| *id).collect();
        let catalogued: BTreeSet<&str> = CATALOGUE.iter().map(|s| s.id).collect();
        assert_eq!(sampled, catalogued);
        assert_eq!(SAMPLES.len(), CATALOGUE.len(), "one sample per entry");
    }

    #[test]
    fn every_catalogue_entry_is_recognised_in_noisy_pasted_text() {
        for (id, sample) in SAMPLES {
            for (form, text) in [
                ("plain", sample.to_string()),
                ("ndr", in_ndr(sample)),
                ("html", in_html(sample)),
                ("wrapped", wrapped_and_quoted(sample)),
            ] {
                assert_eq!(first_id(&text), Some(*id), "{form} form of {id}:\n{text}");
            }
        }
    }

    #[test]
    fn every_entry_explains_its_own_text_first() {
        for sig in CATALOGUE {
            assert_eq!(first_id(sig.text), Some(sig.id));
        }
    }

    #[test]
    fn exchange_online_ndr_with_html_and_headers_gives_socket_error() {
        let ndr = "Your message to bob@contoso.com couldn't be delivered.\r\n\
            <p style=\"font-size:14px\">Office 365 tried to deliver it many times but the\r\n\
            recipient's email server dropped the connection.</p>\r\n\
            Diagnostic information for administrators:\r\n\
            Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n\
            bob@contoso.com\r\n\
            mail.contoso.com\r\n\
            Remote Server returned '550 4.4.7 QUEUE.Expired; message expired [Message=421 4.4.2 Connection\r\n \
            dropped due to SocketError] [LastAttemptedServerName=mail.contoso.com]\r\n \
            [LastAttemptedIP=198.51.100.7:25] [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]'\r\n\
            Original message headers:\r\n\
            ARC-Seal: i=1; a=rsa-sha256; s=arcselector9901; d=microsoft.com; cv=none;\r\n\
            X-MS-Exchange-Organization-SCL: 1\r\n";
        let found = explain(ndr);
        assert_eq!(ids(&found), ["socket-error-421-4-4-2"]);
        assert_eq!(found[0].strength, Strength::Exact);
        assert_eq!(
            found[0].fragment,
            "421 4.4.2 Connection dropped due to SocketError"
        );
    }

    #[test]
    fn queue_viewer_last_error_lists_wrapped_error_before_envelope() {
        let line = "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 \
            Connection dropped due to SocketError.\" Attempted failover to alternate host, \
            but that did not succeed. Either there are no alternate hosts, or delivery \
            failed to all alternate hosts. The last endpoint attempted was 104.47.1.1:25";
        let found = explain(line);
        assert_eq!(
            ids(&found),
            ["socket-error-421-4-4-2", "primary-target-451-4-4-0"]
        );
        assert_eq!(found[1].strength, Strength::Envelope);
    }

    #[test]
    fn send_connector_protocol_log_line_gives_tls_negotiation_socket_error() {
        let line = "2026-11-28T10:00:00.000Z,Outbound to Office 365,08D9A1B2C3D4E5F6,3,\
            10.0.0.5:25,104.47.1.1:25,*,,TLS negotiation failed with error SocketError";
        let found = explain(line);
        assert_eq!(ids(&found), ["tls-negotiation-failed-socketerror"]);
        assert_eq!(
            found[0].fragment,
            "TLS negotiation failed with error SocketError"
        );
    }

    #[test]
    fn postfix_530_is_not_reported_as_exchange_451_5_7_3() {
        let line = "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, \
            relay=mx.example.net[203.0.113.25]:25, dsn=5.7.0, status=bounced (host \
            mx.example.net[203.0.113.25] said: 530 5.7.0 Must issue a STARTTLS command \
            first (in reply to MAIL FROM command))";
        let found = explain(line);
        assert_eq!(ids(&found), ["starttls-required-530-5-7-0"]);
        assert_eq!(
            found[0].fragment,
            "530 5.7.0 Must issue a STARTTLS command first"
        );
    }

    #[test]
    fn socket_error_reply_and_tls_negotiation_log_are_both_found() {
        let text = "Queue: 421 4.4.2 Connection dropped due to SocketError\n\
            SmtpSend: TLS negotiation failed with error SocketError";
        let found = explain(text);
        assert_eq!(
            ids(&found),
            [
                "socket-error-421-4-4-2",
                "tls-negotiation-failed-socketerror"
            ]
        );
    }

    #[test]
    fn reply_code_with_other_words_is_a_weaker_code_match() {
        let found = explain("421 4.4.2 Connection dropped due to ConnectionReset");
        assert_eq!(ids(&found), ["socket-error-421-4-4-2"]);
        assert_eq!(found[0].strength, Strength::Code);
    }

    #[test]
    fn starttls_words_with_code_beat_the_same_words_alone() {
        let found = explain("<,451 5.7.3 Must issue a STARTTLS command first,");
        assert_eq!(ids(&found), ["starttls-required-451-5-7-3"]);
        assert_eq!(found[0].strength, Strength::Exact);
        let words_only = explain("the server says: must issue a starttls command first");
        assert_eq!(words_only[0].strength, Strength::Partial);
    }

    #[test]
    fn bare_enhanced_code_without_reply_code_is_not_a_match() {
        assert!(explain("Upgraded libfoo to 4.4.2 yesterday").is_empty());
        assert!(explain("dsn=4.4.2, status=deferred (lost connection)").is_empty());
    }

    #[test]
    fn enhanced_code_must_stand_alone() {
        assert!(explain("421 14.4.2 Connection dropped due to something").is_empty());
        assert!(explain("421 4.4.21 Connection dropped").is_empty());
        assert!(explain("421 4.4.2.1 Connection dropped").is_empty());
        assert_eq!(
            first_id("421 4.4.2. Connection reset"),
            Some("socket-error-421-4-4-2")
        );
    }

    #[test]
    fn words_belong_to_the_code_they_follow() {
        // "DNS query failed" follows 4.4.312, so it is not a 4.4.0 DNS error.
        let text = "451 4.4.0 Primary target IP address responded with: \
            \"450 4.4.312 DNS query failed.\"";
        let found = explain(text);
        assert_eq!(
            ids(&found),
            [
                "exo-dns-query-failed-450-4-4-312",
                "primary-target-451-4-4-0"
            ]
        );
    }

    #[test]
    fn unrelated_text_gives_nothing() {
        for text in [
            "",
            "   \n\t  ",
            "Hello Bob, the quarterly report is attached. Regards, Alice",
            "250 2.0.0 OK queued as 1A2B3C4D5E",
            "220 mx.example.net ESMTP Postfix (Debian/GNU)",
            "<html><body><p>Nothing to see</p></body></html>",
            "&#xZZ; &; &#99999999999; <",
        ] {
            assert!(
                explain(text).is_empty(),
                "{text:?} gave {:?}",
                ids(&explain(text))
            );
        }
    }

    #[test]
    fn quoted_printable_soft_breaks_and_entities_are_undone() {
        let qp =
            "Remote Server returned &#39;421 4.4.2 Connection dropped due to Socket=\r\nError&#39;";
        assert_eq!(first_id(qp), Some("socket-error-421-4-4-2"));
        let nbsp = "TLS&nbsp;negotiation&#160;failed with error&#x20;SocketError";
        assert_eq!(first_id(nbsp), Some("tls-negotiation-failed-socketerror"));
        let zero_width = "TLS negotiation failed with error Socket\u{200b}Error";
        assert_eq!(
            first_id(zero_width),
            Some("tls-negotiation-failed-socketerror")
        );
    }

    #[test]
    fn case_and_whitespace_do_not_matter_but_the_fragment_keeps_case() {
        let found = explain("  421\t4.4.2   CONNECTION\r\n\r\n   dropped due to socketerror ");
        assert_eq!(ids(&found), ["socket-error-421-4-4-2"]);
        assert_eq!(
            found[0].fragment,
            "421 4.4.2 CONNECTION dropped due to socketerror"
        );
    }

    #[test]
    fn multiline_reply_separator_is_accepted() {
        assert_eq!(
            first_id("421-4.4.2 Connection dropped due to SocketError"),
            Some("socket-error-421-4-4-2")
        );
    }

    #[test]
    fn fragments_are_bounded() {
        for (_, sample) in SAMPLES {
            for m in explain(&in_ndr(sample)) {
                assert!(
                    m.fragment.len() <= MAX_FRAGMENT + '…'.len_utf8(),
                    "{}: {}",
                    m.signature.id,
                    m.fragment
                );
                assert!(!m.fragment.is_empty());
            }
        }
        let long = fragment(&"x".repeat(1000), 0, 1000);
        assert_eq!(long.len(), MAX_FRAGMENT + '…'.len_utf8());
        assert!(long.ends_with('…'));
    }

    #[test]
    fn only_the_first_mebibyte_is_read() {
        let noise = "lorem ipsum 4.4.2 4.4.2 dolor <b>sit</b> &amp; amet\n".repeat(40_000);
        assert!(noise.len() > MAX_INPUT);
        let late = format!("{noise}421 4.4.2 Connection dropped due to SocketError");
        let early = format!("421 4.4.2 Connection dropped due to SocketError\n{noise}");
        let started = Instant::now();
        assert!(explain(&late).is_empty());
        assert_eq!(first_id(&early), Some("socket-error-421-4-4-2"));
        // Generous even for a debug build on a busy machine; guards against
        // accidental quadratic work.
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn input_cut_inside_a_multibyte_character_does_not_panic() {
        let text = format!("{}é421 4.4.2", "a".repeat(MAX_INPUT - 1));
        assert!(explain(&text).is_empty());
        assert_eq!(normalise(&text).len(), MAX_INPUT - 1);
    }

    #[test]
    fn normalise_drops_tags_and_quote_markers_and_collapses_space() {
        assert_eq!(
            normalise("> 421 4.4.2\n>> Connection <b>dropped</b>&nbsp;due"),
            "421 4.4.2 Connection dropped due"
        );
        assert_eq!(normalise("a < b and c > d"), "a < b and c > d");
        assert_eq!(normalise("to=<bob@example.net>, x"), "to= , x");
    }

    fn sig(id: &str) -> &'static Signature {
        crate::diagnose::catalogue::by_id(id).unwrap()
    }

    #[test]
    fn exchange_online_ndr_names_the_receiving_server_and_office365_as_sender() {
        let ndr = "Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n\
            bob@fabrikam.com\r\n\
            Remote Server returned '550 4.4.7 QUEUE.Expired; message expired [Message=421 4.4.2 Connection\r\n \
            dropped due to SocketError] [LastAttemptedServerName=mail.fabrikam.com]\r\n \
            [LastAttemptedIP=198.51.100.7:25] [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]'";
        let c = context(ndr);
        assert_eq!(c.direction, Direction::FromOffice365);
        assert_eq!(c.receiver_host.as_deref(), Some("mail.fabrikam.com"));
        assert_eq!(c.receiver_ip, Some("198.51.100.7".parse().unwrap()));
        let advice = c.advice().unwrap();
        assert!(advice.contains("the receiving server is mail.fabrikam.com [198.51.100.7]: run `tlscheck mail.fabrikam.com`"), "{advice}");
        assert_eq!(
            c.next_step(sig("socket-error-421-4-4-2")),
            "tlscheck mail.fabrikam.com"
        );
        assert!(!advice.contains(PLACEHOLDER));
        // The same lines in HTML with entities (the wrapper brings its own
        // on-premises generating server): the receiver is still read.
        let html = context(&in_html(ndr));
        assert_eq!(html.receiver_host, c.receiver_host);
        assert_eq!(html.receiver_ip, c.receiver_ip);
    }

    #[test]
    fn prod_outlook_com_generating_server_is_office365_too() {
        let c = context("Generating server: DM6PR01MB1234.namprd01.prod.outlook.com\n\
            Remote Server returned '450 4.4.317 Cannot connect to remote server' [LastAttemptedServerName=mx.contoso.com]");
        assert_eq!(c.direction, Direction::FromOffice365);
        assert_eq!(c.receiver().as_deref(), Some("mx.contoso.com"));
    }

    #[test]
    fn queue_viewer_towards_office365_says_you_are_the_sender() {
        let get_queue = "Identity        : EX01\\3\n\
            DeliveryType    : SmartHostConnectorDelivery\n\
            NextHopDomain   : contoso-com.mail.protection.outlook.com\n\
            Status          : Retry\n\
            LastError       : 451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to SocketError.\" \
            Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery \
            failed to all alternate hosts. The last endpoint attempted was 104.47.1.1:25";
        let c = context(get_queue);
        assert_eq!(c.direction, Direction::ToOffice365);
        assert_eq!(
            c.receiver_host.as_deref(),
            Some("contoso-com.mail.protection.outlook.com")
        );
        assert_eq!(c.receiver_ip, Some("104.47.1.1".parse().unwrap()));
        let advice = c.advice().unwrap();
        assert!(
            advice
                .contains("You are the sender: check your sending side (`tlscheck schannel FILE`"),
            "{advice}"
        );
        assert!(advice.contains("`tlscheck listen`"));
        assert_eq!(
            c.next_step(sig("socket-error-421-4-4-2")),
            "tlscheck listen --bind 0.0.0.0:25 --once"
        );
        // Get-Queue's LastError in its structured form.
        let structured = "LastError : [{LED=451 4.4.395 Target host responded with error. -> 421 4.4.1 Connection timed out};\
            {MSG=};{FQDN=exchangelabsnl-mail-onmicrosoft-com.mail.protection.outlook.com}; {IP=};{LRT=5/2/2019 6:32:14 AM}]";
        assert_eq!(context(structured).direction, Direction::ToOffice365);
    }

    #[test]
    fn last_endpoint_alone_names_the_receiver_by_address() {
        let line = "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to \
            SocketError.\" Attempted failover to alternate host, but that did not succeed. The last endpoint \
            attempted was 203.0.113.25:25";
        let c = context(line);
        assert_eq!(c.direction, Direction::ReceiverNamed);
        assert_eq!(c.receiver().as_deref(), Some("203.0.113.25"));
        assert_eq!(
            c.next_step(sig("socket-error-421-4-4-2")),
            "tlscheck 203.0.113.25"
        );
        let advice = c.advice().unwrap();
        assert!(advice.contains("run `tlscheck 203.0.113.25`"));
        assert!(advice.contains("sending side"));
        let v6 = context("The last endpoint attempted was 2001:db8::25:25");
        assert_eq!(v6.receiver_ip, Some("2001:db8::25".parse().unwrap()));
        let bracketed = context("The last endpoint attempted was [2001:db8::7]:25");
        assert_eq!(bracketed.receiver_ip, Some("2001:db8::7".parse().unwrap()));
    }

    #[test]
    fn postfix_client_log_names_the_relay() {
        let line = "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, \
            relay=mx.example.net[203.0.113.25]:25, delay=30, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)";
        let c = context(line);
        assert_eq!(c.direction, Direction::ReceiverNamed);
        assert_eq!(c.receiver_host.as_deref(), Some("mx.example.net"));
        assert_eq!(c.receiver_ip, Some("203.0.113.25".parse().unwrap()));
        assert_eq!(
            c.next_step(sig("postfix-tls-handshake-failure")),
            "tlscheck mx.example.net"
        );
        let refused = context(
            "postfix/smtp[1]: connect to mx.example.net[203.0.113.25]:25: Connection timed out",
        );
        assert_eq!(refused.receiver_host.as_deref(), Some("mx.example.net"));
        let to_office = context("postfix/smtp[1]: 1A: to=<a@contoso.com>, relay=contoso-com.mail.protection.outlook.com[104.47.1.1]:25, status=deferred (TLS is required, but was not offered by host contoso-com.mail.protection.outlook.com[104.47.1.1])");
        assert_eq!(to_office.direction, Direction::ToOffice365);
    }

    #[test]
    fn receiving_side_logs_say_you_are_the_receiver() {
        let postfix = "Nov 28 10:00:00 mx1 postfix/smtpd[4243]: SSL_accept error from old.example.org[198.51.100.9]: -1";
        let c = context(postfix);
        assert_eq!(c.direction, Direction::YouReceive);
        assert_eq!(
            c.sender_peer.as_deref(),
            Some("old.example.org [198.51.100.9]")
        );
        assert!(c
            .advice()
            .unwrap()
            .contains("you are the receiver and the sender is old.example.org"));
        let exim = "2026-11-28 10:00:00 TLS error on connection from old.example.org [198.51.100.9] (SSL_accept): error:0A0000C1:SSL routines::no shared cipher";
        let e = context(exim);
        assert_eq!(e.direction, Direction::YouReceive);
        assert_eq!(
            e.sender_peer.as_deref(),
            Some("old.example.org [198.51.100.9]")
        );
    }

    #[test]
    fn text_that_names_no_side_keeps_the_placeholder() {
        let c = context("421 4.4.2 Connection dropped due to SocketError");
        assert_eq!(c.direction, Direction::Unknown);
        assert_eq!(c.advice(), None);
        assert_eq!(
            c.next_step(sig("socket-error-421-4-4-2")),
            "tlscheck YOUR-DOMAIN"
        );
        // An on-premises NDR that names only its own generating server.
        let c = context(&in_ndr("421 4.4.2 Connection dropped due to SocketError"));
        assert_eq!(c.generating_server.as_deref(), Some("ex01.contoso.local"));
        assert_eq!(c.direction, Direction::Unknown);
        // Commands without {target} are kept as they are.
        let fixed = context("[LastAttemptedServerName=mail.fabrikam.com]");
        assert_eq!(
            fixed.next_step(sig("tls-negotiation-failed-nocredentials")),
            "tlscheck listen --bind 0.0.0.0:25 --once"
        );
    }

    #[test]
    fn exchange_protocol_logs_tell_the_side_from_the_connector() {
        // The Send connector log of the server sending to Office 365 (seed
        // article: "TLS negotiation failed with error SocketError").
        let send = "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E6F,3,10.0.0.5:25,104.47.1.1:25,*,,TLS negotiation failed with error SocketError";
        let c = context(send);
        assert_eq!(c.direction, Direction::ToOffice365);
        assert_eq!(c.receiver_ip, Some("104.47.1.1".parse().unwrap()));
        assert!(c.advice().unwrap().contains("You are the sender"));
        // A Receive connector log: this server received.
        let receive = "2026-11-28T10:00:00.000Z,EX01\\Default Frontend EX01,08DD2A1B3C4D5E73,5,10.0.0.5:25,203.0.113.9:50000,>,452 4.3.1 Insufficient system resources,";
        let c = context(receive);
        assert_eq!(c.direction, Direction::YouReceive);
        assert_eq!(c.sender_peer.as_deref(), Some("203.0.113.9"));
        assert!(c
            .advice()
            .unwrap()
            .contains("you are the receiver and the sender is 203.0.113.9"));
    }

    #[test]
    fn office365_hosts_are_recognised_by_suffix_only() {
        for h in [
            "contoso-com.mail.protection.outlook.com",
            "am0pr01mb1234.eurprd01.prod.exchangelabs.com",
            "dm6pr01mb1234.namprd01.prod.outlook.com",
            "outlook.com",
            "smtp.office365.com",
        ] {
            assert!(is_office365_host(h), "{h}");
        }
        for h in [
            "evil-outlook.com",
            "outlook.com.evil.example",
            "mail.fabrikam.com",
            "",
        ] {
            assert!(!is_office365_host(h), "{h}");
        }
    }

    #[test]
    fn hostile_context_text_is_bounded_and_does_not_panic() {
        for text in [
            "LastAttemptedServerName=",
            "LastAttemptedIP=",
            "LastAttemptedIP=999.1.1.1:25",
            "The last endpoint attempted was [",
            "The last endpoint attempted was [::1",
            "relay=[",
            "relay=a[",
            "host x.y[1.2.3.4",
            "{FQDN=}{IP=}",
            "Generating server: ",
            "LastAttemptedServerName=\u{e9}\u{e9}.example",
        ] {
            let _ = context(text).advice();
        }
        let long = format!("LastAttemptedServerName={}.example.com", "a".repeat(10_000));
        assert_eq!(context(&long).receiver_host, None);
        let c = context("[LastAttemptedServerName=mail.fabrikam.com`;rm -rf /]");
        assert_eq!(c.receiver_host.as_deref(), Some("mail.fabrikam.com"));
    }

    #[test]
    fn contains_code_finds_only_standalone_enhanced_codes() {
        assert!(contains_code(b" said: 421 4.4.2 x"));
        assert!(contains_code(b"[Message=5.7.64]"));
        assert!(!contains_code(b"version 15.2.1544.4"));
        assert!(!contains_code(b"10.0.0.5:25"));
        assert!(!contains_code(b"3.4.5 is not a class"));
        assert!(!contains_code(b"4.1234.5"));
        assert!(!contains_code(b""));
    }
}
