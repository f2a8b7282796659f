//! `tlscheck listen` against real senders on loopback: `openssl s_client
//! -starttls smtp` pinned to each TLS version (its ClientHello is the
//! ground truth of what the sender offers), a scripted SMTP client that
//! never sends STARTTLS, and the built binary for the exit codes. The
//! Postfix `smtp` client is run by tests/e2e/listen.sh (it needs root).

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use rustls::CipherSuite;
use tlscheck::diagnose::findings::FindingId;
use tlscheck::diagnose::sender;
use tlscheck::diagnose::verdict::Verdict;
use tlscheck::exit::{for_listen, ExitStatus};
use tlscheck::model::listen::{Handshake, OfferSource, SenderSession, SessionEnd};
use tlscheck::model::TlsVersion;
use tlscheck::net::listen::{Listener, ServeEnd, ServeOptions, ServerIdentity, SessionSetup};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::servers::tls_raw::{KeyKind, ServerCert};

const NAME: &str = "listen.test";
/// Per-stage timeout of the listener under test.
const STAGE: Duration = Duration::from_secs(10);
/// No test waits longer than this for a sender.
const WAIT: Duration = Duration::from_secs(30);

/// A listener on 127.0.0.1:0 serving one session (`--once`) in the
/// background; `identity` defaults to a self-signed ECDSA certificate.
async fn start(
    identity: Option<ServerIdentity>,
) -> (SocketAddr, tokio::task::JoinHandle<Vec<SenderSession>>) {
    let identity = identity.unwrap_or_else(|| ServerIdentity::self_signed(NAME).unwrap());
    let setup = SessionSetup::new(NAME.to_owned(), identity, STAGE).unwrap();
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), setup)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (_keep, cancel) = tokio::sync::watch::channel(false);
        let mut sessions = Vec::new();
        let opts = ServeOptions {
            once: true,
            wait: Some(WAIT),
        };
        let end = listener
            .serve(opts, cancel, &mut |s| sessions.push(s))
            .await;
        assert_eq!(end, ServeEnd::Once, "no sender session within {WAIT:?}");
        sessions
    });
    (addr, task)
}

/// `openssl s_client -starttls smtp` with `flags`, standard input closed:
/// after the handshake it sees EOF and hangs up. Returns its output.
fn s_client(addr: SocketAddr, flags: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("20")
        .args(["openssl", "s_client", "-starttls", "smtp", "-connect"])
        .arg(addr.to_string())
        .args(flags)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Runs s_client with `flags` against a fresh listener; returns the one
/// session and what s_client printed.
async fn openssl_session(flags: &'static [&'static str]) -> (SenderSession, String) {
    let (addr, task) = start(None).await;
    let printed = tokio::task::spawn_blocking(move || s_client(addr, flags))
        .await
        .unwrap();
    let mut sessions = task.await.unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    (sessions.remove(0), printed)
}

fn versions(s: &SenderSession) -> Vec<TlsVersion> {
    s.offer.as_ref().unwrap().versions.clone()
}

const LEGACY_CIPHERS: &str = "DEFAULT:@SECLEVEL=0";

#[tokio::test]
async fn openssl_pinned_to_tls10_offers_only_tls10_and_fails_with_the_socket_error_signatures() {
    let (s, printed) = openssl_session(&["-tls1", "-cipher", LEGACY_CIPHERS]).await;
    let offer = s.offer.as_ref().unwrap();
    assert_eq!(offer.client_version, 0x0301, "{printed}");
    assert_eq!(offer.highest, 0x0301);
    assert_eq!(offer.source, OfferSource::LegacyClientVersion);
    assert_eq!(versions(&s), [TlsVersion::Tls10]);
    assert_eq!(s.handshake, Handshake::ClosedLegacyOnly);
    assert_eq!(s.end, SessionEnd::ClosedAfterLegacyHello);
    // What the sender saw: no ServerHello, the connection gone.
    assert!(printed.contains("Cipher is (NONE)"), "{printed}");
    let j = sender::judge(&s);
    assert_eq!(j.verdict, Verdict::Fail);
    assert_eq!(j.findings[0].id, FindingId::SenderLegacyTlsOnly);
    assert!(j.findings[0].signatures.starts_with(&[
        "socket-error-421-4-4-2",
        "tls-negotiation-failed-socketerror"
    ]));
    assert_eq!(for_listen(&[j.verdict]), ExitStatus::PolicyFailed);
}

#[tokio::test]
async fn openssl_pinned_to_tls11_states_tls11_as_its_highest_and_fails() {
    let (s, printed) = openssl_session(&["-tls1_1", "-cipher", LEGACY_CIPHERS]).await;
    assert_eq!(s.offer.as_ref().unwrap().highest, 0x0302, "{printed}");
    // No supported_versions: the hello states TLS 1.1 as its highest and
    // nothing about TLS 1.0.
    assert_eq!(versions(&s), [TlsVersion::Tls11]);
    assert_eq!(s.handshake, Handshake::ClosedLegacyOnly);
    let j = sender::judge(&s);
    assert_eq!(j.verdict, Verdict::Fail);
    assert_eq!(
        j.findings[0].title,
        "The sender offers only TLS 1.1 or lower when it starts TLS; Office 365 requires TLS 1.2 and drops the connection"
    );
}

#[tokio::test]
async fn openssl_pinned_to_tls12_completes_a_tls12_handshake_and_passes() {
    let (s, printed) = openssl_session(&["-tls1_2"]).await;
    let offer = s.offer.as_ref().unwrap();
    // No supported_versions: client_version states TLS 1.2 as the
    // highest; nothing about TLS 1.0/1.1 (and this client refuses them:
    // openssl_pinned_to_tls12_is_not_said_to_offer_tls10_or_tls11).
    assert_eq!(offer.highest, 0x0303, "{printed}");
    assert_eq!(offer.source, OfferSource::LegacyClientVersion);
    assert_eq!(offer.supported_versions, None);
    assert_eq!(versions(&s), [TlsVersion::Tls12]);
    match &s.handshake {
        Handshake::Completed(n) => assert_eq!(n.version, TlsVersion::Tls12),
        other => panic!("{other:?}\n{printed}"),
    }
    assert!(printed.contains("Protocol  : TLSv1.2"), "{printed}");
    let j = sender::judge(&s);
    assert_eq!(j.verdict, Verdict::Pass, "{}", j.summary);
    assert_eq!(for_listen(&[j.verdict]), ExitStatus::Pass);
}

#[tokio::test]
async fn openssl_pinned_to_tls13_lists_only_tls13_and_completes_it() {
    let (s, printed) = openssl_session(&["-tls1_3"]).await;
    let offer = s.offer.as_ref().unwrap();
    assert_eq!(offer.source, OfferSource::SupportedVersions, "{printed}");
    assert_eq!(offer.supported_versions.as_deref(), Some(&[0x0304][..]));
    assert_eq!(versions(&s), [TlsVersion::Tls13]);
    assert_eq!(offer.highest, 0x0304);
    assert!(offer
        .cipher_suites
        .contains(&CipherSuite::TLS13_AES_256_GCM_SHA384));
    match &s.handshake {
        Handshake::Completed(n) => assert_eq!(n.version, TlsVersion::Tls13),
        other => panic!("{other:?}\n{printed}"),
    }
    assert_eq!(sender::judge(&s).verdict, Verdict::Pass);
}

#[tokio::test]
async fn openssl_unpinned_offers_tls12_and_tls13_with_sni_and_completes_tls13() {
    let (s, printed) = openssl_session(&["-servername", "mx.example.test"]).await;
    let offer = s.offer.as_ref().unwrap();
    assert_eq!(offer.source, OfferSource::SupportedVersions, "{printed}");
    assert!(versions(&s).contains(&TlsVersion::Tls12));
    assert!(versions(&s).contains(&TlsVersion::Tls13));
    assert_eq!(offer.highest, 0x0304);
    assert_eq!(offer.sni.as_deref(), Some("mx.example.test"));
    assert!(!offer.groups.is_empty());
    match &s.handshake {
        Handshake::Completed(n) => assert_eq!(n.version, TlsVersion::Tls13),
        other => panic!("{other:?}\n{printed}"),
    }
    assert_eq!(s.ehlo_name.as_deref(), Some("mail.example.com"));
    assert_eq!(sender::judge(&s).verdict, Verdict::Pass);
}

#[tokio::test]
async fn a_message_inside_tls_is_refused_at_rcpt_and_data_is_never_accepted() {
    let (addr, task) = start(None).await;
    let script = "EHLO tls.sender.example\nMAIL FROM:<admin@sender.example>\nRCPT TO:<test@listen.test>\nDATA\nQUIT\n";
    let printed = tokio::task::spawn_blocking(move || {
        // -ign_eof: stdin lines starting with R or Q are data, not s_client
        // commands; the listener ends the session after QUIT.
        let mut child = Command::new("timeout")
            .args([
                "20",
                "openssl",
                "s_client",
                "-starttls",
                "smtp",
                "-crlf",
                "-ign_eof",
                "-tls1_3",
                "-connect",
            ])
            .arg(addr.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap();
    let s = task.await.unwrap().remove(0);
    assert!(
        printed.contains("550 5.7.0 tlscheck listener: this is a TLS test, no mail is accepted"),
        "{printed}"
    );
    assert!(printed.contains("554 5.5.1"), "{printed}");
    assert!(!printed.contains("354"), "{printed}");
    assert_eq!(s.tls_ehlo_name.as_deref(), Some("tls.sender.example"));
    assert_eq!(s.mail_from.as_deref(), Some("<admin@sender.example>"));
    assert_eq!(s.rcpt_to, ["<test@listen.test>"]);
    assert_eq!(s.end, SessionEnd::Quit);
    assert_eq!(sender::judge(&s).verdict, Verdict::Pass);
}

#[tokio::test]
async fn rsa_only_sender_fails_with_the_ecdsa_default_and_completes_with_an_rsa_certificate() {
    let flags: &'static [&'static str] = &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"];
    let (s, printed) = openssl_session(flags).await;
    assert!(
        matches!(s.handshake, Handshake::Failed { .. }),
        "{:?}\n{printed}",
        s.handshake
    );
    let j = sender::judge(&s);
    assert_eq!(j.verdict, Verdict::Warn);
    assert!(j.findings[0].fix_short.contains("RSA certificate"));
    assert_eq!(for_listen(&[j.verdict]), ExitStatus::Pass);

    let rsa = ServerCert::self_signed(&[NAME], KeyKind::Rsa2048);
    let cert_pem = openssl::x509::X509::from_der(rsa.leaf_der())
        .unwrap()
        .to_pem()
        .unwrap();
    let identity = ServerIdentity::from_pem(&cert_pem, rsa.key_pem.as_bytes()).unwrap();
    let (addr, task) = start(Some(identity)).await;
    tokio::task::spawn_blocking(move || s_client(addr, flags))
        .await
        .unwrap();
    let s = task.await.unwrap().remove(0);
    match &s.handshake {
        Handshake::Completed(n) => {
            assert_eq!(n.cipher, CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
        }
        other => panic!("{other:?}"),
    }
}

/// A sender that ignores STARTTLS: EHLO, MAIL FROM in plain text, QUIT.
/// Returns the reply to MAIL FROM.
async fn plaintext_sender(addr: SocketAddr) -> String {
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut r = tokio::io::BufReader::new(stream);
    let mut line = String::new();
    let mut read_reply = async |r: &mut tokio::io::BufReader<TcpStream>| -> String {
        loop {
            line.clear();
            r.read_line(&mut line).await.unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_owned();
            }
        }
    };
    read_reply(&mut r).await;
    r.get_mut()
        .write_all(b"EHLO plain.example\r\n")
        .await
        .unwrap();
    assert_eq!(read_reply(&mut r).await, "250 STARTTLS");
    r.get_mut()
        .write_all(b"MAIL FROM:<a@plain.example>\r\n")
        .await
        .unwrap();
    let mail = read_reply(&mut r).await;
    r.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    read_reply(&mut r).await;
    mail
}

#[tokio::test]
async fn sender_that_never_sends_starttls_is_refused_with_530_and_fails() {
    let (addr, task) = start(None).await;
    let mail = plaintext_sender(addr).await;
    assert_eq!(mail, "530 5.7.0 Must issue a STARTTLS command first");
    let s = task.await.unwrap().remove(0);
    assert!(s.plaintext_mail && !s.starttls);
    assert_eq!(s.handshake, Handshake::NotReached);
    let j = sender::judge(&s);
    assert_eq!(j.verdict, Verdict::Fail);
    assert_eq!(j.findings[0].id, FindingId::SenderNoStarttls);
    assert_eq!(for_listen(&[j.verdict]), ExitStatus::PolicyFailed);
}

/// The built binary on 127.0.0.1:0: the address it bound (read from its
/// first line on standard error) and the running child.
fn spawn_binary(args: &[&str]) -> (SocketAddr, std::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlscheck"))
        .args(["listen", "--bind", "127.0.0.1:0", "--hostname", NAME])
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    // "tlscheck: listening on 127.0.0.1:PORT as listen.test with …"
    let addr = first
        .split_whitespace()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    (addr, child)
}

#[tokio::test]
async fn binary_exit_code_is_1_for_a_plaintext_sender_with_one_json_document() {
    let (addr, child) = spawn_binary(&["--once", "--format", "json", "--wait", "30"]);
    plaintext_sender(addr).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "listen");
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["sender"]["starttls"], false);
    assert_eq!(v["sender"]["plaintext_mail"], true);
    assert_eq!(v["findings"][0]["id"], "sender-no-starttls");
    assert_eq!(v["client_hello"], serde_json::Value::Null);
}

#[tokio::test]
async fn binary_exit_code_is_0_for_a_tls13_sender() {
    let (addr, child) = spawn_binary(&["--once", "--format", "json", "--wait", "30"]);
    tokio::task::spawn_blocking(move || s_client(addr, &["-tls1_3"]))
        .await
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "pass");
    assert_eq!(
        v["client_hello"]["offered_versions"],
        serde_json::json!(["1.3"])
    );
    assert_eq!(v["handshake"]["result"], "completed");
    assert_eq!(v["handshake"]["version"], "1.3");
}

/// Issue: with `openssl s_client -tls1_2` as the sender (client_version
/// 0x0303, no supported_versions) listen said "Offers TLS 1.0, TLS 1.1,
/// TLS 1.2". Ground truth: the same client finishes no handshake with a
/// server that speaks only TLS 1.0 or only TLS 1.1, so it does not offer
/// them; the hello states TLS 1.2 only.
#[tokio::test]
async fn openssl_pinned_to_tls12_is_not_said_to_offer_tls10_or_tls11() {
    use crate::servers::smtp::{spawn, Behaviour, Tls};
    use crate::servers::tls::{identity, openssl_acceptor, Leaf};
    use openssl::ssl::SslVersion;
    for v in [SslVersion::TLS1, SslVersion::TLS1_1] {
        let legacy = spawn(Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
            v,
            v,
            &identity(Leaf::Good),
        ))));
        let printed = tokio::task::spawn_blocking(move || {
            s_client(legacy.addr, &["-tls1_2", "-cipher", LEGACY_CIPHERS])
        })
        .await
        .unwrap();
        assert!(printed.contains("Cipher is (NONE)"), "{v:?}: {printed}");
    }
    let (addr, child) = spawn_binary(&["--once", "--format", "json", "--wait", "30"]);
    tokio::task::spawn_blocking(move || s_client(addr, &["-tls1_2"]))
        .await
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hello = &v["client_hello"];
    assert_eq!(hello["offered_versions"], serde_json::json!(["1.2"]));
    assert_eq!(hello["offered_from"], "client_version");
    assert_eq!(hello["highest_version"], "1.2");
    assert_eq!(hello["offers_tls12_or_newer"], true);
    assert_eq!(v["verdict"], "pass");
}

#[test]
fn binary_exit_code_is_3_when_no_sender_comes_before_wait_runs_out() {
    let (_addr, child) = spawn_binary(&["--once", "--wait", "0.5"]);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no sender came"));
}

#[tokio::test]
async fn binary_ignores_a_connection_that_says_nothing_and_streams_one_line_per_session() {
    // Without --once: each session is one JSON line as it ends; a port
    // scan (connect, close) is not a session.
    let (addr, child) = spawn_binary(&["--format", "json", "--wait", "3"]);
    drop(TcpStream::connect(addr).await.unwrap());
    plaintext_sender(addr).await;
    plaintext_sender(addr).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["verdict"], "fail");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("sent nothing"));
}

#[test]
fn binary_refuses_an_unreadable_certificate_with_exit_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_tlscheck"))
        .args([
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--cert",
            "/nonexistent/c.pem",
        ])
        .args(["--key", "/nonexistent/k.pem"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--cert"));
}

/// Asserts the sender finding about Office 365's suites, and that the
/// offer (s_client's ClientHello, the ground truth) holds none of them.
fn assert_no_office365_suite(s: &SenderSession, printed: &str) {
    let offer = s.offer.as_ref().unwrap();
    assert!(
        tlscheck::diagnose::profiles::office365_common_suites(&offer.cipher_suites).is_empty(),
        "{:?}",
        offer.cipher_suites
    );
    let j = sender::judge(s);
    let f = j
        .findings
        .iter()
        .find(|f| f.id == "sender-no-office365-cipher-suite")
        .unwrap_or_else(|| panic!("{:#?}\n{printed}", j.findings));
    assert_eq!(f.severity, tlscheck::diagnose::findings::Severity::Error);
    assert_eq!(j.verdict, Verdict::Fail);
    assert!(tlscheck::diagnose::profiles::sender_office365_words(offer).starts_with("none of"));
}

#[tokio::test]
async fn ecdsa_only_sender_has_no_suite_office365_accepts() {
    let flags: &'static [&'static str] = &[
        "-tls1_2",
        "-cipher",
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
    ];
    let (s, printed) = openssl_session(flags).await;
    let offer = s.offer.as_ref().unwrap();
    assert!(offer
        .cipher_suites
        .contains(&CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256));
    assert_no_office365_suite(&s, &printed);
    let j = sender::judge(&s);
    assert!(j.findings[0].remediation[1].contains("only ECDSA suites"));
}

#[tokio::test]
async fn chacha20_only_sender_has_no_suite_office365_accepts() {
    let flags: &'static [&'static str] = &[
        "-tls1_2",
        "-cipher",
        "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-CHACHA20-POLY1305",
    ];
    let (s, printed) = openssl_session(flags).await;
    assert_no_office365_suite(&s, &printed);
}

#[tokio::test]
async fn default_openssl_sender_shares_suites_with_office365() {
    let (s, _) = openssl_session(&["-tls1_2"]).await;
    let offer = s.offer.as_ref().unwrap();
    let common = tlscheck::diagnose::profiles::office365_common_suites(&offer.cipher_suites);
    assert_eq!(
        common.first(),
        Some(&CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
    );
    assert!(!sender::judge(&s)
        .findings
        .iter()
        .any(|f| f.id == "sender-no-office365-cipher-suite"));
}
