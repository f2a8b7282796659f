//! `tlscheck explain`: reads the error text (arguments or standard input,
//! bounded), matches it against the catalogue and renders the matches.

use std::io::{IsTerminal, Read};

use anyhow::Context as _;

use super::check::config::{decide_color, Env};
use super::Io;
use crate::cli::ExplainArgs;
use crate::diagnose::explain::{context, explain, MAX_INPUT};
use crate::exit::ExitStatus;

/// Explains the text; exit 1 when nothing in it is known.
pub fn execute(args: &ExplainArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let Some(text) = read_text(args, io)? else {
        return Ok(ExitStatus::Usage);
    };
    let env = Env::from_process();
    let palette = super::palette(decide_color(args.color, args.format, &env));
    let matches = explain(&text);
    let ctx = context(&text);
    let out = crate::report::render(
        &crate::report::Report::Explain {
            matches: &matches,
            context: &ctx,
        },
        args.format,
        &palette,
    );
    io.emit(out.as_bytes())?;
    Ok(if matches.is_empty() {
        ExitStatus::PolicyFailed
    } else {
        ExitStatus::Pass
    })
}

/// The text to explain, or `None` (after saying why) when there is none.
fn read_text(args: &ExplainArgs, io: &mut Io<'_>) -> anyhow::Result<Option<String>> {
    let from_stdin = match args.text.as_slice() {
        [] => true,
        [dash] => dash == "-",
        _ => false,
    };
    let text = if from_stdin {
        if args.text.is_empty() && std::io::stdin().is_terminal() {
            io.say(format_args!(
                "tlscheck: explain needs the error text: give it as an argument, or pipe it in (`... | tlscheck explain`)"
            ));
            return Ok(None);
        }
        // explain reads only the first MAX_INPUT bytes; a few more keep a
        // character cut at the limit from turning into an error.
        let limit = u64::try_from(MAX_INPUT).unwrap_or(u64::MAX) + 4;
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
        io.say(format_args!(
            "tlscheck: explain got no text (standard input was empty)"
        ));
        return Ok(None);
    }
    Ok(Some(text))
}
