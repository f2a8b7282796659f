//! The command line, as clap derive only: no validation, no IO. `config`
//! turns a parsed [`Cli`] into a checked `Config`.
//!
//! Conventions (after xh): every option has an explicit `short = 'x'` where
//! it has one and a bare `long`; value names are upper case; the doc comment
//! is the help text, and a default clap cannot show is written in it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::{EXIT_CODES_HELP, LISTEN_EXIT_CODES_HELP};

const EXAMPLES: &str = "\
Examples:
  tlscheck contoso.com                    every MX of a domain, as senders see it
  tlscheck mail.contoso.com               a host (implicit MX when it has no MX)
  tlscheck --host mx1.contoso.com         that host only, never its MX records
  tlscheck 192.0.2.25 --port 587          STARTTLS on the submission port
  tlscheck contoso.com --format json      for CI: one JSON document, exit code 0/1/2/3
  tlscheck contoso.com --format markdown  for a ticket
  tlscheck explain '421 4.4.2 Connection dropped due to SocketError'
  xclip -o | tlscheck explain             a whole pasted NDR or queue error, from standard input
";

/// Why mail between your servers and Office 365 fails over TLS, and what to
/// change.
///
/// tlscheck finds the mail servers of a domain (MX), speaks SMTP to each
/// address, forces TLS 1.0, 1.1, 1.2 and 1.3 in turn after STARTTLS, checks
/// the certificate, and maps what it saw onto the errors Exchange, Exchange
/// Online and Postfix log. It never sends mail.
#[derive(Debug, Parser)]
#[command(
    name = "tlscheck",
    version,
    about = "Why mail to or from Office 365 fails over TLS, and what to change",
    after_help = format!("{EXAMPLES}\n{EXIT_CODES_HELP}"),
    args_conflicts_with_subcommands = true,
    subcommand_precedence_over_arg = true
)]
pub struct Cli {
    /// What to do; without a subcommand tlscheck checks the TARGETs.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The check's arguments when no subcommand is given.
    #[command(flatten)]
    pub check: CheckArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check mail servers (the default when no subcommand is given).
    #[command(after_help = format!("{EXAMPLES}\n{EXIT_CODES_HELP}"))]
    Check(CheckArgs),
    /// Explain a pasted error line or NDR: meaning, causes, what to run next.
    Explain(ExplainArgs),
    /// Audit a Windows registry export of SCHANNEL and .NET TLS settings
    /// (.reg in UTF-16 or ANSI, or `reg query /s` output).
    #[command(after_help = SCHANNEL_HELP)]
    Schannel(SchannelArgs),
    /// Receive a test message from a sending mail server and report the
    /// TLS versions its client side offers (what Office 365 sees when it
    /// sends); no mail is accepted.
    #[command(after_help = format!("{LISTEN_HELP}\n{LISTEN_EXIT_CODES_HELP}"))]
    Listen(ListenArgs),
    /// List the sender profiles (documented ClientHellos of big senders)
    /// with their sources.
    Profiles(ProfilesArgs),
    /// Start demo mail servers on this machine (a TLS 1.0-only Exchange
    /// 2010-style server, a modern one, one without STARTTLS, and a DNS
    /// server whose MX records for fabrikam.test point at them) and run
    /// the real check against them; works without any network.
    Demo(DemoArgs),
    /// Print a shell completion script to standard output.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output: tlscheck's, or with
    /// SUBCOMMAND that subcommand's (`tlscheck man listen`).
    Man(ManArgs),
}

/// Arguments of `tlscheck man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print [default: tlscheck's own page].
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// `listen --bind`: ADDR:PORT, with a message that says what is missing
/// when only an address is given.
fn parse_bind(s: &str) -> Result<SocketAddr, String> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => Err(format!(
            "a port is needed: give ADDR:PORT, e.g. {ip}:25 (or {ip}:2525 without root)"
        )),
        Ok(std::net::IpAddr::V6(ip)) => Err(format!(
            "a port is needed: give [ADDR]:PORT, e.g. [{ip}]:25 (or [{ip}]:2525 without root)"
        )),
        Err(_) => Err("give ADDR:PORT, e.g. 0.0.0.0:25 or 127.0.0.1:2525".to_owned()),
    }
}

/// Arguments of `tlscheck check` (and of plain `tlscheck`).
#[derive(Debug, Args, Default, Clone)]
pub struct CheckArgs {
    /// Domains, hosts or addresses: contoso.com, mx1.contoso.com:587,
    /// 192.0.2.1, [2001:db8::1]:25. `-` reads targets from standard input.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Read more targets from FILE, one per line (`#` starts a comment;
    /// `-` is standard input).
    #[arg(short = 'i', long, value_name = "FILE", help_heading = "Targets")]
    pub input: Option<PathBuf>,

    /// Treat names as hosts: probe their addresses, never their MX records.
    #[arg(long, help_heading = "Targets")]
    pub host: bool,

    /// Port to connect to [default: 25, or the TARGET's :PORT].
    #[arg(
        short = 'p',
        long,
        value_name = "PORT",
        value_parser = clap::value_parser!(u16).range(1..),
        help_heading = "Targets"
    )]
    pub port: Option<u16>,

    /// Start TLS on connect (SMTPS) instead of STARTTLS [default: on for
    /// port 465].
    #[arg(long, help_heading = "Targets")]
    pub implicit_tls: bool,

    /// Only IPv4 addresses.
    #[arg(
        short = '4',
        long = "ipv4",
        conflicts_with = "ipv6",
        help_heading = "Targets"
    )]
    pub ipv4: bool,

    /// Only IPv6 addresses.
    #[arg(short = '6', long = "ipv6", help_heading = "Targets")]
    pub ipv6: bool,

    /// Ask this DNS server instead of the system's (IP or IP:PORT;
    /// repeatable). Compare what the inside and outside of a network see.
    #[arg(short = 'r', long, value_name = "IP[:PORT]", help_heading = "DNS")]
    pub resolver: Vec<String>,

    /// Validate DNSSEC from the DS or DNSKEY records in FILE (zone-file
    /// syntax) instead of the root's built-in anchors: to test a private
    /// signed zone (an island of security).
    #[arg(long, value_name = "FILE", help_heading = "DNS")]
    pub trust_anchor: Option<PathBuf>,

    /// Skip the DNSSEC, DANE, MTA-STS and TLS-RPT lookups.
    #[arg(long, help_heading = "DNS")]
    pub no_policy: bool,

    /// Output format.
    #[arg(
        short = 'f',
        long,
        value_enum,
        default_value_t = Format::Text,
        value_name = "FORMAT",
        help_heading = "Output"
    )]
    pub format: Format,

    /// When to colour text output. `NO_COLOR` and `TERM=dumb` count as
    /// `never` under `auto`.
    #[arg(
        long,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN",
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    /// Also print the SMTP dialogue of every connection (`->` sent,
    /// `<-` received, times from connect).
    #[arg(short = 't', long, help_heading = "Output")]
    pub transcript: bool,

    /// Per-stage timeout in seconds: connect, each command, TLS handshake
    /// (the greeting gets three times as long; MTAs delay it on purpose)
    /// [default: 10].
    #[arg(long, value_name = "SECS", help_heading = "Connection")]
    pub timeout: Option<f64>,

    /// Stop the whole run after SECS; unfinished probes are reported as
    /// timed out.
    #[arg(long, value_name = "SECS", help_heading = "Connection")]
    pub deadline: Option<f64>,

    /// Name to send in EHLO [default: this machine's host name, else
    /// tlscheck.invalid].
    #[arg(long, value_name = "NAME", help_heading = "Connection")]
    pub ehlo: Option<String>,

    /// Also trust the PEM root certificates in PATH (private CAs).
    #[arg(long, value_name = "PATH", help_heading = "Connection")]
    pub ca_file: Option<PathBuf>,

    /// Most connections open at once in the whole run [default: 32].
    #[arg(long, value_name = "N", help_heading = "Connection")]
    pub max_connections: Option<usize>,

    /// Most connections open at once to one server address [default: 6].
    #[arg(long, value_name = "N", help_heading = "Connection")]
    pub per_server: Option<usize>,

    /// Exit 1 on findings of this severity or worse.
    #[arg(
        long,
        value_enum,
        default_value_t = FailOn::Error,
        value_name = "SEVERITY",
        help_heading = "Policy (exit code)"
    )]
    pub fail_on: FailOn,

    /// Lowest TLS version every server must accept [default: 1.2].
    #[arg(
        long,
        value_enum,
        value_name = "VERSION",
        help_heading = "Policy (exit code)"
    )]
    pub require_tls: Option<RequireTls>,

    /// Fail when any server still accepts TLS 1.0 or 1.1.
    #[arg(long, help_heading = "Policy (exit code)")]
    pub forbid_legacy: bool,

    /// Write each fix snippet of the report as a file in DIR, ready to use
    /// (tls12.reg with CRLF for regedit and `reg import`, main.cf.snippet,
    /// …); the names are printed on standard error.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub write_fix: Option<PathBuf>,

    /// Enumerate every TLS version's accepted cipher suites, key exchange
    /// and certificate key (more connections: up to 128 ClientHellos per
    /// version, within --per-server).
    #[arg(long, help_heading = "Cipher suites")]
    pub ciphers: bool,

    /// Also try this sender's documented ClientHello (repeatable; see
    /// `tlscheck profiles`). Microsoft 365 is always tried.
    #[arg(long, value_name = "NAME", help_heading = "Cipher suites")]
    pub profile: Vec<String>,
}

/// Arguments of `tlscheck profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,
}

/// Arguments of `tlscheck explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error text (quote it). Without it, or with `-`, the text is read
    /// from standard input (`... | tlscheck explain`).
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,

    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

const SCHANNEL_HELP: &str = "\
On the Windows server itself, read the live registry:
  tlscheck.exe schannel --local

Or make an export there with:
  reg export \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\" schannel.reg
  reg export \"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\" dotnet.reg
  copy /b schannel.reg+dotnet.reg export.reg

Exit codes:
  0  TLS 1.2 is usable on both sides (Client: sending, Server: receiving)
  1  a problem was found (see the findings and the .reg blocks that fix it)
  2  the file is not a registry export tlscheck can read (--local: the
     registry could not be read, or this is not Windows)";

/// Arguments of `tlscheck schannel`.
#[derive(Debug, Args)]
pub struct SchannelArgs {
    /// The export: a .reg file (UTF-16 or ANSI) or `reg query /s` output;
    /// `-` reads standard input.
    #[arg(value_name = "FILE", required_unless_present = "local")]
    pub file: Option<PathBuf>,

    /// Read this machine's live registry instead of a file (Windows only;
    /// the Windows version is taken from the registry unless --os is given).
    #[arg(long, conflicts_with = "file")]
    pub local: bool,

    /// Write the one .reg file that fixes every finding to
    /// DIR/schannel-fix.reg (CRLF, for regedit and `reg import`).
    #[arg(long, value_name = "DIR")]
    pub write_fix: Option<PathBuf>,

    /// The server's Windows version, which decides the defaults of keys
    /// that are absent: 2008r2, 2012r2, 2016, 2019, 2022 or 2025.
    #[arg(long, value_name = "VERSION")]
    pub os: Option<crate::diagnose::schannel::WindowsVersion>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,

    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

const LISTEN_HELP: &str = "\
How to use it:
  1. Run it where the sending server can reach it:
       tlscheck listen --once                  (port 25 needs root)
  2. Make that server send one message here: an Exchange Send connector
     with this machine as smart host, Postfix `relayhost = [THIS-ADDRESS]`,
     or a message to test@[THIS-ADDRESS].
  3. Read the report. tlscheck offers STARTTLS, reads the sender's
     ClientHello, finishes the handshake when TLS 1.2 or 1.3 is offered and
     then refuses the message (550 5.7.0, so the sender bounces it instead of
     retrying); a sender offering only TLS 1.0/1.1 is disconnected after its
     ClientHello, as Office 365 does. Nothing is stored.

Output: with --once, one report (one JSON document with --format json);
without it, one report per session as each ends until Ctrl-C, and with
--format json or ndjson one JSON object per line.
";

/// Arguments of `tlscheck listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Address and port to listen on.
    #[arg(
        short = 'b',
        long,
        value_name = "ADDR:PORT",
        default_value = "0.0.0.0:25",
        value_parser = parse_bind
    )]
    pub bind: SocketAddr,

    /// Stop after the first session in which a sender said something, and
    /// exit with its verdict.
    #[arg(long)]
    pub once: bool,

    /// Stop waiting for senders after SECS (exit 3 if none came)
    /// [default: wait until Ctrl-C].
    #[arg(long, value_name = "SECS")]
    pub wait: Option<f64>,

    /// Present this certificate chain (PEM, leaf first) [default: a
    /// self-signed certificate for --hostname, made at start].
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,

    /// The private key of --cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Name in the greeting, the EHLO reply and the self-signed certificate
    /// [default: this machine's host name, else tlscheck.invalid].
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// Per-stage timeout in seconds: each command, the ClientHello, the
    /// handshake; a session may take ten times as long [default: 30].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,

    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Also print the SMTP dialogue (`<-` the sender, `->` tlscheck).
    #[arg(short = 't', long)]
    pub transcript: bool,
}

/// Arguments of `tlscheck demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,

    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// Arguments of `tlscheck completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Text for a terminal (coloured when it is one).
    #[default]
    Text,
    /// Markdown for a ticket (no escape codes).
    Markdown,
    /// One JSON document (see docs/schema.md).
    Json,
    /// One JSON object per target and line, streamed as targets finish.
    Ndjson,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM=dumb.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The finding severity that makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FailOn {
    /// Errors only.
    #[default]
    Error,
    /// Warnings and errors.
    Warning,
}

/// The lowest acceptable TLS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequireTls {
    /// TLS 1.2 (what Office 365 requires).
    #[value(name = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[value(name = "1.3")]
    Tls13,
}

/// The subcommand a mistyped first argument was meant to be (`chek`,
/// `explian`), if it is one or two edits from a subcommand's name and
/// does not look like a domain or address (no `.`, `:` or `[`). A bare
/// word that is a real single-label host is rare; `tlscheck check WORD`
/// checks it anyway.
pub fn mistyped_subcommand(arg: &str) -> Option<String> {
    use clap::CommandFactory;
    if arg.is_empty() || arg.starts_with('-') || arg.contains(['.', ':', '[', '/', '@']) {
        return None;
    }
    let word = arg.to_ascii_lowercase();
    let cmd = Cli::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    if names.contains(&word) {
        return None;
    }
    let limit = if word.chars().count() <= 5 { 1 } else { 2 };
    names
        .into_iter()
        .map(|n| (osa_distance(&word, &n), n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Optimal string alignment distance: insertions, deletions,
/// substitutions and swaps of two neighbours each cost one.
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        if let Some(first) = row.first_mut() {
            *first = i;
        }
    }
    if let Some(row) = d.first_mut() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a.get(i - 1) != b.get(j - 1));
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistyped_subcommands_are_recognised_and_domains_are_not() {
        assert_eq!(mistyped_subcommand("chek").as_deref(), Some("check"));
        assert_eq!(mistyped_subcommand("explian").as_deref(), Some("explain"));
        assert_eq!(mistyped_subcommand("lisen").as_deref(), Some("listen"));
        assert_eq!(mistyped_subcommand("schanel").as_deref(), Some("schannel"));
        assert_eq!(mistyped_subcommand("check"), None);
        assert_eq!(mistyped_subcommand("mail"), None);
        assert_eq!(mistyped_subcommand("chek.com"), None);
        assert_eq!(mistyped_subcommand("contoso"), None);
        assert_eq!(mistyped_subcommand("--host"), None);
    }
}
