//! The plain-text policy session: greeting, EHLO, `MAIL FROM:<>`, `RSET`,
//! `QUIT`, to learn whether the server demands TLS before mail. Never
//! RCPT, never DATA.

use std::net::SocketAddr;

use super::plaintext::{PlainText, Upto};
use super::session::{merge_transcripts, Session};
use super::{ProbeConfig, Shared};
use crate::model::{Policy, Stage};

/// What the policy session learnt.
pub(super) struct PolicyOutcome {
    pub(super) policy: Policy,
    pub(super) seen: PlainText,
}

impl PolicyOutcome {
    /// Nothing learnt yet; `error` says why, when it is already known.
    fn empty(error: Option<String>) -> Self {
        Self {
            policy: Policy {
                mail_from: None,
                requires_tls: None,
                error,
                transcript: Vec::new(),
            },
            seen: PlainText::default(),
        }
    }

    /// The session never ran: the run was cancelled while it waited for
    /// a permit.
    pub(super) fn interrupted() -> Self {
        Self::empty(Some("interrupted".to_owned()))
    }
}

/// The plain-text session: greeting, EHLO, `MAIL FROM:<>`, `RSET`, `QUIT`.
/// Never RCPT, never DATA.
pub(super) async fn policy_session(
    cfg: &ProbeConfig,
    addr: SocketAddr,
    host: Option<&str>,
    shared: &Shared,
) -> PolicyOutcome {
    let mut session = Session::new(cfg, addr, host, shared);
    let mut out = PolicyOutcome::empty(None);
    if cfg.implicit_tls {
        out.policy.error = Some("not applicable: TLS starts on connect (implicit TLS)".to_owned());
        return out;
    }
    let ready = match session.smtp_until_tls(Upto::Ehlo).await {
        Err(nr) => {
            let nr = *nr;
            out.policy.error = Some(nr.result.to_string());
            out.policy.transcript = merge_transcripts(nr.transcript, session.notes);
            out.seen = nr.seen;
            return out;
        }
        Ok(r) => r,
    };
    out.seen.banner = ready.banner;
    out.seen.ehlo = ready.ehlo;
    let Some(mut client) = ready.client else {
        out.policy.error = Some("internal: no SMTP dialogue after EHLO".to_owned());
        return out;
    };
    match session
        .stage(Stage::MailFrom, client.mail_from_null())
        .await
    {
        Ok(Ok(reply)) => {
            out.policy.requires_tls = crate::proto::smtp::reply::requires_tls(&reply);
            out.policy.mail_from = Some(reply);
            let _ = session.stage(Stage::Rset, client.rset()).await;
            let _ = session.stage(Stage::Quit, client.quit_and_close()).await;
        }
        Ok(Err(e)) => out.policy.error = Some(e.to_string()),
        Err(stop) => out.policy.error = Some(stop.result().to_string()),
    }
    out.policy.transcript = merge_transcripts(
        merge_transcripts(ready.transcript, client.take_transcript()),
        session.notes,
    );
    out
}
