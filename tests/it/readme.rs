//! The output samples in README.md are the binary's own output against
//! in-process servers on fixed loopback addresses (127.0.0.61:2525 and
//! 127.0.0.62:2525) and the repository's SCHANNEL fixtures, with the
//! parts that change from run to run masked: times in ms and seconds,
//! this year's timestamps, the days a certificate has left (same width). The test fails when
//! a sample drifts; `scripts/readme-samples.sh` (UPDATE_README=1) rewrites
//! them.
//!
//! A sample in README.md is a fenced block after a marker line
//! `<!-- sample: NAME -->`. A block whose last line is `…` holds only the
//! first lines of the output (a prefix); otherwise all of it.

use crate::cli::{stdout, tlscheck};
use crate::servers::smtp::{spawn_on, Behaviour, SmtpServer, Tls};
use crate::servers::tls::{identity, openssl_acceptor, Leaf};

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schannel/");

fn on(ip: [u8; 4], b: Behaviour) -> SmtpServer {
    spawn_on(std::net::IpAddr::from(ip), 2525, b)
        .unwrap_or_else(|e| panic!("README sample server on {ip:?}:2525: {e}"))
}

/// An Exchange 2010-style server: TLS 1.0 and 1.1 only (OpenSSL), a
/// Microsoft banner.
fn legacy_exchange() -> SmtpServer {
    let mut b = Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        openssl::ssl::SslVersion::TLS1,
        openssl::ssl::SslVersion::TLS1_1,
        &identity(Leaf::Good),
    )));
    b.greeting = Some(
        b"220 mail.fabrikam.test Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026 17:42:28 +0000\r\n"
            .to_vec(),
    );
    on([127, 0, 0, 61], b)
}

fn no_starttls() -> SmtpServer {
    let mut b = Behaviour::with_tls(Tls::None);
    b.advertise_starttls = false;
    on([127, 0, 0, 62], b)
}

/// Replaces what changes from run to run.
fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let shape = |at: usize, pat: &str| {
        pat.chars().enumerate().all(|(k, p)| {
            chars.get(at + k).is_some_and(|c| match p {
                'd' => c.is_ascii_digit(),
                other => *c == other,
            })
        })
    };
    let word_start = |at: usize| at == 0 || !chars[at - 1].is_ascii_alphanumeric();
    while i < chars.len() {
        // 2026-11-28T17:42:28Z: the run's time, not a certificate's
        // fixed dates.
        if shape(i, "20dd-dd-ddTdd:dd:ddZ") {
            out.push_str("2026-11-28T17:42:28Z");
            i += 20;
            continue;
        }
        // 0.006s (transcript times)
        if word_start(i) && shape(i, "d.ddds") {
            out.push_str("0.005s");
            i += 6;
            continue;
        }
        // 12 ms
        if word_start(i) && chars[i].is_ascii_digit() {
            let mut j = i;
            while chars.get(j).is_some_and(char::is_ascii_digit) {
                j += 1;
            }
            if shape(j, " ms") && !chars.get(j + 3).is_some_and(|c| c.is_ascii_alphanumeric()) {
                out.push_str("5 ms");
                i = j + 3;
                continue;
            }
            if chars
                .get(j..j + 5)
                .is_some_and(|w| w.iter().collect::<String>() == " days")
            {
                out.push_str(&"9".repeat(j - i));
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Runs tlscheck and masks its output.
fn run(args: &[&str]) -> String {
    let mut out = stdout(&tlscheck(args));
    // A ticket names the machine it ran on.
    if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        out = out.replace(&format!("host {},", h.trim()), "host mailadmin-pc,");
    }
    mask(&out)
}

/// The JSON excerpt: the keys a CI job reads first.
fn json_excerpt(doc: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(doc).unwrap();
    let t = &v["targets"][0];
    let s = &t["servers"][0];
    let f = &t["findings"][0];
    let excerpt = serde_json::json!({
        "kind": v["kind"],
        "schema_version": v["schema_version"],
        "tool": v["tool"],
        "exit_code": v["exit_code"],
        "targets": [{
            "input": t["input"], "mode": t["mode"], "verdict": t["verdict"],
            "servers": [{
                "key": s["key"], "verdict": s["verdict"], "starttls": s["starttls"],
                "server_software": s["server_software"],
                "accepted_versions": s["accepted_versions"],
                "versions": { "1.2": {
                    "result": s["versions"]["1.2"]["result"],
                    "alert": s["versions"]["1.2"]["alert"],
                    "stage": s["versions"]["1.2"]["stage"],
                } },
            }],
            "findings": [{
                "id": f["id"], "severity": f["severity"], "servers": f["servers"],
                "signatures": f["signatures"].as_array().unwrap().iter()
                    .map(|x| x["id"].clone()).collect::<Vec<_>>(),
            }],
        }],
    });
    serde_json::to_string_pretty(&excerpt).unwrap() + "\n"
}

/// `tlscheck listen --once` with a TLS-1.0-only OpenSSL sender (the
/// system's `openssl s_client`), the sender's port fixed for the sample.
fn listen_sample() -> String {
    use std::process::{Command, Stdio};
    let bind = "127.0.0.63:2526";
    let child = Command::new(env!("CARGO_BIN_EXE_tlscheck"))
        .args([
            "listen",
            "--bind",
            bind,
            "--once",
            "--wait",
            "20",
            "--timeout",
            "5",
        ])
        .env_clear()
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it listens (the kernel has the socket bound), without
    // connecting: a connection would be the one session it takes.
    for _ in 0..100 {
        let listening = std::fs::read_to_string("/proc/net/tcp")
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains(":09DE ") && l.contains(" 0A "));
        if listening {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-connect", bind, "-tls1"])
        .args([
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
            "-name",
            "mx1.sender.example",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // The sender's source port changes every run.
    let mut fixed = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        fixed.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        fixed.push_str(if digits > 0 { "42424" } else { "" });
        rest = &tail[digits..];
    }
    fixed.push_str(rest);
    format!("$ tlscheck listen --bind {bind} --once\n{}", mask(&fixed))
}

/// Every sample, by name, from the current binary.
fn samples() -> Vec<(&'static str, String)> {
    let legacy = legacy_exchange();
    let la = legacy.addr.to_string();
    let plain = no_starttls();
    let pa = plain.addr.to_string();
    let reg = format!("{FIXTURES}tls12-client-disabled.reg");
    let mut v = vec![
        ("legacy-text", run(&[&la, "--timeout", "3"])),
        (
            "legacy-markdown",
            run(&[&la, "--timeout", "3", "--format", "markdown"]),
        ),
        ("no-starttls", run(&[&pa, "--timeout", "3"])),
        (
            "explain",
            format!(
                "$ tlscheck explain \"451 5.7.3 Must issue a STARTTLS command first\"\n{}",
                run(&["explain", "451 5.7.3 Must issue a STARTTLS command first"])
            ),
        ),
        (
            "schannel",
            format!(
                "$ tlscheck schannel export.reg --os 2019\n{}",
                run(&["schannel", &reg, "--os", "2019"]).replace(&reg, "export.reg")
            ),
        ),
    ];
    // An NDR pasted through a pipe (no `-`): explain says which side.
    let ndr = "Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\n\
               Remote Server returned '450 4.4.318 Connection was closed abruptly'\n\
               [LastAttemptedServerName=mail.fabrikam.com] [LastAttemptedIP=198.51.100.7:25]\n";
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_tlscheck"))
        .arg("explain")
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            if let Some(mut i) = c.stdin.take() {
                i.write_all(ndr.as_bytes())?;
            }
            c.wait_with_output()
        })
        .unwrap();
    v.push((
        "explain-piped",
        format!(
            "$ pbpaste | tlscheck explain\n{}",
            mask(&String::from_utf8_lossy(&piped.stdout))
        ),
    ));
    v.push(("listen", listen_sample()));
    let transcript = run(&[&la, "--timeout", "3", "--transcript"]);
    let from = transcript.find("    -- TLS 1.0 probe").unwrap_or(0);
    v.push(("transcript", transcript[from..].to_owned()));
    let doc = stdout(&tlscheck(&[&la, "--timeout", "3", "--format", "json"]));
    v.push(("json", mask(&json_excerpt(&doc))));
    v
}

/// The README with each sample block replaced by `get(name, old_block)`;
/// and the names of the blocks found.
fn rewrite(readme: &str, mut get: impl FnMut(&str, &str) -> String) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut names = Vec::new();
    let mut rest = readme;
    while let Some(at) = rest.find("<!-- sample: ") {
        let (before, from_marker) = rest.split_at(at);
        out.push_str(before);
        let end_marker = from_marker.find("-->").expect("unclosed sample marker") + 3;
        let name = from_marker[13..end_marker - 3].trim().to_owned();
        out.push_str(&from_marker[..end_marker]);
        let after = &from_marker[end_marker..];
        let open = after.find("```").expect("sample without a fenced block");
        let fence_line_end = open + after[open..].find('\n').unwrap() + 1;
        out.push_str(&after[..fence_line_end]);
        let body = &after[fence_line_end..];
        let close = if body.starts_with("```") {
            0
        } else {
            body.find("\n```").map_or(0, |c| c + 1)
        };
        out.push_str(&get(&name, &body[..close]));
        names.push(name);
        rest = &body[close..];
    }
    out.push_str(rest);
    (out, names)
}

/// What a block should hold: the whole output, or its first lines when
/// the block ends in `…`.
fn expected_block(old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    if old_lines.last() == Some(&"…") {
        let keep = old_lines.len() - 1;
        let mut s: String = new.lines().take(keep).map(|l| format!("{l}\n")).collect();
        s.push_str("…\n");
        s
    } else {
        new.to_owned()
    }
}

#[test]
fn readme_samples_are_the_current_output() {
    let samples = samples();
    let readme = std::fs::read_to_string(README).unwrap();
    let mut missing = Vec::new();
    let (new, names) = rewrite(&readme, |name, old| {
        match samples.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => expected_block(old, text),
            None => {
                missing.push(name.to_owned());
                old.to_owned()
            }
        }
    });
    assert!(
        missing.is_empty(),
        "README samples without a generator: {missing:?}"
    );
    for (n, _) in &samples {
        assert!(
            names.iter().any(|x| x == n),
            "sample {n} is not in README.md"
        );
    }
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(README, &new).unwrap();
        return;
    }
    if new != readme {
        let diff: Vec<String> = readme
            .lines()
            .zip(new.lines())
            .filter(|(a, b)| a != b)
            .take(5)
            .map(|(a, b)| format!("- {a}\n+ {b}"))
            .collect();
        panic!(
            "README.md samples differ from the current output; run scripts/readme-samples.sh\n{}",
            diff.join("\n")
        );
    }
}

#[test]
fn masking_hides_times_ports_and_timestamps_only() {
    let m = mask(
        "starttls-required 127.0.0.61:2525 12 ms at 2026-12-01T05:04:35Z 0.006s; 10 msgs; \
         valid 1975-01-01T00:00:00Z (755717 days left)",
    );
    assert_eq!(
        m,
        "starttls-required 127.0.0.61:2525 5 ms at 2026-11-28T17:42:28Z 0.005s; 10 msgs; \
         valid 1975-01-01T00:00:00Z (999999 days left)"
    );
}
