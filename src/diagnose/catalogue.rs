//! The failure-signature catalogue: every error text tlscheck can explain,
//! as one static table of plain data (what admins see, where, what it
//! means, why it happens, what to change, what to run next).
//!
//! Only data and lookups live here. Finding signatures in pasted text is
//! `diagnose::explain`; turning them into words on a screen is `report`.
//! Nothing here does IO or allocates at run time.

use std::fmt;

/// Where an error text shows up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// The non-delivery report (bounce, DSN) the sender of the message gets,
    /// usually under "Diagnostic information for administrators".
    Ndr,
    /// "Last error" in Exchange Queue Viewer or `Get-Queue | fl LastError`
    /// on an on-premises Exchange server.
    QueueViewer,
    /// Exchange Send connector protocol log (`ProtocolLog\SmtpSend`).
    SendProtocolLog,
    /// Exchange Receive connector protocol log (`ProtocolLog\SmtpReceive`).
    ReceiveProtocolLog,
    /// Exchange Online message trace: the Defer/Fail event details
    /// (`LED=…`).
    MessageTrace,
    /// Connector validation in the Exchange admin center (Exchange Online).
    ConnectorValidation,
    /// The Postfix mail log (`/var/log/mail.log`, `maillog`).
    PostfixLog,
    /// The Exim main or reject log.
    EximLog,
    /// The Sendmail log (syslog `mail` facility).
    SendmailLog,
    /// The error shown or logged by an SMTP client: a device, an
    /// application, a script that submits mail.
    ClientLog,
    /// The Windows event log (Application or System).
    EventLog,
}

impl Place {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ndr => "ndr",
            Self::QueueViewer => "queue_viewer",
            Self::SendProtocolLog => "send_protocol_log",
            Self::ReceiveProtocolLog => "receive_protocol_log",
            Self::MessageTrace => "message_trace",
            Self::ConnectorValidation => "connector_validation",
            Self::PostfixLog => "postfix_log",
            Self::EximLog => "exim_log",
            Self::SendmailLog => "sendmail_log",
            Self::ClientLog => "client_log",
            Self::EventLog => "event_log",
        }
    }

    /// The name an admin knows the place by.
    pub fn title(self) -> &'static str {
        match self {
            Self::Ndr => "Non-delivery report (NDR)",
            Self::QueueViewer => "Exchange Queue Viewer",
            Self::SendProtocolLog => "Send connector protocol log",
            Self::ReceiveProtocolLog => "Receive connector protocol log",
            Self::MessageTrace => "Exchange Online message trace",
            Self::ConnectorValidation => "Exchange Online connector validation",
            Self::PostfixLog => "Postfix mail log",
            Self::EximLog => "Exim log",
            Self::SendmailLog => "Sendmail log",
            Self::ClientLog => "SMTP client error or log",
            Self::EventLog => "Windows event log",
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// Which end of the failing connection sees or writes the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The side that sends the message (the SMTP client): its queue, its
    /// Send connector log, the NDR it generates.
    Sender,
    /// The side that receives the message (the SMTP server): its Receive
    /// connector log, its own mail log.
    Receiver,
}

impl Side {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sender => "sender",
            Self::Receiver => "receiver",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One place a signature shows up, and on which side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Appearance {
    /// Where the text is seen.
    pub place: Place,
    /// Whose log or report it is.
    pub side: Side,
}

/// How much a match says about the text it was found in. Ordered: a
/// stronger match sorts after a weaker one (`Exact > Partial > Code >
/// Envelope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strength {
    /// A generic wrapper around the real error (Exchange's "Primary target
    /// IP address responded with: …"). Always listed after what it wraps.
    Envelope,
    /// Only the reply code and enhanced status code matched; the words
    /// differ. A hint of the same family, not a diagnosis.
    Code,
    /// Characteristic words matched without the code that makes them
    /// specific (e.g. "Must issue a STARTTLS command first" alone, which
    /// Exchange and Postfix both say with different codes).
    Partial,
    /// The signature as documented: its code and words, or its distinctive
    /// words where it has no code.
    Exact,
}

impl Strength {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Envelope => "envelope",
            Self::Code => "code",
            Self::Partial => "partial",
            Self::Exact => "exact",
        }
    }
}

impl fmt::Display for Strength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One way of recognising a signature in pasted text. All parts that are
/// present must be found close together (see `diagnose::explain` for the
/// rules); a matcher has an enhanced code, phrases, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matcher {
    /// The RFC 5321 basic reply code that must stand right before the
    /// enhanced code (`421` in `421 4.4.2`). Only used together with
    /// `enhanced`.
    pub reply: Option<u16>,
    /// The RFC 3463 enhanced status code, e.g. `4.4.2`, matched as a whole
    /// token (`4.4.2` does not match inside `4.4.20` or `14.4.2`).
    pub enhanced: Option<&'static str>,
    /// Literal fragments, lower case with single spaces, all of which must
    /// appear (compared case-insensitively after whitespace is collapsed).
    pub phrases: &'static [&'static str],
    /// What a hit of this matcher is worth.
    pub strength: Strength,
}

/// Where to read more: a Microsoft article, an RFC, a vendor manual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The title of the document.
    pub title: &'static str,
    /// Its address, where known.
    pub url: Option<&'static str>,
}

/// One documented failure signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Stable kebab-case id, e.g. `socket-error-421-4-4-2`, for JSON and
    /// [`by_id`].
    pub id: &'static str,
    /// The text as admins see it (one representative form).
    pub text: &'static str,
    /// How `explain` recognises it.
    pub matchers: &'static [Matcher],
    /// Where it shows up and on which side.
    pub appears_in: &'static [Appearance],
    /// What it means, in plain words.
    pub meaning: &'static str,
    /// Why it happens, most likely first.
    pub causes: &'static [&'static str],
    /// What to change, in order.
    pub fix: &'static [&'static str],
    /// The tlscheck command to run next. `{target}` stands for the host or
    /// domain the user is asking about; upper-case words (`FILE`) are for
    /// the user to fill in.
    pub next_step: &'static str,
    /// Where to read more: the primary source the entry is checked
    /// against (every URL is one of [`DOCUMENTED_PAGES`]).
    pub reference: Reference,
    /// Further primary sources for single causes or facts of the entry.
    pub see_also: &'static [Reference],
}

/// The catalogue entry with this id, if any.
pub fn by_id(id: &str) -> Option<&'static Signature> {
    CATALOGUE.iter().find(|s| s.id == id)
}

/// Every page a catalogue entry may cite, each one read against the entry
/// it backs (title as published). A reference outside this table fails the
/// unit tests: add a page here only after checking the entry against it.
pub const DOCUMENTED_PAGES: &[(&str, &str)] = &[
    ("https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/send-receive-emails-socketerror", "Can't send or receive email when using TLS 1.1 or TLS 1.0"),
    ("https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online", "Email non-delivery reports and SMTP errors in Exchange Online"),
    ("https://learn.microsoft.com/en-us/defender-office-365/connectors-mail-flow-intelligence", "Mail flow intelligence in EOP"),
    ("https://learn.microsoft.com/en-us/exchange/troubleshoot/connectors/relay-access-denied-smtp", "\"550 5.7.64 TenantAttribution\" when sending mail externally in Microsoft 365"),
    ("https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/updated-requirements-smtp-relay", "Updated requirements for SMTP relay through Exchange Online"),
    ("https://techcommunity.microsoft.com/t5/exchange-team-blog/how-to-pause-throttling-and-blocking-of-out-of-date-on-premises/ba-p/4007169", "How to pause throttling and blocking of out-of-date on-premises Exchange Servers"),
    ("https://learn.microsoft.com/en-us/purview/how-smtp-dane-works", "How SMTP DNS-based Authentication of Named Entities (DANE) works"),
    ("https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption", "Technical reference details about encryption"),
    ("https://support.microsoft.com/en-us/help/4051498/outbound-email-messages-are-not-sent-on-the-exchange-hub-transport-or", "Outbound email messages are not sent on the Exchange Hub Transport or Edge server"),
    ("https://learn.microsoft.com/en-us/exchange/troubleshoot/mailflow/tls-negotiation-failed-with-error-nocredentials-error", "TLS negotiation failed with error NoCredentials if messages to external domains are deferred"),
    ("https://learn.microsoft.com/en-us/archive/blogs/lalitbisht/mailflow-issue-from-exchange-on-prem-to-office-365", "Mailflow issue from Exchange On-Prem to Office 365"),
    ("https://learn.microsoft.com/en-us/archive/blogs/winsdk/encountering-the-client-and-server-cannot-communicate-because-they-do-not-possess-a-common-algorithm-or-sec_e_algorithm_mismatch-0x80090331", "Encountering SEC_E_ALGORITHM_MISMATCH (0x80090331)"),
    ("https://learn.microsoft.com/en-us/exchange/troubleshoot/mailflow/dns-query-failed", "451 4.4.0 DNS query failed Exchange Server error in message queue"),
    ("https://learn.microsoft.com/en-us/exchange/mail-flow/message-rate-limits", "Message rate limits and throttling"),
    ("https://learn.microsoft.com/en-us/exchange/mail-flow/back-pressure", "Understanding back pressure"),
    ("https://aka.ms/smtp_auth_tls", "The address Exchange Online's 421 4.7.66 reply itself gives"),
    ("https://www.postfix.org/TLS_README.html", "Postfix TLS Support"),
    ("https://www.postfix.org/DEBUG_README.html", "Postfix Debugging Howto"),
    ("https://www.postfix.org/postconf.5.html#smtp_tls_security_level", "postconf(5): smtp_tls_security_level"),
    ("https://www.postfix.org/postconf.5.html#smtpd_client_connection_count_limit", "postconf(5): smtpd_client_connection_count_limit"),
    ("https://www.rfc-editor.org/rfc/rfc3207", "RFC 3207"),
    ("https://www.rfc-editor.org/rfc/rfc3463", "RFC 3463"),
    ("https://www.rfc-editor.org/rfc/rfc7672#section-3.1.1", "RFC 7672 section 3.1.1"),
    ("https://www.rfc-editor.org/rfc/rfc8446#section-6.2", "RFC 8446 section 6.2"),
    ("https://www.rfc-editor.org/rfc/rfc8996", "RFC 8996"),
];

/// True when `url` is one of [`DOCUMENTED_PAGES`].
pub fn is_documented_page(url: &str) -> bool {
    DOCUMENTED_PAGES.iter().any(|(u, _)| *u == url)
}

mod signatures;

pub use signatures::{CATALOGUE, MS_DANE, MS_O365_CIPHERS, RFC_7672};

#[cfg(test)]
mod tests;
