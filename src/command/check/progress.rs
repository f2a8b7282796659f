//! The terminal status line of a check: a spinner or a bar on standard
//! error, only when it is a terminal (never in pipes, logs or CI), naming
//! the longest wait — which server, which stage, how long of its budget.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::config::Config;

/// The status line while it runs; nothing when stderr is not a terminal.
pub struct Status {
    bar: Option<ProgressBar>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Status {
    /// Starts the line and its redraw task (inside the runtime).
    pub fn start(cfg: &Config) -> Self {
        let bar = progress_bar(cfg);
        let task = bar.clone().map(|bar| {
            let board = cfg.status.clone();
            tokio::spawn(async move {
                loop {
                    let msg = board
                        .describe(std::time::Instant::now())
                        .map(|d| format!(" — {d}"))
                        .unwrap_or_default();
                    bar.set_message(msg);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        });
        Self { bar, task }
    }

    /// One more target is done.
    pub fn target_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Stops the redraw and clears the line before the report is printed.
    pub fn finish(self) {
        if let Some(task) = self.task {
            task.abort();
        }
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The width of the terminal standard output is, or `None` when it is not
/// one (pipes and files get lines that are never wrapped or cut).
pub fn term_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// A spinner for one target, a bar for several; `None` when stderr is not a
/// terminal.
fn progress_bar(cfg: &Config) -> Option<ProgressBar> {
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
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            format!("{{spinner}} checking {name}: {{elapsed}} waited ({budget}){{msg}}"),
        )
    } else {
        (
            ProgressBar::with_draw_target(
                Some(u64::try_from(targets).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            ),
            format!("{{bar:40}} {{pos}}/{{len}} targets, {{elapsed}} ({budget}){{msg}}"),
        )
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    // Redraw on a timer, so the seconds move while every server is silent.
    bar.enable_steady_tick(Duration::from_millis(250));
    Some(bar)
}
