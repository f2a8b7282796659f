use super::*;
use crate::net::listen::server::ServerIdentity;
use tokio::io::{duplex, AsyncBufReadExt, BufReader, DuplexStream};

fn setup(timeout: Duration) -> SessionSetup {
    let id = ServerIdentity::self_signed("listener.test").unwrap();
    SessionSetup::new("listener.test".into(), id, timeout).unwrap()
}

fn peer() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

/// Runs a session against a scripted sender on an in-memory pipe.
async fn with_sender<F, Fut>(timeout: Duration, sender: F) -> SenderSession
where
    F: FnOnce(DuplexStream) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (server, client) = duplex(64 * 1024);
    let setup = setup(timeout);
    let (session, ()) = tokio::join!(session(server, peer(), &setup), sender(client));
    session
}

async fn reply(r: &mut BufReader<DuplexStream>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).await.unwrap();
        let l = l.trim_end().to_owned();
        let last = l.as_bytes().get(3) != Some(&b'-');
        lines.push(l);
        if last {
            return lines;
        }
    }
}

async fn cmd(r: &mut BufReader<DuplexStream>, line: &str) -> Vec<String> {
    r.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .unwrap();
    reply(r).await
}

#[tokio::test]
async fn mail_without_starttls_is_refused_with_530_and_recorded() {
    let s = with_sender(Duration::from_secs(5), |c| async move {
        let mut r = BufReader::new(c);
        assert!(reply(&mut r).await[0].starts_with("220 listener.test ESMTP"));
        let ehlo = cmd(&mut r, "EHLO plain.example").await;
        assert_eq!(ehlo.last().unwrap(), "250 STARTTLS");
        assert_eq!(
            cmd(&mut r, "MAIL FROM:<a@plain.example>").await,
            [MUST_STARTTLS]
        );
        assert_eq!(cmd(&mut r, "RCPT TO:<b@x.example>").await, [MUST_STARTTLS]);
        assert_eq!(cmd(&mut r, "DATA").await, [MUST_STARTTLS]);
        assert_eq!(cmd(&mut r, "QUIT").await, ["221 2.0.0 Bye"]);
    })
    .await;
    assert!(s.plaintext_mail && !s.starttls);
    assert_eq!(s.ehlo_name.as_deref(), Some("plain.example"));
    assert_eq!(s.mail_from.as_deref(), Some("<a@plain.example>"));
    assert_eq!(s.handshake, Handshake::NotReached);
    assert_eq!(s.end, SessionEnd::Quit);
    assert!(s.was_tested() && !s.is_empty());
}

#[tokio::test]
async fn legacy_only_hello_is_read_then_the_connection_is_closed() {
    let s = with_sender(Duration::from_secs(5), |c| async move {
        let mut r = BufReader::new(c);
        reply(&mut r).await;
        cmd(&mut r, "EHLO old.example").await;
        assert_eq!(
            cmd(&mut r, "STARTTLS").await,
            ["220 2.0.0 Ready to start TLS"]
        );
        let hello = ClientHello::for_probe(TlsVersion::Tls10, Some("mx.test"), [7; 32], [9; 32]);
        r.get_mut().write_all(&hello.to_record()).await.unwrap();
        // tlscheck says nothing more and closes: EOF.
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "{rest:?}");
    })
    .await;
    let offer = s.offer.as_ref().unwrap();
    assert_eq!(offer.versions, vec![TlsVersion::Tls10]);
    assert_eq!(offer.sni.as_deref(), Some("mx.test"));
    assert_eq!(s.handshake, Handshake::ClosedLegacyOnly);
    assert_eq!(s.end, SessionEnd::ClosedAfterLegacyHello);
    assert!(s.starttls);
}

#[tokio::test]
async fn bytes_pipelined_behind_starttls_are_discarded_not_read_as_tls() {
    let s = with_sender(Duration::from_secs(5), |c| async move {
        let mut r = BufReader::new(c);
        reply(&mut r).await;
        cmd(&mut r, "EHLO inject.example").await;
        // CVE-2011-0411: a command smuggled behind STARTTLS.
        let got = cmd(&mut r, "STARTTLS\r\nMAIL FROM:<evil@x>").await;
        assert_eq!(got, ["220 2.0.0 Ready to start TLS"]);
        let hello = ClientHello::for_probe(TlsVersion::Tls11, None, [7; 32], [9; 32]);
        r.get_mut().write_all(&hello.to_record()).await.unwrap();
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest).await;
    })
    .await;
    // No supported_versions: the hello states TLS 1.1 as its highest.
    assert_eq!(s.offer.unwrap().versions, [TlsVersion::Tls11]);
    assert_eq!(s.mail_from, None);
    assert!(s
        .transcript
        .iter()
        .any(|e| e.text.contains("discarded (RFC 3207")));
}

#[tokio::test]
async fn plain_text_after_starttls_is_no_client_hello() {
    let s = with_sender(Duration::from_secs(5), |c| async move {
        let mut r = BufReader::new(c);
        reply(&mut r).await;
        cmd(&mut r, "EHLO confused.example").await;
        cmd(&mut r, "STARTTLS").await;
        r.get_mut().write_all(b"EHLO again\r\n").await.unwrap();
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest).await;
    })
    .await;
    assert_eq!(s.end, SessionEnd::NoClientHello);
    assert!(s.hello_error.unwrap().contains("plain text"), "");
    assert!(s.offer.is_none());
}

#[tokio::test]
async fn silence_after_starttls_times_out_in_the_client_hello_stage() {
    let s = with_sender(Duration::from_millis(300), |c| async move {
        let mut r = BufReader::new(c);
        reply(&mut r).await;
        cmd(&mut r, "STARTTLS").await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    })
    .await;
    assert_eq!(
        s.end,
        SessionEnd::Timeout {
            stage: Stage::ClientHello
        }
    );
    assert!(s.starttls && s.hello_error.is_some());
}

#[tokio::test]
async fn an_overlong_line_ends_the_session() {
    let s = with_sender(Duration::from_secs(5), |c| async move {
        let mut r = BufReader::new(c);
        reply(&mut r).await;
        let long = format!("EHLO {}", "a".repeat(MAX_LINE_LEN + 10));
        let got = cmd(&mut r, &long).await;
        assert_eq!(got, ["500 5.5.2 Line too long, closing"]);
    })
    .await;
    assert_eq!(
        s.end,
        SessionEnd::LineTooLong {
            stage: Stage::Command
        }
    );
}

#[tokio::test]
async fn a_flood_of_commands_is_cut_off() {
    let s = with_sender(Duration::from_secs(5), |c| async move {
        let mut r = BufReader::new(c);
        reply(&mut r).await;
        for _ in 0..MAX_COMMANDS {
            assert_eq!(cmd(&mut r, "NOOP").await, ["250 2.0.0 OK"]);
        }
        assert_eq!(
            cmd(&mut r, "NOOP").await,
            ["421 4.7.0 Too many commands, closing"]
        );
    })
    .await;
    assert_eq!(s.end, SessionEnd::TooManyCommands);
}

#[tokio::test]
async fn a_connection_closed_at_once_is_an_empty_session() {
    let s = with_sender(Duration::from_secs(5), |c| async move {
        drop(c);
    })
    .await;
    assert!(s.is_empty() && !s.was_tested());
}
