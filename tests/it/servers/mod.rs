//! In-process servers on 127.0.0.1:0, one function per behaviour. Each runs
//! on std threads (so a test's tokio runtime cannot starve it) and reports
//! its port; dropping the handle stops accepting.

pub(crate) mod dns;
pub(crate) mod https;
pub(crate) mod nsd;
pub(crate) mod smtp;
pub(crate) mod suites;
pub(crate) mod tls;
pub(crate) mod tls_raw;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a connection thread waits on a silent client before giving up,
/// so no thread outlives its test by much.
pub(crate) const CONNECTION_IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A listening server; each accepted connection runs `handler` on its own
/// thread. Dropping it stops the accept loop.
pub(crate) struct TestServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept_loop: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 and serves every connection with `handler`.
    pub(crate) fn spawn<F>(handler: F) -> TestServer
    where
        F: Fn(TcpStream) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let accept_loop = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let _ = conn.set_read_timeout(Some(CONNECTION_IO_TIMEOUT));
                    let _ = conn.set_write_timeout(Some(CONNECTION_IO_TIMEOUT));
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || handler(conn));
                }
            })
        };
        TestServer {
            addr,
            stop,
            accept_loop: Some(accept_loop),
        }
    }

    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the loop sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept_loop.take() {
            let _ = t.join();
        }
    }
}

/// Reads what the client sends first (its ClientHello), then closes: the
/// "connection dropped" server.
pub(crate) fn closes_after_first_read() -> TestServer {
    TestServer::spawn(|mut conn| {
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
    })
}

/// Reads the client's first bytes, answers with `reply`, then holds the
/// connection until the client closes.
pub(crate) fn replies_then_holds(reply: &'static [u8]) -> TestServer {
    TestServer::spawn(move |mut conn| {
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
        let _ = conn.write_all(reply);
        drain(conn);
    })
}

/// Greets with 220, reads the client's first command (EHLO) and closes
/// without answering: a server that drops EHLO names it does not like.
pub(crate) fn closes_after_ehlo() -> TestServer {
    TestServer::spawn(|mut conn| {
        let _ = conn.write_all(b"220 mx.example.test ESMTP\r\n");
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
    })
}

/// Accepts and never answers; holds the connection until the client closes.
pub(crate) fn silent() -> TestServer {
    TestServer::spawn(drain)
}

/// Reads and discards until EOF, error or the I/O timeout.
fn drain(mut conn: TcpStream) {
    let mut buf = [0u8; 4096];
    while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
}
