//! Issue 12 §1–§3: a failure that is not about TLS gets its own finding,
//! the STARTTLS step is not the TLS version, and PASS says what was
//! tested. Each case is a server on loopback run through the binary: the
//! finding id, the verdict and the exit code.

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use serde_json::Value;

use crate::cli::{ca_file, json, tlscheck};
use crate::servers::smtp::{spawn, Behaviour, Tls};
use crate::servers::tls::{identity, openssl_acceptor, rustls_config, Leaf};
use crate::servers::{closes_after_ehlo, TestServer};

/// `tlscheck ADDR --format json --timeout T --ca-file TEST-CA`: (exit
/// code, the target).
fn check(addr: &str, timeout: &str) -> (Option<i32>, Value) {
    let ca = ca_file();
    let o = tlscheck(&[
        addr,
        "--format",
        "json",
        "--timeout",
        timeout,
        "--ca-file",
        ca.path().to_str().unwrap(),
    ]);
    let v = json(&o);
    (o.status.code(), v["targets"][0].clone())
}

fn ids(t: &Value) -> Vec<String> {
    t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn modern() -> Behaviour {
    Behaviour::with_tls(Tls::Rustls(rustls_config(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        &identity(Leaf::Good),
    )))
}

/// A server that sends `bytes` on connect and holds the connection.
fn greets_with(bytes: &'static [u8]) -> TestServer {
    TestServer::spawn(move |mut conn| {
        let _ = conn.write_all(bytes);
        let _ = conn.flush();
        std::thread::sleep(Duration::from_secs(3));
    })
}

#[test]
fn http_on_port_25_is_not_smtp_with_what_answered() {
    let server = greets_with(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n");
    let (code, t) = check(&server.addr().to_string(), "2");
    assert_eq!(ids(&t), ["not-smtp"]);
    assert!(t["findings"][0]["title"]
        .as_str()
        .unwrap()
        .contains("answers HTTP, not SMTP"));
    assert_eq!(t["servers"][0]["error"]["kind"], "not_smtp");
    assert_eq!(t["verdict"], "fail");
    assert_eq!(code, Some(1));
}

#[test]
fn ssh_and_tls_on_connect_are_named() {
    let ssh = greets_with(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    let (_, t) = check(&ssh.addr().to_string(), "2");
    assert!(t["findings"][0]["title"]
        .as_str()
        .unwrap()
        .contains("answers SSH"));
    // A TLS alert record (21, 3, 1, …): the port speaks TLS on connect.
    let tls = greets_with(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]);
    let (_, t) = check(&tls.addr().to_string(), "2");
    assert!(t["findings"][0]["title"]
        .as_str()
        .unwrap()
        .contains("answers TLS"));
}

#[test]
fn close_before_the_greeting_is_its_own_finding() {
    let server = TestServer::spawn(drop);
    let (code, t) = check(&server.addr().to_string(), "2");
    assert_eq!(ids(&t), ["closed-before-greeting"]);
    assert_eq!(code, Some(1));
}

#[test]
fn no_greeting_says_how_long_it_waited_and_is_exit_3() {
    let mut b = modern();
    b.greeting = None;
    let server = spawn(b);
    let (code, t) = check(&server.addr.to_string(), "1");
    assert_eq!(ids(&t), ["no-greeting"]);
    let f = &t["findings"][0];
    assert!(f["title"].as_str().unwrap().contains("within 3 s"), "{f}");
    assert!(f["remediation"][0].as_str().unwrap().contains("5 minutes"));
    // Nothing answered (no byte came back): UNTESTED, exit 3.
    assert_eq!(t["verdict"], "untested");
    assert_eq!(code, Some(3));
    // The TLS-on-connect step probes the port it was given, not 465.
    let addr = server.addr.to_string();
    let step = f["remediation"][1].as_str().unwrap();
    let cmd = format!("tlscheck --implicit-tls {addr}");
    assert!(step.ends_with(&cmd), "{step}");
    assert!(!step.contains("465"), "{step}");
    // Run as suggested, it goes to that same server.
    let before = server.accepted.load(std::sync::atomic::Ordering::SeqCst);
    let o = tlscheck(&[
        "--implicit-tls",
        &addr,
        "--format",
        "json",
        "--timeout",
        "1",
    ]);
    assert_eq!(json(&o)["targets"][0]["servers"][0]["key"], addr.as_str());
    assert!(server.accepted.load(std::sync::atomic::Ordering::SeqCst) > before);
}

#[test]
fn a_greeting_line_over_the_bound_is_reply_too_long() {
    let mut b = modern();
    b.greeting = Some(b"220 ".to_vec());
    b.endless = Some(vec![b'x'; 4096]);
    let server = spawn(b);
    let (code, t) = check(&server.addr.to_string(), "2");
    assert_eq!(ids(&t), ["reply-too-long"]);
    assert_eq!(code, Some(1));
}

#[test]
fn nothing_listening_is_connection_refused_and_exit_3() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (code, t) = check(&format!("127.0.0.1:{port}"), "2");
    assert_eq!(ids(&t), ["connection-refused"]);
    assert_eq!(t["verdict"], "untested");
    assert_eq!(code, Some(3));
}

#[test]
fn partial_greeting_before_the_timeout_is_in_the_transcript() {
    let mut b = modern();
    // The first line of a multi-line greeting, then nothing.
    b.greeting = Some(b"220-mx.example.test slow ESMTP\r\n".to_vec());
    b.endless = None;
    let server = spawn(b);
    let o = tlscheck(&[
        &server.addr.to_string(),
        "--format",
        "json",
        "--timeout",
        "1",
        "--transcript",
    ]);
    let v = json(&o);
    let text = v.to_string();
    assert!(
        text.contains(
            "220-mx.example.test slow ESMTP (incomplete: no end of reply before the timeout)"
        ),
        "{text}"
    );
}

#[test]
fn slow_greeting_is_noted_on_a_passing_server() {
    let mut b = modern();
    b.greeting_delay = Duration::from_secs(5);
    let server = spawn(b);
    let (code, t) = check(&server.addr.to_string(), "3");
    assert!(
        ids(&t).contains(&"slow-greeting".to_owned()),
        "{:?}",
        ids(&t)
    );
    assert_eq!(t["verdict"], "pass");
    assert_eq!(code, Some(0));
}

// --- §2 the STARTTLS step ---------------------------------------------------

fn starttls_answered(reply: &'static [u8]) -> Value {
    let mut b = modern();
    b.starttls_reply = reply.to_vec();
    let server = spawn(b);
    check(&server.addr.to_string(), "2").1
}

#[test]
fn only_454_gets_the_certificate_or_key_text() {
    let t = starttls_answered(b"454 4.7.0 TLS not available due to local problem\r\n");
    let f = &t["findings"][0];
    assert_eq!(f["id"], "starttls-refused");
    assert!(f["remediation"][0]
        .as_str()
        .unwrap()
        .contains("certificate or private key"));
    for reply in [
        &b"250 2.0.0 ok\r\n"[..],
        b"502 5.5.1 Unrecognized command\r\n",
        b"421 4.3.2 Service shutting down\r\n",
    ] {
        let t = starttls_answered(reply);
        let f = &t["findings"][0];
        // Not "refused" (454 only): no certificate/key fix attached.
        assert_eq!(f["id"], "starttls-rejected", "{f}");
        assert!(f["fix"].is_null(), "{f}");
        assert!(
            !f["remediation"][0]
                .as_str()
                .unwrap()
                .contains("private key"),
            "{f}"
        );
    }
}

#[test]
fn close_right_after_ehlo_is_starttls_dropped_not_a_version() {
    let server = TestServer::spawn(|conn| {
        let mut w = conn.try_clone().unwrap();
        let _ = w.write_all(b"220 mx.example.test ESMTP\r\n");
        let mut r = BufReader::new(conn);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if line.to_ascii_uppercase().starts_with("EHLO") {
                let _ = w.write_all(b"250-mx.example.test\r\n250 STARTTLS\r\n");
            } else if line.to_ascii_uppercase().starts_with("STARTTLS") {
                return; // close instead of answering
            } else {
                let _ = w.write_all(b"250 2.0.0 Ok\r\n");
            }
            line.clear();
        }
    });
    let (code, t) = check(&server.addr().to_string(), "2");
    let found = ids(&t);
    assert!(found.contains(&"starttls-dropped".to_owned()), "{found:?}");
    assert!(
        !found
            .iter()
            .any(|i| i.contains("tls-version") || i.contains("legacy")),
        "{found:?}"
    );
    assert_eq!(code, Some(1));
}

#[test]
fn asa_smtp_inspection_is_recognised() {
    let mut b = modern();
    b.greeting = Some(b"220 ****************************************************\r\n".to_vec());
    b.advertise_starttls = false;
    let server = spawn(b);
    let (_, t) = check(&server.addr.to_string(), "2");
    let found = ids(&t);
    assert!(found.contains(&"smtp-inspection".to_owned()), "{found:?}");
    assert!(found.contains(&"no-starttls".to_owned()), "{found:?}");
}

// --- §3 PASS says what was tested ---------------------------------------------

#[test]
fn pass_says_receiving_only_and_where_to_test_sending() {
    let server = spawn(modern());
    let (code, t) = check(&server.addr.to_string(), "2");
    let summary = t["summary"].as_str().unwrap();
    assert!(summary.starts_with("PASS "), "{summary}");
    assert!(summary.contains("receiving works"), "{summary}");
    assert!(summary.contains("tlscheck listen"), "{summary}");
    assert_eq!(code, Some(0));
}

#[test]
fn tls13_without_tls12_warns() {
    let server = spawn(Behaviour::with_tls(Tls::Rustls(rustls_config(
        &[&rustls::version::TLS13],
        &identity(Leaf::Good),
    ))));
    let (code, t) = check(&server.addr.to_string(), "2");
    assert!(ids(&t).contains(&"tls13-only".to_owned()), "{:?}", ids(&t));
    assert_eq!(t["verdict"], "warn");
    assert_eq!(code, Some(0));
}

#[test]
fn a_server_that_requires_tls_gets_the_legacy_sender_note() {
    let mut b = modern();
    b.mail_from_reply = b"530 5.7.0 Must issue a STARTTLS command first\r\n".to_vec();
    let server = spawn(b);
    let (_, t) = check(&server.addr.to_string(), "2");
    let f = t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "requires-tls")
        .cloned()
        .unwrap_or_else(|| panic!("{:?}", ids(&t)));
    assert_eq!(f["severity"], "info");
    assert!(f["remediation"][0].as_str().unwrap().contains("451 5.7.3"));
}

#[test]
fn pass_over_tls_on_connect_does_not_say_starttls() {
    let mut b = modern();
    b.implicit_tls = true;
    let server = spawn(b);
    let ca = ca_file();
    let o = tlscheck(&[
        &server.addr.to_string(),
        "--implicit-tls",
        "--format",
        "json",
        "--ca-file",
        ca.path().to_str().unwrap(),
    ]);
    let t = &json(&o)["targets"][0];
    let summary = t["summary"].as_str().unwrap();
    assert!(summary.starts_with("PASS "), "{summary}");
    assert!(summary.contains("over TLS on connect"), "{summary}");
    assert!(!summary.contains("over STARTTLS"), "{summary}");
}

/// `tlscheck ADDR --implicit-tls --format json --timeout 3 --ca-file
/// TEST-CA`: (exit code, the target).
fn check_implicit(addr: &str) -> (Option<i32>, Value) {
    let ca = ca_file();
    let o = tlscheck(&[
        addr,
        "--implicit-tls",
        "--format",
        "json",
        "--timeout",
        "3",
        "--ca-file",
        ca.path().to_str().unwrap(),
    ]);
    let v = json(&o);
    (o.status.code(), v["targets"][0].clone())
}

/// `openssl s_client -connect ADDR <flag>` (TLS on connect): true when a
/// handshake completed (a cipher was negotiated).
fn s_client_implicit(addr: &str, flag: &str) -> bool {
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-connect", addr, flag])
        .args(["-cipher", "DEFAULT:@SECLEVEL=0"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client runs");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success()
        && text
            .lines()
            .any(|l| l.starts_with("New, TLSv") && !l.contains("(NONE)"))
}

/// Issue: a TLS 1.0-only server on TLS on connect was UNTESTED (exit 3):
/// no session reached its greeting, so it counted as "nothing answered",
/// although the table showed TLS 1.0 accepted. It fails, as the same
/// server over STARTTLS does.
#[test]
fn tls10_only_on_connect_fails_with_exit_1() {
    let mut b = Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        openssl::ssl::SslVersion::TLS1,
        openssl::ssl::SslVersion::TLS1,
        &identity(Leaf::Good),
    )));
    b.implicit_tls = true;
    let server = spawn(b);
    let addr = server.addr.to_string();
    // Ground truth: OpenSSL's client finishes TLS 1.0 on connect and reads
    // the greeting; it finishes no TLS 1.2.
    assert!(s_client_implicit(&addr, "-tls1"));
    assert!(!s_client_implicit(&addr, "-tls1_2"));
    let (code, t) = check_implicit(&addr);
    assert_eq!(t["servers"][0]["versions"]["1.0"]["result"], "accepted");
    assert_eq!(t["servers"][0]["versions"]["1.2"]["result"], "rejected");
    assert!(
        ids(&t).contains(&"legacy-tls-only".to_owned()),
        "{:?}",
        ids(&t)
    );
    assert_eq!(t["verdict"], "fail");
    assert!(t["summary"].as_str().unwrap().starts_with("FAIL "));
    assert_eq!(code, Some(1));
}

/// The modern counterpart: TLS 1.2 on connect passes with exit 0, and a
/// port where nothing listens stays UNTESTED with exit 3.
#[test]
fn modern_on_connect_passes_and_nothing_listening_is_untested() {
    let mut b = Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        openssl::ssl::SslVersion::TLS1_2,
        openssl::ssl::SslVersion::TLS1_3,
        &identity(Leaf::Good),
    )));
    b.implicit_tls = true;
    let server = spawn(b);
    let addr = server.addr.to_string();
    assert!(s_client_implicit(&addr, "-tls1_2"));
    let (code, t) = check_implicit(&addr);
    assert_eq!(t["servers"][0]["versions"]["1.2"]["result"], "accepted");
    assert_eq!(t["verdict"], "pass", "{:?}", ids(&t));
    assert_eq!(code, Some(0));

    // Bind and drop: the port is free, so the connection is refused.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let (code, t) = check_implicit(&addr);
    assert_eq!(t["verdict"], "untested");
    assert_eq!(code, Some(3));
}

/// `openssl s_client -starttls smtp -connect ADDR`: its "Verify return
/// code" line.
fn s_client_verify(addr: &str) -> String {
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-connect", addr])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Verify return code: "))
        .unwrap_or_default()
        .to_owned()
}

/// Issue: a self-signed certificate with basicConstraints CA:TRUE (what
/// `openssl req -x509` makes) was "invalid" with "The certificate could
/// not be verified: the certificate could not be verified". OpenSSL calls
/// it self-signed (error 18) as it does the CA:FALSE one; tlscheck now
/// judges both alike (certificate-self-signed, WARN: opportunistic TLS
/// still works) and says the CA:TRUE one is a CA certificate.
#[test]
fn self_signed_ca_certificate_is_self_signed_and_says_ca() {
    let mut seen = Vec::new();
    for leaf in [Leaf::SelfSigned, Leaf::SelfSignedCa] {
        let server = spawn(Behaviour::with_tls(Tls::Rustls(rustls_config(
            &[&rustls::version::TLS12, &rustls::version::TLS13],
            &identity(leaf),
        ))));
        let addr = server.addr.to_string();
        assert_eq!(s_client_verify(&addr), "18 (self-signed certificate)");
        let (code, t) = check(&addr, "3");
        let cert = &t["servers"][0]["certificate"];
        assert_eq!(cert["verdict"], "self_signed", "{leaf:?}");
        assert!(cert["verdict_detail"].is_null(), "{leaf:?}");
        let f = t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "certificate-self-signed")
            .cloned()
            .unwrap_or_else(|| panic!("{leaf:?}: {:?}", ids(&t)));
        seen.push((
            f["title"].as_str().unwrap().to_owned(),
            t["verdict"].clone(),
            code,
        ));
    }
    assert_eq!(seen[0].0, "The certificate is self-signed");
    assert_eq!(
        seen[1].0,
        "The certificate is self-signed, and it is a CA certificate (basicConstraints CA:TRUE) used as the server's own certificate"
    );
    assert_eq!(seen[0].1, "warn");
    assert_eq!((&seen[0].1, seen[0].2), (&seen[1].1, seen[1].2));
}

/// Issue: a server that closes the connection right after EHLO got
/// "INCONCLUSIVE … fix: run again as suggested" and nothing suggested. The
/// headline says what happened and where; the fix is concrete.
#[test]
fn a_close_after_ehlo_is_named_with_a_concrete_next_step() {
    let server = closes_after_ehlo();
    let addr = server.addr().to_string();
    // Ground truth: OpenSSL's client gets no STARTTLS and no certificate.
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-connect", &addr])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("no peer certificate available"), "{text}");
    let (code, t) = check(&addr, "2");
    assert_eq!(ids(&t), ["tls-inconclusive"]);
    let f = &t["findings"][0];
    assert_eq!(
        f["title"],
        format!("{addr} closed the connection after EHLO (stage ehlo), before STARTTLS: no TLS version could be tested")
    );
    let summary = t["summary"].as_str().unwrap();
    assert!(summary.starts_with("INCONCLUSIVE "), "{summary}");
    assert!(
        summary.contains("closed the connection after EHLO"),
        "{summary}"
    );
    assert!(summary.contains("--ehlo"), "{summary}");
    assert!(!summary.contains("as suggested"), "{summary}");
    let steps: Vec<&str> = f["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].contains(&format!("tlscheck --ehlo mail.example.com {addr}")));
    assert!(steps[0].contains(&format!(
        "openssl s_client -starttls smtp -name mail.example.com -connect {addr}"
    )));
    assert_eq!(t["verdict"], "inconclusive");
    assert_eq!(code, Some(3));
}
