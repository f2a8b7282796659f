//! The server side of SMTP commands (RFC 5321 §4.1): split the sender's
//! bytes into bounded lines and name the command on each.
//!
//! Pure and synchronous: bytes in, typed values out. No IO, no replies
//! (those are `listen::session`'s). A line longer than [`MAX_LINE_LEN`] is
//! an error rather than a buffer that grows.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

/// The longest command line accepted, CRLF excluded. RFC 5321 §4.5.3.1.4
/// allows 512 octets; MAIL FROM with many ESMTP parameters and long
/// addresses exceeds that in practice, so the bound is the one the reply
/// parser uses for server lines (`proto::smtp::reply::MAX_LINE_LEN`).
pub const MAX_LINE_LEN: usize = crate::proto::smtp::reply::MAX_LINE_LEN;

/// The longest verb kept for a command tlscheck does not know. Only the
/// verb is kept, never the rest: a sender that ignores a refused DATA may
/// go on to send the message, and its content must not be stored.
pub const MAX_VERB_LEN: usize = 16;

/// The line was longer than [`MAX_LINE_LEN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("command line longer than {MAX_LINE_LEN} bytes")]
pub struct LineTooLong;

/// Takes one line off the front of `input`: the bytes before the first LF,
/// without the LF and a CR before it. `Ok(None)` when no complete line has
/// arrived yet. A bare LF ends a line too (RFC 5321 §2.3.8 asks for CRLF,
/// but being lenient here costs nothing).
pub fn take_line(input: &mut Vec<u8>) -> Result<Option<Vec<u8>>, LineTooLong> {
    let Some(lf) = input.iter().position(|b| *b == b'\n') else {
        return if input.len() > MAX_LINE_LEN {
            Err(LineTooLong)
        } else {
            Ok(None)
        };
    };
    let mut line: Vec<u8> = input.drain(..=lf).collect();
    line.pop(); // the LF
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.len() > MAX_LINE_LEN {
        return Err(LineTooLong);
    }
    Ok(Some(line))
}

/// A command from the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `EHLO name`.
    Ehlo(String),
    /// `HELO name`.
    Helo(String),
    /// `STARTTLS`; RFC 3207 §4 forbids parameters (`has_parameters`).
    StartTls {
        /// True when something followed the verb.
        has_parameters: bool,
    },
    /// `MAIL FROM:<…> params`: the text after `FROM:`, or `None` when the
    /// `FROM:` is missing.
    Mail(Option<String>),
    /// `RCPT TO:<…> params`: the text after `TO:`, or `None` when the `TO:`
    /// is missing.
    Rcpt(Option<String>),
    /// `DATA`.
    Data,
    /// `BDAT` (CHUNKING, RFC 3030; never advertised).
    Bdat,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// Any other verb (cut to [`MAX_VERB_LEN`]), or an empty line.
    Unknown(String),
}

impl Command {
    /// The line as the transcript keeps it: known commands whole,
    /// unknown ones as their verb only.
    pub fn transcript_text(&self, line: &str) -> String {
        match self {
            Self::Unknown(verb) => format!("{verb} … (unrecognised; rest not kept)"),
            _ => line.to_owned(),
        }
    }
}

/// Names the command on one line (without its CRLF). Verbs are
/// case-insensitive (RFC 5321 §2.4).
pub fn parse(line: &str) -> Command {
    let (verb, rest) = match line.split_once(' ') {
        Some((v, r)) => (v, r.trim()),
        None => (line.trim_end(), ""),
    };
    let arg_after = |prefix: &str| -> Option<String> {
        let head = rest.get(..prefix.len())?;
        if head.eq_ignore_ascii_case(prefix) {
            rest.get(prefix.len()..).map(|a| a.trim().to_owned())
        } else {
            None
        }
    };
    match verb.to_ascii_uppercase().as_str() {
        "EHLO" => Command::Ehlo(rest.to_owned()),
        "HELO" => Command::Helo(rest.to_owned()),
        "STARTTLS" => Command::StartTls {
            has_parameters: !rest.is_empty(),
        },
        "MAIL" => Command::Mail(arg_after("FROM:")),
        "RCPT" => Command::Rcpt(arg_after("TO:")),
        "DATA" => Command::Data,
        "BDAT" => Command::Bdat,
        "RSET" => Command::Rset,
        "NOOP" => Command::Noop,
        "QUIT" => Command::Quit,
        _ => Command::Unknown(verb.chars().take(MAX_VERB_LEN).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_crlf_and_bare_lf_lines_and_keeps_the_rest() {
        let mut input = b"EHLO a\r\nNOOP\nQU".to_vec();
        assert_eq!(take_line(&mut input), Ok(Some(b"EHLO a".to_vec())));
        assert_eq!(take_line(&mut input), Ok(Some(b"NOOP".to_vec())));
        assert_eq!(take_line(&mut input), Ok(None));
        assert_eq!(input, b"QU");
    }

    #[test]
    fn rejects_a_line_longer_than_the_bound_with_or_without_its_end() {
        let mut unfinished = vec![b'a'; MAX_LINE_LEN + 1];
        assert_eq!(take_line(&mut unfinished), Err(LineTooLong));
        let mut finished = vec![b'a'; MAX_LINE_LEN + 1];
        finished.extend_from_slice(b"\r\n");
        assert_eq!(take_line(&mut finished), Err(LineTooLong));
        let mut longest = vec![b'a'; MAX_LINE_LEN];
        longest.extend_from_slice(b"\r\n");
        assert!(matches!(take_line(&mut longest), Ok(Some(l)) if l.len() == MAX_LINE_LEN));
    }

    #[test]
    fn names_commands_case_insensitively() {
        assert_eq!(parse("ehlo mx.example"), Command::Ehlo("mx.example".into()));
        assert_eq!(parse("HELO x"), Command::Helo("x".into()));
        assert_eq!(
            parse("StartTLS"),
            Command::StartTls {
                has_parameters: false
            }
        );
        assert_eq!(
            parse("STARTTLS now"),
            Command::StartTls {
                has_parameters: true
            }
        );
        assert_eq!(
            parse("mail from:<a@b.example> SIZE=10"),
            Command::Mail(Some("<a@b.example> SIZE=10".into()))
        );
        assert_eq!(parse("MAIL <a@b>"), Command::Mail(None));
        assert_eq!(
            parse("RCPT TO: <c@d.example>"),
            Command::Rcpt(Some("<c@d.example>".into()))
        );
        assert_eq!(parse("RCPT"), Command::Rcpt(None));
        assert_eq!(parse("DATA"), Command::Data);
        assert_eq!(parse("quit"), Command::Quit);
        assert_eq!(parse(""), Command::Unknown(String::new()));
    }

    #[test]
    fn unknown_commands_keep_only_a_short_verb() {
        let c = parse("Subject: quarterly figures, confidential");
        assert_eq!(c, Command::Unknown("Subject:".into()));
        assert!(!c
            .transcript_text("Subject: quarterly figures, confidential")
            .contains("confidential"));
        assert_eq!(
            parse(&"X".repeat(100)),
            Command::Unknown("X".repeat(MAX_VERB_LEN))
        );
    }

    #[test]
    fn multibyte_text_after_mail_does_not_panic() {
        assert_eq!(parse("MAIL é"), Command::Mail(None));
        assert_eq!(parse("RCPT ТО:<x>"), Command::Rcpt(None));
    }
}
