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
    /// receiving side's log (Postfix `smtpd`, Exim "from HOST \[IP\]").
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
mod tests;
