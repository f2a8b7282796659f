use super::*;
use crate::proto::smtp::reply::MAX_LINE_LEN;
use tokio::io::{duplex, DuplexStream};

/// Room for every scripted exchange below without back-pressure.
const PIPE: usize = 64 * 1024;

fn client(stream: DuplexStream) -> SmtpClient<DuplexStream> {
    SmtpClient::new(
        stream,
        Timeouts::default(),
        tokio::time::Instant::now().into_std(),
    )
}

/// Reads one CRLF-terminated command from the client side.
async fn read_command(server: &mut DuplexStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        assert_eq!(server.read(&mut byte).await.unwrap(), 1, "client closed");
        line.push(byte[0]);
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).unwrap()
}

/// True when the client has written nothing the server could read now.
async fn nothing_to_read(server: &mut DuplexStream) -> bool {
    let mut byte = [0u8; 1];
    tokio::time::timeout(Duration::ZERO, server.read(&mut byte))
        .await
        .is_err()
}

const GREETING: &[u8] = b"220 mx.example.org ESMTP Postfix\r\n";

const EHLO_REPLY: &[u8] = b"250-mx.example.org\r\n\
        250-PIPELINING\r\n\
        250-SIZE 10240000\r\n\
        250-STARTTLS\r\n\
        250 8BITMIME\r\n";

#[tokio::test]
async fn greeting_then_ehlo_lists_starttls() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        server.write_all(GREETING).await.unwrap();
        assert_eq!(read_command(&mut server).await, "EHLO probe.example");
        server.write_all(EHLO_REPLY).await.unwrap();
    });
    let mut smtp = client(c);
    let greeting = smtp.read_greeting().await.unwrap();
    assert_eq!(greeting.code, 220);
    let ehlo = smtp.ehlo("probe.example").await.unwrap();
    assert!(!ehlo.used_helo);
    assert_eq!(ehlo.reply.code, 250);
    assert_eq!(
        ehlo.extensions,
        vec!["PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"]
    );
    mock.await.unwrap();
}

#[tokio::test]
async fn multi_line_greeting_is_read_whole() {
    let (c, mut server) = duplex(PIPE);
    server
        .write_all(b"220-mx.example.org ESMTP\r\n220-No UCE\r\n220 Go ahead\r\n")
        .await
        .unwrap();
    let greeting = client(c).read_greeting().await.unwrap();
    assert_eq!(
        greeting.lines,
        vec!["mx.example.org ESMTP", "No UCE", "Go ahead"]
    );
}

#[tokio::test]
async fn greeting_554_is_a_result_not_an_error() {
    let (c, mut server) = duplex(PIPE);
    server
        .write_all(b"554 5.7.1 Service unavailable; client [192.0.2.1] blocked\r\n")
        .await
        .unwrap();
    let greeting = client(c).read_greeting().await.unwrap();
    assert_eq!(greeting.code, 554);
    assert!(greeting.is_permanent());
}

#[tokio::test]
async fn ehlo_502_falls_back_to_helo() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        server.write_all(GREETING).await.unwrap();
        assert_eq!(read_command(&mut server).await, "EHLO probe.example");
        server
            .write_all(b"502 5.5.2 Error: command not recognized\r\n")
            .await
            .unwrap();
        assert_eq!(read_command(&mut server).await, "HELO probe.example");
        server.write_all(b"250 mx.example.org\r\n").await.unwrap();
    });
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    let ehlo = smtp.ehlo("probe.example").await.unwrap();
    assert!(ehlo.used_helo);
    assert_eq!(ehlo.reply, Reply::single(250, "mx.example.org"));
    assert!(ehlo.extensions.is_empty());
    mock.await.unwrap();
}

#[tokio::test]
async fn starttls_454_is_returned_as_a_reply() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        server.write_all(GREETING).await.unwrap();
        assert_eq!(read_command(&mut server).await, "STARTTLS");
        server
            .write_all(b"454 4.7.0 TLS not available due to local problem\r\n")
            .await
            .unwrap();
    });
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    let reply = smtp.starttls().await.unwrap();
    assert_eq!(reply.code, 454);
    assert_eq!(reply.enhanced_status().unwrap().to_string(), "4.7.0");
    mock.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn never_writes_before_a_slow_multi_line_greeting_is_complete() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        // Like postscreen's pregreet test: part of the greeting, a
        // pause, and a check that the client kept quiet meanwhile.
        for line in [&b"220-mx.example.org ESMTP\r\n"[..], b"220-wait for it\r\n"] {
            server.write_all(line).await.unwrap();
            tokio::time::sleep(Duration::from_secs(3)).await;
            assert!(nothing_to_read(&mut server).await, "client talked first");
        }
        server.write_all(b"220 go ahead\r\n").await.unwrap();
        assert_eq!(read_command(&mut server).await, "EHLO probe.example");
        server.write_all(b"250 mx.example.org\r\n").await.unwrap();
    });
    let mut smtp = client(c);
    let greeting = smtp.read_greeting().await.unwrap();
    assert_eq!(greeting.lines.len(), 3);
    smtp.ehlo("probe.example").await.unwrap();
    mock.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn one_byte_per_second_greeting_ends_at_the_greeting_timeout() {
    let (c, mut server) = duplex(PIPE);
    tokio::spawn(async move {
        for byte in b"220 ".iter().chain([b'a'; 1000].iter()) {
            if server.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let start = tokio::time::Instant::now();
    let err = client(c).read_greeting().await.unwrap_err();
    assert_eq!(
        err,
        SmtpError::Timeout {
            stage: Stage::Greeting,
            after: Duration::from_secs(30)
        }
    );
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    assert_eq!(err.to_string(), "greeting: timed out after 30s");
    assert!(err.is_timeout());
}

#[tokio::test]
async fn endless_line_is_a_protocol_error() {
    let (c, mut server) = duplex(PIPE);
    tokio::spawn(async move {
        server.write_all(b"220 ").await.unwrap();
        let junk = [b'x'; 1024];
        while server.write_all(&junk).await.is_ok() {}
    });
    let err = client(c).read_greeting().await.unwrap_err();
    assert_eq!(
        err,
        SmtpError::Protocol {
            stage: Stage::Greeting,
            error: ReplyError::LineTooLong { max: MAX_LINE_LEN }
        }
    );
    assert_eq!(
        err.to_string(),
        "greeting: reply line longer than 2048 bytes"
    );
}

#[tokio::test]
async fn close_in_the_middle_of_a_reply_is_closed_with_its_stage() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        server.write_all(GREETING).await.unwrap();
        read_command(&mut server).await;
        server
            .write_all(b"250-mx.example.org\r\n250-SIZE")
            .await
            .unwrap();
        drop(server);
    });
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    let err = smtp.ehlo("probe.example").await.unwrap_err();
    mock.await.unwrap();
    assert_eq!(err, SmtpError::Closed { stage: Stage::Ehlo });
    assert_eq!(err.to_string(), "ehlo: connection closed by server");
    assert!(err.is_dropped());
    assert_eq!(
        smtp.transcript().last().unwrap().text,
        "ehlo: connection closed by server"
    );
}

#[tokio::test]
async fn bytes_after_starttls_220_are_returned_by_into_parts() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        server.write_all(GREETING).await.unwrap();
        assert_eq!(read_command(&mut server).await, "STARTTLS");
        // The reply and, before any ClientHello, a plaintext line: the
        // server buffered or injected data across the TLS boundary.
        server
            .write_all(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
            .await
            .unwrap();
        server
    });
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    assert_eq!(smtp.starttls().await.unwrap().code, 220);
    let (_stream, leftover) = smtp.into_parts();
    assert_eq!(leftover, b"250 injected\r\n");
    drop(mock.await.unwrap());
}

#[tokio::test]
async fn clean_starttls_220_leaves_nothing_behind() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        server.write_all(GREETING).await.unwrap();
        read_command(&mut server).await;
        server
            .write_all(b"220 2.0.0 Ready to start TLS\r\n")
            .await
            .unwrap();
        server
    });
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    smtp.starttls().await.unwrap();
    assert!(smtp.into_parts().1.is_empty());
    drop(mock.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn transcript_records_both_directions_in_order_with_times() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        server.write_all(GREETING).await.unwrap();
        assert_eq!(read_command(&mut server).await, "EHLO probe.example");
        tokio::time::sleep(Duration::from_secs(1)).await;
        server.write_all(EHLO_REPLY).await.unwrap();
        assert_eq!(read_command(&mut server).await, "MAIL FROM:<>");
        server
            .write_all(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
            .await
            .unwrap();
        assert_eq!(read_command(&mut server).await, "RSET");
        server.write_all(b"250 2.0.0 Ok\r\n").await.unwrap();
        assert_eq!(read_command(&mut server).await, "QUIT");
        server.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
    });
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    smtp.ehlo("probe.example").await.unwrap();
    assert_eq!(smtp.mail_from_null().await.unwrap().code, 530);
    assert_eq!(smtp.rset().await.unwrap().code, 250);
    assert_eq!(smtp.quit().await.unwrap().code, 221);
    mock.await.unwrap();

    let transcript = smtp.take_transcript();
    let lines: Vec<(Direction, &str)> = transcript
        .iter()
        .map(|e| (e.direction, e.text.as_str()))
        .collect();
    use Direction::{Received as R, Sent as S};
    assert_eq!(
        lines,
        vec![
            (R, "220 mx.example.org ESMTP Postfix"),
            (S, "EHLO probe.example"),
            (R, "250-mx.example.org"),
            (R, "250-PIPELINING"),
            (R, "250-SIZE 10240000"),
            (R, "250-STARTTLS"),
            (R, "250 8BITMIME"),
            (S, "MAIL FROM:<>"),
            (R, "530 5.7.0 Must issue a STARTTLS command first"),
            (S, "RSET"),
            (R, "250 2.0.0 Ok"),
            (S, "QUIT"),
            (R, "221 2.0.0 Bye"),
        ]
    );
    assert_eq!(transcript[0].at, Duration::from_secs(2));
    assert_eq!(transcript[1].at, Duration::from_secs(2));
    assert_eq!(transcript[2].at, Duration::from_secs(3));
    assert!(transcript.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(smtp.transcript().is_empty(), "taken");
}

#[tokio::test]
async fn refuses_commands_that_could_send_mail_and_writes_nothing() {
    let (c, mut server) = duplex(PIPE);
    server.write_all(GREETING).await.unwrap();
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    for (stage, line) in [
        (Stage::MailFrom, "MAIL FROM:<postmaster@example.org>"),
        (Stage::MailFrom, "RCPT TO:<user@example.org>"),
        (Stage::MailFrom, "DATA"),
        (Stage::MailFrom, "BDAT 10 LAST"),
        (Stage::Ehlo, "EHLO a\r\nRCPT TO:<x@example.org>"),
        (Stage::Ehlo, "EHLO a\n"),
    ] {
        let err = smtp.command(stage, line).await.unwrap_err();
        assert_eq!(err.label(), "misuse", "{line:?}");
        assert_eq!(err.stage(), stage);
    }
    assert!(nothing_to_read(&mut server).await);
    assert!(smtp
        .transcript()
        .iter()
        .all(|e| e.direction != Direction::Sent));
}

#[tokio::test]
async fn refuses_to_send_before_the_greeting() {
    let (c, mut server) = duplex(PIPE);
    let mut smtp = client(c);
    let err = smtp.ehlo("probe.example").await.unwrap_err();
    assert_eq!(
        err,
        SmtpError::Misuse {
            stage: Stage::Ehlo,
            what: "command before the greeting"
        }
    );
    assert!(nothing_to_read(&mut server).await);
    assert_eq!(smtp.quit().await, None);
}

#[tokio::test]
async fn ehlo_after_starttls_needs_no_greeting_and_is_post_tls_stage() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        assert_eq!(read_command(&mut server).await, "EHLO probe.example");
        drop(server);
    });
    let mut smtp = SmtpClient::after_starttls(c, Timeouts::default(), Instant::now());
    let err = smtp.ehlo("probe.example").await.unwrap_err();
    mock.await.unwrap();
    assert_eq!(
        err,
        SmtpError::Closed {
            stage: Stage::PostTlsEhlo
        }
    );
}

#[tokio::test]
async fn non_smtp_greeting_is_a_protocol_error_of_the_greeting() {
    let (c, mut server) = duplex(PIPE);
    server
        .write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
        .await
        .unwrap();
    let err = client(c).read_greeting().await.unwrap_err();
    assert_eq!(err.stage(), Stage::Greeting);
    assert_eq!(
        err.to_string(),
        "greeting: not an SMTP reply: \"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\""
    );
}

#[tokio::test(start_paused = true)]
async fn after_a_timed_out_greeting_quit_sends_nothing() {
    let (c, mut server) = duplex(PIPE);
    server.write_all(b"220-mx.example.org\r\n").await.unwrap();
    let mut smtp = client(c);
    assert!(smtp.read_greeting().await.unwrap_err().is_timeout());
    assert_eq!(smtp.quit().await, None);
    // Postscreen would count a QUIT here as talking first.
    let mut sent = Vec::new();
    server.read_to_end(&mut sent).await.unwrap();
    assert!(sent.is_empty(), "sent {sent:?}");
}

#[tokio::test(start_paused = true)]
async fn quit_never_waits_longer_than_quit_timeout() {
    let (c, mut server) = duplex(PIPE);
    let mock = tokio::spawn(async move {
        server.write_all(GREETING).await.unwrap();
        read_command(&mut server).await;
        // Never answers QUIT; keeps the connection open.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(server);
    });
    let mut smtp = client(c);
    smtp.read_greeting().await.unwrap();
    let start = tokio::time::Instant::now();
    assert_eq!(smtp.quit().await, None);
    assert!(start.elapsed() <= QUIT_TIMEOUT * 2);
    mock.abort();
}

#[tokio::test]
async fn connect_to_a_closed_loopback_port_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = connect(addr, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(
        err,
        SmtpError::Refused {
            stage: Stage::Connect
        }
    );
    assert_eq!(err.to_string(), "connect: connection refused");
}

#[tokio::test]
async fn connect_then_dialogue_over_loopback_tcp() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        sock.write_all(GREETING).await.unwrap();
    });
    let stream = connect(addr, Duration::from_secs(5)).await.unwrap();
    let mut smtp = SmtpClient::new(stream, Timeouts::default(), Instant::now());
    assert_eq!(smtp.read_greeting().await.unwrap().code, 220);
    server.await.unwrap();
}

#[test]
fn timeouts_from_stage_budget_give_the_greeting_three_times() {
    let t = Timeouts::from_stage_budget(Duration::from_secs(5));
    assert_eq!(t.connect, Duration::from_secs(5));
    assert_eq!(t.greeting, Duration::from_secs(15));
    assert_eq!(t.command, Duration::from_secs(5));
    assert_eq!(t.handshake, Duration::from_secs(5));
    assert_eq!(t.for_stage(Stage::Quit), Duration::from_secs(2));
    assert_eq!(Timeouts::default().greeting, Duration::from_secs(30));
}

#[test]
fn errors_read_as_stage_then_cause() {
    let reset = SmtpError::Io {
        stage: Stage::Starttls,
        kind: io::ErrorKind::ConnectionReset,
        message: "Connection reset by peer (os error 104)".to_owned(),
    };
    assert_eq!(reset.to_string(), "starttls: connection reset by server");
    assert!(reset.is_dropped() && !reset.is_timeout());
    assert_eq!(reset.label(), "io");
    let slow = SmtpError::Timeout {
        stage: Stage::PostTlsEhlo,
        after: Duration::from_millis(1500),
    };
    assert_eq!(slow.to_string(), "post_tls_ehlo: timed out after 1.5s");
    assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
}

/// diagnose reads a close before TLS from these words
/// (model::NotTested::closed_at).
#[test]
fn closed_error_ends_with_the_words_the_model_reads() {
    let e = SmtpError::Closed { stage: Stage::Ehlo };
    assert_eq!(
        e.to_string(),
        format!("ehlo: {}", crate::model::CLOSED_BY_SERVER)
    );
}
