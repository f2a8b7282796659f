//! The hostile-server battery (issue #5): one in-process server per
//! misbehaviour, each with the classification tlscheck must give and an
//! upper bound on time derived from the configured timeouts (never a fixed
//! wall-clock figure).

use std::process::Stdio;
use std::time::{Duration, Instant};

use rustls::AlertDescription;
use tlscheck::model::{NotTested, Rejection, ServerObservation, Stage, TlsVersion, VersionResult};
use tlscheck::net::probe::probe_server;
use tlscheck::net::smtp::Timeouts;

use crate::probe::{config, table};
use crate::servers::smtp::{spawn, AfterStarttls, Behaviour, PostTls, Tls};
use crate::servers::tls::{identity, rustls_config, Leaf};

/// A short stage budget keeps the battery fast; bounds derive from it.
const STAGE: Duration = Duration::from_millis(800);

fn timeouts() -> Timeouts {
    Timeouts::from_stage_budget(STAGE)
}

/// Slack for scheduling on a loaded 2-core machine, from the budget.
fn slack() -> Duration {
    STAGE * 2
}

async fn run(b: Behaviour) -> (ServerObservation, Duration) {
    let server = spawn(b);
    let (cfg, _cancel) = config(STAGE);
    let started = Instant::now();
    let o = probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await;
    let took = started.elapsed();
    // For the record (`cargo test --test it hostile -- --nocapture`).
    eprintln!("  -> {:?} in {} ms", table(&o), took.as_millis());
    (o, took)
}

fn plain() -> Behaviour {
    Behaviour::with_tls(Tls::None)
}

fn modern() -> Behaviour {
    Behaviour::with_tls(Tls::Rustls(rustls_config(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        &identity(Leaf::Good),
    )))
}

/// Every version was not tested because the greeting stage failed.
fn assert_greeting_failed(o: &ServerObservation, timed_out: bool, words: &str) {
    let e = o.error.as_ref().expect("a probe failure");
    assert_eq!(e.stage, Stage::Greeting, "{e:?}");
    assert_eq!(e.timed_out, timed_out, "{e:?}");
    assert!(e.message.contains(words), "{:?} lacks {words:?}", e.message);
    for p in &o.versions {
        assert!(
            matches!(
                &p.result,
                VersionResult::NotTested(NotTested::EarlierStage {
                    stage: Stage::Greeting,
                    ..
                })
            ),
            "{:?}",
            p.result
        );
    }
}

#[tokio::test]
async fn never_sends_a_greeting() {
    let mut b = plain();
    b.greeting = None;
    let (o, took) = run(b).await;
    assert_greeting_failed(&o, true, "timed out");
    assert!(took < timeouts().greeting + slack(), "{took:?}");
}

#[tokio::test]
async fn tarpit_greeting_within_the_greeting_timeout_is_waited_for() {
    let mut b = modern();
    // Longer than a stage, shorter than the greeting's own budget.
    b.greeting_delay = STAGE + STAGE / 2;
    let (o, took) = run(b).await;
    assert!(o.error.is_none(), "{:?}", o.error);
    assert_eq!(table(&o), ["rejected", "rejected", "accepted", "accepted"]);
    assert!(took >= b_delay(), "{took:?}");
}

fn b_delay() -> Duration {
    STAGE + STAGE / 2
}

#[tokio::test]
async fn tarpit_greeting_past_the_greeting_timeout_times_out() {
    let mut b = plain();
    b.greeting_delay = timeouts().greeting + STAGE * 3;
    let (o, took) = run(b).await;
    assert_greeting_failed(&o, true, "timed out");
    assert!(took < timeouts().greeting + slack(), "{took:?}");
}

#[tokio::test]
async fn one_byte_per_second_ends_at_the_greeting_timeout() {
    let mut b = plain();
    b.drip = Some(Duration::from_secs(1));
    let (o, took) = run(b).await;
    assert_greeting_failed(&o, true, "timed out");
    assert!(took < timeouts().greeting + slack(), "{took:?}");
}

#[tokio::test]
async fn endless_line_without_crlf_is_a_protocol_error() {
    let mut b = plain();
    b.greeting = Some(b"220 ".to_vec());
    b.endless = Some(vec![b'x'; 4096]);
    let (o, took) = run(b).await;
    assert_greeting_failed(&o, false, "longer than 2048 bytes");
    assert!(took < STAGE + slack(), "{took:?}");
}

#[tokio::test]
async fn endless_multi_line_reply_is_a_protocol_error() {
    let mut b = plain();
    b.greeting = Some(Vec::new());
    b.endless = Some(b"220-more and more\r\n".to_vec());
    let (o, took) = run(b).await;
    assert_greeting_failed(&o, false, "longer than 128 lines");
    assert!(took < STAGE + slack(), "{took:?}");
}

#[tokio::test]
async fn http_ssh_and_binary_banners_are_not_smtp() {
    for banner in [
        &b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n"[..],
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
        b"\x00\xff\x16\x03\x01\x02\x00",
    ] {
        let mut b = plain();
        b.greeting = Some(banner.to_vec());
        let (o, took) = run(b).await;
        assert_greeting_failed(&o, false, "not an SMTP reply");
        assert!(took < STAGE + slack(), "{took:?}");
    }
}

#[tokio::test]
async fn greeting_554_is_a_policy_refusal() {
    let mut b = plain();
    b.greeting = Some(b"554 5.7.1 mx.example.test: client host blocked\r\n".to_vec());
    let (o, _) = run(b).await;
    assert_eq!(o.banner.as_ref().unwrap().code, 554);
    assert!(o.versions.iter().all(|p| matches!(
        &p.result,
        VersionResult::NotTested(NotTested::GreetingRejected(r)) if r.code == 554
    )));
}

#[tokio::test]
async fn greeting_421_too_many_connections_is_retried_then_throttled() {
    let mut b = plain();
    b.greeting =
        Some(b"421 4.7.0 mx.example.test Error: too many connections from 127.0.0.1\r\n".to_vec());
    let (o, _) = run(b).await;
    assert!(o.versions.iter().all(|p| matches!(
        &p.result,
        VersionResult::NotTested(NotTested::Throttled(r)) if r.code == 421
    )));
    // The retry is in the transcript.
    assert!(o.versions[0]
        .transcript
        .iter()
        .any(|e| e.text.contains("per-client limit")));
}

#[tokio::test]
async fn ehlo_refused_then_helo() {
    let mut b = plain();
    b.ehlo_refused = true;
    let (o, _) = run(b).await;
    assert!(o.ehlo.as_ref().unwrap().used_helo);
    // HELO lists no extensions: STARTTLS could not be seen, which is not
    // "not offered" (the tryout's Postfix with smtpd_helo_restrictions).
    assert_eq!(o.starttls, tlscheck::model::StarttlsStatus::Unknown);
    assert!(o.versions.iter().all(|p| matches!(
        &p.result,
        VersionResult::NotTested(NotTested::EhloRefused(r)) if r.code == 502
    )));
}

#[tokio::test]
async fn plaintext_after_starttls_220_is_unknown() {
    let mut b = plain();
    b.after_starttls = AfterStarttls::Plaintext(b"220 mx.example.test ESMTP again\r\n".to_vec());
    let (o, took) = run(b).await;
    assert_eq!(table(&o), ["unknown", "unknown", "unknown", "unknown"]);
    assert!(took < timeouts().handshake + slack(), "{took:?}");
}

#[tokio::test]
async fn reset_when_the_client_hello_arrives_is_dropped() {
    let mut b = plain();
    b.after_starttls = AfterStarttls::ResetOnHello;
    let (o, _) = run(b).await;
    assert_eq!(table(&o), ["dropped", "dropped", "dropped", "dropped"]);
}

#[tokio::test]
async fn silent_after_client_hello_times_out_at_the_handshake() {
    let mut b = plain();
    b.after_starttls = AfterStarttls::Silent;
    let (o, took) = run(b).await;
    for p in &o.versions {
        assert_eq!(
            p.result,
            VersionResult::Timeout {
                stage: Stage::Handshake
            }
        );
    }
    assert!(took < timeouts().handshake + slack(), "{took:?}");
}

/// A TLS record: content type, version, length-prefixed body.
fn record(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type];
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// A ServerHello handshake message (RFC 5246 §7.4.1.3).
fn server_hello(version: u16, cipher: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes()); // server_version
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // session_id: empty
    body.extend_from_slice(&cipher.to_be_bytes()); // cipher_suite
    body.push(0); // compression_method: null
    let mut msg = vec![0x02]; // msg_type: server_hello
    msg.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]); // u24 length
    msg.extend_from_slice(&body);
    msg
}

fn raw(bytes: Vec<u8>) -> Behaviour {
    let mut b = plain();
    b.after_starttls = AfterStarttls::Raw(bytes);
    b
}

#[tokio::test]
async fn server_hello_claiming_more_than_it_sends_times_out() {
    let mut hello = server_hello(0x0301, 0xc014);
    hello[1] = 0x01; // u24 length: 64 KiB more than follows; the rest never comes
    let bytes = record(0x16, 0x0301, &hello);
    let (o, took) = run(raw(bytes)).await;
    // tlscheck's codec allows handshake messages up to 256 KiB and waits
    // for the rest; rustls allows less and calls it malformed at once.
    for v in [TlsVersion::Tls10, TlsVersion::Tls11] {
        assert_eq!(
            o.version(v).unwrap().result,
            VersionResult::Timeout {
                stage: Stage::Handshake
            },
            "{v}"
        );
    }
    for v in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let r = &o.version(v).unwrap().result;
        assert!(
            matches!(
                r,
                VersionResult::Unknown {
                    stage: Stage::Handshake,
                    ..
                }
            ),
            "{v}: {r:?}"
        );
    }
    assert!(took < timeouts().handshake + slack(), "{took:?}");
}

#[tokio::test]
async fn server_hello_with_a_length_shorter_than_its_fields_is_unknown() {
    let mut hello = server_hello(0x0301, 0xc014);
    hello[3] = 0x10; // u24 length: 16, but the fields take 38
    let mut bytes = record(0x16, 0x0301, &hello);
    bytes.extend(record(0x16, 0x0301, &[0x0e, 0, 0, 0])); // ServerHelloDone
    let (o, took) = run(raw(bytes)).await;
    for v in [TlsVersion::Tls10, TlsVersion::Tls11] {
        let r = &o.version(v).unwrap().result;
        assert!(
            matches!(
                r,
                VersionResult::Unknown {
                    stage: Stage::Handshake,
                    ..
                }
            ),
            "{v}: {r:?}"
        );
    }
    assert!(o.versions.iter().all(|p| !p.result.is_accepted()));
    assert!(took < timeouts().handshake + slack(), "{took:?}");
}

#[tokio::test]
async fn truncated_record_then_silence_times_out() {
    let full = record(0x16, 0x0301, &server_hello(0x0301, 0xc014));
    let (o, _) = run({
        let mut b = plain();
        b.after_starttls = AfterStarttls::Raw(full[..20].to_vec());
        // Raw waits for the client to leave; the client waits for the rest.
        b
    })
    .await;
    // Half a record and silence: the handshake stage times out.
    for p in &o.versions {
        assert_eq!(
            p.result,
            VersionResult::Timeout {
                stage: Stage::Handshake
            },
            "{}",
            p.version
        );
    }
}

#[tokio::test]
async fn server_hello_with_an_unknown_version_is_not_accepted() {
    let bytes = record(0x16, 0x0301, &server_hello(0x0305, 0xc014));
    let (o, _) = run(raw(bytes)).await;
    for v in [TlsVersion::Tls10, TlsVersion::Tls11] {
        assert_eq!(
            o.version(v).unwrap().result,
            VersionResult::Rejected(Rejection::OtherVersion {
                offered: v,
                answered: 0x0305
            }),
            "{v}"
        );
    }
    assert!(o.versions.iter().all(|p| !p.result.is_accepted()));
}

#[tokio::test]
async fn answering_tls10_with_tls12_is_a_rejection_naming_the_version() {
    let bytes = record(0x16, 0x0303, &server_hello(0x0303, 0xc02f));
    let (o, _) = run(raw(bytes)).await;
    assert_eq!(
        o.version(TlsVersion::Tls10).unwrap().result,
        VersionResult::Rejected(Rejection::OtherVersion {
            offered: TlsVersion::Tls10,
            answered: 0x0303
        })
    );
}

#[tokio::test]
async fn server_hello_with_a_cipher_never_offered_is_unknown() {
    // TLS_NULL_WITH_NULL_NULL: no client ever offers it.
    let bytes = record(0x16, 0x0301, &server_hello(0x0301, 0x0000));
    let (o, _) = run(raw(bytes)).await;
    match &o.version(TlsVersion::Tls10).unwrap().result {
        VersionResult::Unknown { detail, .. } => assert!(detail.contains("offer"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn huge_certificate_chain_is_cut_at_the_bound() {
    let mut bytes = record(0x16, 0x0301, &server_hello(0x0301, 0xc014));
    // A Certificate message claiming 16 MiB, then records of filler that
    // never end: memory must stay bounded and the probe must end.
    bytes.extend(record(
        0x16,
        0x0301,
        &[0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc],
    ));
    let filler = record(0x16, 0x0301, &[0x30; 16 * 1024]);
    for _ in 0..64 {
        bytes.extend_from_slice(&filler);
    }
    let (o, took) = run(raw(bytes)).await;
    // The flight is cut at the bound instead of being buffered; a
    // ServerHello alone is not acceptance (issue 11): the version stays
    // undecided, never "accepted".
    let p = o.version(TlsVersion::Tls10).unwrap();
    assert!(
        matches!(&p.result, VersionResult::Unknown { detail, .. } if detail.contains("after the server's ServerHello")),
        "{:?}",
        p.result
    );
    assert!(p.result.is_undecided());
    assert!(p.chain.is_empty());
    assert!(took < timeouts().handshake + slack(), "{took:?}");
}

#[tokio::test]
async fn every_class_of_alert_is_named() {
    let alerts = [
        (2u8, 40u8, AlertDescription::HandshakeFailure),
        (2, 70, AlertDescription::ProtocolVersion),
        (2, 71, AlertDescription::InsufficientSecurity),
        (2, 80, AlertDescription::InternalError),
        (2, 47, AlertDescription::IllegalParameter),
        (2, 86, AlertDescription::InappropriateFallback),
        (2, 200, AlertDescription::Unknown(200)),
        (1, 90, AlertDescription::UserCanceled),
    ];
    for (level, code, desc) in alerts {
        let (o, _) = run(raw(record(0x15, 0x0301, &[level, code]))).await;
        for v in [TlsVersion::Tls10, TlsVersion::Tls11] {
            assert_eq!(
                o.version(v).unwrap().result,
                VersionResult::Rejected(Rejection::Alert(desc)),
                "{v} level {level} alert {code}"
            );
        }
        if level == 2 {
            assert_eq!(
                o.version(TlsVersion::Tls13).unwrap().result,
                VersionResult::Rejected(Rejection::Alert(desc)),
                "1.3 alert {code}"
            );
        }
    }
}

#[tokio::test]
async fn silent_after_the_handshake_still_counts_as_accepted() {
    let mut b = modern();
    b.post_tls = PostTls::Silent;
    let (o, took) = run(b).await;
    assert_eq!(table(&o), ["rejected", "rejected", "accepted", "accepted"]);
    let p = o.version(TlsVersion::Tls12).unwrap();
    assert!(p.post_tls_ehlo.is_none());
    assert!(p
        .transcript
        .iter()
        .any(|e| e.text.contains("EHLO inside TLS failed")));
    assert!(took < timeouts().command * 2 + slack(), "{took:?}");
}

#[tokio::test]
async fn starttls_advertised_again_inside_tls_is_noted() {
    let mut b = modern();
    b.post_tls = PostTls::ReadvertiseStarttls;
    let (o, _) = run(b).await;
    let p = o.version(TlsVersion::Tls13).unwrap();
    assert!(p.result.is_accepted());
    assert!(p.transcript.iter().any(|e| e.text.contains("RFC 3207")));
}

#[tokio::test]
async fn deadline_cuts_every_probe_and_names_the_stage() {
    let mut b = plain();
    b.greeting = None;
    let server = spawn(b);
    let (mut cfg, _cancel) = config(Duration::from_secs(30));
    let budget = Duration::from_millis(600);
    cfg.deadline = Some(tokio::time::Instant::now() + budget);
    let started = Instant::now();
    let o = probe_server(&cfg, None, server.addr, None).await;
    assert!(
        started.elapsed() < budget + slack(),
        "{:?}",
        started.elapsed()
    );
    for p in &o.versions {
        assert_eq!(
            p.result,
            VersionResult::NotTested(NotTested::Deadline {
                stage: Stage::Greeting
            })
        );
    }
}

#[tokio::test]
async fn cancel_marks_unfinished_probes_interrupted() {
    let mut b = plain();
    b.greeting = None;
    let server = spawn(b);
    let (cfg, cancel) = config(Duration::from_secs(30));
    let started = Instant::now();
    let probe = probe_server(&cfg, None, server.addr, None);
    let stop = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.send(true).unwrap();
    };
    let (o, ()) = tokio::join!(probe, stop);
    assert!(started.elapsed() < Duration::from_millis(300) + slack());
    for p in &o.versions {
        assert_eq!(p.result, VersionResult::NotTested(NotTested::Interrupted));
    }
}

#[test]
fn ctrl_c_prints_the_partial_report_and_exits_130() {
    let mut b = plain();
    b.greeting = None;
    let server = spawn(b);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tlscheck"))
        .args([
            &server.addr.to_string(),
            "--format",
            "json",
            "--timeout",
            "30",
        ])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["interrupted"], true);
    assert_eq!(
        v["targets"][0]["servers"][0]["versions"]["1.2"]["reason"],
        "interrupted"
    );
}

#[test]
fn deadline_flag_ends_the_run_with_timeouts() {
    let mut b = plain();
    b.greeting = None;
    let server = spawn(b);
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlscheck"))
        .args([
            &server.addr.to_string(),
            "--format",
            "json",
            "--timeout",
            "30",
            "--deadline",
            "1",
        ])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1) + slack() * 2,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["interrupted"], true);
    assert_eq!(v["targets"][0]["interrupted"], true);
    assert_eq!(v["targets"][0]["verdict"], "inconclusive");
    let v10 = &v["targets"][0]["servers"][0]["versions"]["1.0"];
    assert_eq!(v10["result"], "not_tested");
    assert_eq!(v10["reason"], "deadline");
    assert_eq!(v10["stage"], "greeting");
    // No finding built on a cut run: not "unreachable", no 4.4.316.
    let findings = v["targets"][0]["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["severity"] != "error"),
        "{findings:#?}"
    );
}
