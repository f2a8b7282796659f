//! Socket tuning for the rustls sessions: TCP_QUICKACK before every read.
//! Only an optimisation; the bytes on the wire and their order stay the
//! same.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A TCP stream that asks the kernel to acknowledge at once before every
/// read.
///
/// Why: servers that do not set TCP_NODELAY (Postfix with OpenSSL) send
/// the TLS 1.3 session tickets and the reply to EHLO as two small writes;
/// the reply then waits for our ACK of the tickets, and Linux delays that
/// ACK by 40 ms or more while we have nothing to send. Measured at 50 ms
/// RTT this cost the TLS 1.3 session 0.8 RTT (bench/README.md). QUICKACK
/// is not sticky (a write re-enables delayed ACKs), hence before each read.
pub(super) struct QuickAck(pub(super) TcpStream);

impl AsyncRead for QuickAck {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // Only an optimisation: a failure changes nothing else.
            let _ = this.0.set_quickack(true);
        }
        std::pin::Pin::new(&mut this.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
