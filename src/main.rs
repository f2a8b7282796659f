//! The thin front end: parse the command line, build the configuration,
//! run, print, exit. The only module that writes to stdout or stderr.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};

use tlscheck::cli::{Cli, Command, Format};
use tlscheck::command::check::config::{check_config, Env};
use tlscheck::exit::ExitStatus;
use tlscheck::report::{self, style::palette::Palette};

fn main() -> ExitCode {
    // `tlscheck chek x` would otherwise look up a host named "chek".
    if let Some(first) = std::env::args().nth(1) {
        if let Some(meant) = tlscheck::cli::mistyped_subcommand(&first) {
            eprintln!(
                "tlscheck: {first:?} is not a subcommand; did you mean `tlscheck {meant}`? \
                 (to check a host named {first}, write `tlscheck check {first}`)"
            );
            return ExitStatus::Usage.into();
        }
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors
            // with a suggestion to stderr (exit 2).
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Usage.into()
            } else {
                ExitStatus::Pass.into()
            };
        }
    };
    let outcome = match cli.command {
        None => check(cli.check),
        Some(Command::Check(args)) => check(args),
        Some(Command::Explain(args)) => explain(&args),
        Some(Command::Schannel(args)) => schannel(&args),
        Some(Command::Listen(args)) => listen(&args),
        Some(Command::Profiles(args)) => {
            emit(report::suites::render_profiles(args.format).as_bytes()).map(|()| ExitStatus::Pass)
        }
        Some(Command::Demo(args)) => demo(&args),
        Some(Command::Completions(args)) => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "tlscheck", &mut buf);
            if args.shell == clap_complete::Shell::PowerShell {
                buf = powershell_both_names(&buf);
            }
            emit(&buf).map(|()| ExitStatus::Pass)
        }
        Some(Command::Man(args)) => match tlscheck::manpage::render(args.subcommand.as_deref()) {
            Ok(buf) => emit(&buf).map(|()| ExitStatus::Pass),
            Err(e @ tlscheck::manpage::ManError::NoSuchSubcommand(..)) => {
                eprintln!("tlscheck man: {e}");
                Ok(ExitStatus::Usage)
            }
            Err(e) => Err(anyhow::Error::new(e)),
        },
    };
    match outcome {
        Ok(status) => status.into(),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitStatus::Pass.into();
            }
            eprintln!("tlscheck: {err:#}");
            ExitStatus::Usage.into()
        }
    }
}

/// Colour as decided, where the terminal can show it: a Windows console
/// interprets escape codes only with virtual terminal processing on, and
/// one that refuses it (Server 2012 R2's conhost) gets plain text rather
/// than raw escapes. Redirected output is left as decided (`--color always`
/// into a file writes escapes, as on other systems).
fn terminal_color(color: bool) -> bool {
    #[cfg(windows)]
    {
        use std::io::IsTerminal;
        if color && std::io::stdout().is_terminal() {
            return tlscheck::net::windows::console::enable_ansi();
        }
    }
    color
}

/// PowerShell looks a native completer up by the name typed: on Windows
/// that is `tlscheck.exe` as often as `tlscheck` (`.\tlscheck.exe …`), so
/// the completer is registered under both.
fn powershell_both_names(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replacen(
            "-CommandName 'tlscheck' ",
            "-CommandName 'tlscheck', 'tlscheck.exe' ",
            1,
        )
        .into_bytes()
}

/// A closed stdout (`tlscheck … | head`) ends the program quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn emit(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

fn check(args: tlscheck::cli::CheckArgs) -> anyhow::Result<ExitStatus> {
    check_with(args, Vec::new())
}

/// `tlscheck demo` on Windows: the demo's TLS 1.0 server needs OpenSSL,
/// which the Windows exe does not carry.
#[cfg(not(unix))]
fn demo(_args: &tlscheck::cli::DemoArgs) -> anyhow::Result<ExitStatus> {
    eprintln!(
        "tlscheck demo: not in this build (its TLS 1.0 demo server needs OpenSSL, which the \
         Windows exe does not include); run it from a Linux build"
    );
    Ok(ExitStatus::Usage)
}

/// `tlscheck demo`: starts the demo servers and runs the real check
/// against them.
#[cfg(unix)]
fn demo(args: &tlscheck::cli::DemoArgs) -> anyhow::Result<ExitStatus> {
    // The DNS server runs on its own runtime; the check uses another.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let demo = runtime.block_on(tlscheck::command::demo::start())?;
    eprintln!(
        "tlscheck demo: {} and its mail servers are local demo servers on 127.0.0.71-73 port {} \
         (DNS {}), started by tlscheck; the check below is real.",
        tlscheck::command::demo::DOMAIN,
        demo.port,
        demo.dns
    );
    let check_args = tlscheck::cli::CheckArgs {
        targets: vec![tlscheck::command::demo::DOMAIN.to_owned()],
        resolver: vec![demo.dns.to_string()],
        port: Some(demo.port),
        ipv4: true,
        timeout: Some(5.0),
        format: args.format,
        color: args.color,
        ..Default::default()
    };
    let roots = vec![rustls::pki_types::CertificateDer::from(demo.ca.clone())];
    let status = check_with(check_args, roots);
    drop(demo);
    runtime.shutdown_background();
    status
}

fn check_with(
    args: tlscheck::cli::CheckArgs,
    extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> anyhow::Result<ExitStatus> {
    let env = Env::from_process();
    let mut cfg = match check_config(&args, &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tlscheck: {e}");
            return Ok(ExitStatus::Usage);
        }
    };
    cfg.extra_roots.extend(extra_roots);
    // A bad line of the target list is said where it is, and the rest is
    // still checked (exit 2 at the end).
    for bad in &cfg.invalid {
        eprintln!("{bad}");
    }
    let color = terminal_color(cfg.color);
    colored::control::set_override(color);
    let palette = if color {
        Palette::ansi()
    } else {
        Palette::plain()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cfg = Arc::new(cfg);
    let report = runtime.block_on(async {
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = cancel_tx.send(true);
            }
        });
        let ndjson = cfg.format == Format::Ndjson;
        let transcript = cfg.transcript;
        let mut stream_err: Option<std::io::Error> = None;
        let started = tlscheck::clock::now_rfc3339();
        let progress = progress_bar(&cfg);
        // The status line names the longest wait: which server, which
        // stage, how long of its budget.
        let status_task = progress.clone().map(|bar| {
            let board = cfg.status.clone();
            tokio::spawn(async move {
                loop {
                    let msg = board
                        .describe(std::time::Instant::now())
                        .map(|d| format!(" — {d}"))
                        .unwrap_or_default();
                    bar.set_message(msg);
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
            })
        });
        let mut on_done = |t: &tlscheck::report::outcome::TargetReport| {
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            if ndjson && stream_err.is_none() {
                let line = report::json::render_line(t, &started, transcript);
                let mut out = std::io::stdout().lock();
                if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
                    stream_err = Some(e);
                }
            }
        };
        let r = tlscheck::command::check::run::run(cfg.clone(), cancel_rx, &mut on_done).await;
        if let Some(task) = status_task {
            task.abort();
        }
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        (r, stream_err)
    });
    let (report, stream_err) = report;
    if let Some(e) = stream_err {
        return Err(e.into());
    }
    let mut report = report?;
    report.origin = origin(&args, &report, &env);
    let text = match cfg.format {
        // The targets are out already; then the invalid lines and the
        // summary record that tells a complete stream from a cut one.
        Format::Ndjson => {
            let mut s: String = report
                .invalid
                .iter()
                .map(report::json::render_invalid_line)
                .collect();
            s.push_str(&report::json::render_summary_line(&report));
            s
        }
        f => report::render(
            &report::Report::Check {
                run: &report,
                transcript: cfg.transcript,
                width: term_width(),
            },
            f,
            &palette,
        ),
    };
    emit(text.as_bytes())?;
    if let Some(dir) = &args.write_fix {
        if let Err(e) = write_fixes(dir, &report::fixfiles::for_run(&report)) {
            eprintln!("tlscheck: --write-fix {}: {e}", dir.display());
            return Ok(ExitStatus::Usage);
        }
    }
    if cfg.format == Format::Ndjson {
        let summary: Vec<String> = report.targets.iter().map(|t| t.summary.clone()).collect();
        eprintln!("{}", summary.join("\n"));
    }
    // Do not wait for probes the deadline abandoned.
    runtime.shutdown_background();
    Ok(report.exit)
}

/// Writes the fix files into `dir` (created if missing) and names each on
/// standard error.
fn write_fixes(dir: &std::path::Path, files: &[report::fixfiles::FixFile]) -> std::io::Result<()> {
    if files.is_empty() {
        eprintln!("tlscheck: --write-fix: no finding has a snippet to write");
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for f in files {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.bytes)?;
        eprintln!("tlscheck: wrote {} ({})", path.display(), f.what);
    }
    Ok(())
}

/// Where the check ran from, for tickets: this machine's name, the source
/// address the system picks towards the first server of each address
/// family, and the options that change what tlscheck sees.
fn origin(
    args: &tlscheck::cli::CheckArgs,
    report: &tlscheck::report::outcome::RunReport,
    env: &Env,
) -> tlscheck::model::outcome::Origin {
    let mut sources: Vec<(std::net::IpAddr, std::net::IpAddr)> = Vec::new();
    for s in report.targets.iter().flat_map(|t| &t.servers) {
        let peer = s.address.ip();
        if sources.iter().any(|(p, _)| p.is_ipv4() == peer.is_ipv4()) {
            continue;
        }
        if let Some(src) = source_towards(peer) {
            sources.push((peer, src));
        }
    }
    let mut options = Vec::new();
    if let Some(p) = &args.ca_file {
        options.push(format!("--ca-file {}", p.display()));
    }
    options.extend(args.resolver.iter().map(|r| format!("--resolver {r}")));
    for (on, name) in [
        (args.host, "--host"),
        (args.ipv4, "-4"),
        (args.ipv6, "-6"),
        (args.implicit_tls, "--implicit-tls"),
        (args.forbid_legacy, "--forbid-legacy"),
    ] {
        if on {
            options.push(name.to_owned());
        }
    }
    if let Some(p) = args.port {
        options.push(format!("--port {p}"));
    }
    if let Some(e) = &args.ehlo {
        options.push(format!("--ehlo {e}"));
    }
    if let Some(t) = args.timeout {
        options.push(format!("--timeout {t}"));
    }
    if let Some(d) = args.deadline {
        options.push(format!("--deadline {d}"));
    }
    if args.require_tls == Some(tlscheck::cli::RequireTls::Tls13) {
        options.push("--require-tls 1.3".to_owned());
    }
    if args.fail_on == tlscheck::cli::FailOn::Warning {
        options.push("--fail-on warning".to_owned());
    }
    tlscheck::model::outcome::Origin {
        hostname: env.hostname.clone(),
        sources,
        options,
    }
}

/// The source address the system would use towards `peer`: a UDP socket
/// "connected" to it (no packet is sent) reports the address the routing
/// table chose.
fn source_towards(peer: std::net::IpAddr) -> Option<std::net::IpAddr> {
    let any: std::net::IpAddr = if peer.is_ipv4() {
        std::net::Ipv4Addr::UNSPECIFIED.into()
    } else {
        std::net::Ipv6Addr::UNSPECIFIED.into()
    };
    let socket = std::net::UdpSocket::bind((any, 0)).ok()?;
    socket.connect((peer, 25)).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

/// The width of the terminal standard output is, or `None` when it is not
/// one (pipes and files get lines that are never wrapped or cut).
fn term_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// A progress bar on stderr for runs of several targets, only when stderr
/// is a terminal (never in pipes, logs or CI).
fn progress_bar(cfg: &tlscheck::command::check::config::Config) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    let targets = cfg.targets.len();
    if targets == 0 || !std::io::stderr().is_terminal() {
        return None;
    }
    // The budget a silent server can use up.
    let stage = cfg.timeouts.command.as_secs_f64();
    let greeting = cfg.timeouts.greeting.as_secs_f64();
    let budget = match cfg.deadline {
        Some(d) => format!(
            "stage budget {stage:.0}s, greeting {greeting:.0}s, deadline {:.0}s",
            d.as_secs_f64()
        ),
        None => format!("stage budget {stage:.0}s, greeting {greeting:.0}s"),
    };
    let (bar, template) = if targets < 2 {
        let name = cfg.targets.first().map(|(i, _)| i.as_str()).unwrap_or("");
        (
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr()),
            format!("{{spinner}} checking {name}: {{elapsed}} waited ({budget}){{msg}}"),
        )
    } else {
        (
            indicatif::ProgressBar::with_draw_target(
                Some(u64::try_from(targets).unwrap_or(u64::MAX)),
                indicatif::ProgressDrawTarget::stderr(),
            ),
            format!("{{bar:40}} {{pos}}/{{len}} targets, {{elapsed}} ({budget}){{msg}}"),
        )
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    // Redraw on a timer, so the seconds move while every server is silent.
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    Some(bar)
}

fn explain(args: &tlscheck::cli::ExplainArgs) -> anyhow::Result<ExitStatus> {
    use anyhow::Context as _;
    use std::io::{IsTerminal, Read};
    let from_stdin = match args.text.as_slice() {
        [] => true,
        [dash] => dash == "-",
        _ => false,
    };
    let text = if from_stdin {
        if args.text.is_empty() && std::io::stdin().is_terminal() {
            eprintln!(
                "tlscheck: explain needs the error text: give it as an argument, or pipe it in (`... | tlscheck explain`)"
            );
            return Ok(ExitStatus::Usage);
        }
        // explain reads only the first MAX_INPUT bytes; a few more keep a
        // character cut at the limit from turning into an error.
        let limit = u64::try_from(tlscheck::diagnose::explain::MAX_INPUT).unwrap_or(u64::MAX) + 4;
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .context("reading the text to explain from standard input")?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        args.text.join(" ")
    };
    if text.trim().is_empty() {
        eprintln!("tlscheck: explain got no text (standard input was empty)");
        return Ok(ExitStatus::Usage);
    }
    let env = Env::from_process();
    let color = terminal_color(tlscheck::command::check::config::decide_color(
        args.color,
        args.format,
        &env,
    ));
    colored::control::set_override(color);
    let palette = if color {
        Palette::ansi()
    } else {
        Palette::plain()
    };
    let matches = tlscheck::diagnose::explain::explain(&text);
    let ctx = tlscheck::diagnose::explain::context(&text);
    let out = report::render(
        &report::Report::Explain {
            matches: &matches,
            context: &ctx,
        },
        args.format,
        &palette,
    );
    emit(out.as_bytes())?;
    Ok(if matches.is_empty() {
        ExitStatus::PolicyFailed
    } else {
        ExitStatus::Pass
    })
}

fn schannel(args: &tlscheck::cli::SchannelArgs) -> anyhow::Result<ExitStatus> {
    use std::io::Read;
    use tlscheck::diagnose::schannel;
    let audit = if args.local {
        let local = match tlscheck::net::registry::read_local() {
            Ok(l) => l,
            Err(e) => {
                eprintln!("tlscheck: {e}");
                return Ok(ExitStatus::Usage);
            }
        };
        let os = args
            .os
            .or_else(|| tlscheck::net::registry::detect_os(&local.os));
        eprintln!(
            "tlscheck: reading the live registry of this machine ({}); defaults: {}",
            local.os,
            match (args.os, os) {
                (Some(_), _) => "from --os",
                (None, Some(_)) => "detected from the build number",
                (None, None) => "not a Windows Server release tlscheck knows, pass --os",
            }
        );
        schannel::audit_local(&local, os)
    } else {
        let Some(file) = &args.file else {
            eprintln!("tlscheck: schannel needs a FILE or --local");
            return Ok(ExitStatus::Usage);
        };
        // Read one byte more than the parser accepts, so it can say "too large".
        let limit =
            u64::try_from(tlscheck::proto::registry::MAX_EXPORT_BYTES).unwrap_or(u64::MAX) + 1;
        let mut bytes = Vec::new();
        let read = if file.as_os_str() == "-" {
            std::io::stdin().take(limit).read_to_end(&mut bytes)
        } else {
            std::fs::File::open(file).and_then(|f| f.take(limit).read_to_end(&mut bytes))
        };
        if let Err(e) = read {
            eprintln!("tlscheck: reading {}: {e}", file.display());
            return Ok(ExitStatus::Usage);
        }
        let export = match schannel::parse(&bytes) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("tlscheck: {}: {e}", file.display());
                return Ok(ExitStatus::Usage);
            }
        };
        schannel::audit(&export, args.os)
    };
    let env = Env::from_process();
    let color = terminal_color(tlscheck::command::check::config::decide_color(
        args.color,
        args.format,
        &env,
    ));
    colored::control::set_override(color);
    let palette = if color {
        Palette::ansi()
    } else {
        Palette::plain()
    };
    let out = report::render(&report::Report::Schannel(&audit), args.format, &palette);
    emit(out.as_bytes())?;
    if let Some(dir) = &args.write_fix {
        let files: Vec<_> = report::fixfiles::for_schannel(&audit).into_iter().collect();
        if let Err(e) = write_fixes(dir, &files) {
            eprintln!("tlscheck: --write-fix {}: {e}", dir.display());
            return Ok(ExitStatus::Usage);
        }
    }
    Ok(match audit.verdict {
        schannel::Verdict::Ok => ExitStatus::Pass,
        schannel::Verdict::Problem => ExitStatus::PolicyFailed,
    })
}

fn listen(args: &tlscheck::cli::ListenArgs) -> anyhow::Result<ExitStatus> {
    use tlscheck::diagnose::sender;
    use tlscheck::model::listen::SenderSession;
    use tlscheck::net::listen::{Listener, ServeEnd, ServeOptions};
    use tlscheck::report::listen as render;
    let env = Env::from_process();
    let cfg = match tlscheck::command::check::config::listen_config(args, &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tlscheck: {e}");
            return Ok(ExitStatus::Usage);
        }
    };
    let color = terminal_color(cfg.color);
    colored::control::set_override(color);
    let palette = if color {
        Palette::ansi()
    } else {
        Palette::plain()
    };
    let (once, format, transcript) = (cfg.once, cfg.format, cfg.transcript);
    let opts = ServeOptions {
        once,
        wait: cfg.wait,
    };
    let name = cfg.session.hostname.clone();
    let cert = if cfg.self_signed {
        "a self-signed certificate"
    } else {
        "the --cert certificate"
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(async {
        let listener = Listener::bind(cfg.bind, cfg.session).await?;
        let addr = listener.local_addr()?;
        eprintln!(
            "tlscheck: listening on {addr} as {name} with {cert}; send a test message here{}",
            if once { "" } else { " (Ctrl-C stops)" }
        );
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = cancel_tx.send(true);
            }
        });
        let mut verdicts = Vec::new();
        let mut out_err: Option<std::io::Error> = None;
        let mut on_session = |s: SenderSession| {
            if s.is_empty() {
                eprintln!(
                    "tlscheck: {} connected and sent nothing ({}); still listening",
                    s.peer, s.end
                );
                return;
            }
            let j = sender::judge(&s);
            verdicts.push(j.verdict);
            let session = render::ListenReport {
                session: &s,
                judgement: &j,
                transcript,
                once,
            };
            let text = report::render(&report::Report::Listen(session), format, &palette);
            if out_err.is_none() {
                if let Err(e) = emit(text.as_bytes()) {
                    out_err = Some(
                        e.downcast::<std::io::Error>()
                            .unwrap_or_else(std::io::Error::other),
                    );
                }
            }
        };
        let end = listener.serve(opts, cancel_rx, &mut on_session).await;
        anyhow::Ok((end, verdicts, out_err))
    });
    // Do not wait for sessions the end of serving abandoned.
    runtime.shutdown_background();
    let (end, verdicts, out_err) = served?;
    if let Some(e) = out_err {
        return Err(e.into());
    }
    if verdicts.is_empty() && end == ServeEnd::WaitElapsed {
        eprintln!("tlscheck: no sender came before --wait ran out");
    }
    Ok(tlscheck::exit::for_listen(&verdicts))
}
