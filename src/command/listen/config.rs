//! From `tlscheck listen`'s arguments to a checked [`ListenConfig`]: the
//! host name it answers as, its timeouts, and its certificate (read from
//! `--cert`/`--key`, or made at start).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::cli::{Format, ListenArgs};
use crate::command::check::config::{decide_color, seconds, ConfigError, Env};

/// Default per-stage timeout of `tlscheck listen`, seconds. Senders are
/// MTAs with queues; RFC 5321 §4.5.3.2 gives them minutes per stage, and a
/// slow one must not be cut off before it shows its ClientHello.
pub const DEFAULT_LISTEN_TIMEOUT_SECS: f64 = 30.0;
/// A checked configuration for `tlscheck listen`.
#[derive(Debug)]
pub struct ListenConfig {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Stop after one session with a sender.
    pub once: bool,
    /// Stop waiting for senders after this long.
    pub wait: Option<Duration>,
    /// Output format.
    pub format: Format,
    /// Colour the text output.
    pub color: bool,
    /// Print transcripts.
    pub transcript: bool,
    /// True when the certificate was made at start (no `--cert`).
    pub self_signed: bool,
    /// Name, TLS configuration and timeout of every session.
    pub session: crate::net::listen::SessionSetup,
}

fn is_host_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 253
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Builds the configuration of `tlscheck listen`; reads `--cert`/`--key`
/// or makes a self-signed certificate.
pub fn listen_config(args: &ListenArgs, env: &Env) -> Result<ListenConfig, ConfigError> {
    let hostname = match &args.hostname {
        Some(n) if is_host_name(n) => n.clone(),
        Some(n) => return Err(ConfigError::Hostname(n.clone())),
        None => env
            .hostname
            .clone()
            .filter(|h| is_host_name(h))
            .unwrap_or_else(|| "tlscheck.invalid".to_owned()),
    };
    let timeout = seconds(
        "--timeout",
        args.timeout.unwrap_or(DEFAULT_LISTEN_TIMEOUT_SECS),
    )?;
    let wait = args.wait.map(|w| seconds("--wait", w)).transpose()?;
    let read = |what: &'static str, path: &Path| {
        std::fs::read(path).map_err(|error| ConfigError::File {
            what,
            path: path.to_owned(),
            error,
        })
    };
    let identity = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => crate::net::listen::ServerIdentity::from_pem(
            &read("--cert", cert)?,
            &read("--key", key)?,
        )?,
        // clap makes each of --cert and --key require the other.
        _ => crate::net::listen::ServerIdentity::self_signed(&hostname)?,
    };
    let self_signed = identity.is_self_signed();
    Ok(ListenConfig {
        bind: args.bind,
        once: args.once,
        wait,
        format: args.format,
        color: decide_color(args.color, args.format, env),
        transcript: args.transcript,
        self_signed,
        session: crate::net::listen::SessionSetup::new(hostname, identity, timeout)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn listen(args: &[&str], env: &Env) -> Result<ListenConfig, ConfigError> {
        match Cli::try_parse_from(args).unwrap().command {
            Some(Command::Listen(l)) => listen_config(&l, env),
            other => panic!("not listen: {other:?}"),
        }
    }

    #[test]
    fn listen_defaults_to_port_25_the_host_name_and_a_self_signed_certificate() {
        let env = Env {
            hostname: Some("relay-test".to_owned()),
            ..Env::default()
        };
        let c = listen(&["tlscheck", "listen"], &env).unwrap();
        assert_eq!(c.bind, "0.0.0.0:25".parse().unwrap());
        assert!(!c.once && c.wait.is_none() && c.self_signed);
        assert_eq!(c.session.hostname, "relay-test");
        assert_eq!(
            c.session.timeout,
            Duration::from_secs_f64(DEFAULT_LISTEN_TIMEOUT_SECS)
        );
        let c = listen(&["tlscheck", "listen"], &Env::default()).unwrap();
        assert_eq!(c.session.hostname, "tlscheck.invalid");
    }

    #[test]
    fn listen_options_are_checked() {
        let env = Env::default();
        let c = listen(
            &[
                "tlscheck",
                "listen",
                "--bind",
                "127.0.0.1:2525",
                "--once",
                "--wait",
                "5",
                "--hostname",
                "mx.test",
            ],
            &env,
        )
        .unwrap();
        assert_eq!(c.bind.port(), 2525);
        assert_eq!(c.wait, Some(Duration::from_secs(5)));
        assert!(matches!(
            listen(&["tlscheck", "listen", "--hostname", "a b"], &env),
            Err(ConfigError::Hostname(_))
        ));
        assert!(matches!(
            listen(&["tlscheck", "listen", "--wait", "0"], &env),
            Err(ConfigError::Seconds { .. })
        ));
        assert!(matches!(
            listen(
                &[
                    "tlscheck",
                    "listen",
                    "--cert",
                    "/nonexistent.pem",
                    "--key",
                    "/k.pem"
                ],
                &env
            ),
            Err(ConfigError::File { what: "--cert", .. })
        ));
        assert!(Cli::try_parse_from(["tlscheck", "listen", "--cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["tlscheck", "listen", "--bind", "localhost"]).is_err());
    }
}
