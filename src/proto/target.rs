//! Parsing of one command-line target: `HOST`, `HOST:PORT`, `IPv4[:PORT]`,
//! `IPv6`, `[IPv6]`, `[IPv6]:PORT`, with IDNA names turned into A-labels.
//!
//! Pure: no DNS, no IO. A name is only checked for the shape DNS allows
//! (labels of at most 63 octets, names of at most 253); whether it exists is
//! `dns`'s business. Each rejection says what is wrong and which form to
//! give instead, because the user reads it straight from the terminal.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_resolver::proto::rr::Label;

/// RFC 1035 §2.3.4: a label holds at most 63 octets.
pub const MAX_LABEL_LEN: usize = 63;

/// RFC 1035 §2.3.4 allows 255 octets on the wire; written as text without
/// the trailing dot that leaves 253 characters.
pub const MAX_NAME_LEN: usize = 253;

/// Dots that UTS 46 (IDNA) maps to a full stop: ideographic, full-width and
/// half-width ideographic full stops. Users typing CJK names produce them.
const IDNA_DOTS: [char; 3] = ['\u{3002}', '\u{FF0E}', '\u{FF61}'];

/// What the user asked tlscheck to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An IP address, probed as is (no MX lookup).
    Address {
        /// The address.
        ip: IpAddr,
        /// The port, when one was given.
        port: Option<u16>,
    },
    /// A domain or host name.
    Name {
        /// The name in A-labels, lower case, without trailing dot
        /// (`bücher.example` becomes `xn--bcher-kva.example`).
        name: String,
        /// The port, when one was given.
        port: Option<u16>,
        /// The argument exactly as given (outer whitespace trimmed), for
        /// reports that show what the user typed.
        original: String,
    },
}

impl Target {
    /// The port given with the target, if any.
    pub fn port(&self) -> Option<u16> {
        match self {
            Self::Address { port, .. } | Self::Name { port, .. } => *port,
        }
    }

    /// The host part as text: the A-label name or the address.
    pub fn host(&self) -> String {
        match self {
            Self::Address { ip, .. } => ip.to_string(),
            Self::Name { name, .. } => name.clone(),
        }
    }
}

impl fmt::Display for Target {
    /// `contoso.com`, `contoso.com:587`, `192.0.2.1:25`, `2001:db8::1`,
    /// `[2001:db8::1]:587`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address { ip, port: None } => write!(f, "{ip}"),
            Self::Address {
                ip: IpAddr::V6(ip),
                port: Some(port),
            } => write!(f, "[{ip}]:{port}"),
            Self::Address {
                ip: IpAddr::V4(ip),
                port: Some(port),
            } => write!(f, "{ip}:{port}"),
            Self::Name {
                name, port: None, ..
            } => f.write_str(name),
            Self::Name {
                name,
                port: Some(port),
                ..
            } => write!(f, "{name}:{port}"),
        }
    }
}

/// Why an argument is not a target, with the form to give instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing was given.
    #[error(
        "the target is empty: give a mail domain (contoso.com), a host \
         (mail.contoso.com or mail.contoso.com:25) or an address \
         (192.0.2.1, [2001:db8::1]:25)"
    )]
    Empty,
    /// Whitespace inside the argument.
    #[error(
        "{input:?} contains spaces: give one domain, host or address per \
         argument, e.g. contoso.com"
    )]
    ContainsWhitespace {
        /// The argument.
        input: String,
    },
    /// A URL such as `smtp://mail.contoso.com:25`.
    #[error("{input:?} is a URL; give the host and optional port instead: {suggestion}")]
    Url {
        /// The argument.
        input: String,
        /// The host and port taken from the URL, or a generic example.
        suggestion: String,
    },
    /// An e-mail address such as `user@contoso.com`.
    #[error("{input:?} is an e-mail address; give the domain: {domain}")]
    EmailAddress {
        /// The argument.
        input: String,
        /// What follows the last `@`, or a generic example when empty.
        domain: String,
    },
    /// `host:` with nothing after the colon.
    #[error("{input:?} ends with ':' but has no port: give {host}:25, or just {host}")]
    EmptyPort {
        /// The argument.
        input: String,
        /// The host before the colon.
        host: String,
    },
    /// A port that is not a number from 1 to 65535.
    #[error(
        "port {port:?} in {input:?} is not a number from 1 to 65535 (SMTP uses 25, 465 or 587)"
    )]
    InvalidPort {
        /// The argument.
        input: String,
        /// The text after the colon.
        port: String,
    },
    /// `2001:db8:0:0:0:0:0:1:25`: an IPv6 address followed by a port
    /// without brackets.
    #[error("an IPv6 address with a port must be in brackets: [{address}]:{port}")]
    UnbracketedIpv6WithPort {
        /// The address part.
        address: String,
        /// The port part.
        port: String,
    },
    /// `host:25:extra`: a name with more than one colon, which is neither
    /// HOST:PORT nor an IPv6 address.
    #[error(
        "{input:?} is not HOST:PORT (it has more than one ':'): give \
         {host}:{port}, or an IPv6 address in brackets as [2001:db8::1]:25"
    )]
    NotHostPort {
        /// The argument.
        input: String,
        /// What comes before the first colon.
        host: String,
        /// What comes between the first and second colon.
        port: String,
    },
    /// Several colons but no valid IPv6 address.
    #[error(
        "{input:?} is not a valid IPv6 address; write an IPv6 address as \
         2001:db8::1, or with a port as [2001:db8::1]:25"
    )]
    InvalidIpv6 {
        /// The argument.
        input: String,
    },
    /// Brackets that do not hold exactly an address, optionally followed
    /// by `:PORT`.
    #[error(
        "{input:?}: brackets must hold an IP address, optionally followed \
         by a port, as in [2001:db8::1] or [2001:db8::1]:587"
    )]
    BadBrackets {
        /// The argument.
        input: String,
    },
    /// Just `.`.
    #[error("\".\" is the DNS root, not a domain: give a domain such as contoso.com")]
    RootName,
    /// Two dots in a row or a leading dot.
    #[error("{input:?} has an empty label (a leading dot or two dots in a row): write it as contoso.com")]
    EmptyLabel {
        /// The argument.
        input: String,
    },
    /// A character DNS host names do not use.
    #[error("{ch:?} is not allowed in a host name ({input:?}); use letters, digits, '-' and '_'")]
    InvalidCharacter {
        /// The argument.
        input: String,
        /// The first offending character.
        ch: char,
    },
    /// A label longer than 63 octets.
    #[error("the label {label:?} is {len} octets long; DNS allows at most 63")]
    LabelTooLong {
        /// The label (A-label form).
        label: String,
        /// Its length in octets.
        len: usize,
    },
    /// A name longer than 253 octets.
    #[error("the name is {len} octets long; DNS allows at most 253")]
    NameTooLong {
        /// Its length in octets (A-label form, without trailing dot).
        len: usize,
    },
    /// A label starting or ending with `-` (RFC 952, RFC 1123 §2.1).
    #[error("the label {label:?} begins or ends with '-', which host names may not")]
    HyphenAtLabelEdge {
        /// The label.
        label: String,
    },
    /// A non-ASCII label that IDNA (UTS 46) refuses.
    #[error(
        "the label {label:?} is not a valid internationalised name (IDNA); \
         check it, or give its xn-- form"
    )]
    Idna {
        /// The label as given.
        label: String,
    },
    /// `192.0.2.300`, `1.2.3`: digits and dots but not an IPv4 address.
    #[error(
        "{input:?} is not a valid IPv4 address, and a host name cannot end \
         in an all-numeric label: write an address as 192.0.2.1"
    )]
    NumericTopLabel {
        /// The argument.
        input: String,
    },
}

/// The result of parsing a target.
pub type Result<T> = std::result::Result<T, TargetError>;

/// Parses one command-line target.
///
/// Accepts `contoso.com`, `Contoso.COM.` (lower-cased, trailing dot
/// dropped), `mail.contoso.com:587`, `192.0.2.1`, `192.0.2.1:25`,
/// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:587`, SMTP address
/// literals (`[192.0.2.1]`, `[IPv6:2001:db8::1]`) and IDNA names
/// (`bücher.example`). Underscores are allowed in labels, as DNS allows them.
///
/// `2001:db8::1:25` is a valid IPv6 address and is taken as one: a port
/// after an IPv6 address needs brackets.
pub fn parse(input: &str) -> Result<Target> {
    let input = input.trim();
    if input.is_empty() {
        return Err(TargetError::Empty);
    }
    if input.chars().any(char::is_whitespace) {
        return Err(TargetError::ContainsWhitespace {
            input: input.to_owned(),
        });
    }
    if let Some((scheme, rest)) = input.split_once("://") {
        if is_scheme(scheme) {
            return Err(url_error(input, rest));
        }
    }
    if let Some((_, domain)) = input.rsplit_once('@') {
        let domain = domain.trim_end_matches('>');
        let domain = if domain.is_empty() {
            "contoso.com"
        } else {
            domain
        };
        return Err(TargetError::EmailAddress {
            input: input.to_owned(),
            domain: domain.to_owned(),
        });
    }
    if let Some(inner) = input.strip_prefix('[') {
        return parse_bracketed(input, inner);
    }
    if let Ok(ip) = input.parse::<IpAddr>() {
        return Ok(Target::Address { ip, port: None });
    }
    match input.matches(':').count() {
        0 => parse_name(input, input, None),
        1 => {
            let (host, port) = input.split_once(':').unwrap_or((input, ""));
            if host.is_empty() {
                return Err(TargetError::EmptyLabel {
                    input: input.to_owned(),
                });
            }
            if port.is_empty() {
                return Err(TargetError::EmptyPort {
                    input: input.to_owned(),
                    host: host.to_owned(),
                });
            }
            let port = parse_port(input, port)?;
            match host.parse::<Ipv4Addr>() {
                Ok(ip) => Ok(Target::Address {
                    ip: IpAddr::V4(ip),
                    port: Some(port),
                }),
                Err(_) => parse_name(input, host, Some(port)),
            }
        }
        _ => match input.rsplit_once(':') {
            Some((address, port))
                if address.parse::<Ipv6Addr>().is_ok()
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Err(TargetError::UnbracketedIpv6WithPort {
                    address: address.to_owned(),
                    port: port.to_owned(),
                })
            }
            // A first part that is not a hex group cannot start an IPv6
            // address: a name with a port and something more.
            _ if input
                .split(':')
                .next()
                .is_some_and(|h| h.chars().any(|c| !c.is_ascii_hexdigit())) =>
            {
                let mut parts = input.splitn(3, ':');
                let host = parts.next().unwrap_or_default().to_owned();
                let port = parts.next().unwrap_or_default().to_owned();
                Err(TargetError::NotHostPort {
                    input: input.to_owned(),
                    host,
                    port,
                })
            }
            _ => Err(TargetError::InvalidIpv6 {
                input: input.to_owned(),
            }),
        },
    }
}

/// RFC 3986 §3.1: `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Builds the URL error, suggesting the URL's host and port.
fn url_error(input: &str, after_scheme: &str) -> TargetError {
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let suggestion = if authority.is_empty() {
        "mail.contoso.com:25".to_owned()
    } else {
        authority.to_owned()
    };
    TargetError::Url {
        input: input.to_owned(),
        suggestion,
    }
}

/// `[addr]` or `[addr]:port`, where addr is IPv6, IPv4, or an RFC 5321
/// §4.1.3 address literal `IPv6:addr`.
fn parse_bracketed(input: &str, inner: &str) -> Result<Target> {
    let bad = || TargetError::BadBrackets {
        input: input.to_owned(),
    };
    let (address, rest) = inner.split_once(']').ok_or_else(bad)?;
    let address = match address.get(..5) {
        Some(prefix) if prefix.eq_ignore_ascii_case("IPv6:") => address.get(5..).unwrap_or(""),
        _ => address,
    };
    let ip = address.parse::<IpAddr>().map_err(|_| bad())?;
    let port = match rest {
        "" => None,
        ":" => {
            return Err(TargetError::EmptyPort {
                input: input.to_owned(),
                host: format!("[{address}]"),
            })
        }
        _ => match rest.strip_prefix(':') {
            Some(port) => Some(parse_port(input, port)?),
            None => return Err(bad()),
        },
    };
    Ok(Target::Address { ip, port })
}

/// A decimal port from 1 to 65535 (no sign, no spaces).
fn parse_port(input: &str, port: &str) -> Result<u16> {
    let invalid = || TargetError::InvalidPort {
        input: input.to_owned(),
        port: port.to_owned(),
    };
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(invalid()),
        Ok(p) => Ok(p),
    }
}

/// Checks a host name and turns it into lower-case A-labels.
fn parse_name(input: &str, host: &str, port: Option<u16>) -> Result<Target> {
    let host: String = host
        .chars()
        .map(|c| if IDNA_DOTS.contains(&c) { '.' } else { c })
        .collect();
    let host = host.strip_suffix('.').unwrap_or(&host);
    if host.is_empty() {
        return Err(TargetError::RootName);
    }
    let mut labels = Vec::new();
    for label in host.split('.') {
        labels.push(a_label(input, label)?);
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(TargetError::NumericTopLabel {
            input: input.to_owned(),
        });
    }
    let name = labels.join(".");
    if name.len() > MAX_NAME_LEN {
        return Err(TargetError::NameTooLong { len: name.len() });
    }
    Ok(Target::Name {
        name,
        port,
        original: input.to_owned(),
    })
}

/// One label in lower-case A-label form, checked.
fn a_label(input: &str, label: &str) -> Result<String> {
    if label.is_empty() {
        return Err(TargetError::EmptyLabel {
            input: input.to_owned(),
        });
    }
    let ascii = if label.is_ascii() {
        if let Some(ch) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(TargetError::InvalidCharacter {
                input: input.to_owned(),
                ch,
            });
        }
        label.to_ascii_lowercase()
    } else {
        if let Some(ch) = label
            .chars()
            .find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(TargetError::InvalidCharacter {
                input: input.to_owned(),
                ch,
            });
        }
        // UTS 46 mapping (lower-casing, NFC) and Punycode, as hickory does
        // for the names it sends.
        Label::from_utf8(label)
            .map_err(|_| TargetError::Idna {
                label: label.to_owned(),
            })?
            .to_ascii()
            .to_ascii_lowercase()
    };
    if ascii.len() > MAX_LABEL_LEN {
        return Err(TargetError::LabelTooLong {
            len: ascii.len(),
            label: ascii,
        });
    }
    if ascii.starts_with('-') || ascii.ends_with('-') {
        return Err(TargetError::HyphenAtLabelEdge { label: ascii });
    }
    Ok(ascii)
}

/// A line of a target list that is not a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLine {
    /// The file as given (`-` reads as "standard input").
    pub file: String,
    /// The line number, from 1.
    pub line: usize,
    /// The line without its comment, trimmed.
    pub input: String,
    /// What is wrong with it.
    pub error: String,
}

impl std::fmt::Display for InvalidLine {
    /// `FILE:LINE: what is wrong`, as compilers and grep write it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.error)
    }
}

#[cfg(test)]
mod tests;
