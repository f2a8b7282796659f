//! `tlscheck schannel`: audits a registry export (a file, or standard
//! input) or, on Windows, the live registry, and renders the audit.

use std::io::Read;

use super::check::config::{decide_color, Env};
use super::Io;
use crate::cli::SchannelArgs;
use crate::diagnose::schannel::{self, Audit, Verdict};
use crate::exit::ExitStatus;
use crate::net::registry::{detect_os, read_local};
use crate::proto::registry::MAX_EXPORT_BYTES;
use crate::report;

/// Audits, prints, writes the fix files; exit 1 when the audit found a
/// problem.
pub fn execute(args: &SchannelArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let audit = if args.local {
        audit_live(args, io)
    } else {
        audit_file(args, io)
    };
    let Some(audit) = audit else {
        return Ok(ExitStatus::Usage);
    };
    let env = Env::from_process();
    let palette = super::palette(decide_color(args.color, args.format, &env));
    let report = report::Report::Schannel {
        audit: &audit,
        width: super::check::progress::term_width(),
    };
    let out = report::render(&report, args.format, &palette);
    io.emit(out.as_bytes())?;
    if let Some(dir) = &args.write_fix {
        let files: Vec<_> = report::fixfiles::for_schannel(&audit).into_iter().collect();
        if let Err(e) = super::write_fixes(dir, &files, io) {
            io.say(format_args!("tlscheck: --write-fix {}: {e}", dir.display()));
            return Ok(ExitStatus::Usage);
        }
    }
    Ok(match audit.verdict {
        Verdict::Ok => ExitStatus::Pass,
        Verdict::Problem => ExitStatus::PolicyFailed,
    })
}

/// `--local`: this machine's registry (Windows only; elsewhere the error
/// names the `reg export` commands that make a file).
fn audit_live(args: &SchannelArgs, io: &mut Io<'_>) -> Option<Audit> {
    let local = match read_local() {
        Ok(l) => l,
        Err(e) => {
            io.say(format_args!("tlscheck: {e}"));
            return None;
        }
    };
    let os = args.os.or_else(|| detect_os(&local.os));
    io.say(format_args!(
        "tlscheck: reading the live registry of this machine ({}); defaults: {}",
        local.os,
        match (args.os, os) {
            (Some(_), _) => "from --os",
            (None, Some(_)) => "detected from the build number",
            (None, None) => "not a Windows Server release tlscheck knows, pass --os",
        }
    ));
    Some(schannel::audit_local(&local, os))
}

/// A `regedit`/`reg export` file, or `-` for standard input.
fn audit_file(args: &SchannelArgs, io: &mut Io<'_>) -> Option<Audit> {
    let Some(file) = &args.file else {
        io.say(format_args!("tlscheck: schannel needs a FILE or --local"));
        return None;
    };
    // Read one byte more than the parser accepts, so it can say "too large".
    let limit = u64::try_from(MAX_EXPORT_BYTES).unwrap_or(u64::MAX) + 1;
    let mut bytes = Vec::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    if let Err(e) = read {
        io.say(format_args!("tlscheck: reading {}: {e}", file.display()));
        return None;
    }
    match schannel::parse(&bytes) {
        Ok(export) => Some(schannel::audit(&export, args.os)),
        Err(e) => {
            io.say(format_args!("tlscheck: {}: {e}", file.display()));
            None
        }
    }
}
