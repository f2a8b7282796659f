//! The one place exit codes are defined. `main` maps every outcome onto
//! [`ExitStatus`]; `--help` and the README print [`EXIT_CODES_HELP`].

/// How tlscheck ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// 0: every checked server passed the policy (by default: offers
    /// STARTTLS and accepts TLS 1.2 or 1.3; no error findings).
    Pass = 0,
    /// 1: a server failed the policy (or `--fail-on warning` found a warning).
    PolicyFailed = 1,
    /// 2: the command line was wrong, or an input file could not be read.
    Usage = 2,
    /// 3: nothing could be tested (connection refused, name does not
    /// resolve, port 25 blocked…), or what was seen decides nothing
    /// (INCONCLUSIVE: timeouts, throttling, `--deadline`, a handshake
    /// tlscheck's own TLS library could not finish).
    Untested = 3,
    /// 130: interrupted by Ctrl-C; the partial report was printed.
    Interrupted = 130,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

/// The exit status of a check run from the verdicts of its targets.
///
/// Ctrl-C wins; then any failed target (or warned one under
/// `--fail-on warning`) gives 1; then any target that could not be tested
/// gives 3; a null-MX domain is a correct answer, not a failure.
pub fn for_run(
    verdicts: &[crate::diagnose::verdict::Verdict],
    fail_on_warning: bool,
    interrupted: bool,
) -> ExitStatus {
    use crate::diagnose::verdict::Verdict;
    if interrupted {
        return ExitStatus::Interrupted;
    }
    let failed = verdicts
        .iter()
        .any(|v| *v == Verdict::Fail || (fail_on_warning && *v == Verdict::Warn));
    if failed {
        ExitStatus::PolicyFailed
    } else if verdicts.is_empty()
        || verdicts
            .iter()
            .any(|v| matches!(v, Verdict::Untested | Verdict::Inconclusive))
    {
        ExitStatus::Untested
    } else {
        ExitStatus::Pass
    }
}

/// The exit status of `tlscheck listen` from the verdicts of its sessions:
/// any failed sender gives 1, then any sender that offered TLS 1.2 or newer
/// gives 0, else (no session, or none that reached STARTTLS or MAIL) 3.
pub fn for_listen(verdicts: &[crate::diagnose::verdict::Verdict]) -> ExitStatus {
    use crate::diagnose::verdict::Verdict;
    if verdicts.contains(&Verdict::Fail) {
        ExitStatus::PolicyFailed
    } else if verdicts
        .iter()
        .any(|v| matches!(v, Verdict::Pass | Verdict::Warn))
    {
        ExitStatus::Pass
    } else {
        ExitStatus::Untested
    }
}

/// The exit codes of `tlscheck listen`, as printed under its `--help`.
pub const LISTEN_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  the sender offered TLS 1.2 or newer after STARTTLS
  1  it offered only TLS 1.0/1.1, skipped STARTTLS, or sent no ClientHello
  2  usage error, the certificate files could not be read, or the address
     could not be bound (port 25 needs root)
  3  no sender came (--wait ran out), or none got as far as STARTTLS or MAIL";

/// The exit codes, as printed under `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    PASS or WARN: a TLS 1.2+ session was completed with every server that
       answered (WARN: with something to fix)
  1    policy failed: a server needs fixing (see the findings)
  2    usage error, or an input file could not be read
  3    could not test, or INCONCLUSIVE: nothing answered (refused, no DNS
       records, port 25 blocked), or no TLS 1.2+ session was completed and
       nothing decided fails the server (timeouts, throttling, --deadline)
  130  interrupted (Ctrl-C); the partial report was printed";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::verdict::Verdict;

    #[test]
    fn exit_status_follows_the_worst_target() {
        assert_eq!(
            for_run(&[Verdict::Pass, Verdict::Warn], false, false),
            ExitStatus::Pass
        );
        assert_eq!(
            for_run(&[Verdict::Pass, Verdict::Warn], true, false),
            ExitStatus::PolicyFailed
        );
        assert_eq!(
            for_run(&[Verdict::Fail, Verdict::Untested], false, false),
            ExitStatus::PolicyFailed
        );
        assert_eq!(
            for_run(&[Verdict::Pass, Verdict::Untested], false, false),
            ExitStatus::Untested
        );
        assert_eq!(for_run(&[Verdict::NoMail], false, false), ExitStatus::Pass);
        assert_eq!(
            for_run(&[Verdict::Fail], false, true),
            ExitStatus::Interrupted
        );
        assert_eq!(for_run(&[], false, false), ExitStatus::Untested);
        assert_eq!(
            for_run(&[Verdict::Pass, Verdict::Inconclusive], false, false),
            ExitStatus::Untested
        );
        assert_eq!(
            for_run(&[Verdict::Inconclusive, Verdict::Fail], false, false),
            ExitStatus::PolicyFailed
        );
    }

    #[test]
    fn listen_exit_status_fails_on_any_failed_sender_and_is_3_without_one() {
        assert_eq!(for_listen(&[Verdict::Pass]), ExitStatus::Pass);
        assert_eq!(for_listen(&[Verdict::Warn]), ExitStatus::Pass);
        assert_eq!(
            for_listen(&[Verdict::Pass, Verdict::Fail]),
            ExitStatus::PolicyFailed
        );
        assert_eq!(
            for_listen(&[Verdict::Untested, Verdict::Pass]),
            ExitStatus::Pass
        );
        assert_eq!(for_listen(&[Verdict::Untested]), ExitStatus::Untested);
        assert_eq!(for_listen(&[]), ExitStatus::Untested);
    }
}
