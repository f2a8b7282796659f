//! The thin front end: parse the command line, hand the command its
//! standard output and error, exit with its status. Each command's set-up
//! and run live in `tlscheck::command`.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use tlscheck::cli::{Cli, Command};
use tlscheck::command::{self, Io};
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
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let mut io = Io {
        out: &mut stdout,
        err: &mut stderr,
    };
    let outcome = match cli.command {
        None => command::check::execute(&cli.check, Vec::new(), &mut io),
        Some(Command::Check(args)) => command::check::execute(&args, Vec::new(), &mut io),
        Some(Command::Explain(args)) => command::explain::execute(&args, &mut io),
        Some(Command::Schannel(args)) => command::schannel::execute(&args, &mut io),
        Some(Command::Listen(args)) => command::listen::execute(&args, &mut io),
        Some(Command::Profiles(args)) => {
            let out = report::render(&report::Report::Profiles, args.format, &Palette::plain());
            emit(out.as_bytes()).map(|()| ExitStatus::Pass)
        }
        Some(Command::Demo(args)) => demo(&args, &mut io),
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

#[cfg(unix)]
fn demo(args: &tlscheck::cli::DemoArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    command::demo::execute(args, io)
}

/// `tlscheck demo` on Windows: the demo's TLS 1.0 server needs OpenSSL,
/// which the Windows exe does not carry.
#[cfg(not(unix))]
fn demo(_args: &tlscheck::cli::DemoArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    io.say(format_args!(
        "tlscheck demo: not in this build (its TLS 1.0 demo server needs OpenSSL, which the \
         Windows exe does not include); run it from a Linux build"
    ));
    Ok(ExitStatus::Usage)
}

fn emit(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}
