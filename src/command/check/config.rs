//! From parsed arguments to a checked [`Config`]: targets parsed, numbers
//! turned into durations, colour decided once. The only IO is set-up IO
//! (reading `--input` and `--ca-file`), and its errors say which file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::cli::{CheckArgs, ColorChoice, FailOn, Format, RequireTls};
use crate::diagnose::findings::CheckPolicy;
use crate::model::TlsVersion;
use crate::net::smtp::Timeouts;
use crate::proto::target::InvalidLine;
use crate::proto::target::Target;

/// Default per-stage timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
/// Default limit of connections open at once in a run.
pub const DEFAULT_MAX_CONNECTIONS: usize = 32;
/// Default limit of connections open at once to one address: the policy
/// session, the four version probes and the Microsoft 365 ClientHello
/// (issue 14) all at once, which no MTA we know treats as abuse (Postfix
/// allows 50 per client by default). With 5 the Microsoft 365 hello waited
/// for a permit and added about 5 RTT to every server.
pub const DEFAULT_PER_SERVER: usize = 6;
/// Longest accepted timeout or deadline, seconds (a day).
const MAX_SECS: f64 = 86_400.0;

/// A configuration error: the user's input is wrong (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A target could not be parsed.
    #[error("target {input:?}: {error}")]
    Target {
        /// The target as typed.
        input: String,
        /// What is wrong with it.
        error: crate::proto::target::TargetError,
    },
    /// No targets at all.
    #[error("no target given: try `tlscheck contoso.com` or `tlscheck --help`")]
    NoTargets,
    /// A number of seconds out of range.
    #[error("{option} {value}: give a number of seconds between 0.1 and 86400")]
    Seconds {
        /// The option.
        option: &'static str,
        /// The value given.
        value: f64,
    },
    /// A count that must be at least 1.
    #[error("{option} must be at least 1")]
    Count {
        /// The option.
        option: &'static str,
    },
    /// `--profile` names no known profile.
    #[error("--profile {0:?}: no such sender profile; `tlscheck profiles` lists them (microsoft365, gmail)")]
    Profile(String),
    /// `--resolver` is not IP or IP:PORT.
    #[error("--resolver {0:?}: give an IP address, IP:PORT or [IPv6]:PORT, e.g. 1.1.1.1 or 127.0.0.1:5353")]
    Resolver(String),
    /// `--ehlo` is not a plausible host name.
    #[error(
        "--ehlo {0:?}: give a host name such as mail.contoso.com (no spaces or control characters)"
    )]
    Ehlo(String),
    /// A file could not be read.
    #[error("reading {what} {path}: {error}")]
    File {
        /// Which option.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The IO error.
        error: std::io::Error,
    },
    /// `--trust-anchor` holds no usable DS or DNSKEY record.
    #[error("--trust-anchor {path}: {why}; give DS or DNSKEY records in zone-file syntax (the .ds or .key file of ldns-keygen or dnssec-keygen)")]
    TrustAnchor {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// `--ca-file` holds no usable certificate.
    #[error("--ca-file {0}: no PEM certificate (-----BEGIN CERTIFICATE-----) found")]
    NoCertificates(PathBuf),
    /// `--hostname` is not a plausible host name.
    #[error("--hostname {0:?}: give a host name such as tlscheck.contoso.com")]
    Hostname(String),
    /// `--cert`/`--key` (or the self-signed certificate) cannot be used.
    #[error("{0}")]
    Listener(#[from] crate::net::listen::ListenError),
}

/// The environment facts colour and defaults depend on.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// `TERM=dumb`.
    pub term_dumb: bool,
    /// Standard output is a terminal.
    pub stdout_tty: bool,
    /// This machine's host name, if known.
    pub hostname: Option<String>,
}

impl Env {
    /// Reads the real environment.
    pub fn from_process() -> Self {
        use std::io::IsTerminal;
        Self {
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            term_dumb: std::env::var("TERM").is_ok_and(|t| t == "dumb"),
            stdout_tty: std::io::stdout().is_terminal(),
            hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty()),
        }
    }
}

/// A checked configuration for `tlscheck check`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Targets, parsed, with their text as typed.
    pub targets: Vec<(String, Target)>,
    /// Names are hosts, not mail domains.
    pub host_mode: bool,
    /// Port override.
    pub port: Option<u16>,
    /// TLS on connect.
    pub implicit_tls: bool,
    /// Probe IPv4 addresses.
    pub ipv4: bool,
    /// Probe IPv6 addresses.
    pub ipv6: bool,
    /// DNS servers to ask (empty: the system's).
    pub resolvers: Vec<SocketAddr>,
    /// Output format.
    pub format: Format,
    /// Colour the text output.
    pub color: bool,
    /// Print transcripts.
    pub transcript: bool,
    /// Per-stage timeouts.
    pub timeouts: Timeouts,
    /// The run's deadline, from its start.
    pub deadline: Option<Duration>,
    /// EHLO name.
    pub ehlo_name: String,
    /// Extra trusted roots.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Global connection limit.
    pub max_connections: usize,
    /// Per-address connection limit.
    pub per_server: usize,
    /// Severity that fails the run.
    pub fail_on: FailOn,
    /// What servers are judged against.
    pub policy: CheckPolicy,
    /// Sender profiles and `--ciphers`.
    pub suites: crate::net::probe::profile::SuiteOptions,
    /// Look up DNSSEC, DANE, MTA-STS and TLS-RPT (not `--no-policy`).
    pub mail_policy: bool,
    /// The DNSSEC trust anchor (`--trust-anchor`).
    pub trust_anchor: crate::net::policy::dnssec::AnchorConfig,
    /// What the probes wait on, for the status line on a terminal.
    pub status: crate::net::status::StatusBoard,
    /// Lines of `--input` (or standard input) that are not targets: each
    /// is reported and the run exits 2 at the end, after the others.
    pub invalid: Vec<InvalidLine>,
}

/// Decides colour once: `--color` beats `NO_COLOR`/`TERM=dumb`, which beat
/// "is a terminal". Markdown and JSON are never coloured.
pub fn decide_color(choice: ColorChoice, format: Format, env: &Env) -> bool {
    if format != Format::Text {
        return false;
    }
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !env.no_color && !env.term_dumb && env.stdout_tty,
    }
}

pub(crate) fn seconds(option: &'static str, v: f64) -> Result<Duration, ConfigError> {
    if v.is_finite() && (0.1..=MAX_SECS).contains(&v) {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(ConfigError::Seconds { option, value: v })
    }
}

fn resolver(s: &str) -> Result<SocketAddr, ConfigError> {
    crate::net::dns::ResolverChoice::parse_server(s)
        .map_err(|_| ConfigError::Resolver(s.to_owned()))
}

/// Target lines of an input file: one per line, `#` starts a comment.
pub fn input_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
}

/// Target lines of an input file with their line numbers (from 1).
pub fn numbered_input_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("").trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// Splits the lines of a target list into targets and invalid lines.
fn list_targets(
    file: &str,
    text: &str,
    targets: &mut Vec<(String, Target)>,
    invalid: &mut Vec<InvalidLine>,
) {
    for (line, input) in numbered_input_lines(text) {
        match crate::proto::target::parse(input) {
            Ok(t) => targets.push((input.to_owned(), t)),
            Err(error) => invalid.push(InvalidLine {
                file: file.to_owned(),
                line,
                input: input.to_owned(),
                error: error.to_string(),
            }),
        }
    }
}

fn read_file(what: &'static str, path: &Path) -> Result<String, ConfigError> {
    let res = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    res.map_err(|error| ConfigError::File {
        what,
        path: path.to_owned(),
        error,
    })
}

/// Reads and parses `--trust-anchor FILE` (bounded: a few records).
fn trust_anchor(path: &Path) -> Result<crate::net::policy::dnssec::AnchorConfig, ConfigError> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(crate::net::policy::dnssec::MAX_ANCHOR_FILE)
                .read_to_string(&mut text)
        })
        .map_err(|error| ConfigError::File {
            what: "--trust-anchor",
            path: path.to_owned(),
            error,
        })?;
    let entries = crate::net::policy::dnssec::parse_anchor_file(&text).map_err(|why| {
        ConfigError::TrustAnchor {
            path: path.to_owned(),
            why,
        }
    })?;
    Ok(crate::net::policy::dnssec::AnchorConfig::File {
        path: path.display().to_string(),
        entries,
    })
}

fn ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let bytes = std::fs::read(path).map_err(|error| ConfigError::File {
        what: "--ca-file",
        path: path.to_owned(),
        error,
    })?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut bytes.as_slice())
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(ConfigError::NoCertificates(path.to_owned()));
    }
    Ok(certs)
}

fn ehlo_name(given: Option<&str>, env: &Env) -> Result<String, ConfigError> {
    match given {
        Some(n) => {
            let ok = !n.is_empty()
                && n.len() <= 253
                && n.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':')
                });
            if ok {
                Ok(n.to_owned())
            } else {
                Err(ConfigError::Ehlo(n.to_owned()))
            }
        }
        // A name with a dot looks like an FQDN to the server; a bare
        // machine name does not, and `.invalid` is reserved (RFC 6761).
        None => Ok(env
            .hostname
            .clone()
            .filter(|h| {
                h.contains('.')
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            })
            .unwrap_or_else(|| "tlscheck.invalid".to_owned())),
    }
}

/// Builds the configuration of `tlscheck check`.
pub fn check_config(args: &CheckArgs, env: &Env) -> Result<Config, ConfigError> {
    let mut targets: Vec<(String, Target)> = Vec::new();
    let mut invalid: Vec<InvalidLine> = Vec::new();
    let mut stdin_read = false;
    for t in &args.targets {
        if t == "-" {
            if !stdin_read {
                stdin_read = true;
                let text = read_file("standard input", Path::new("-"))?;
                list_targets("standard input", &text, &mut targets, &mut invalid);
            }
        } else {
            // A target typed on the command line is a usage error at once.
            match crate::proto::target::parse(t) {
                Ok(target) => targets.push((t.clone(), target)),
                Err(error) => {
                    return Err(ConfigError::Target {
                        input: t.clone(),
                        error,
                    })
                }
            }
        }
    }
    if let Some(path) = &args.input {
        if !(path == Path::new("-") && stdin_read) {
            let text = read_file("--input", path)?;
            let name = if path == Path::new("-") {
                "standard input".to_owned()
            } else {
                path.display().to_string()
            };
            list_targets(&name, &text, &mut targets, &mut invalid);
        }
    }
    if targets.is_empty() && invalid.is_empty() {
        return Err(ConfigError::NoTargets);
    }
    let stage = seconds("--timeout", args.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS))?;
    let deadline = args
        .deadline
        .map(|d| seconds("--deadline", d))
        .transpose()?;
    let max_connections = args.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
    if max_connections == 0 {
        return Err(ConfigError::Count {
            option: "--max-connections",
        });
    }
    let per_server = args.per_server.unwrap_or(DEFAULT_PER_SERVER);
    if per_server == 0 {
        return Err(ConfigError::Count {
            option: "--per-server",
        });
    }
    let resolvers = args
        .resolver
        .iter()
        .map(|r| resolver(r))
        .collect::<Result<Vec<_>, _>>()?;
    let extra_roots = match &args.ca_file {
        Some(p) => ca_file(p)?,
        None => Vec::new(),
    };
    let trust_anchor = match &args.trust_anchor {
        Some(p) => trust_anchor(p)?,
        None => crate::net::policy::dnssec::AnchorConfig::BuiltIn,
    };
    Ok(Config {
        targets,
        host_mode: args.host,
        port: args.port,
        implicit_tls: args.implicit_tls || args.port == Some(465),
        ipv4: !args.ipv6,
        ipv6: !args.ipv4,
        resolvers,
        format: args.format,
        color: decide_color(args.color, args.format, env),
        transcript: args.transcript,
        timeouts: Timeouts::from_stage_budget(stage),
        deadline,
        ehlo_name: ehlo_name(args.ehlo.as_deref(), env)?,
        extra_roots,
        max_connections,
        per_server,
        invalid,
        fail_on: args.fail_on,
        policy: CheckPolicy {
            require: match args.require_tls {
                Some(RequireTls::Tls13) => TlsVersion::Tls13,
                Some(RequireTls::Tls12) | None => TlsVersion::Tls12,
            },
            forbid_legacy: args.forbid_legacy,
            ..CheckPolicy::default()
        },
        suites: suite_options(args)?,
        mail_policy: !args.no_policy,
        trust_anchor,
        status: crate::net::status::StatusBoard::default(),
    })
}

/// `--ciphers` and `--profile`: Microsoft 365 always, then each named
/// profile once.
fn suite_options(
    args: &CheckArgs,
) -> Result<crate::net::probe::profile::SuiteOptions, ConfigError> {
    let mut opts = crate::net::probe::profile::SuiteOptions {
        scan: args.ciphers,
        ..Default::default()
    };
    // As many lists per version as connections to the server may be open:
    // the versions with few suites finish early and leave their permits to
    // the one with many.
    opts.limits.parallel = args.per_server.unwrap_or(DEFAULT_PER_SERVER).max(1);
    for name in &args.profile {
        let p = crate::proto::tls::profiles::by_id(name)
            .ok_or_else(|| ConfigError::Profile(name.clone()))?;
        if !opts.profiles.iter().any(|q| q.id == p.id) {
            opts.profiles.push(p);
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Config, ConfigError> {
        let cli = Cli::try_parse_from(args).unwrap();
        let check = match cli.command {
            Some(Command::Check(c)) => c,
            _ => cli.check,
        };
        check_config(&check, &Env::default())
    }

    #[test]
    fn colour_follows_flag_then_env_then_tty() {
        let tty = Env {
            stdout_tty: true,
            ..Env::default()
        };
        let no_color = Env {
            no_color: true,
            ..tty.clone()
        };
        assert!(decide_color(ColorChoice::Auto, Format::Text, &tty));
        assert!(!decide_color(ColorChoice::Auto, Format::Text, &no_color));
        assert!(decide_color(ColorChoice::Always, Format::Text, &no_color));
        assert!(!decide_color(ColorChoice::Always, Format::Json, &tty));
        assert!(!decide_color(ColorChoice::Always, Format::Markdown, &tty));
        assert!(!decide_color(
            ColorChoice::Auto,
            Format::Text,
            &Env::default()
        ));
    }

    #[test]
    fn defaults_are_port_25_starttls_tls12_policy() {
        let c = parse(&["tlscheck", "contoso.com"]).unwrap();
        assert_eq!(c.port, None);
        assert!(!c.implicit_tls);
        assert_eq!(c.policy.require, TlsVersion::Tls12);
        assert_eq!(c.per_server, DEFAULT_PER_SERVER);
        assert_eq!(c.ehlo_name, "tlscheck.invalid");
        assert!(c.ipv4 && c.ipv6);
    }

    #[test]
    fn port_465_means_implicit_tls() {
        assert!(
            parse(&["tlscheck", "-p", "465", "mx.contoso.com"])
                .unwrap()
                .implicit_tls
        );
    }

    #[test]
    fn check_subcommand_and_bare_form_agree() {
        let a = parse(&["tlscheck", "check", "contoso.com", "--format", "json"]).unwrap();
        let b = parse(&["tlscheck", "contoso.com", "--format", "json"]).unwrap();
        assert_eq!(a.format, b.format);
        assert_eq!(a.targets.len(), b.targets.len());
    }

    #[test]
    fn bad_numbers_are_usage_errors() {
        assert!(matches!(
            parse(&["tlscheck", "x.test", "--timeout", "0"]),
            Err(ConfigError::Seconds { .. })
        ));
        assert!(matches!(
            parse(&["tlscheck", "x.test", "--per-server", "0"]),
            Err(ConfigError::Count { .. })
        ));
        assert!(matches!(
            parse(&["tlscheck", "x.test", "--resolver", "dns.google"]),
            Err(ConfigError::Resolver(_))
        ));
        assert!(matches!(parse(&["tlscheck"]), Err(ConfigError::NoTargets)));
    }

    #[test]
    fn resolver_defaults_to_port_53() {
        let c = parse(&["tlscheck", "x.test", "-r", "127.0.0.1", "-r", "[::1]:5353"]).unwrap();
        assert_eq!(c.resolvers[0], "127.0.0.1:53".parse().unwrap());
        assert_eq!(c.resolvers[1], "[::1]:5353".parse().unwrap());
    }

    #[test]
    fn input_lines_skip_comments_and_blanks() {
        let v: Vec<&str> =
            input_lines("# list\ncontoso.com\n\n  fabrikam.com # second\n").collect();
        assert_eq!(v, ["contoso.com", "fabrikam.com"]);
    }
}
