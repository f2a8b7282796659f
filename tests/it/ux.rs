//! Issue 17, CI and scripts: bad lines of a target list, NDJSON summary,
//! JSON keys for jq (server keys, accepted versions, version list), `kind`
//! and `tool` on every document, mistyped subcommands and bad values as
//! usage errors, the man pages. The built binary against in-process
//! servers on loopback.

use serde_json::Value;

use crate::cli::{json, stderr, stdout, tlscheck, tlscheck_stdin};
use crate::servers::smtp::{spawn, Behaviour, Tls};
use crate::servers::tls::{identity, openssl_acceptor, rustls_config, Leaf};

const SCHANNEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schannel/");

fn no_starttls() -> crate::servers::smtp::SmtpServer {
    let mut b = Behaviour::with_tls(Tls::None);
    b.advertise_starttls = false;
    spawn(b)
}

fn lines(o: &std::process::Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_bad_line_of_the_target_list_is_reported_where_it_is_and_the_rest_is_checked() {
    let (a, b) = (no_starttls(), no_starttls());
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        list.path(),
        format!(
            "# servers\n{}\nhost:25:extra\n\n{}  # second\nfoo bar\n",
            a.addr, b.addr
        ),
    )
    .unwrap();
    let path = list.path().to_str().unwrap();
    // Text: both servers checked, each bad line as FILE:LINE on stderr and
    // as INVALID in the report, exit 2 at the end.
    let o = tlscheck(&["--input", path, "--timeout", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{path}:3: \"host:25:extra\" is not HOST:PORT")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{path}:6: \"foo bar\" contains spaces")),
        "{err}"
    );
    let out = stdout(&o);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("FAIL ")).count(),
        2,
        "{out}"
    );
    assert!(out.contains(&format!("INVALID {path}:3:")), "{out}");
    // JSON: the targets and an invalid array, exit_code 2.
    let o = tlscheck(&["--input", path, "--timeout", "3", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["kind"], "run");
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["targets"].as_array().unwrap().len(), 2);
    let bad = v["invalid"].as_array().unwrap();
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[0]["kind"], "invalid");
    assert_eq!(bad[0]["file"], path);
    assert_eq!(bad[0]["line"], 3);
    assert_eq!(bad[0]["input"], "host:25:extra");
    assert_eq!(bad[1]["line"], 6);
    // NDJSON: targets, invalid lines, then the summary record.
    let o = tlscheck(&["--input", path, "--timeout", "3", "--format", "ndjson"]);
    assert_eq!(o.status.code(), Some(2));
    let l = lines(&o);
    let kinds: Vec<&str> = l.iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["target", "target", "invalid", "invalid", "summary"]);
    let s = &l[4];
    assert_eq!(s["targets"], 2);
    assert_eq!(s["verdicts"]["fail"], 2);
    assert_eq!(s["invalid"], 2);
    assert_eq!(s["exit_code"], 2);
    assert_eq!(s["tool"]["name"], "tlscheck");
    // Standard input names itself.
    let o = tlscheck_stdin(
        &["-", "--timeout", "3"],
        Some(&format!("{}\nx y\n", a.addr)),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("standard input:2: \"x y\""),
        "{}",
        stderr(&o)
    );
    // A bad target on the command line is still a usage error at once.
    let o = tlscheck(&["host:25:extra", &a.addr.to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
}

#[test]
fn ndjson_ends_with_a_summary_of_the_verdicts_and_the_exit_code() {
    let a = no_starttls();
    let good = spawn(Behaviour::with_tls(Tls::Rustls(rustls_config(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        &identity(Leaf::Good),
    ))));
    let ca = crate::cli::ca_file();
    let o = tlscheck(&[
        &a.addr.to_string(),
        &good.addr.to_string(),
        "--format",
        "ndjson",
        "--timeout",
        "3",
        "--ca-file",
        ca.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let l = lines(&o);
    assert_eq!(l.len(), 3);
    assert!(l[..2].iter().all(|x| x["kind"] == "target"));
    let last = &l[2];
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["targets"], 2);
    assert_eq!(last["verdicts"]["fail"], 1);
    assert_eq!(last["verdicts"]["pass"], 1);
    assert_eq!(last["invalid"], 0);
    assert_eq!(last["exit_code"], 1);
}

#[test]
fn json_links_findings_to_servers_and_lists_accepted_versions() {
    let legacy = spawn(Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        openssl::ssl::SslVersion::TLS1,
        openssl::ssl::SslVersion::TLS1_1,
        &identity(Leaf::Good),
    ))));
    let good = spawn(Behaviour::with_tls(Tls::Rustls(rustls_config(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        &identity(Leaf::Good),
    ))));
    let ca = crate::cli::ca_file();
    let (lk, gk) = (legacy.addr.to_string(), good.addr.to_string());
    let o = tlscheck(&[
        &lk,
        &gk,
        "--format",
        "json",
        "--timeout",
        "3",
        "--ca-file",
        ca.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let (lt, gt) = (&v["targets"][0], &v["targets"][1]);
    let ls = &lt["servers"][0];
    assert_eq!(ls["key"], lk.as_str());
    assert_eq!(ls["accepted_versions"], serde_json::json!(["1.0", "1.1"]));
    let gs = &gt["servers"][0];
    assert_eq!(gs["key"], gk.as_str());
    assert_eq!(gs["accepted_versions"], serde_json::json!(["1.2", "1.3"]));
    // The array form holds the same objects as the map, in order.
    let list = gs["version_list"].as_array().unwrap();
    let names: Vec<&str> = list
        .iter()
        .map(|x| x["version"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1.0", "1.1", "1.2", "1.3"]);
    for x in list {
        let k = x["version"].as_str().unwrap();
        assert_eq!(x["result"], gs["versions"][k]["result"], "{k}");
    }
    // The legacy finding names the legacy server by its key.
    let f = lt["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "legacy-tls-only")
        .unwrap();
    assert_eq!(f["servers"], serde_json::json!([lk]));
    for f in gt["findings"].as_array().unwrap() {
        let keys = f["servers"].as_array().unwrap();
        assert!(keys.iter().all(|k| k == gk.as_str()), "{f}");
    }
}

#[test]
fn explain_and_schannel_json_carry_kind_and_tool_and_ndjson_is_one_line() {
    let reg = format!("{SCHANNEL}tls12-client-disabled.reg");
    for (args, kind) in [
        (
            vec!["explain", "421 4.4.2 Connection dropped due to SocketError"],
            "explain",
        ),
        (vec!["schannel", reg.as_str(), "--os", "2019"], "schannel"),
    ] {
        let mut json_args = args.clone();
        json_args.extend(["--format", "json"]);
        let v = json(&tlscheck(&json_args));
        assert_eq!(v["kind"], kind);
        assert_eq!(v["tool"]["name"], "tlscheck");
        assert!(v["tool"]["version"].is_string());
        let mut nd = args.clone();
        nd.extend(["--format", "ndjson"]);
        let o = tlscheck(&nd);
        let l = lines(&o);
        assert_eq!(l.len(), 1, "{}", stdout(&o));
        assert_eq!(l[0], v, "{kind}: ndjson is the same document on one line");
    }
}

#[test]
fn mistyped_subcommands_and_bad_values_are_usage_errors_that_say_what_to_write() {
    let o = tlscheck(&["chek", "contoso.com"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `tlscheck check`"),
        "{}",
        stderr(&o)
    );
    let o = tlscheck(&["explian", "421"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `tlscheck explain`"),
        "{}",
        stderr(&o)
    );
    let o = tlscheck(&["host:25:extra"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not HOST:PORT"), "{}", stderr(&o));
    let o = tlscheck(&["-p", "0", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--port"), "{}", stderr(&o));
    let o = tlscheck(&["listen", "--bind", "127.0.0.99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a port is needed"), "{}", stderr(&o));
    assert!(stderr(&o).contains("127.0.0.99:25"), "{}", stderr(&o));
    // The classic case: an Exchange 2010 host.
    let reg = format!("{SCHANNEL}tls12-client-disabled.reg");
    let o = tlscheck(&["schannel", &reg, "--os", "2008r2", "--format", "json"]);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(json(&o)["os"], "2008r2");
}

#[test]
fn man_documents_every_subcommand_without_an_extra_section() {
    let main = stdout(&tlscheck(&["man"]));
    assert!(!main.contains("EXTRA"), "{main}");
    assert!(main.contains(".SH \"EXAMPLES\""));
    assert!(main.contains(".SH \"EXIT STATUS\""));
    for sub in [
        "check",
        "explain",
        "schannel",
        "listen",
        "demo",
        "completions",
        "man",
    ] {
        assert!(
            main.contains(&format!("tlscheck\\-{sub}(1)")),
            "{sub} not listed"
        );
        let o = tlscheck(&["man", sub]);
        assert_eq!(o.status.code(), Some(0), "{sub}");
        let page = stdout(&o);
        assert!(
            page.contains(&format!(".TH tlscheck-{sub} ")),
            "{sub}: {page}"
        );
        assert!(page.contains(".SH OPTIONS") || sub == "man", "{sub}");
        assert!(!page.contains("EXTRA"), "{sub}");
    }
    let o = tlscheck(&["man", "lisen"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Text outside code spans and fenced blocks.
fn running_text(md: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop `code spans` (single and double backticks).
        let mut in_span = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '`' {
                while chars.peek() == Some(&'`') {
                    chars.next();
                }
                in_span = !in_span;
            } else if !in_span {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn a_ticket_starts_with_the_verdict_and_says_where_and_how_it_was_checked() {
    let legacy = spawn(Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        openssl::ssl::SslVersion::TLS1,
        openssl::ssl::SslVersion::TLS1_1,
        &identity(Leaf::Good),
    ))));
    let ca = crate::cli::ca_file();
    let addr = legacy.addr.to_string();
    let o = tlscheck(&[
        &addr,
        "--format",
        "markdown",
        "--timeout",
        "3",
        "-4",
        "--ca-file",
        ca.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let md = stdout(&o);
    let first = md.lines().next().unwrap();
    assert!(first.starts_with(&format!("## FAIL — {addr}: ")), "{first}");
    // Never cut: the whole summary, fix included.
    assert!(first.contains("— fix: "), "{first}");
    assert!(!first.contains('…'), "{first}");
    assert!(md.contains("- checked from: host "), "{md}");
    assert!(
        md.contains("source address 127.0.0.1 (towards 127.0.0.1)"),
        "{md}"
    );
    assert!(md.contains("`-4`"), "{md}");
    assert!(
        md.contains(&format!("`--ca-file {}`", ca.path().display())),
        "{md}"
    );
    assert!(md.contains("- tool: tlscheck "), "{md}");
    assert!(md.contains("- time (UTC): 20"), "{md}");
    assert!(
        md.contains("- exit code: 1 (a server failed the policy)"),
        "{md}"
    );
    // Cipher names and MAIL FROM:<> sit in code spans, not behind
    // backslashes a plain-text ticket field would show.
    assert!(md.contains("`TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA`"), "{md}");
    assert!(md.contains("`MAIL FROM:<>`"), "{md}");
    let text = running_text(&md);
    assert!(!text.contains('\\'), "backslash in running text:\n{text}");
}

fn exchange_legacy() -> crate::servers::smtp::SmtpServer {
    let mut b = Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        openssl::ssl::SslVersion::TLS1,
        openssl::ssl::SslVersion::TLS1_1,
        &identity(Leaf::Good),
    )));
    b.greeting = Some(b"220 mail.fabrikam.test Microsoft ESMTP MAIL Service ready\r\n".to_vec());
    spawn(b)
}

#[test]
fn write_fix_writes_a_reg_file_regedit_imports_and_the_text_says_so() {
    let server = exchange_legacy();
    let dir = tempfile::tempdir().unwrap();
    let fixes = dir.path().join("fixes");
    let o = tlscheck(&[
        &server.addr.to_string(),
        "--timeout",
        "3",
        "--write-fix",
        fixes.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("file   tls12.reg: add --write-fix DIR"),
        "{out}"
    );
    let reg_path = fixes.join("tls12.reg");
    assert!(
        stderr(&o).contains(&format!("wrote {}", reg_path.display())),
        "{}",
        stderr(&o)
    );
    let bytes = std::fs::read(&reg_path).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    // What `reg import` and regedit accept: the header on the first line,
    // CRLF line ends and nothing else, keys at column 1.
    assert!(
        text.starts_with("Windows Registry Editor Version 5.00\r\n"),
        "{text:?}"
    );
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "bare LF in {text:?}"
    );
    assert!(text.contains("\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client]\r\n"));
    assert!(text.contains("\r\n\"Enabled\"=dword:00000001\r\n"));
}

#[test]
fn schannel_with_several_problems_gives_one_merged_reg_said_once() {
    let reg = format!("{SCHANNEL}article-typo.reg");
    let dir = tempfile::tempdir().unwrap();
    let o = tlscheck(&[
        "schannel",
        &reg,
        "--os",
        "2019",
        "--write-fix",
        dir.path().to_str().unwrap(),
    ]);
    let out = stdout(&o);
    let headers = out
        .lines()
        .filter(|l| *l == "Windows Registry Editor Version 5.00")
        .count();
    assert_eq!(headers, 1, "{out}");
    assert_eq!(out.matches("Import it (").count(), 1, "{out}");
    assert_eq!(out.matches("The fix: one .reg file").count(), 1, "{out}");
    let file = std::fs::read_to_string(dir.path().join("schannel-fix.reg")).unwrap();
    assert!(file.starts_with("Windows Registry Editor Version 5.00\r\n"));
    assert_eq!(file.matches("Windows Registry Editor").count(), 1);
    // Every key of every finding's fix, each once.
    for key in ["TLS 1.2\\Client]", "TLS 1.0\\Server]", "TLS 1.1\\Client]"] {
        assert_eq!(file.matches(key).count(), 1, "{key} in {file}");
    }
    assert!(file.contains("[-HKEY_LOCAL_MACHINE"), "{file}");
}

/// Runs tmux commands against the server on `socket` (one per test).
fn tmux_on(socket: &str) -> impl Fn(&[&str]) -> std::process::Output + '_ {
    move |a: &[&str]| {
        std::process::Command::new("tmux")
            .arg("-L")
            .arg(socket)
            .args(a)
            .output()
            .expect("tmux is needed for the terminal tests (Debian: tmux)")
    }
}

/// Runs `tlscheck ARGS` in a detached tmux session of `cols`×`rows` and
/// returns (the visible screen, the whole scrollback) once it finished.
fn in_tmux(args: &[&str], cols: u16, rows: u16) -> (String, String) {
    let socket = format!("tlscheck-ux-{}-{cols}x{rows}", std::process::id());
    let tmux = tmux_on(&socket);
    let bin = env!("CARGO_BIN_EXE_tlscheck");
    let cmd = format!(
        "TERM=xterm-256color {bin} {}; tmux -L {socket} wait-for -S done; sleep 60",
        args.join(" ")
    );
    let (c, r) = (cols.to_string(), rows.to_string());
    let o = tmux(&["new-session", "-d", "-x", &c, "-y", &r, "-s", "t", &cmd]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = tmux(&["set-option", "-t", "t", "history-limit", "5000"]);
    let waited = tmux(&["wait-for", "done"]);
    assert!(waited.status.success());
    let screen =
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
    let all = String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-S", "-", "-t", "t"]).stdout)
        .into_owned();
    let _ = tmux(&["kill-server"]);
    (screen, all)
}

#[test]
fn on_an_80x24_terminal_the_first_and_last_lines_carry_verdict_and_fix() {
    let server = exchange_legacy();
    let addr = server.addr.to_string();
    let (screen, all) = in_tmux(&[&addr, "--timeout", "3"], 80, 24);
    let lines: Vec<&str> = all.lines().filter(|l| !l.trim().is_empty()).collect();
    // First lines: the headline, wrapped at 80 columns, never cut.
    let first = lines.first().copied().unwrap_or_default();
    assert!(first.starts_with(&format!("FAIL {addr}: ")), "{all}");
    let head: String = lines
        .iter()
        .take(4)
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(head.contains("fix: Enable TLS 1.2 on Exchange"), "{all}");
    assert!(
        lines.iter().take(4).all(|l| l.chars().count() <= 80),
        "{all}"
    );
    // Last lines on screen: the recap with the verdict and the fix.
    let visible: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = visible[visible.len().saturating_sub(6)..].join("\n");
    assert!(
        tail.contains(&format!("FAIL {addr} — fix: Enable TLS 1.2 on Exchange")),
        "{screen}"
    );
    assert!(tail.contains("--write-fix DIR"), "{screen}");
    assert!(tail.contains("tls12.reg"), "{screen}");
}

#[test]
fn piped_text_keeps_the_headline_whole_on_one_line() {
    let server = exchange_legacy();
    let o = tlscheck(&[&server.addr.to_string(), "--timeout", "3"]);
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    assert!(
        first.ends_with(
            "— fix: Enable TLS 1.2 on Exchange (SCHANNEL client and server, .NET Framework)"
        ),
        "{first}"
    );
    let last = out.lines().rev().find(|l| !l.is_empty()).unwrap();
    assert!(last.contains("--write-fix DIR"), "{out}");
    assert!(out.contains("\nSummary\n  FAIL "), "{out}");
}

/// Runs `tlscheck demo ARGS` with no network but loopback: in a new
/// network namespace (`unshare -rn`, loopback brought up) where the
/// machine allows it, else as is.
fn demo(args: &[&str]) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_tlscheck");
    let isolated = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut cmd = if isolated {
        let mut c = std::process::Command::new("unshare");
        c.args([
            "-rn",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" demo \"$@\"",
            bin,
        ]);
        c
    } else {
        let mut c = std::process::Command::new(bin);
        c.arg("demo");
        c
    };
    cmd.args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn demo_runs_the_real_check_against_local_servers_offline_and_fails_on_the_legacy_one() {
    let o = demo(&["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("local demo servers"), "{}", stderr(&o));
    let v = json(&o);
    let t = &v["targets"][0];
    assert_eq!(t["input"], "fabrikam.test");
    assert_eq!(t["verdict"], "fail");
    let servers = t["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 3, "{t}");
    let by_host = |h: &str| servers.iter().find(|s| s["host"] == h).unwrap();
    let legacy = by_host("mail.fabrikam.test");
    assert_eq!(legacy["accepted_versions"], serde_json::json!(["1.0"]));
    assert_eq!(legacy["server_software"], "exchange");
    assert_eq!(legacy["verdict"], "fail");
    let modern = by_host("mx2.fabrikam.test");
    assert_eq!(
        modern["accepted_versions"],
        serde_json::json!(["1.2", "1.3"])
    );
    assert_eq!(modern["verdict"], "pass");
    assert_eq!(modern["certificate"]["verdict"], "trusted");
    let plain = by_host("relay.fabrikam.test");
    assert_eq!(plain["starttls"], "not_offered");
    let ids: Vec<&str> = t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"legacy-tls-only"), "{ids:?}");
    assert!(ids.contains(&"no-starttls"), "{ids:?}");
    // The text report is the usual one.
    let o = demo(&[]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("FAIL fabrikam.test: "), "{out}");
    assert!(
        out.contains("Summary\n  FAIL fabrikam.test — fix: "),
        "{out}"
    );
}

#[test]
fn during_a_long_wait_the_status_line_names_the_server_stage_and_budget() {
    let mut b = crate::servers::smtp::Behaviour::with_tls(crate::servers::smtp::Tls::None);
    b.greeting = None;
    let server = crate::servers::smtp::spawn(b);
    let addr = server.addr.to_string();
    let socket = format!("tlscheck-status-{}", std::process::id());
    let tmux = tmux_on(&socket);
    let bin = env!("CARGO_BIN_EXE_tlscheck");
    let cmd = format!(
        "TERM=xterm-256color {bin} {addr} --timeout 2; tmux -L {socket} wait-for -S done; sleep 60"
    );
    let o = tmux(&[
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "24",
        "-s",
        "t",
        &cmd,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The greeting budget is 3 × --timeout = 6 s: look after 3 s.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let screen =
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
    let _ = tmux(&["wait-for", "done"]);
    let _ = tmux(&["kill-server"]);
    assert!(
        screen.contains(&format!("waiting for {addr} at greeting:")),
        "{screen}"
    );
    assert!(screen.contains("of 6 s"), "{screen}");
}
