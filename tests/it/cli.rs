//! The built binary, run as a user would: hermetic environment, exit
//! codes, JSON decoded into `serde_json::Value` (never the serializer's own
//! types), Markdown free of escape codes, server text sanitized.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::servers::smtp::{spawn, AfterStarttls, Behaviour, Tls};
use crate::servers::tls::{ca_pem, identity, openssl_acceptor, rustls_config, Leaf};

/// Runs tlscheck with `args` in a clean environment.
pub(crate) fn tlscheck(args: &[&str]) -> Output {
    tlscheck_stdin(args, None)
}

pub(crate) fn tlscheck_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlscheck"));
    cmd.args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/bin:/bin")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

pub(crate) fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

pub(crate) fn ca_file() -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(ca_pem().as_bytes()).unwrap();
    f
}

#[test]
fn help_lists_examples_and_exit_codes() {
    let o = tlscheck(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for needle in [
        "Exit codes:",
        "tlscheck contoso.com",
        "--format",
        "explain",
        "--port",
    ] {
        assert!(out.contains(needle), "{needle} missing from --help");
    }
    assert!(stdout(&tlscheck(&["-V"])).starts_with("tlscheck "));
}

#[test]
fn wrong_arguments_are_usage_errors_with_a_suggestion() {
    let o = tlscheck(&["contoso.com", "--formt", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--format"), "{}", stderr(&o));
    let o = tlscheck(&["user@contoso.com"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("contoso.com"), "{}", stderr(&o));
    let o = tlscheck(&[]);
    assert_eq!(o.status.code(), Some(2));
    let o = tlscheck(&["x.test", "--timeout", "-1"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn modern_server_passes_with_exit_0_and_documented_json() {
    let server = spawn(Behaviour::with_tls(Tls::Rustls(rustls_config(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        &identity(Leaf::Good),
    ))));
    let ca = ca_file();
    let addr = server.addr.to_string();
    let o = tlscheck(&[
        &addr,
        "--format",
        "json",
        "--timeout",
        "3",
        "--ca-file",
        ca.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "tlscheck");
    assert_eq!(v["exit_code"], 0);
    assert!(v["started_at"].as_str().unwrap().ends_with('Z'));
    let t = &v["targets"][0];
    assert_eq!(t["mode"], "address");
    assert_eq!(t["verdict"], "pass");
    let s = &t["servers"][0];
    assert_eq!(s["port"], server.addr.port());
    assert_eq!(s["starttls"], "offered");
    assert_eq!(s["requires_tls"], false);
    assert!(s["banner"].as_str().unwrap().starts_with("220 "));
    assert!(s["ehlo_extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "STARTTLS"));
    for (v, want) in [
        ("1.0", "rejected"),
        ("1.1", "rejected"),
        ("1.2", "accepted"),
        ("1.3", "accepted"),
    ] {
        assert_eq!(s["versions"][v]["result"], want, "{v}");
        assert!(s["versions"][v]["elapsed_ms"].is_u64());
    }
    // rustls refuses a hello offering only TLS 1.0 with handshake_failure.
    assert_eq!(s["versions"]["1.0"]["alert"], "handshake_failure");
    assert!(s["versions"]["1.3"]["cipher"]
        .as_str()
        .unwrap()
        .starts_with("TLS_"));
    // Address target: chain judged, name not checked.
    assert_eq!(s["certificate"]["verdict"], "trusted_name_not_checked");
}

#[test]
fn legacy_only_server_fails_with_exit_1_and_the_seed_signatures() {
    let server = spawn(Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        openssl::ssl::SslVersion::TLS1,
        openssl::ssl::SslVersion::TLS1_1,
        &identity(Leaf::Good),
    ))));
    let o = tlscheck(&[
        &server.addr.to_string(),
        "--format",
        "json",
        "--timeout",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let t = &v["targets"][0];
    assert_eq!(t["verdict"], "fail");
    let f = &t["findings"][0];
    assert_eq!(f["id"], "legacy-tls-only");
    assert_eq!(f["severity"], "error");
    // Each signature carries its id and its text, so a dashboard can show
    // the text without the catalogue.
    let sigs: Vec<(&str, &str)> = f["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["text"].as_str().unwrap()))
        .collect();
    assert!(sigs.contains(&(
        "socket-error-421-4-4-2",
        "421 4.4.2 Connection dropped due to SocketError"
    )));
    assert!(sigs.contains(&(
        "tls-negotiation-failed-socketerror",
        "TLS negotiation failed with error SocketError"
    )));
    assert!(t["summary"].as_str().unwrap().starts_with("FAIL "));
}

#[test]
fn no_starttls_server_fails_and_names_451_5_7_3() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.advertise_starttls = false;
    let server = spawn(b);
    let o = tlscheck(&[&server.addr.to_string(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let f = &v["targets"][0]["findings"][0];
    assert_eq!(f["id"], "no-starttls");
    assert!(f["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "starttls-required-451-5-7-3"));
    assert_eq!(
        v["targets"][0]["servers"][0]["versions"]["1.2"]["reason"],
        "no_starttls"
    );
}

#[test]
fn drop_after_starttls_220_fails_as_socket_error() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.after_starttls = AfterStarttls::Close;
    let server = spawn(b);
    let o = tlscheck(&[&server.addr.to_string(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let f = &v["targets"][0]["findings"][0];
    // Every handshake dropped: the server's own TLS set-up comes first
    // (issue 12 §2), not "enable TLS 1.2".
    assert_eq!(f["id"], "tls-handshake-dropped");
    assert!(f["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "socket-error-421-4-4-2"));
}

#[test]
fn nothing_listening_is_exit_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = tlscheck(&[&format!("127.0.0.1:{port}"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert_eq!(json(&o)["targets"][0]["verdict"], "untested");
}

#[test]
fn greeting_with_escape_sequences_is_sanitized_in_text_and_markdown_exact_in_json() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.advertise_starttls = false;
    b.greeting = Some(b"220 evil\x1b[2J\x1b]0;pwned\x07 \xe2\x80\xae|cell| ESMTP\r\n".to_vec());
    let server = spawn(b);
    let addr = server.addr.to_string();
    for format in ["text", "markdown"] {
        let out = stdout(&tlscheck(&[&addr, "--format", format]));
        assert!(!out.contains('\x1b'), "{format}: raw ESC in output");
        assert!(!out.contains('\x07'), "{format}: raw BEL in output");
        assert!(!out.contains('\u{202e}'), "{format}: raw bidi override");
        // Markdown puts the visible form in a code span (no backslash
        // escapes a plain-text ticket field would show).
        let shown = if format == "text" {
            "\\x1b[2J"
        } else {
            "`evil\\x1b[2J"
        };
        assert!(out.contains(shown), "{format}: escape not shown: {out}");
    }
    let md = stdout(&tlscheck(&[&addr, "--format", "markdown"]));
    // Outside a table a pipe cannot end a cell: it is shown in a code
    // span, as it is (a `\|` there would show).
    assert!(
        md.contains("`\\u{202e}|cell|`"),
        "pipes must be in a code span in Markdown: {md}"
    );
    let v = json(&tlscheck(&[&addr, "--format", "json"]));
    assert_eq!(
        v["targets"][0]["servers"][0]["banner"],
        "220 evil\u{1b}[2J\u{1b}]0;pwned\u{7} \u{202e}|cell| ESMTP"
    );
}

#[test]
fn colour_only_when_asked_and_never_in_markdown() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.advertise_starttls = false;
    let server = spawn(b);
    let addr = server.addr.to_string();
    assert!(!stdout(&tlscheck(&[&addr])).contains('\x1b'));
    assert!(stdout(&tlscheck(&[&addr, "--color", "always"])).contains("\x1b["));
    assert!(!stdout(&tlscheck(&[
        &addr, "--color", "always", "--format", "markdown"
    ]))
    .contains('\x1b'));
}

#[test]
fn explain_recognises_a_pasted_ndr_and_says_so_for_unknown_text() {
    let ndr = "Remote Server returned '421 4.4.2 Connection dropped due to SocketError'\n\
               Diagnostic information for administrators:";
    let o = tlscheck(&["explain", ndr]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("socket-error-421-4-4-2"));
    let o = tlscheck_stdin(&["explain", "-", "--format", "json"], Some(ndr));
    assert_eq!(json(&o)["matches"][0]["id"], "socket-error-421-4-4-2");
    let o = tlscheck(&["explain", "the printer is on fire"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("No known mail-flow TLS error"));
    assert!(stdout(&o).contains("starttls-required-451-5-7-3"));
}

#[test]
fn piped_text_is_explained_without_a_dash_and_names_the_side_to_fix() {
    // `… | tlscheck explain`: no TEXT argument, standard input is a pipe.
    let ndr = "Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\n\
               Remote Server returned '550 4.4.7 QUEUE.Expired; message expired \
               [Message=450 4.4.318 Connection was closed abruptly] \
               [LastAttemptedServerName=mail.fabrikam.com] [LastAttemptedIP=198.51.100.7:25]'\n";
    let o = tlscheck_stdin(&["explain"], Some(ndr));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("exo-connection-closed-450-4-4-318"), "{out}");
    assert!(
        out.contains("the receiving server is mail.fabrikam.com [198.51.100.7]: run `tlscheck mail.fabrikam.com`"),
        "{out}"
    );
    assert!(out.contains("next    tlscheck mail.fabrikam.com"), "{out}");
    assert!(!out.contains("YOUR-DOMAIN"), "{out}");

    // A queue on the on-premises server sending to Office 365: fix the sender.
    let queue = "NextHopDomain : contoso-com.mail.protection.outlook.com\n\
                 LastError : 451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due \
                 to SocketError.\" Attempted failover to alternate host, but that did not succeed. The last endpoint \
                 attempted was 104.47.1.1:25";
    let o = tlscheck_stdin(&["explain", "--format", "json"], Some(queue));
    let v = json(&o);
    assert_eq!(v["context"]["direction"], "to_office365");
    assert!(v["context"]["advice"]
        .as_str()
        .unwrap()
        .contains("You are the sender: check your sending side"));

    // Nothing piped and no argument: a usage error, not "nothing found".
    let o = tlscheck_stdin(&["explain"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("explain"), "{}", stderr(&o));
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = tlscheck(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("tlscheck"), "{shell}");
    }
    let man = stdout(&tlscheck(&["man"]));
    assert!(man.contains(".TH tlscheck"), "{man}");
}

#[test]
fn targets_come_from_stdin_and_ndjson_has_one_line_each() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.advertise_starttls = false;
    let a = spawn(b.clone());
    let c = spawn(b);
    let input = format!("# two servers\n{}\n\n{}  # second\n", a.addr, c.addr);
    let o = tlscheck_stdin(&["-", "--format", "ndjson"], Some(&input));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Two targets, then the summary record that ends every stream.
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["kind"], "summary");
    for l in &lines[..2] {
        assert_eq!(l["schema_version"], 1);
        assert!(l["started_at"].is_string());
        assert_eq!(l["verdict"], "fail");
    }
}

#[test]
fn schannel_exit_codes_follow_the_audit() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schannel/");
    let run = |file: &str, extra: &[&str]| {
        let path = format!("{dir}{file}");
        let mut args = vec!["schannel", path.as_str()];
        args.extend_from_slice(extra);
        tlscheck(&args)
    };
    let o = run("tls12-client-disabled.reg", &["--os", "2019"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("TLS 1.2\\Client"));
    assert_eq!(
        run("hardened-2022.reg", &["--os", "2022"]).status.code(),
        Some(0)
    );
    let o = run("junk.bin", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("registry export"), "{}", stderr(&o));
}

#[test]
fn powershell_completions_register_tlscheck_and_tlscheck_exe() {
    let o = tlscheck(&["completions", "powershell"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains(
            "Register-ArgumentCompleter -Native -CommandName 'tlscheck', 'tlscheck.exe' -ScriptBlock"
        ),
        "{}",
        stdout(&o)
    );
}

#[cfg(not(windows))]
#[test]
fn schannel_local_outside_windows_is_a_usage_error_naming_reg_export() {
    let o = tlscheck(&["schannel", "--local"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(err.contains("this is not Windows"), "{err}");
    assert!(
        err.contains(
            "  reg export \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\" schannel.reg\n"
        ),
        "{err}"
    );
    assert!(err.contains("tlscheck schannel export.reg"), "{err}");
}

#[test]
fn schannel_wants_a_file_or_local_but_not_both() {
    let o = tlscheck(&["schannel"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("<FILE>"), "{}", stderr(&o));
    let o = tlscheck(&["schannel", "--local", "export.reg"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}
