//! `tlscheck demo`: real servers on loopback and the real check against
//! them, for a first run without a mail server (or without outbound port
//! 25). Three SMTP servers on 127.0.0.71-73 share one port:
//!
//! - `mail.fabrikam.test`: Exchange 2010 style, TLS 1.0 only, a Microsoft
//!   banner. rustls cannot serve TLS 1.0, so this one is the system's
//!   OpenSSL (libssl3, linked by the `openssl` crate; Unix builds only).
//! - `mx2.fabrikam.test`: modern, TLS 1.2 and 1.3 (rustls).
//! - `relay.fabrikam.test`: no STARTTLS.
//!
//! An in-process DNS server (hickory-server) answers for `fabrikam.test`:
//! its MX records point at the three. Certificates come from a CA made at
//! start, which the check trusts. Nothing is canned: real sockets, real
//! handshakes, the real diagnosis. Never sends mail: the servers refuse
//! RCPT and DATA, which tlscheck never sends anyway.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// The demo domain (`.test` is reserved for testing, RFC 2606).
pub const DOMAIN: &str = "fabrikam.test";
/// The servers' addresses, in MX preference order.
const ADDRS: [Ipv4Addr; 3] = [
    Ipv4Addr::new(127, 0, 0, 71),
    Ipv4Addr::new(127, 0, 0, 72),
    Ipv4Addr::new(127, 0, 0, 73),
];
/// How long a demo server waits for the next line.
const IDLE: Duration = Duration::from_secs(30);

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A socket could not be bound.
    #[error("binding the demo servers on 127.0.0.71-73: {0} (is the loopback interface up?)")]
    Bind(std::io::Error),
    /// Keys, certificates or TLS set-up failed.
    #[error("setting up the demo certificates and TLS: {0}")]
    Tls(String),
    /// The DNS zone could not be built.
    #[error("setting up the demo DNS server: {0}")]
    Dns(String),
}

fn tls_err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Tls(e.to_string())
}

/// The running demo: where its servers are, and the CA the check must
/// trust. Dropping it stops the DNS server; the SMTP threads end with
/// the process.
pub struct Demo {
    /// The SMTP port all three servers listen on.
    pub port: u16,
    /// The DNS server (UDP and TCP).
    pub dns: SocketAddr,
    /// The demo CA certificate (DER).
    pub ca: Vec<u8>,
    _dns_server: hickory_server::Server<hickory_server::zone_handler::Catalog>,
}

/// What a demo server does after STARTTLS.
#[derive(Clone)]
enum Kind {
    /// OpenSSL, TLS 1.0 only.
    Legacy(Arc<openssl::ssl::SslAcceptor>),
    /// rustls, TLS 1.2 and 1.3.
    Modern(Arc<rustls::ServerConfig>),
    /// No STARTTLS in EHLO.
    Plain,
}

struct Server {
    name: &'static str,
    banner: String,
    kind: Kind,
}

/// Starts the servers and the DNS server. Call inside a tokio runtime.
pub async fn start() -> Result<Demo, DemoError> {
    let key_der = {
        let rsa = openssl::rsa::Rsa::generate(2048).map_err(tls_err)?;
        openssl::pkey::PKey::from_rsa(rsa)
            .and_then(|k| k.private_key_to_pkcs8())
            .map_err(tls_err)?
    };
    let key = || rcgen::KeyPair::try_from(key_der.as_slice()).map_err(tls_err);
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "tlscheck demo CA");
    let ca_key = key()?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;
    let ca_der = ca_cert.der().to_vec();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = |name: &str| -> Result<Vec<u8>, DemoError> {
        let mut p = rcgen::CertificateParams::new(vec![name.to_owned()]).map_err(tls_err)?;
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        Ok(p.signed_by(&key()?, &issuer)
            .map_err(tls_err)?
            .der()
            .to_vec())
    };

    let legacy = {
        use openssl::ssl::{SslAcceptor, SslMethod, SslOptions, SslVersion};
        let mut b =
            SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(tls_err)?;
        b.clear_options(SslOptions::NO_TLSV1);
        // TLS 1.0 signs with SHA-1, which only security level 0 allows.
        b.set_security_level(0);
        b.set_cipher_list("DEFAULT:@SECLEVEL=0").map_err(tls_err)?;
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .map_err(tls_err)?;
        b.set_max_proto_version(Some(SslVersion::TLS1))
            .map_err(tls_err)?;
        let cert = openssl::x509::X509::from_der(&leaf("mail.fabrikam.test")?).map_err(tls_err)?;
        b.set_certificate(&cert).map_err(tls_err)?;
        b.add_extra_chain_cert(openssl::x509::X509::from_der(&ca_der).map_err(tls_err)?)
            .map_err(tls_err)?;
        let pkey = openssl::pkey::PKey::private_key_from_der(&key_der).map_err(tls_err)?;
        b.set_private_key(&pkey).map_err(tls_err)?;
        Arc::new(b.build())
    };
    let modern = {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = vec![
            CertificateDer::from(leaf("mx2.fabrikam.test")?),
            CertificateDer::from(ca_der.clone()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.clone()));
        Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
                .map_err(tls_err)?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(tls_err)?,
        )
    };
    let servers = [
        Server {
            name: "mail.fabrikam.test",
            banner: "220 mail.fabrikam.test Microsoft ESMTP MAIL Service ready at \
                     Tue, 1 Dec 2026 09:00:00 +0000"
                .to_owned(),
            kind: Kind::Legacy(legacy),
        },
        Server {
            name: "mx2.fabrikam.test",
            banner: "220 mx2.fabrikam.test ESMTP Postfix (Debian/GNU)".to_owned(),
            kind: Kind::Modern(modern),
        },
        Server {
            name: "relay.fabrikam.test",
            banner: "220 relay.fabrikam.test ESMTP Postfix".to_owned(),
            kind: Kind::Plain,
        },
    ];
    let port = listen_all(servers)?;
    let (dns, dns_server) = dns(port).await?;
    Ok(Demo {
        port,
        dns,
        ca: ca_der,
        _dns_server: dns_server,
    })
}

/// Binds the three servers on one free port and serves them on threads.
fn listen_all(servers: [Server; 3]) -> Result<u16, DemoError> {
    let mut last = None;
    for _ in 0..20 {
        let first =
            TcpListener::bind(SocketAddr::new(IpAddr::V4(ADDRS[0]), 0)).map_err(DemoError::Bind)?;
        let port = first.local_addr().map_err(DemoError::Bind)?.port();
        let rest: Result<Vec<TcpListener>, _> = ADDRS[1..]
            .iter()
            .map(|ip| TcpListener::bind(SocketAddr::new(IpAddr::V4(*ip), port)))
            .collect();
        match rest {
            Ok(rest) => {
                let listeners = std::iter::once(first).chain(rest);
                for (listener, server) in listeners.zip(servers) {
                    let server = Arc::new(server);
                    std::thread::spawn(move || {
                        for conn in listener.incoming().flatten() {
                            let server = Arc::clone(&server);
                            std::thread::spawn(move || {
                                let _ = serve(conn, &server);
                            });
                        }
                    });
                }
                return Ok(port);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(DemoError::Bind(
        last.unwrap_or_else(|| std::io::Error::other("no free port")),
    ))
}

fn ehlo_reply(s: &Server, tls: bool) -> String {
    let starttls = !tls && !matches!(s.kind, Kind::Plain);
    format!(
        "250-{}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n{}250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n",
        s.name,
        if starttls { "250-STARTTLS\r\n" } else { "" }
    )
}

/// One SMTP session: commands until QUIT (inside TLS too).
fn session<S: Read + Write>(stream: S, s: &Server, tls: bool) -> std::io::Result<Option<S>> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        // Bounded: a line longer than 1000 octets ends the session.
        if (&mut reader).take(1000).read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") {
            ehlo_reply(s, tls)
        } else if upper.starts_with("HELO") {
            format!("250 {}\r\n", s.name)
        } else if upper == "STARTTLS" && !tls && !matches!(s.kind, Kind::Plain) {
            reader
                .get_mut()
                .write_all(b"220 2.0.0 Ready to start TLS\r\n")?;
            return Ok(Some(reader.into_inner()));
        } else if upper.starts_with("MAIL FROM") {
            "250 2.1.0 Sender OK\r\n".to_owned()
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            "250 2.0.0 OK\r\n".to_owned()
        } else if upper.starts_with("QUIT") {
            reader.get_mut().write_all(b"221 2.0.0 Bye\r\n")?;
            return Ok(None);
        } else {
            // RCPT and DATA included: the demo accepts no mail.
            "502 5.5.2 Command not accepted by the demo server\r\n".to_owned()
        };
        reader.get_mut().write_all(reply.as_bytes())?;
    }
}

fn serve(conn: TcpStream, s: &Server) -> std::io::Result<()> {
    conn.set_read_timeout(Some(IDLE))?;
    conn.set_write_timeout(Some(IDLE))?;
    let mut conn = conn;
    conn.write_all(format!("{}\r\n", s.banner).as_bytes())?;
    let Some(conn) = session(conn, s, false)? else {
        return Ok(());
    };
    match &s.kind {
        Kind::Legacy(acceptor) => {
            if let Ok(tls) = acceptor.accept(conn) {
                let _ = session(tls, s, true)?;
            }
        }
        Kind::Modern(config) => {
            let Ok(server) = rustls::ServerConnection::new(Arc::clone(config)) else {
                return Ok(());
            };
            let mut tls = rustls::StreamOwned::new(server, conn);
            // The handshake happens on first use; a failure ends it.
            if tls.conn.complete_io(&mut tls.sock).is_ok() {
                let _ = session(tls, s, true)?;
            }
        }
        Kind::Plain => {}
    }
    Ok(())
}

/// The zone of the demo domain: three MX records, one per server.
fn zone() -> String {
    format!(
        "$ORIGIN {DOMAIN}.\n$TTL 300\n\
         @ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 3600 600 86400 300\n\
         @ IN NS ns.{DOMAIN}.\n\
         ns IN A 127.0.0.1\n\
         @ IN MX 10 mail.{DOMAIN}.\n\
         @ IN MX 20 mx2.{DOMAIN}.\n\
         @ IN MX 30 relay.{DOMAIN}.\n\
         mail IN A {}\nmx2 IN A {}\nrelay IN A {}\n",
        ADDRS[0], ADDRS[1], ADDRS[2]
    )
}

/// Serves the zone on 127.0.0.1, UDP and TCP on one free port.
async fn dns(
    _smtp_port: u16,
) -> Result<
    (
        SocketAddr,
        hickory_server::Server<hickory_server::zone_handler::Catalog>,
    ),
    DemoError,
> {
    use hickory_server::net::runtime::TokioRuntimeProvider;
    use hickory_server::proto::rr::{LowerName, Name};
    use hickory_server::proto::serialize::txt::Parser;
    use hickory_server::store::in_memory::InMemoryZoneHandler;
    use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
    let dns_err = |e: &dyn std::fmt::Display| DemoError::Dns(e.to_string());
    let origin = Name::from_ascii(format!("{DOMAIN}.")).map_err(|e| dns_err(&e))?;
    let text = zone();
    let (origin, records) = Parser::new(&text, None, Some(origin))
        .parse()
        .map_err(|e| dns_err(&e))?;
    let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
        origin.clone(),
        records,
        ZoneType::Primary,
        AxfrPolicy::Deny,
    )
    .map_err(|e| dns_err(&e))?;
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::new(&origin), vec![Arc::new(handler)]);
    for _ in 0..20 {
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .map_err(DemoError::Bind)?;
        let addr = udp.local_addr().map_err(DemoError::Bind)?;
        if let Ok(tcp) = tokio::net::TcpListener::bind(addr).await {
            let mut server = hickory_server::Server::new(catalog);
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(5), 16);
            return Ok((addr, server));
        }
    }
    Err(DemoError::Dns(
        "no port free for UDP and TCP on 127.0.0.1".to_owned(),
    ))
}

/// `tlscheck demo`: starts the demo servers and runs the real check
/// against them.
pub fn execute(
    args: &crate::cli::DemoArgs,
    io: &mut super::Io<'_>,
) -> anyhow::Result<crate::exit::ExitStatus> {
    // The DNS server runs on its own runtime; the check uses another.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let demo = runtime.block_on(start())?;
    io.say(format_args!(
        "tlscheck demo: {DOMAIN} and its mail servers are local demo servers on 127.0.0.71-73 \
         port {} (DNS {}), started by tlscheck; the check below is real.",
        demo.port, demo.dns
    ));
    let check_args = crate::cli::CheckArgs {
        targets: vec![DOMAIN.to_owned()],
        resolver: vec![demo.dns.to_string()],
        port: Some(demo.port),
        ipv4: true,
        timeout: Some(5.0),
        format: args.format,
        color: args.color,
        ..Default::default()
    };
    let roots = vec![rustls::pki_types::CertificateDer::from(demo.ca.clone())];
    let status = super::check::execute(&check_args, roots, io);
    drop(demo);
    runtime.shutdown_background();
    status
}
