//! An HTTPS server (rustls, a test-CA certificate) for MTA-STS policies,
//! on a loopback address at port 443 (tests run as root), answering per
//! Host header: a policy, a status, a redirect, an oversized or endless
//! body, or a body that never comes. Std threads, I/O timeouts.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::{ServerConnection, StreamOwned};

/// What the server answers for one host.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    /// 200 with this Content-Type and body.
    Body {
        /// The Content-Type header.
        content_type: &'static str,
        /// The body.
        body: Vec<u8>,
    },
    /// This status with an empty body.
    Status(u16),
    /// 301 to this location.
    Redirect(&'static str),
    /// 200 text/plain and then bytes without end (no newline).
    Endless,
    /// 200 text/plain headers, then nothing for a minute.
    Stall,
}

/// The replies, by host; tests change them while the server runs.
pub(crate) type Routes = Arc<Mutex<HashMap<String, Reply>>>;

/// Serves `routes` on `ip:443` with `config`. Returns the bind error (an
/// address in use when another test binary holds it).
pub(crate) fn spawn(
    ip: IpAddr,
    config: Arc<rustls::ServerConfig>,
    routes: Routes,
) -> std::io::Result<()> {
    let listener = TcpListener::bind((ip, 443))?;
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = conn.set_write_timeout(Some(Duration::from_secs(10)));
            let (config, routes) = (config.clone(), routes.clone());
            std::thread::spawn(move || serve(conn, config, &routes));
        }
    });
    Ok(())
}

fn serve(conn: TcpStream, config: Arc<rustls::ServerConfig>, routes: &Routes) {
    let Ok(tls) = ServerConnection::new(config) else {
        return;
    };
    let mut s = StreamOwned::new(tls, conn);
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let host = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("host: ")
                .or_else(|| l.strip_prefix("Host: "))
        })
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let path_ok = text.starts_with("GET /.well-known/mta-sts.txt ");
    let reply = if path_ok {
        routes.lock().unwrap().get(&host).cloned()
    } else {
        None
    }
    .unwrap_or(Reply::Status(404));
    let _ = match reply {
        Reply::Body { content_type, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes())
                .and_then(|()| s.write_all(&body))
        }
        Reply::Status(code) => s.write_all(
            format!("HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        ),
        Reply::Redirect(to) => s.write_all(
            format!("HTTP/1.1 301 Moved\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        ),
        Reply::Endless => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nversion: STSv1\r\nmx: ");
            let chunk = vec![b'a'; 16 * 1024];
            // Until the client goes away (or 64 MiB, a safety stop).
            for _ in 0..4096 {
                if s.write_all(&chunk).is_err() {
                    break;
                }
            }
            Ok(())
        }
        Reply::Stall => {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nver",
            );
            let _ = s.flush();
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
    };
    let _ = s.flush();
    s.conn.send_close_notify();
    let _ = s.flush();
}
