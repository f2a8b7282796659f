//! One home per command: what each command sets up, runs and hands to its
//! renderer. `main.rs` parses the command line and calls one `run` here with
//! the process's standard output and error as an [`Io`]; nothing in this
//! layer touches stdout or stderr any other way.
//!
//! The set-up every long-running command shares (the runtime, Ctrl-C, the
//! colour decision) is written once, below.

pub mod check;
#[cfg(unix)]
pub mod demo;
pub mod explain;
pub mod listen;
pub mod schannel;

use std::io::Write;

use crate::report::style::palette::Palette;

/// Where a command writes: its output (the report) and its messages.
pub struct Io<'a> {
    /// The report: standard output.
    pub out: &'a mut (dyn Write + Send),
    /// Messages about the run (bad input lines, "wrote FILE", errors the
    /// user can act on): standard error.
    pub err: &'a mut (dyn Write + Send),
}

impl Io<'_> {
    /// Writes the report bytes and flushes them (a pipe reader sees each
    /// NDJSON line or listen session as it comes).
    pub fn emit(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.out.flush()
    }

    /// Writes one message line to standard error. A closed stderr is not a
    /// reason to fail the run, so the error is dropped.
    pub fn say(&mut self, line: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.err, "{line}");
    }
}

/// The runtime every networked command runs on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// A flag that turns true when the user presses Ctrl-C. Must be called
/// inside the runtime.
pub fn cancel_on_ctrl_c() -> tokio::sync::watch::Receiver<bool> {
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = cancel_tx.send(true);
        }
    });
    cancel_rx
}

/// The palette for a colour decision (made once, in config), after the
/// terminal has had its say; the `colored` crate is told the same, so its
/// own environment rules cannot overrule it.
pub fn palette(color: bool) -> Palette {
    let color = terminal_color(color);
    colored::control::set_override(color);
    if color {
        Palette::ansi()
    } else {
        Palette::plain()
    }
}

/// Colour as decided, where the terminal can show it: a Windows console
/// interprets escape codes only with virtual terminal processing on, and
/// one that refuses it (Server 2012 R2's conhost) gets plain text rather
/// than raw escapes. Redirected output is left as decided (`--color always`
/// into a file writes escapes, as on other systems).
pub fn terminal_color(color: bool) -> bool {
    #[cfg(windows)]
    {
        use std::io::IsTerminal;
        if color && std::io::stdout().is_terminal() {
            return crate::net::windows::console::enable_ansi();
        }
    }
    color
}

/// Writes fix files into `dir` (created if missing) and names each on
/// standard error (`check --write-fix`, `schannel --write-fix`).
pub fn write_fixes(
    dir: &std::path::Path,
    files: &[crate::report::fixfiles::FixFile],
    io: &mut Io<'_>,
) -> std::io::Result<()> {
    if files.is_empty() {
        io.say(format_args!(
            "tlscheck: --write-fix: no finding has a snippet to write"
        ));
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for f in files {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.bytes)?;
        io.say(format_args!(
            "tlscheck: wrote {} ({})",
            path.display(),
            f.what
        ));
    }
    Ok(())
}
