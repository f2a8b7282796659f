//! In-process SMTP servers on 127.0.0.1:0 (or a chosen loopback address
//! and port, [`spawn_on`]), one behaviour each, backed by
//! real TLS stacks (OpenSSL for legacy versions, rustls for modern ones).
//! Synchronous threads: each connection gets its own, so a server that
//! stalls one probe never stalls another.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// The TLS stack behind STARTTLS.
#[derive(Clone)]
pub(crate) enum Tls {
    /// No TLS at all (STARTTLS must then not be advertised or be refused).
    None,
    /// OpenSSL, for any version range including 1.0/1.1.
    OpenSsl(openssl::ssl::SslAcceptor),
    /// rustls, for 1.2/1.3.
    Rustls(Arc<rustls::ServerConfig>),
}

/// What the server does right after answering STARTTLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AfterStarttls {
    /// A real TLS handshake with the configured stack.
    Handshake,
    /// Closes the connection.
    Close,
    /// Sends these plaintext bytes instead of a ServerHello, then waits.
    Plaintext(Vec<u8>),
    /// Resets the connection (SO_LINGER 0) when the ClientHello arrives.
    ResetOnHello,
    /// Reads the ClientHello, then sends these raw bytes and waits.
    Raw(Vec<u8>),
    /// Reads the ClientHello and never answers.
    Silent,
    /// Peeks at the ClientHello and resets the connection (no alert) when
    /// it offers none of these cipher suites, as SCHANNEL does; otherwise
    /// a real handshake.
    ResetUnlessSuites(Vec<u16>),
    /// A real handshake with the configured stack, its bytes to the client
    /// dripped one at a time with this pause (a slow link).
    Drip(Duration),
    /// A real handshake with the configured (OpenSSL) stack, whose first
    /// flight is cut after its Certificate record and followed by a fatal
    /// `internal_error` alert: what a server whose private key cannot be
    /// used sends.
    AlertAfterCertificate,
}

/// What the server answers to EHLO before TLS, besides the normal reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EhloDeferral {
    /// Never: the normal reply.
    Never,
    /// This reply whenever another connection is open at the same time
    /// (a per-client connection limit enforced at EHLO).
    WhenBusy(Vec<u8>),
    /// This reply always.
    Always(Vec<u8>),
}

/// What the server does with EHLO inside TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PostTls {
    /// Answers EHLO without STARTTLS.
    Normal,
    /// Never answers.
    Silent,
    /// Advertises STARTTLS again (RFC 3207 says it must not).
    ReadvertiseStarttls,
}

/// One server behaviour.
#[derive(Clone)]
pub(crate) struct Behaviour {
    /// Bytes of the greeting; `None` never greets.
    pub greeting: Option<Vec<u8>>,
    /// Wait before the greeting.
    pub greeting_delay: Duration,
    /// Send the greeting one byte at a time with this pause.
    pub drip: Option<Duration>,
    /// After the greeting bytes, send this chunk again and again until
    /// the client goes away (endless line, endless reply).
    pub endless: Option<Vec<u8>>,
    /// TLS starts on connect (SMTPS); the greeting comes inside TLS.
    pub implicit_tls: bool,
    /// EHLO is refused with 502 (HELO then works).
    pub ehlo_refused: bool,
    /// Advertise STARTTLS in EHLO.
    pub advertise_starttls: bool,
    /// The reply to STARTTLS.
    pub starttls_reply: Vec<u8>,
    /// What follows a 220 reply to STARTTLS.
    pub after_starttls: AfterStarttls,
    /// The reply to MAIL FROM before TLS.
    pub mail_from_reply: Vec<u8>,
    /// The TLS stack.
    pub tls: Tls,
    /// EHLO inside TLS.
    pub post_tls: PostTls,
    /// Deferring EHLO (421/450) before TLS.
    pub ehlo_deferral: EhloDeferral,
    /// Answering STARTTLS with another reply than `starttls_reply` (421,
    /// 454) while other connections are open, or always.
    pub starttls_deferral: EhloDeferral,
    /// Close a connection right after accepting it while another is open
    /// (a per-client connection limit enforced at connect).
    pub close_when_busy: bool,
}

impl Behaviour {
    /// A well-behaved Postfix-like server using `tls`.
    pub(crate) fn with_tls(tls: Tls) -> Self {
        Self {
            greeting: Some(b"220 mx.example.test ESMTP Postfix (Debian/GNU)\r\n".to_vec()),
            greeting_delay: Duration::ZERO,
            drip: None,
            endless: None,
            implicit_tls: false,
            ehlo_refused: false,
            advertise_starttls: true,
            starttls_reply: b"220 2.0.0 Ready to start TLS\r\n".to_vec(),
            after_starttls: AfterStarttls::Handshake,
            mail_from_reply: b"250 2.1.0 Ok\r\n".to_vec(),
            tls,
            post_tls: PostTls::Normal,
            ehlo_deferral: EhloDeferral::Never,
            starttls_deferral: EhloDeferral::Never,
            close_when_busy: false,
        }
    }
}

/// A running server; it lives as long as the test process.
pub(crate) struct SmtpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
}

/// Connections open right now, per server.
struct Busy(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Starts a server with behaviour `b` on 127.0.0.1:0.
pub(crate) fn spawn(b: Behaviour) -> SmtpServer {
    spawn_on(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, b).unwrap()
}

/// Starts a server with behaviour `b` on `ip:port` (port 0: a free one).
/// Several servers can share a port on different loopback addresses, as
/// the exchanges of one domain do. The bind error is returned, so a
/// caller can tell a taken port (`AddrInUse`) from a missing address
/// (`AddrNotAvailable`, e.g. no `::1`).
pub(crate) fn spawn_on(ip: IpAddr, port: u16, b: Behaviour) -> std::io::Result<SmtpServer> {
    assert!(ip.is_loopback(), "test servers listen on loopback only");
    let listener = TcpListener::bind(SocketAddr::new(ip, port))?;
    let addr = listener.local_addr()?;
    let b = Arc::new(b);
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let busy = Busy(open.clone());
            let b = b.clone();
            thread::spawn(move || {
                let _ = serve(conn, &b, &busy);
            });
        }
    });
    Ok(SmtpServer { addr, accepted })
}

fn ehlo_reply(b: &Behaviour, tls: bool) -> Vec<u8> {
    let mut r = b"250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n".to_vec();
    let starttls = if tls {
        b.post_tls == PostTls::ReadvertiseStarttls
    } else {
        b.advertise_starttls
    };
    if starttls {
        r.extend_from_slice(b"250-STARTTLS\r\n");
    }
    r.extend_from_slice(b"250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
    r
}

/// The answer to one command line; `None` means close. `busy`: another
/// connection is open at the same time.
fn answer(b: &Behaviour, line: &str, tls: bool, busy: bool) -> Option<Vec<u8>> {
    let upper = line.to_ascii_uppercase();
    Some(if upper.starts_with("EHLO") {
        if tls && b.post_tls == PostTls::Silent {
            return Some(Vec::new());
        }
        match &b.ehlo_deferral {
            EhloDeferral::Always(r) if !tls => return Some(r.clone()),
            EhloDeferral::WhenBusy(r) if !tls && busy => return Some(r.clone()),
            _ => {}
        }
        if b.ehlo_refused && !tls {
            b"502 5.5.2 Error: command not recognized\r\n".to_vec()
        } else {
            ehlo_reply(b, tls)
        }
    } else if upper.starts_with("HELO") {
        b"250 mx.example.test\r\n".to_vec()
    } else if upper.starts_with("MAIL FROM") {
        b.mail_from_reply.clone()
    } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
        b"250 2.0.0 Ok\r\n".to_vec()
    } else if upper.starts_with("QUIT") {
        return None;
    } else if upper.starts_with("RCPT") || upper.starts_with("DATA") {
        // tlscheck must never send these: make it loud if it does.
        panic!("tlscheck sent {line:?}: it must never send RCPT or DATA");
    } else {
        b"502 5.5.2 Error: command not recognized\r\n".to_vec()
    })
}

fn serve(mut conn: TcpStream, b: &Behaviour, busy: &Busy) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    if b.close_when_busy && busy.0.load(std::sync::atomic::Ordering::SeqCst) > 1 {
        return Ok(());
    }
    if b.implicit_tls {
        return tls_then_smtp(conn, b, true);
    }
    thread::sleep(b.greeting_delay);
    match &b.greeting {
        None => {
            // Never greet: hold the connection until the client leaves.
            let mut sink = [0u8; 512];
            while conn.read(&mut sink)? > 0 {}
            return Ok(());
        }
        Some(g) => match b.drip {
            Some(pause) => {
                for byte in g {
                    conn.write_all(&[*byte])?;
                    thread::sleep(pause);
                }
            }
            None => conn.write_all(g)?,
        },
    }
    if let Some(chunk) = &b.endless {
        // Until the client hangs up (the write then fails).
        loop {
            conn.write_all(chunk)?;
        }
    }
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end().to_owned();
        if line.eq_ignore_ascii_case("STARTTLS") {
            let others = busy.0.load(std::sync::atomic::Ordering::SeqCst) > 1;
            let reply = match &b.starttls_deferral {
                EhloDeferral::Always(r) => r,
                EhloDeferral::WhenBusy(r) if others => r,
                _ => &b.starttls_reply,
            };
            conn.write_all(reply)?;
            if !reply.starts_with(b"220") {
                continue;
            }
            return after_starttls(conn, b);
        }
        let others = busy.0.load(std::sync::atomic::Ordering::SeqCst) > 1;
        match answer(b, &line, false, others) {
            Some(reply) => conn.write_all(&reply)?,
            None => {
                conn.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
        }
    }
}

fn read_client_hello(conn: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 4096];
    let _ = conn.read(&mut buf)?;
    Ok(())
}

fn after_starttls(mut conn: TcpStream, b: &Behaviour) -> std::io::Result<()> {
    match &b.after_starttls {
        AfterStarttls::Close => Ok(()),
        AfterStarttls::Plaintext(bytes) => {
            conn.write_all(bytes)?;
            let mut sink = [0u8; 4096];
            while conn.read(&mut sink)? > 0 {}
            Ok(())
        }
        AfterStarttls::ResetOnHello => {
            read_client_hello(&mut conn)?;
            // SO_LINGER 0 makes close() send RST instead of FIN.
            socket_linger_zero(&conn);
            Ok(())
        }
        AfterStarttls::Raw(bytes) => {
            read_client_hello(&mut conn)?;
            conn.write_all(bytes)?;
            let mut sink = [0u8; 4096];
            while conn.read(&mut sink)? > 0 {}
            Ok(())
        }
        AfterStarttls::Silent => {
            let mut sink = [0u8; 4096];
            while conn.read(&mut sink)? > 0 {}
            Ok(())
        }
        AfterStarttls::Handshake => tls_then_smtp(conn, b, false),
        AfterStarttls::ResetUnlessSuites(wanted) => {
            let mut buf = [0u8; 4096];
            let n = conn.peek(&mut buf)?;
            let offered = hello_suites(buf.get(..n).unwrap_or_default());
            if offered.iter().any(|s| wanted.contains(s)) {
                tls_then_smtp(conn, b, false)
            } else {
                read_client_hello(&mut conn)?;
                socket_linger_zero(&conn);
                Ok(())
            }
        }
        AfterStarttls::Drip(pause) => drip_handshake(conn, b, *pause),
        AfterStarttls::AlertAfterCertificate => cut_after_certificate(conn, b),
    }
}

/// Runs the OpenSSL stack on a socket pair and relays its records to the
/// client up to and including the Certificate record, then sends a fatal
/// internal_error alert and closes.
fn cut_after_certificate(conn: TcpStream, b: &Behaviour) -> std::io::Result<()> {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    let b2 = b.clone();
    thread::spawn(move || {
        if let Tls::OpenSsl(acceptor) = &b2.tls {
            let _ = acceptor.accept(theirs);
        }
    });
    let mut from_client = conn.try_clone()?;
    let mut to_stack = ours.try_clone()?;
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_stack);
    });
    let mut from_stack = ours;
    let mut to_client = conn;
    loop {
        let mut header = [0u8; 5];
        from_stack.read_exact(&mut header)?;
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let mut body = vec![0u8; len];
        from_stack.read_exact(&mut body)?;
        to_client.write_all(&header)?;
        to_client.write_all(&body)?;
        // A handshake record (22) carrying Certificate (11).
        if header[0] == 22 && body.first() == Some(&11) {
            let version = [header[1], header[2]];
            to_client.write_all(&[21, version[0], version[1], 0, 2, 2, 80])?;
            to_client.flush()?;
            return Ok(());
        }
    }
}

/// The cipher suites of a ClientHello record (enough parsing for a test
/// server: record header, handshake header, version, random, session id).
fn hello_suites(rec: &[u8]) -> Vec<u16> {
    let Some(body) = rec.get(5 + 4 + 2 + 32..) else {
        return Vec::new();
    };
    let sid = usize::from(body.first().copied().unwrap_or(0));
    let Some(rest) = body.get(1 + sid..) else {
        return Vec::new();
    };
    let len = usize::from(u16::from_be_bytes([
        rest.first().copied().unwrap_or(0),
        rest.get(1).copied().unwrap_or(0),
    ]));
    rest.get(2..2 + len)
        .unwrap_or_default()
        .chunks(2)
        .filter_map(|c| Some(u16::from_be_bytes([*c.first()?, *c.get(1)?])))
        .collect()
}

/// The TLS stack on one end of a local socket pair, its output relayed to
/// the client one byte at a time.
fn drip_handshake(conn: TcpStream, b: &Behaviour, pause: Duration) -> std::io::Result<()> {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    let b2 = b.clone();
    thread::spawn(move || {
        if let Tls::OpenSsl(acceptor) = &b2.tls {
            if let Ok(tls) = acceptor.accept(theirs) {
                let _ = smtp_inside_tls(tls, &b2, false);
            }
        }
    });
    let mut from_client = conn.try_clone()?;
    let mut to_stack = ours.try_clone()?;
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_stack);
    });
    let mut from_stack = ours;
    let mut to_client = conn;
    let mut byte = [0u8; 1];
    while from_stack.read(&mut byte)? == 1 {
        to_client.write_all(&byte)?;
        thread::sleep(pause);
    }
    Ok(())
}

/// The TLS handshake with the configured stack, then SMTP inside TLS
/// (starting with the greeting for implicit TLS).
fn tls_then_smtp(conn: TcpStream, b: &Behaviour, greet: bool) -> std::io::Result<()> {
    match &b.tls {
        Tls::None => Ok(()),
        Tls::OpenSsl(acceptor) => match acceptor.accept(conn) {
            Ok(tls) => smtp_inside_tls(tls, b, greet),
            Err(_) => Ok(()),
        },
        Tls::Rustls(config) => {
            let Ok(server) = rustls::ServerConnection::new(config.clone()) else {
                return Ok(());
            };
            let mut tls = rustls::StreamOwned::new(server, conn);
            while tls.conn.is_handshaking() {
                if tls.conn.complete_io(&mut tls.sock).is_err() {
                    // Send what was queued before the error (ServerHello,
                    // Certificate, the alert), as a real server does.
                    while tls.conn.wants_write() {
                        if tls.conn.write_tls(&mut tls.sock).is_err() {
                            break;
                        }
                    }
                    return Ok(());
                }
            }
            smtp_inside_tls(tls, b, greet)
        }
    }
}

fn smtp_inside_tls<S: Read + Write>(mut tls: S, b: &Behaviour, greet: bool) -> std::io::Result<()> {
    if greet {
        if let Some(g) = &b.greeting {
            tls.write_all(g)?;
            tls.flush()?;
        }
    }
    let mut reader = BufReader::new(tls);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        match answer(b, line.trim_end(), true, false) {
            Some(reply) => {
                reader.get_mut().write_all(&reply)?;
                reader.get_mut().flush()?;
            }
            None => {
                reader.get_mut().write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
        }
    }
}

fn socket_linger_zero(conn: &TcpStream) {
    let _ = socket2::SockRef::from(conn).set_linger(Some(Duration::ZERO));
}
