//! `tlscheck listen`: an SMTP server a sending mail server is pointed at.
//! Each session is judged and printed as it ends; the exit code sums them
//! up. `config` checks its arguments.

pub mod config;

use super::check::config::Env;
use super::Io;
use crate::cli::{Format, ListenArgs};
use crate::diagnose::sender;
use crate::diagnose::verdict::Verdict;
use crate::exit::ExitStatus;
use crate::model::listen::SenderSession;
use crate::net::listen::{Listener, ServeEnd, ServeOptions};
use crate::report::listen as render;
use crate::report::style::palette::Palette;
use config::listen_config;

/// How a session's report is printed.
#[derive(Clone, Copy)]
struct Output<'p> {
    format: Format,
    once: bool,
    transcript: bool,
    palette: &'p Palette,
}

impl Output<'_> {
    fn render(self, s: &SenderSession, j: &sender::SenderJudgement) -> String {
        let session = render::ListenReport {
            session: s,
            judgement: j,
            transcript: self.transcript,
            once: self.once,
            width: crate::command::check::progress::term_width(),
        };
        crate::report::render(
            &crate::report::Report::Listen(session),
            self.format,
            self.palette,
        )
    }
}

/// Listens until `--once`, `--wait` or Ctrl-C ends it.
pub fn execute(args: &ListenArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let env = Env::from_process();
    let cfg = match listen_config(args, &env) {
        Ok(c) => c,
        Err(e) => {
            io.say(format_args!("tlscheck: {e}"));
            return Ok(ExitStatus::Usage);
        }
    };
    let palette = super::palette(cfg.color);
    let output = Output {
        format: cfg.format,
        once: cfg.once,
        transcript: cfg.transcript,
        palette: &palette,
    };
    let opts = ServeOptions {
        once: cfg.once,
        wait: cfg.wait,
    };
    let name = cfg.session.hostname.clone();
    let cert = if cfg.self_signed {
        "a self-signed certificate"
    } else {
        "the --cert certificate"
    };
    let runtime = super::runtime()?;
    let served = runtime.block_on(async {
        let listener = Listener::bind(cfg.bind, cfg.session).await?;
        let addr = listener.local_addr()?;
        io.say(format_args!(
            "tlscheck: listening on {addr} as {name} with {cert}; send a test message here{}",
            if opts.once { "" } else { " (Ctrl-C stops)" }
        ));
        let cancel = super::cancel_on_ctrl_c();
        let mut verdicts: Vec<Verdict> = Vec::new();
        let mut out_err: Option<std::io::Error> = None;
        let mut on_session = |s: SenderSession| {
            if s.is_empty() {
                io.say(format_args!(
                    "tlscheck: {} connected and sent nothing ({}); still listening",
                    s.peer, s.end
                ));
                return;
            }
            let j = sender::judge(&s);
            verdicts.push(j.verdict);
            if out_err.is_none() {
                if let Err(e) = io.emit(output.render(&s, &j).as_bytes()) {
                    out_err = Some(e);
                }
            }
        };
        let end = listener.serve(opts, cancel, &mut on_session).await;
        anyhow::Ok((end, verdicts, out_err))
    });
    // Do not wait for sessions the end of serving abandoned.
    runtime.shutdown_background();
    let (end, verdicts, out_err) = served?;
    if let Some(e) = out_err {
        return Err(e.into());
    }
    if verdicts.is_empty() && end == ServeEnd::WaitElapsed {
        io.say(format_args!(
            "tlscheck: no sender came before --wait ran out"
        ));
    }
    Ok(crate::exit::for_listen(&verdicts))
}
