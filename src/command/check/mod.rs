//! `tlscheck CHECK`: from the command line to a report. `config` turns the
//! arguments into a validated [`config::Config`]; `run` is the pipeline
//! (resolve → plan → probe → diagnose); this file sets it up, streams NDJSON
//! as targets finish, renders and writes the fix files. `progress` is the
//! terminal status line, `origin` where the check ran from.

pub mod config;
pub mod origin;
pub mod plan;
pub mod probes;
pub mod progress;
pub mod run;

use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use self::config::{check_config, Config, Env};
use super::Io;
use crate::cli::{CheckArgs, Format};
use crate::exit::ExitStatus;
use crate::report::outcome::{RunReport, TargetReport};
use crate::report::style::palette::Palette;
use crate::report::{self};

/// `tlscheck check`: checks the targets, prints the report, returns how the
/// process ends. `extra_roots` are trusted besides the WebPKI roots (the
/// demo's CA).
pub fn execute(
    args: &CheckArgs,
    extra_roots: Vec<CertificateDer<'static>>,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let env = Env::from_process();
    let mut cfg = match check_config(args, &env) {
        Ok(c) => c,
        Err(e) => {
            io.say(format_args!("tlscheck: {e}"));
            return Ok(ExitStatus::Usage);
        }
    };
    cfg.extra_roots.extend(extra_roots);
    // A bad line of the target list is said where it is, and the rest is
    // still checked (exit 2 at the end).
    for bad in &cfg.invalid {
        io.say(format_args!("{bad}"));
    }
    let palette = super::palette(cfg.color);
    let runtime = super::runtime()?;
    let cfg = Arc::new(cfg);
    let mut report = runtime.block_on(run_streaming(&cfg, io))?;
    report.origin = origin::origin(args, &report, &env);
    io.emit(render(&report, &cfg, &palette).as_bytes())?;
    if let Some(dir) = &args.write_fix {
        if let Err(e) = super::write_fixes(dir, &report::fixfiles::for_run(&report), io) {
            io.say(format_args!("tlscheck: --write-fix {}: {e}", dir.display()));
            return Ok(ExitStatus::Usage);
        }
    }
    if cfg.format == Format::Ndjson {
        let summary: Vec<String> = report.targets.iter().map(|t| t.summary.clone()).collect();
        io.say(format_args!("{}", summary.join("\n")));
    }
    // Do not wait for probes the deadline abandoned.
    runtime.shutdown_background();
    Ok(report.exit)
}

/// Runs the check under Ctrl-C, with the status line on a terminal, and
/// writes each target's NDJSON line as soon as it is done.
async fn run_streaming(cfg: &Arc<Config>, io: &mut Io<'_>) -> anyhow::Result<RunReport> {
    let cancel = super::cancel_on_ctrl_c();
    let ndjson = cfg.format == Format::Ndjson;
    let transcript = cfg.transcript;
    let mut stream_err: Option<std::io::Error> = None;
    let started = crate::clock::now_rfc3339();
    let status = progress::Status::start(cfg);
    let mut on_done = |t: &TargetReport| {
        status.target_done();
        if ndjson && stream_err.is_none() {
            let line = report::json::render_line(t, &started, transcript);
            if let Err(e) = io.emit(line.as_bytes()) {
                stream_err = Some(e);
            }
        }
    };
    let r = run::run(cfg.clone(), cancel, &mut on_done).await;
    status.finish();
    if let Some(e) = stream_err {
        return Err(e.into());
    }
    Ok(r?)
}

/// The report in the chosen format. NDJSON has written its targets already;
/// then come the invalid lines and the summary record that tells a complete
/// stream from a cut one.
fn render(report: &RunReport, cfg: &Config, palette: &Palette) -> String {
    match cfg.format {
        Format::Ndjson => {
            let mut s: String = report
                .invalid
                .iter()
                .map(report::json::render_invalid_line)
                .collect();
            s.push_str(&report::json::render_summary_line(report));
            s
        }
        f => report::render(
            &report::Report::Check {
                run: report,
                transcript: cfg.transcript,
                width: progress::term_width(),
            },
            f,
            palette,
        ),
    }
}
