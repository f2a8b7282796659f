//! Paste-able fixes per server software, as static data: enable TLS 1.2,
//! turn off TLS 1.0/1.1, offer STARTTLS, repair a refused STARTTLS. Also
//! guesses the server software from its greeting and EHLO reply.
//!
//! Pure: no IO and no printing; renderers show the steps and snippets.
//! Snippet text uses `\n` line ends; the example host names
//! (`mail.example.com`) and paths are for the admin to replace.

use std::fmt;

/// The mail server software, as far as the SMTP dialogue reveals it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerSoftware {
    /// Microsoft Exchange (on-premises or Online) or another Windows SMTP
    /// service built on SCHANNEL, such as the IIS SMTP service, which
    /// greets with the same banner and takes the same registry fixes.
    Exchange,
    /// Postfix.
    Postfix,
    /// Exim.
    Exim,
    /// Sendmail.
    Sendmail,
    /// Anything else, or a banner that hides the software.
    Other,
}

impl ServerSoftware {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Exchange => "exchange",
            Self::Postfix => "postfix",
            Self::Exim => "exim",
            Self::Sendmail => "sendmail",
            Self::Other => "other",
        }
    }

    /// The product name for humans.
    pub fn name(self) -> &'static str {
        match self {
            Self::Exchange => "Microsoft Exchange / Windows SMTP",
            Self::Postfix => "Postfix",
            Self::Exim => "Exim",
            Self::Sendmail => "Sendmail",
            Self::Other => "Other or unknown",
        }
    }
}

impl ServerSoftware {
    /// True for the Unix mail servers tlscheck knows (Postfix, Exim,
    /// Sendmail): advice for them must not mention SCHANNEL, the Windows
    /// registry or Exchange connectors.
    pub fn is_unix_mta(self) -> bool {
        matches!(self, Self::Postfix | Self::Exim | Self::Sendmail)
    }
}

impl fmt::Display for ServerSoftware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A block of configuration or commands to paste.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// What the text is, for highlighting and file naming: `reg` (Windows
    /// registry file), `powershell`, `conf` (Postfix `main.cf`, Exim
    /// configuration), `m4` (Sendmail `.mc`), `sh` (shell commands).
    pub language: &'static str,
    /// The text itself.
    pub text: &'static str,
}

/// A fix for one server software: what to do, in order, and what to paste.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remediation {
    /// One line saying what this fixes.
    pub title: &'static str,
    /// The steps, in order.
    pub steps: &'static [&'static str],
    /// What to paste, where there is something.
    pub snippet: Option<Snippet>,
}

/// How to make the server send and receive with TLS 1.2.
pub fn enable_tls12(sw: ServerSoftware) -> Remediation {
    match sw {
        ServerSoftware::Exchange => EXCHANGE_ENABLE_TLS12,
        ServerSoftware::Postfix => POSTFIX_ENABLE_TLS12,
        ServerSoftware::Exim => EXIM_ENABLE_TLS12,
        ServerSoftware::Sendmail => SENDMAIL_ENABLE_TLS12,
        ServerSoftware::Other => OTHER_ENABLE_TLS12,
    }
}

/// How to make a server that speaks TLS 1.2 only with old cipher suites
/// (CBC, RSA key exchange) offer the ECDHE suites with AES-GCM that current
/// senders use. Office 365 lists for TLS 1.2 ECDHE_RSA with AES-GCM or
/// AES-CBC and RSA with AES-GCM, and no ECDSA suite, so the server also
/// needs an RSA certificate. See:
/// <https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption>
pub fn enable_modern_ciphers(sw: ServerSoftware) -> Remediation {
    match sw {
        ServerSoftware::Exchange => EXCHANGE_MODERN_CIPHERS,
        ServerSoftware::Postfix => POSTFIX_MODERN_CIPHERS,
        ServerSoftware::Exim => EXIM_MODERN_CIPHERS,
        ServerSoftware::Sendmail => SENDMAIL_MODERN_CIPHERS,
        ServerSoftware::Other => OTHER_MODERN_CIPHERS,
    }
}

/// How to turn off TLS 1.0 and TLS 1.1 once TLS 1.2 works.
pub fn disable_legacy(sw: ServerSoftware) -> Remediation {
    match sw {
        ServerSoftware::Exchange => EXCHANGE_DISABLE_LEGACY,
        ServerSoftware::Postfix => POSTFIX_DISABLE_LEGACY,
        ServerSoftware::Exim => EXIM_DISABLE_LEGACY,
        ServerSoftware::Sendmail => SENDMAIL_DISABLE_LEGACY,
        ServerSoftware::Other => OTHER_DISABLE_LEGACY,
    }
}

/// How to make a server that does not list STARTTLS in its EHLO reply
/// offer it.
pub fn enable_starttls(sw: ServerSoftware) -> Remediation {
    match sw {
        ServerSoftware::Exchange => EXCHANGE_ENABLE_STARTTLS,
        ServerSoftware::Postfix => POSTFIX_ENABLE_STARTTLS,
        ServerSoftware::Exim => EXIM_ENABLE_STARTTLS,
        ServerSoftware::Sendmail => SENDMAIL_ENABLE_STARTTLS,
        ServerSoftware::Other => OTHER_ENABLE_STARTTLS,
    }
}

/// How to repair a server that lists STARTTLS but refuses it (`454 4.7.0
/// TLS not available …`): almost always an unreadable or missing
/// certificate or private key.
pub fn repair_starttls(sw: ServerSoftware) -> Remediation {
    match sw {
        ServerSoftware::Exchange => EXCHANGE_REPAIR_STARTTLS,
        ServerSoftware::Postfix => POSTFIX_REPAIR_STARTTLS,
        ServerSoftware::Exim => EXIM_REPAIR_STARTTLS,
        ServerSoftware::Sendmail => SENDMAIL_REPAIR_STARTTLS,
        ServerSoftware::Other => OTHER_REPAIR_STARTTLS,
    }
}

mod detect;
mod fit;
mod steps;

pub use detect::detect;
pub use fit::{fit_fix_short, fit_line};
use steps::*;

#[cfg(test)]
mod tests;
