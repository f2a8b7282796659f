//! The MTA-STS policy fetch (RFC 8461 §3.3): one HTTPS GET of
//! `https://mta-sts.<domain>/.well-known/mta-sts.txt` with reqwest over
//! rustls (ring provider, WebPKI roots plus `--ca-file`), to the
//! addresses tlscheck resolved itself, no redirects followed, no proxy,
//! the time and size bounded. The response is kept as data
//! ([`PolicyFetch`]); judging it is `diagnose::policy`'s job.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::model::policy::PolicyFetch;

/// Most bytes of a policy body read. RFC 8461 sets no limit; a policy is
/// a few lines, and 64 KiB is far above any real one while keeping a
/// hostile server from filling memory.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// The policy path (RFC 8461 §3.2).
pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";
/// The HTTPS port (RFC 8461 §3.3: the policy is fetched over HTTPS, port
/// 443).
pub const HTTPS_PORT: u16 = 443;

/// The URL of the policy of `domain`.
pub fn policy_url(domain: &str) -> String {
    format!("https://mta-sts.{domain}{POLICY_PATH}")
}

/// Fetches the policy from `host` at `addresses`. `timeout` bounds the
/// connection and the response headers together, and again the body.
pub async fn fetch_policy(
    host: &str,
    addresses: &[IpAddr],
    extra_roots: &[CertificateDer<'static>],
    timeout: Duration,
) -> PolicyFetch {
    if addresses.is_empty() {
        return PolicyFetch::Failed {
            kind: "resolve",
            detail: format!("{host} has no address record"),
        };
    }
    let client = match http_client(host, addresses, extra_roots, timeout) {
        Ok(c) => c,
        Err(failed) => return failed,
    };
    let url = format!("https://{host}{POLICY_PATH}");
    let response = match tokio::time::timeout(timeout, client.get(&url).send()).await {
        Err(_) => {
            return PolicyFetch::Failed {
                kind: "timeout",
                detail: format!(
                    "no HTTP response from {host} within {:.1} s",
                    timeout.as_secs_f64()
                ),
            }
        }
        Ok(Err(e)) => return classify(host, &e),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response.headers().get(name).map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(200)
                .collect()
        })
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let location = header(reqwest::header::LOCATION);
    let Body {
        bytes: body,
        oversized,
        timed_out: body_timed_out,
    } = match read_body(response, host, timeout).await {
        Ok(b) => b,
        Err(failed) => return failed,
    };
    PolicyFetch::Response {
        status,
        content_type,
        location,
        body,
        oversized,
        body_timed_out,
    }
}

/// The HTTPS client for one policy host: its addresses pinned, no proxy,
/// no redirects, `timeout` on the connection.
fn http_client(
    host: &str,
    addresses: &[IpAddr],
    extra_roots: &[CertificateDer<'static>],
    timeout: Duration,
) -> Result<reqwest::Client, PolicyFetch> {
    let roots = crate::model::cert::root_store(extra_roots);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => {
            let mut c = b.with_root_certificates(roots).with_no_client_auth();
            c.alpn_protocols = vec![b"http/1.1".to_vec()];
            c
        }
        Err(e) => {
            return Err(PolicyFetch::Failed {
                kind: "other",
                detail: format!("TLS set-up: {e}"),
            })
        }
    };
    let socket_addrs: Vec<SocketAddr> = addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, HTTPS_PORT))
        .collect();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .resolve_to_addrs(host, &socket_addrs)
        .connect_timeout(timeout)
        .user_agent(concat!("tlscheck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| PolicyFetch::Failed {
            kind: "other",
            detail: format!("HTTP client set-up: {e}"),
        })
}

/// A policy body as read: at most [`MAX_POLICY_BYTES`].
struct Body {
    bytes: Vec<u8>,
    /// The server sent more than the limit; the rest was not read.
    oversized: bool,
    /// The body did not finish within the timeout.
    timed_out: bool,
}

/// Reads the body of `response`, bounded in size and by `timeout` from now.
async fn read_body(
    mut response: reqwest::Response,
    host: &str,
    timeout: Duration,
) -> Result<Body, PolicyFetch> {
    let mut body = Vec::new();
    let mut oversized = false;
    let mut body_timed_out = false;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Err(_) => {
                body_timed_out = true;
                break;
            }
            Ok(Ok(Some(chunk))) => {
                let room = MAX_POLICY_BYTES.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(chunk.get(..room).unwrap_or_default());
                    oversized = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Ok(None)) => break,
            Ok(Err(e)) => {
                if e.is_timeout() {
                    body_timed_out = true;
                    break;
                }
                return Err(PolicyFetch::Failed {
                    kind: "other",
                    detail: format!("reading the policy body from {host}: {}", chain(&e)),
                });
            }
        }
    }
    Ok(Body {
        bytes: body,
        oversized,
        timed_out: body_timed_out,
    })
}

/// Classifies a failed request by what caused it: a TLS error (from
/// rustls, inside the connect error), a refused connection, a timeout.
fn classify(host: &str, e: &reqwest::Error) -> PolicyFetch {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        // hyper-rustls hands rustls' error up inside an io::Error, whose
        // source() skips it: look inside too.
        if let Some(tls) = rustls_error(s, 0) {
            let detail: String = format!("TLS with {host} failed: {tls}")
                .chars()
                .take(400)
                .collect();
            return PolicyFetch::Failed {
                kind: "tls",
                detail,
            };
        }
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "other"
    };
    PolicyFetch::Failed {
        kind,
        detail: format!("HTTPS to {host}: {}", chain(e)),
    }
}

/// rustls' error inside `e`, through io::Errors nested up to 4 deep.
fn rustls_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
    depth: usize,
) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if depth >= 4 {
        return None;
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    rustls_error(inner, depth + 1)
}

/// An error with its causes, `a: b: c`, bounded.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(400).collect()
}
