//! The catalogue's data: every documented failure signature, with the
//! primary sources each entry is checked against. Pure data, no logic: the
//! table is long because the catalogue is, and it stays in one place so an
//! entry is found in one guess (the size rule's exception for data tables).

use super::{Appearance, Matcher, Place, Reference, Side, Signature, Strength};

// Short constructors keep the table below readable.

/// Enhanced code plus words: the signature as documented. A reply code
/// right before the enhanced code is included in the fragment when present.
const fn coded(enhanced: &'static str, phrases: &'static [&'static str]) -> Matcher {
    Matcher {
        reply: None,
        enhanced: Some(enhanced),
        phrases,
        strength: Strength::Exact,
    }
}

/// Distinctive words without a code.
const fn words(phrases: &'static [&'static str]) -> Matcher {
    Matcher {
        reply: None,
        enhanced: None,
        phrases,
        strength: Strength::Exact,
    }
}

/// Words shared with other signatures, or a paraphrase.
const fn partial(phrases: &'static [&'static str]) -> Matcher {
    Matcher {
        reply: None,
        enhanced: None,
        phrases,
        strength: Strength::Partial,
    }
}

/// Reply code and enhanced code only, e.g. `421 4.4.2` with other words.
const fn code_only(reply: u16, enhanced: &'static str) -> Matcher {
    Matcher {
        reply: Some(reply),
        enhanced: Some(enhanced),
        phrases: &[],
        strength: Strength::Code,
    }
}

/// A wrapper around the real error.
const fn envelope(enhanced: Option<&'static str>, phrases: &'static [&'static str]) -> Matcher {
    Matcher {
        reply: None,
        enhanced,
        phrases,
        strength: Strength::Envelope,
    }
}

pub(super) const fn at(place: Place, side: Side) -> Appearance {
    Appearance { place, side }
}

const fn reference(title: &'static str, url: &'static str) -> Reference {
    Reference {
        title,
        url: Some(url),
    }
}

use Place::*;
use Side::*;

/// The Microsoft article the project starts from (English original of the
/// seed document). It names `421 4.4.2 … SocketError` in the NDR and in Queue
/// Viewer, `TLS negotiation failed with error SocketError` in the Send
/// connector protocol log and `451 5.7.3 Must issue a STARTTLS command first`
/// in the Send or Receive connector protocol log; nothing else.
pub(super) const MS_TLS10_11: Reference = reference(
    "Can't send or receive email when using TLS 1.1 or TLS 1.0 (Exchange / Microsoft 365)",
    "https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/send-receive-emails-socketerror",
);

/// The Exchange Online NDR code table (of the connector codes it lists only
/// 4.4.316; it lists 5.7.64 and the DANE codes 5.7.321 to 5.7.324).
const MS_EXO_NDR: Reference = reference(
    "Email non-delivery reports and SMTP errors in Exchange Online",
    "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online",
);

/// Where Microsoft documents the connector errors 450 4.4.312, 4.4.315,
/// 4.4.316, 4.4.317, 4.4.318 and 4.7.320, with their causes and fixes.
pub(super) const MS_MAIL_FLOW_INTELLIGENCE: Reference = reference(
    "Mail flow intelligence in EOP (Microsoft Defender for Office 365 documentation)",
    "https://learn.microsoft.com/en-us/defender-office-365/connectors-mail-flow-intelligence",
);

/// The requirements for relaying through Exchange Online since November 1,
/// 2023 (certificate domain or MAIL FROM domain must be an accepted domain).
pub(super) const MS_SMTP_RELAY_2023: Reference = reference(
    "Updated requirements for SMTP relay through Exchange Online",
    "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/updated-requirements-smtp-relay",
);

/// The Exchange Team's post that quotes the 4.7.230 / 5.7.230 texts.
const MS_OUTDATED_EXCHANGE: Reference = reference(
    "How to pause throttling and blocking of out-of-date on-premises Exchange Servers (Exchange Team Blog)",
    "https://techcommunity.microsoft.com/t5/exchange-team-blog/how-to-pause-throttling-and-blocking-of-out-of-date-on-premises/ba-p/4007169",
);

/// Exchange Online's DANE error codes (5.7.321 to 5.7.324) and what each
/// needs from the receiving server.
pub const MS_DANE: Reference = reference(
    "How SMTP DNS-based Authentication of Named Entities (DANE) works (Microsoft Purview)",
    "https://learn.microsoft.com/en-us/purview/how-smtp-dane-works",
);

/// RFC 7672 §3.1.1: with a DANE-EE(3) TLSA record the certificate is
/// matched by the record alone; no public CA and no name check.
pub const RFC_7672: Reference = reference(
    "RFC 7672 §3.1.1: SMTP Security via Opportunistic DANE TLS (DANE-EE(3) TLSA records)",
    "https://www.rfc-editor.org/rfc/rfc7672#section-3.1.1",
);

/// The TLS 1.2 cipher suites Office 365 supports.
pub const MS_O365_CIPHERS: Reference = reference(
    "Technical reference details about encryption: TLS cipher suites supported by Office 365 (Microsoft Purview)",
    "https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption",
);

const RFC_3207: Reference = reference(
    "RFC 3207: SMTP Service Extension for Secure SMTP over Transport Layer Security",
    "https://www.rfc-editor.org/rfc/rfc3207",
);

const POSTFIX_TLS: Reference = reference(
    "Postfix TLS Support (TLS_README)",
    "https://www.postfix.org/TLS_README.html",
);

const RFC_8996: Reference = reference(
    "RFC 8996: Deprecating TLS 1.0 and TLS 1.1",
    "https://www.rfc-editor.org/rfc/rfc8996",
);

/// The steps that fix a TLS version mismatch on Exchange/Windows; shared by
/// the SocketError family.
const ENABLE_TLS12_EXCHANGE: &str = "Enable TLS 1.2 in SCHANNEL on every Exchange and Edge server in the mail path: both `TLS 1.2\\Client` (used when the server sends) and `TLS 1.2\\Server` (used when it receives) with `Enabled`=1 and `DisabledByDefault`=0, and set the .NET Framework keys `SystemDefaultTlsVersions`=1 and `SchUseStrongCrypto`=1 (tlscheck prints the .reg file for Exchange).";
const RESTART: &str = "Restart the server: SCHANNEL reads these keys only when Windows starts.";
const UPDATE: &str = "Install the latest Windows updates and the latest Exchange cumulative and security update; older builds cannot negotiate TLS 1.2 for SMTP.";
const NO_SMTP_INSPECTION: &str = "Turn off SMTP/ESMTP inspection (e.g. Cisco ASA `inspect esmtp`) on firewalls between the server and the internet; it breaks or strips STARTTLS.";

/// Every signature tlscheck knows. Ids are unique and kebab-case; the
/// unit tests hold the table to that.
pub static CATALOGUE: &[Signature] = &[
    // ---- The four errors of the Microsoft article ------------------------
    Signature {
        id: "socket-error-421-4-4-2",
        text: "421 4.4.2 Connection dropped due to SocketError",
        matchers: &[
            coded("4.4.2", &["socketerror"]),
            words(&["connection dropped due to socketerror"]),
            partial(&["connection dropped due to socket error"]),
            code_only(421, "4.4.2"),
        ],
        appears_in: &[at(Ndr, Sender), at(QueueViewer, Sender)],
        meaning: "The sending server opened a TCP connection to the receiving server and the connection was closed or reset before the message was handed over. Since Office 365 stopped accepting TLS 1.0 and TLS 1.1, the usual reason is the TLS handshake after STARTTLS: the two servers have no TLS version (or no cipher suite) in common, so one side drops the connection instead of answering, and Exchange reports a socket error rather than a TLS error. Microsoft documents this text in the NDR and in Queue Viewer of the on-premises server that sends; when Office 365 is the sender (mail to your on-premises server fails), Exchange Online reports 450 4.4.317 or 4.4.318 instead, and the receiving server's `TLS 1.2\\Server` setting is the one to check.",
        causes: &[
            "The on-premises server offers only TLS 1.0/1.1 when it sends (SCHANNEL `TLS 1.2\\Client` disabled or never enabled, as on Windows Server 2008 R2 or after a hardening template), so Office 365 drops the handshake.",
            "TLS 1.2 is enabled but no cipher suite is shared (suite list trimmed by a GPO or IIS Crypto), or Exchange's .NET Framework is not set to use the system TLS versions (`SystemDefaultTlsVersions`, `SchUseStrongCrypto`).",
            "A firewall or load balancer with SMTP inspection interferes with STARTTLS and resets the connection.",
            "An unstable network path or a NAT idle timeout, when the drop happens after the handshake.",
        ],
        fix: &[
            ENABLE_TLS12_EXCHANGE,
            RESTART,
            UPDATE,
            NO_SMTP_INSPECTION,
            "Read the Send or Receive connector protocol log for the same time: `TLS negotiation failed with error …` there tells which side failed.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_TLS10_11,
    },
    Signature {
        id: "tls-negotiation-failed-socketerror",
        text: "TLS negotiation failed with error SocketError",
        matchers: &[words(&["tls negotiation failed with error socketerror"])],
        appears_in: &[at(SendProtocolLog, Sender), at(ReceiveProtocolLog, Receiver)],
        meaning: "Exchange sent STARTTLS, the other side answered 220, and the TCP connection was closed during the TLS handshake that followed. In a Send connector log towards Office 365 this is the TLS version mismatch: this server offered only TLS 1.0 or 1.1 and Office 365 hung up. In a Receive connector log the connecting server gave up during the handshake, usually because this server offered no version or cipher suite it accepts.",
        causes: &[
            "Send connector log: SCHANNEL `TLS 1.2\\Client` is disabled on this server, or .NET is not set to use the system TLS versions, so it offers only TLS 1.0/1.1.",
            "Receive connector log: SCHANNEL `TLS 1.2\\Server` is disabled, so TLS 1.2-only senders such as Office 365 cannot connect.",
            "No cipher suite in common after the cipher suite list was restricted.",
            "SMTP inspection on a firewall resets the connection after STARTTLS.",
        ],
        fix: &[
            ENABLE_TLS12_EXCHANGE,
            RESTART,
            UPDATE,
            NO_SMTP_INSPECTION,
            "To see what this server offers when it sends, run `tlscheck listen` on another machine and send a test message from the server to it (for example through a temporary Send connector with that machine as smart host).",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:25 --once",
        see_also: &[],
        reference: MS_TLS10_11,
    },
    Signature {
        id: "starttls-required-451-5-7-3",
        text: "451 5.7.3 Must issue a STARTTLS command first",
        matchers: &[
            coded("5.7.3", &["starttls"]),
            partial(&["must issue a starttls command first"]),
            code_only(451, "5.7.3"),
        ],
        appears_in: &[at(SendProtocolLog, Sender), at(ReceiveProtocolLog, Receiver)],
        meaning: "The receiving side requires TLS on this connection and the sender sent MAIL FROM without it. The sender skipped STARTTLS either because the receiver did not offer it or because an earlier TLS attempt failed and the sender retried in plain text. After the TLS 1.0/1.1 retirement the common story is: the handshake failed (no common TLS version), the sender retried without TLS, and the side that enforces TLS (an Office 365 connector, or a Receive connector with RequireTLS) refused the plain-text session. Microsoft documents this text in the Send and Receive connector protocol logs; when an Office 365 connector requires TLS and the destination cannot do it, Exchange Online reports 450 4.4.317 (Mail flow intelligence).",
        causes: &[
            "The TLS handshake failed first because TLS 1.2 is disabled on one side, and the sender fell back to plain text; look for `TLS negotiation failed` just before in the same log.",
            "The receiving server did not offer STARTTLS: no valid certificate for the Receive connector's FQDN is enabled for SMTP, or `Tls` is missing from its AuthMechanism.",
            "The receiving Receive connector's `TlsCertificateName` no longer matches the installed certificate (after a renewal), so it cannot start TLS.",
            "A firewall with SMTP inspection strips STARTTLS from the EHLO reply (EHLO then lists `XXXXXXXA`).",
        ],
        fix: &[
            ENABLE_TLS12_EXCHANGE,
            RESTART,
            "On the receiving Exchange server, enable a valid certificate whose names include the Receive connector's FQDN for SMTP: `Get-ExchangeCertificate | fl Thumbprint,Services,CertificateDomains,NotAfter,Status`, then `Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP`.",
            "Check `Get-ReceiveConnector | fl Identity,Fqdn,AuthMechanism,RequireTLS,TlsCertificateName`; after a certificate renewal set `-TlsCertificateName \"<I>issuer<S>subject\"` of the new certificate.",
            NO_SMTP_INSPECTION,
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_TLS10_11,
    },
    // ---- STARTTLS refused or required elsewhere --------------------------
    Signature {
        id: "starttls-required-530-5-7-0",
        text: "530 5.7.0 Must issue a STARTTLS command first",
        matchers: &[coded("5.7.0", &["must issue a starttls command first"])],
        appears_in: &[at(PostfixLog, Sender), at(Ndr, Sender), at(ClientLog, Sender)],
        meaning: "The receiving server (Postfix with `smtpd_tls_security_level = encrypt`, or another server set to require TLS) refused the command because the session was not encrypted. The sender either never tried STARTTLS, or tried, failed the handshake, and retried in plain text.",
        causes: &[
            "The sender does not use STARTTLS (Postfix `smtp_tls_security_level = none`, an old device or script).",
            "The TLS handshake failed (no common TLS version or cipher suite) and the sender retried in plain text; its log shows the TLS failure just before.",
            "The receiver requires TLS on a listener where clients are not expected to use it, e.g. `-o smtpd_tls_security_level=encrypt` on port 25 in master.cf.",
        ],
        fix: &[
            "On the sender, use opportunistic TLS (Postfix `smtp_tls_security_level = may`) and make sure it can speak TLS 1.2.",
            "Make sure both sides share TLS 1.2: check the versions the receiver accepts with tlscheck.",
            "If the receiver is yours and takes mail from the internet on port 25, use `smtpd_tls_security_level = may` there: RFC 3207 says a publicly referenced SMTP server must not require TLS.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: RFC_3207,
    },
    Signature {
        id: "starttls-unavailable-454-4-7-0",
        text: "454 4.7.0 TLS not available due to local problem",
        matchers: &[
            coded("4.7.0", &["tls not available due to local problem"]),
            partial(&["tls not available due to local problem"]),
        ],
        appears_in: &[at(PostfixLog, Sender), at(Ndr, Sender), at(ClientLog, Sender)],
        meaning: "The server listed STARTTLS in its EHLO reply but could not start TLS when asked. This is Postfix's reply when its TLS engine cannot be set up: the certificate or private key is missing, unreadable or does not match. Senders that require TLS (an Office 365 connector with TLS enforced) give up; others retry in plain text.",
        causes: &[
            "`smtpd_tls_cert_file` / `smtpd_tls_key_file` (or `smtpd_tls_chain_files`) name a missing file, or the key cannot be read (permissions, passphrase-protected key).",
            "The private key does not belong to the certificate (renewed certificate, old key).",
            "`tlsmgr` is missing from master.cf, or the TLS library failed to initialise after an upgrade.",
        ],
        fix: &[
            "Read the server's mail log at the time of the reply: a `warning: TLS library problem` or `cannot get … private key` line names the file.",
            "Check the files with `postconf smtpd_tls_cert_file smtpd_tls_key_file smtpd_tls_chain_files`, and that key and certificate belong together: the outputs of `openssl x509 -in CERT -noout -pubkey` and `openssl pkey -in KEY -pubout` must be identical.",
            "Keep the key unencrypted and owned by root, then run `postfix check` and `postfix reload`.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: POSTFIX_TLS,
    },
    Signature {
        id: "starttls-refused-454",
        text: "454 TLS not available due to temporary reason",
        matchers: &[
            words(&["tls not available due to temporary reason"]),
            partial(&["tls currently unavailable"]),
            code_only(454, "4.7.0"),
        ],
        appears_in: &[
            at(Ndr, Sender),
            at(SendProtocolLog, Sender),
            at(PostfixLog, Sender),
            at(EximLog, Sender),
        ],
        meaning: "The server offered STARTTLS but refused to start TLS when asked (RFC 3207 reply 454). The reply itself says nothing more; the reason is in the receiving server's own log, and it is almost always the certificate or private key that cannot be loaded.",
        causes: &[
            "The certificate or private key is missing, unreadable by the mail service, or the two do not match.",
            "The certificate bound to SMTP expired or was replaced without updating the configuration.",
            "The TLS library failed to initialise (after an OpenSSL upgrade) or the server is short of resources.",
        ],
        fix: &[
            "Read the receiving server's log at the time of the reply; Exim logs `TLS error on connection … (cert/key setup)`, Postfix `TLS library problem`, Exchange an MSExchangeFrontEndTransport certificate event.",
            "Fix the certificate and key files or the certificate binding, then reload the mail service.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: RFC_3207,
    },
    // ---- Exchange Online connector errors (4.4.31x, 4.7.320, 5.7.64) -----
    // Microsoft documents 4.4.312 to 4.4.318 and 4.7.320 on "Mail flow
    // intelligence in EOP": Microsoft 365 delivering over a connector (to
    // your on-premises servers or a partner) and queuing the message for up
    // to 24 hours. The NDR table lists only 4.4.316 of them.
    Signature {
        id: "exo-dns-query-failed-450-4-4-312",
        text: "450 4.4.312 DNS query failed",
        matchers: &[
            coded("4.4.312", &["dns query failed"]),
            coded("5.4.312", &["dns query failed"]),
            code_only(450, "4.4.312"),
        ],
        appears_in: &[
            at(MessageTrace, Sender),
            at(ConnectorValidation, Sender),
            at(Ndr, Sender),
        ],
        meaning: "Microsoft 365 tried to deliver over a connector to its smart host, but the DNS query for the smart host's IP addresses failed. Nothing was sent; Microsoft 365 retries for 24 hours and then returns the message in an NDR.",
        causes: &[
            "A problem at your domain's DNS hosting service (the authoritative name servers).",
            "Your domain has recently expired, so the MX record cannot be retrieved.",
            "The MX record changed recently and DNS servers still hold the old, cached answer.",
            "The smart host named in the outbound connector is misspelt or exists only in internal DNS (tlscheck's addition; check it with the connector settings).",
        ],
        fix: &[
            "Work with your DNS hosting service to find and fix the problem; resolve the name from outside your network, e.g. `dig MX contoso.com @1.1.1.1`.",
            "Check the connector's smart host (`Get-OutboundConnector | fl Name,SmartHosts,TlsSettings,TlsDomain`), then validate the connector in the Exchange admin center.",
            "If the error is about a partner organization's server, the partner has to fix it.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_MAIL_FLOW_INTELLIGENCE,
    },
    Signature {
        id: "exo-connection-timed-out-450-4-4-315",
        text: "450 4.4.315 Connection timed out",
        matchers: &[
            coded("4.4.315", &["timed out"]),
            coded("5.4.315", &["timed out"]),
            code_only(450, "4.4.315"),
        ],
        appears_in: &[
            at(MessageTrace, Sender),
            at(ConnectorValidation, Sender),
            at(Ndr, Sender),
        ],
        meaning: "Microsoft 365 could not connect to the destination mail server of the connector: no SMTP or TLS has happened yet. The error details name the problem.",
        causes: &[
            "Your on-premises mail server is down.",
            "The connector's smart host settings are wrong, so Microsoft 365 connects to the wrong IP address.",
            "The network changed (a new internet provider, new public IP addresses) and the connector or the MX record still names the old ones.",
            "A firewall silently drops port 25 from the Microsoft 365 address ranges (tlscheck's addition: a timeout, not a refusal).",
        ],
        fix: &[
            "Find out which case applies: if you changed nothing on the connector, check whether the on-premises server is down or the network changed.",
            "From outside your network, test TCP port 25 to the address in the message trace (`LastAttemptedIP`).",
            "If the error is about a partner organization's server, the partner has to fix it.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_MAIL_FLOW_INTELLIGENCE,
    },
    Signature {
        id: "exo-connection-refused-450-4-4-316",
        text: "450 4.4.316 Connection refused",
        matchers: &[
            coded("4.4.316", &["refused"]),
            coded("5.4.316", &["refused"]),
            partial(&["socket error code 10061"]),
            code_only(450, "4.4.316"),
        ],
        appears_in: &[
            at(MessageTrace, Sender),
            at(ConnectorValidation, Sender),
            at(Ndr, Sender),
        ],
        meaning: "Microsoft 365 got a connection error from the destination mail server of the connector: something at that address answered and refused the connection (socket error 10061 is Windows' \"connection refused\").",
        causes: &[
            "Your firewall blocks connections from the Microsoft 365 IP addresses.",
            "By design, after a migration: the on-premises mail system was shut down but the connector to it still exists.",
            "The SMTP service is stopped or listens on another address (tlscheck's addition).",
        ],
        fix: &[
            "If mailboxes remain on-premises, allow TCP port 25 from the Microsoft 365 IP address ranges to your on-premises mail servers.",
            "If nothing should be delivered on-premises any more, disable or delete the connector from Office 365 to your organization's email server, and change the accepted domain from Internal Relay to Authoritative.",
            "If the error is about a partner organization's server, the partner has to fix it.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[MS_EXO_NDR],
        reference: MS_MAIL_FLOW_INTELLIGENCE,
    },
    Signature {
        id: "exo-cannot-connect-450-4-4-317",
        text: "450 4.4.317 Cannot connect to remote server",
        matchers: &[
            coded("4.4.317", &["cannot connect to remote server"]),
            code_only(450, "4.4.317"),
        ],
        appears_in: &[
            at(MessageTrace, Sender),
            at(ConnectorValidation, Sender),
            at(Ndr, Sender),
        ],
        meaning: "Microsoft 365 connected to the destination mail server of the connector, but the server answered with an immediate error or does not meet the connection's requirements. The error details (`[Message=…]`) say which; tlscheck explains them separately when they are in the pasted text.",
        causes: &[
            "The destination answered with a \"Service not available\" error: it cannot keep up the session with Microsoft 365.",
            "The connector requires TLS, but the destination server does not support TLS (no STARTTLS, or no TLS version in common: TLS 1.2 disabled on the receiving server, `TLS 1.2\\Server` on Exchange).",
        ],
        fix: &[
            "Check the TLS settings and certificates on your on-premises mail servers and the TLS settings on the connector.",
            "Check which TLS versions the receiving server accepts with tlscheck; on Exchange, enable `TLS 1.2\\Server` in SCHANNEL and restart.",
            "If the error is about a partner organization's server, the partner has to fix it.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_MAIL_FLOW_INTELLIGENCE,
    },
    Signature {
        id: "exo-connection-closed-450-4-4-318",
        text: "450 4.4.318 Connection was closed abruptly",
        matchers: &[
            coded("4.4.318", &["closed abruptly"]),
            code_only(450, "4.4.318"),
        ],
        appears_in: &[
            at(MessageTrace, Sender),
            at(ConnectorValidation, Sender),
            at(Ndr, Sender),
        ],
        meaning: "Microsoft 365 had difficulty communicating with the destination mail server of the connector and the connection was dropped.",
        causes: &[
            "A firewall uses SMTP packet examination rules that do not work correctly.",
            "The on-premises mail server is not working correctly (a service hangs or crashes, or the server is low on resources), so it times out and closes the connection.",
            "Network problems between the on-premises environment and Microsoft 365.",
            "tlscheck's inference, not on Microsoft's list: when the drop comes right after STARTTLS, the receiving server may offer no TLS version or cipher suite Microsoft 365 accepts (TLS 1.0/1.1 only) and hang up during the handshake; `tlscheck` against the server shows whether it does.",
        ],
        fix: &[
            "Find out which case applies: check the firewall's SMTP inspection, the mail service's health and resources, and the network path.",
            "If the network path is at fault, have the network team troubleshoot it.",
            NO_SMTP_INSPECTION,
            "If tlscheck shows the server drops TLS 1.2 handshakes, enable TLS 1.2 on it (tlscheck prints the settings for the detected server).",
            "If the error is about a partner organization's server, the partner has to fix it.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_MAIL_FLOW_INTELLIGENCE,
    },
    Signature {
        id: "exo-certificate-validation-450-4-7-320",
        text: "450 4.7.320 Certificate validation failed",
        matchers: &[
            coded("4.7.320", &["certificate validation failed"]),
            code_only(450, "4.7.320"),
        ],
        appears_in: &[
            at(MessageTrace, Sender),
            at(ConnectorValidation, Sender),
            at(Ndr, Sender),
        ],
        meaning: "Microsoft 365 failed to validate the certificate of the destination mail server while delivering over a connector that validates certificates (`TlsSettings` CertificateValidation or DomainValidation). The error details name the reason.",
        causes: &[
            "The certificate expired.",
            "The certificate's subject does not match (the names do not include the connector's `TlsDomain`).",
            "The certificate is no longer valid (revoked, or an untrusted or incomplete chain).",
            "On Exchange, the Receive connector presents another certificate than expected (often the self-signed one) because its `TlsCertificateName` is unset or out of date on one of the servers (tlscheck's addition).",
        ],
        fix: &[
            "Fix the certificate, or the settings on the connector, so the queued messages can be delivered.",
            "On Exchange, set the certificate the Receive connector presents on each server: `$cert = Get-ExchangeCertificate -Thumbprint <thumbprint>`, then `Set-ReceiveConnector \"<server>\\Default Frontend <server>\" -TlsCertificateName \"<I>$($cert.Issuer)<S>$($cert.Subject)\"`.",
            "If the error is about a partner organization's server, the partner has to fix it.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_MAIL_FLOW_INTELLIGENCE,
    },
    Signature {
        id: "exo-tenant-attribution-550-5-7-64",
        text: "550 5.7.64 TenantAttribution; Relay Access Denied",
        matchers: &[
            coded("5.7.64", &["tenantattribution"]),
            partial(&["tenantattribution; relay access denied"]),
            code_only(550, "5.7.64"),
        ],
        appears_in: &[
            at(Ndr, Sender),
            at(SendProtocolLog, Sender),
            at(ClientLog, Sender),
        ],
        meaning: "Exchange Online accepted the connection from your on-premises server or relay but could not tie it to your tenant, so it refused to relay the message to an external recipient. Relay through Office 365 is allowed only when an inbound connector of type on-premises recognises the sending server, by the certificate it presents during TLS or by its public IP address. If TLS fails, no certificate is presented and certificate-based attribution fails too.",
        causes: &[
            "The on-premises certificate no longer matches the inbound connector's `TlsSenderCertificateName` (renewal, new name).",
            "The sending server's public IP address changed and no longer matches the connector's `SenderIPAddresses`.",
            "Since November 1, 2023, relay through Exchange Online also needs the certificate domain of the connection or the MAIL FROM (envelope sender) domain to be an accepted domain of your organization; the From header domain no longer counts. NDRs with an empty MAIL FROM, or applications sending with a foreign envelope sender, are refused.",
            "The Send connector presents no certificate or an incomplete chain (`TlsCertificateName` unset, intermediates missing), or TLS itself fails (tlscheck's addition: without TLS no certificate is presented).",
        ],
        fix: &[
            "Hybrid: re-run the Hybrid Configuration Wizard and select the current certificate on the transport certificate page.",
            "Otherwise set the inbound connector to match: `Set-InboundConnector <name> -TlsSenderCertificateName <name in the certificate>` or correct `-SenderIPAddresses`.",
            "Make the certificate's domain, or the MAIL FROM domain of what you relay, an accepted domain of the tenant (the November 2023 requirement).",
            "On the sending Exchange server, set the certificate to present: `Set-SendConnector <name> -TlsCertificateName \"<I>issuer<S>subject\"`, and make sure TLS 1.2 works.",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:25 --once",
        see_also: &[MS_SMTP_RELAY_2023],
        reference: reference(
            "\"550 5.7.64 TenantAttribution\" when sending mail externally in Microsoft 365",
            "https://learn.microsoft.com/en-us/exchange/troubleshoot/connectors/relay-access-denied-smtp",
        ),
    },
    Signature {
        id: "exo-outdated-exchange-throttled-4-7-230",
        text: "4.7.230 Connecting Exchange server version is out-of-date; connection to Exchange Online throttled for n mins/hr.",
        matchers: &[
            coded("4.7.230", &["connecting exchange server version is out-of-date"]),
            partial(&["connection to exchange online throttled"]),
        ],
        appears_in: &[at(QueueViewer, Sender), at(SendProtocolLog, Sender)],
        meaning: "Exchange Online throttles mail from this on-premises Exchange server because the server runs an out-of-date (unsupported or unpatched) version. It applies to messages sent over an inbound connector of type OnPremises: for the stated minutes of each hour the connection is refused, the message stays in your queue and is retried. Left unfixed, throttling turns into blocking (5.7.230). Nothing is wrong with TLS.",
        causes: &[
            "The Exchange server that connects to Exchange Online is out of support or lacks the current cumulative update (CU) or security update (SU).",
        ],
        fix: &[
            "Install the current Exchange cumulative update and security update (or move to a supported version) on every server that sends to Exchange Online.",
            "See which servers are affected in the Exchange admin center: Reports > Mail flow > Out-of-date connecting on-premises Exchange servers (`Get-OnPremServerReportInfo` in Exchange Online PowerShell).",
            "Only as a stopgap: pause enforcement for up to 90 days per calendar year, e.g. `New-TenantExemptionInfo -BlockingScenario UnpatchedOnPremServer -NumberOfDays 30`.",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:25 --once",
        see_also: &[],
        reference: MS_OUTDATED_EXCHANGE,
    },
    Signature {
        id: "exo-outdated-exchange-blocked-5-7-230",
        text: "5.7.230 Connecting Exchange server version is out-of-date; connection to Exchange Online blocked for n mins/hr.",
        matchers: &[
            coded("5.7.230", &["connecting exchange server version is out-of-date"]),
            partial(&["connection to exchange online blocked"]),
        ],
        appears_in: &[at(QueueViewer, Sender), at(SendProtocolLog, Sender), at(Ndr, Sender)],
        meaning: "Exchange Online blocks mail from this on-premises Exchange server for the stated minutes of each hour because the server runs an out-of-date (unsupported or unpatched) version. It applies to messages sent over an inbound connector of type OnPremises and follows a period of throttling (4.7.230). Nothing is wrong with TLS.",
        causes: &[
            "The Exchange server that connects to Exchange Online is out of support or lacks the current cumulative update (CU) or security update (SU).",
        ],
        fix: &[
            "Install the current Exchange cumulative update and security update (or move to a supported version) on every server that sends to Exchange Online.",
            "See which servers are affected in the Exchange admin center: Reports > Mail flow > Out-of-date connecting on-premises Exchange servers.",
            "Only as a stopgap: pause enforcement for up to 90 days per calendar year (`New-TenantExemptionInfo -BlockingScenario UnpatchedOnPremServer -NumberOfDays <days>`).",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:25 --once",
        see_also: &[],
        reference: MS_OUTDATED_EXCHANGE,
    },
    // ---- Exchange on-premises certificate and TLS errors -----------------
    Signature {
        id: "tls-negotiation-failed-unknowncredentials",
        text: "TLS negotiation failed with error UnknownCredentials",
        matchers: &[words(&["tls negotiation failed with error unknowncredentials"])],
        appears_in: &[at(SendProtocolLog, Sender), at(ReceiveProtocolLog, Receiver)],
        meaning: "Exchange could not hand the certificate chosen for this connector to SCHANNEL as TLS credentials. Microsoft documents it for a third-party certificate that is installed but not enabled for the SMTP service; the queue then shows `451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed out.\"`.",
        causes: &[
            "The certificate the connector uses (`TlsCertificateName`, or the one matching its FQDN) is not enabled for the SMTP service.",
            "Its private key is missing or cannot be opened by the transport service.",
            "Its status is not Valid (expired, revoked, or `RevocationCheckFailure` on a server that cannot reach the CRL).",
        ],
        fix: &[
            "Find the certificate in the log lines just before (`Certificate thumbprint`), then `Get-ExchangeCertificate -Thumbprint <thumbprint> | fl Services,HasPrivateKey,Status,NotAfter`.",
            "`Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP`, then restart MSExchangeTransport.",
            "If `HasPrivateKey` is False or the status is not Valid, import the certificate again with its private key (PFX) or renew it, and update `TlsCertificateName`.",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:25 --once",
        see_also: &[],
        reference: reference(
            "Outbound email messages are not sent on the Exchange Hub Transport or Edge server",
            "https://support.microsoft.com/en-us/help/4051498/outbound-email-messages-are-not-sent-on-the-exchange-hub-transport-or",
        ),
    },
    Signature {
        id: "tls-negotiation-failed-nocredentials",
        text: "TLS negotiation failed with error NoCredentials",
        matchers: &[words(&["tls negotiation failed with error nocredentials"])],
        appears_in: &[at(SendProtocolLog, Sender), at(ReceiveProtocolLog, Receiver)],
        meaning: "Exchange found no usable certificate for this TLS session. Microsoft documents it for outbound TLS when the certificate named in the Send connector's `TlsCertificateName` has no private key; the queue then shows `421 4.4.1 Connection timed out`.",
        causes: &[
            "The certificate used for outbound TLS has no private key (imported from a .cer instead of a .pfx).",
            "`TlsCertificateName` names a certificate that is no longer installed (renewed) or issuer/subject strings that no longer match.",
            "Receive side: no certificate matching the Receive connector's FQDN is enabled for SMTP.",
        ],
        fix: &[
            "`Get-ExchangeCertificate | fl Thumbprint,Subject,Issuer,Services,HasPrivateKey,NotAfter` and compare with `Get-SendConnector | fl Name,TlsCertificateName`.",
            "Import the certificate with its private key if `HasPrivateKey` is False.",
            "`Set-SendConnector <name> -TlsCertificateName \"<I>$($cert.Issuer)<S>$($cert.Subject)\"` for the current certificate, then restart MSExchangeTransport.",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:25 --once",
        see_also: &[],
        reference: reference(
            "TLS negotiation failed with error NoCredentials if messages to external domains are deferred",
            "https://learn.microsoft.com/en-us/exchange/troubleshoot/mailflow/tls-negotiation-failed-with-error-nocredentials-error",
        ),
    },
    Signature {
        id: "send-connector-certificate-454-4-7-5",
        text: "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.",
        matchers: &[
            coded("4.7.5", &["tlscertificatename"]),
            partial(&["certificate specified in tlscertificatename"]),
        ],
        appears_in: &[at(QueueViewer, Sender), at(SendProtocolLog, Sender)],
        meaning: "The on-premises Send connector (usually \"Outbound to Office 365\") names a certificate in `TlsCertificateName` that the transport service cannot find among its usable certificates, so it cannot present one and the connection fails. Typical right after a certificate renewal.",
        causes: &[
            "The certificate was renewed or replaced and `TlsCertificateName` still names the old issuer/subject.",
            "The new certificate is not enabled for the SMTP service.",
            "The certificate's status is Invalid or RevocationCheckFailure.",
        ],
        fix: &[
            "`$cert = Get-ExchangeCertificate -Thumbprint <thumbprint>` for the current certificate, then `Set-SendConnector <name> -TlsCertificateName \"<I>$($cert.Issuer)<S>$($cert.Subject)\"`.",
            "Do the same on the Receive connector that takes mail from Office 365 (`Set-ReceiveConnector … -TlsCertificateName`).",
            "`Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP` and check that `Status` is Valid.",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:25 --once",
        see_also: &[],
        reference: reference(
            "Mailflow issue from Exchange On-Prem to Office 365 (Microsoft archived blog)",
            "https://learn.microsoft.com/en-us/archive/blogs/lalitbisht/mailflow-issue-from-exchange-on-prem-to-office-365",
        ),
    },
    Signature {
        id: "certificate-validation-454-4-7-5",
        text: "454 4.7.5 Certificate validation failure",
        matchers: &[
            coded("4.7.5", &["certificate validation fail"]),
            code_only(454, "4.7.5"),
        ],
        appears_in: &[
            at(QueueViewer, Sender),
            at(SendProtocolLog, Sender),
            at(ReceiveProtocolLog, Receiver),
        ],
        meaning: "TLS was negotiated but the other side's certificate failed validation, and this connection requires a valid one (on Exchange Server: a Send connector with RequireTLS and domain validation, or Domain Security). Enhanced code X.7.5 means a cryptographic failure (RFC 3463). It is not how an Exchange Online connector that validates certificates fails: that is 450 4.7.320.",
        causes: &[
            "The certificate expired, is self-signed, or chains to a private CA the other side does not trust.",
            "The server does not send its intermediate certificates.",
            "The name does not match what the connector expects (`TlsDomain`, `TlsSendDomainSecureList`).",
            "The revocation check fails because the server cannot reach the CRL or OCSP addresses.",
        ],
        fix: &[
            "Check the certificate the peer presents with tlscheck (chain, names, expiry).",
            "Install a publicly trusted certificate with the expected name and its full chain, and enable it for SMTP.",
            "Allow the server to reach the CA's CRL/OCSP addresses over HTTP.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "RFC 3463: Enhanced Mail System Status Codes",
            "https://www.rfc-editor.org/rfc/rfc3463",
        ),
    },
    Signature {
        id: "tls-negotiation-failed-algorithmmismatch",
        text: "The client and server cannot communicate, because they do not possess a common algorithm",
        matchers: &[
            words(&["do not possess a common algorithm"]),
            words(&["tls negotiation failed with error algorithmmismatch"]),
            partial(&["sec_e_algorithm_mismatch"]),
        ],
        appears_in: &[
            at(EventLog, Sender),
            at(EventLog, Receiver),
            at(ClientLog, Sender),
            at(SendProtocolLog, Sender),
        ],
        meaning: "SCHANNEL, the Windows TLS stack, found no protocol version or cipher suite that both sides allow (SEC_E_ALGORITHM_MISMATCH, 0x80090331). On an Exchange or IIS SMTP server, or a .NET application, this is how a TLS 1.0/1.1-only configuration fails against a peer that requires TLS 1.2, or a cipher suite list trimmed until nothing is shared.",
        causes: &[
            "TLS 1.2 is disabled in SCHANNEL (`TLS 1.2\\Client` or `TLS 1.2\\Server`).",
            "The cipher suite order (Group Policy or IIS Crypto) leaves no suite the peer accepts.",
            "A .NET application not set to use the system TLS versions (`SystemDefaultTlsVersions`, `SchUseStrongCrypto`) offers TLS 1.0 only.",
            "The certificate's key can only sign (KeySpec AT_SIGNATURE) while only RSA key-exchange suites are available.",
        ],
        fix: &[
            ENABLE_TLS12_EXCHANGE,
            RESTART,
            "Export the SCHANNEL settings (`reg export HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL schannel.reg`) and let tlscheck read them.",
        ],
        next_step: "tlscheck schannel FILE",
        see_also: &[],
        reference: reference(
            "Encountering \"The client and server cannot communicate, because they do not possess a common algorithm\" or SEC_E_ALGORITHM_MISMATCH (0x80090331)",
            "https://learn.microsoft.com/en-us/archive/blogs/winsdk/encountering-the-client-and-server-cannot-communicate-because-they-do-not-possess-a-common-algorithm-or-sec_e_algorithm_mismatch-0x80090331",
        ),
    },
    // ---- Exchange on-premises queue and DNS errors -----------------------
    Signature {
        id: "dns-query-failed-451-4-4-0",
        text: "451 4.4.0 DNS query failed",
        matchers: &[
            coded("4.4.0", &["dns query failed"]),
            partial(&["dns query failed"]),
        ],
        appears_in: &[at(QueueViewer, Sender), at(Ndr, Sender)],
        meaning: "The on-premises Exchange server could not look up where to deliver: the MX (or A/AAAA) query for the destination domain, or for the Send connector's smart host, failed or returned nothing usable. The message stays in the queue and is retried.",
        causes: &[
            "The DNS servers Exchange uses (network adapter, or the transport service's external DNS settings) cannot resolve internet names.",
            "The domain does not exist or is misspelt (`SMTPSEND.DNS.NonExistentDomain`).",
            "The destination's DNS servers ignore AAAA queries or return an unexpected answer.",
            "The smart host name exists only in another DNS view.",
        ],
        fix: &[
            "On the Exchange server, `Resolve-DnsName -Type MX <domain>` with the same DNS servers Exchange uses.",
            "Fix the local DNS servers, or give the transport service external DNS servers (`Set-TransportService <server> -ExternalDNSAdapterEnabled $false -ExternalDNSServers <ip>`) and tick \"Use the external DNS lookup settings\" on the Send connector.",
            "Workaround for one broken domain: a Send connector for that domain with its mail server as smart host.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "451 4.4.0 DNS query failed Exchange Server error in message queue",
            "https://learn.microsoft.com/en-us/exchange/troubleshoot/mailflow/dns-query-failed",
        ),
    },
    Signature {
        id: "primary-target-451-4-4-0",
        text: "451 4.4.0 Primary target IP address responded with: \"…\" Attempted failover to alternate host, but that did not succeed.",
        matchers: &[
            envelope(Some("4.4.0"), &["primary target ip address responded with"]),
            envelope(None, &["attempted failover to alternate host"]),
        ],
        appears_in: &[at(QueueViewer, Sender), at(Ndr, Sender)],
        meaning: "Exchange's wrapper around the last error of a queue. The quoted text after \"responded with:\" is the real error: what the remote host answered, or what the local transport concluded (`421 4.4.2 Connection dropped due to SocketError`, `421 4.4.1 Connection timed out`, `421 4.2.1 Unable to connect`). The wrapper itself only says that every address of the next hop failed and the message will be retried.",
        causes: &["Any delivery failure on every address of the next hop; the quoted reply names it."],
        fix: &[
            "Look up the quoted reply: paste the whole line and tlscheck lists it first.",
            "Turn on verbose protocol logging on the Send connector (`Set-SendConnector <name> -ProtocolLoggingLevel Verbose`) and read the session to the last attempted address.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "Outbound email messages are not sent on the Exchange Hub Transport or Edge server",
            "https://support.microsoft.com/en-us/help/4051498/outbound-email-messages-are-not-sent-on-the-exchange-hub-transport-or",
        ),
    },
    Signature {
        id: "unable-to-connect-421-4-2-1",
        text: "421 4.2.1 Unable to connect",
        matchers: &[
            coded("4.2.1", &["unable to connect"]),
            code_only(421, "4.2.1"),
        ],
        appears_in: &[at(QueueViewer, Sender), at(Ndr, Sender)],
        meaning: "On-premises Exchange could not set up a working SMTP session with the next hop. The text is Exchange's own and does not say whether TCP, the greeting or TLS failed; on Send connectors to Office 365 it is often a TLS or certificate failure that only the Send connector protocol log shows.",
        causes: &[
            "The TLS handshake or certificate selection failed (`TLS negotiation failed with error …` in the Send connector log).",
            "Outbound port 25 is blocked, or the smart host name or address is wrong.",
            "The remote host refused or dropped the connection.",
        ],
        fix: &[
            "Turn on verbose protocol logging on the Send connector and read the session.",
            "Test TCP port 25 from the server: `Test-NetConnection <host> -Port 25`.",
            ENABLE_TLS12_EXCHANGE,
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        // Not in the seed article; tlscheck found no Microsoft page that
        // documents this queue text.
        reference: Reference {
            title: "Exchange's own queue text; no Microsoft article documents it (the TLS 1.0/1.1 article does not mention it)",
            url: None,
        },
    },
    Signature {
        id: "connect-timeout-421-4-4-1",
        text: "421 4.4.1 Connection timed out",
        matchers: &[coded("4.4.1", &["timed out"]), code_only(421, "4.4.1")],
        appears_in: &[at(QueueViewer, Sender), at(Ndr, Sender)],
        meaning: "The on-premises Exchange server gave up on the remote host: either the TCP connection to port 25 was never answered, or the session stalled past the timeout. On Send connectors to Office 365, Microsoft documents this text as the queue symptom of a certificate problem (`TLS negotiation failed with error NoCredentials` or `UnknownCredentials` in the Send connector log), not of a network fault.",
        causes: &[
            "Certificate problems on the Send connector (no private key, not enabled for SMTP, `TlsCertificateName` out of date).",
            "Outbound port 25 is blocked by a firewall or the provider.",
            "The smart host or MX points to a wrong or unreachable address.",
        ],
        fix: &[
            "Turn on verbose protocol logging on the Send connector and look for `TLS negotiation failed`.",
            "Test TCP port 25 from the server: `Test-NetConnection <host> -Port 25`.",
            "Fix the certificate as for NoCredentials/UnknownCredentials.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "TLS negotiation failed with error NoCredentials if messages to external domains are deferred",
            "https://learn.microsoft.com/en-us/exchange/troubleshoot/mailflow/tls-negotiation-failed-with-error-nocredentials-error",
        ),
    },
    // ---- Office 365 client submission ------------------------------------
    Signature {
        id: "smtp-auth-legacy-tls-421-4-7-66",
        text: "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
        matchers: &[
            coded("4.7.66", &["tls 1.0 and 1.1 are not supported"]),
            partial(&["tls 1.0 and 1.1 are not supported"]),
            code_only(421, "4.7.66"),
        ],
        appears_in: &[at(ClientLog, Sender)],
        meaning: "A client that submits mail with SMTP AUTH to smtp.office365.com (port 587) negotiated TLS 1.0 or 1.1, and Exchange Online refused the session. This is client submission (printers, scanners, applications, scripts), not mail between servers.",
        causes: &[
            "The device's firmware only supports TLS 1.0/1.1.",
            "A .NET application on an old framework, or without `SystemDefaultTlsVersions`/`SchUseStrongCrypto`, offers TLS 1.0.",
            "An old Windows (7, Server 2008 R2) without the TLS 1.2 update for its client.",
        ],
        fix: &[
            "Update the device firmware or application so it uses TLS 1.2.",
            "For .NET applications set `SystemDefaultTlsVersions`=1 and `SchUseStrongCrypto`=1 under `HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319` (and the WOW6432Node key).",
            "For devices that cannot be updated, relay through a local server that speaks TLS 1.2 to Office 365, or use direct send to your MX host on port 25 if they mail only your own mailboxes.",
        ],
        next_step: "tlscheck listen --bind 0.0.0.0:587 --once",
        see_also: &[],
        reference: reference(
            "Exchange Online SMTP AUTH and TLS 1.2 (link given in the reply)",
            "https://aka.ms/smtp_auth_tls",
        ),
    },
    // ---- Throttling and resources ----------------------------------------
    Signature {
        id: "throttled-421-4-7-0-too-many-connections",
        text: "421 4.7.0 mx.example.com Error: too many connections from 203.0.113.5",
        matchers: &[
            coded("4.7.0", &["too many connections"]),
            partial(&["too many connections"]),
        ],
        appears_in: &[at(Ndr, Sender), at(PostfixLog, Sender), at(ClientLog, Sender)],
        meaning: "The receiving server refused the connection because the sending address already has too many connections open, or opened too many too fast: a rate limit, not a TLS problem. Postfix's anvil limits (`smtpd_client_connection_count_limit`, `smtpd_client_connection_rate_limit`) produce this text. Tools that open several connections at once, tlscheck's parallel version probes included, can trigger it.",
        causes: &[
            "Too many parallel connections from one sending address.",
            "A connection rate limit, hit by bursts or by quick retries after failed TLS sessions.",
        ],
        fix: &[
            "On the sender, lower the concurrency per destination (Postfix `smtp_destination_concurrency_limit`, Exchange `MaxPerDomainOutboundConnections`).",
            "On the receiver, raise the limits or exempt trusted senders (`smtpd_client_event_limit_exceptions`).",
            "Wait a minute and run tlscheck again.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "Postfix configuration parameters: smtpd_client_connection_count_limit",
            "https://www.postfix.org/postconf.5.html#smtpd_client_connection_count_limit",
        ),
    },
    Signature {
        id: "throttled-421-4-3-2",
        text: "421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel",
        matchers: &[
            coded("4.3.2", &["maximum number of concurrent"]),
            code_only(421, "4.3.2"),
        ],
        appears_in: &[
            at(Ndr, Sender),
            at(QueueViewer, Sender),
            at(SendProtocolLog, Sender),
            at(ReceiveProtocolLog, Receiver),
        ],
        meaning: "An Exchange Receive connector refused the session because a connection limit was reached. The same code with \"Service not available\" means the receiving transport takes no mail at all, for example because the server is in maintenance mode.",
        causes: &[
            "Connection limits on the Receive connector (`MaxInboundConnection`, `MaxInboundConnectionPerSource`, `MaxInboundConnectionPercentagePerSource`).",
            "The server is in maintenance mode (component state of FrontendTransport/HubTransport Inactive) or under back pressure.",
        ],
        fix: &[
            "`Get-ReceiveConnector | fl Identity,MaxInboundConnection*` and raise the per-source limits for trusted senders if needed.",
            "`Get-ServerComponentState <server>`: FrontendTransport and HubTransport must be Active.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "Message rate limits and throttling (Exchange Server)",
            "https://learn.microsoft.com/en-us/exchange/mail-flow/message-rate-limits",
        ),
    },
    Signature {
        id: "back-pressure-452-4-3-1",
        text: "452 4.3.1 Insufficient system resources",
        matchers: &[
            coded("4.3.1", &["insufficient system resources"]),
            partial(&["insufficient system resources"]),
            code_only(452, "4.3.1"),
        ],
        appears_in: &[
            at(Ndr, Sender),
            at(QueueViewer, Sender),
            at(SendProtocolLog, Sender),
            at(ReceiveProtocolLog, Receiver),
        ],
        meaning: "The receiving Exchange server is under back pressure: it is short of free disk space on the drive that holds the queue database or its logs, or of memory, and temporarily refuses new messages. Senders retry. It is not a TLS problem but often shows up in the same queues.",
        causes: &[
            "Low free disk space on the queue database drive.",
            "High memory use by EdgeTransport.exe, or a large queue.",
        ],
        fix: &[
            "Free disk space or move the queue database to a larger drive (`QueueDatabasePath` in EdgeTransport.exe.config).",
            "Read the MSExchangeTransport resource events (15004 to 15007) and `Get-ExchangeDiagnosticInfo -Server <server> -Process EdgeTransport -Component ResourceThrottling`.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "Understanding back pressure (Exchange Server)",
            "https://learn.microsoft.com/en-us/exchange/mail-flow/back-pressure",
        ),
    },
    // ---- Connection timeouts on port 25 ----------------------------------
    Signature {
        id: "connect-timeout-port-25",
        text: "connect to mx.example.com[203.0.113.25]:25: Connection timed out",
        matchers: &[
            words(&[":25: connection timed out", "connect to"]),
            partial(&["connection timed out"]),
            partial(&["did not properly respond after a period of time"]),
        ],
        appears_in: &[at(PostfixLog, Sender), at(ClientLog, Sender), at(Ndr, Sender)],
        meaning: "The sender's TCP connection attempt to port 25 got no answer. No SMTP or TLS has happened yet: packets to port 25 are dropped somewhere, outbound at the sender or inbound at the receiver.",
        causes: &[
            "The provider blocks outbound port 25 (common for cloud VMs and residential lines).",
            "The receiver's firewall accepts port 25 only from certain addresses (for example only from Exchange Online Protection).",
            "The host is down, or DNS points to a wrong address; or IPv6 is broken while the MX has an AAAA record.",
        ],
        fix: &[
            "Test from the sender: `nc -vz <host> 25` or `Test-NetConnection <host> -Port 25`, and from another network.",
            "If outbound port 25 is blocked, send through the provider's relay or a smart host on port 587.",
            "If only IPv6 fails, fix the route or limit Postfix to IPv4 (`inet_protocols = ipv4`).",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "Postfix Debugging Howto (DEBUG_README)",
            "https://www.postfix.org/DEBUG_README.html",
        ),
    },
    // ---- Postfix, OpenSSL and Sendmail TLS failures ----------------------
    Signature {
        id: "postfix-tls-handshake-failure",
        text: "Cannot start TLS: handshake failure",
        matchers: &[words(&["cannot start tls: handshake failure"])],
        appears_in: &[at(PostfixLog, Sender), at(Ndr, Sender)],
        meaning: "The Postfix SMTP client sent STARTTLS, got 220, and the TLS handshake failed. The lines just before (`SSL_connect error to …`, `TLS library problem: …`) say why: often no common protocol version (`unsupported protocol`, `alert protocol version`) or cipher suite. With opportunistic TLS (`may`) Postfix can retry in plain text; with `encrypt` or `verify` the mail stays deferred.",
        causes: &[
            "The remote server accepts only versions this Postfix excludes (`smtp_tls_protocols`, OpenSSL 3's default security level, `MinProtocol` in openssl.cnf), or the other way round.",
            "No cipher suite in common (very old OpenSSL on either side, or a trimmed cipher list).",
            "A middlebox interferes with the handshake.",
        ],
        fix: &[
            "Raise `smtp_tls_loglevel = 1` and read the TLS library error; `posttls-finger -c -l may \"[host]\"` shows the handshake.",
            "Allow TLS 1.2 and 1.3 on both sides (tlscheck prints the settings for the detected server).",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: POSTFIX_TLS,
    },
    Signature {
        id: "postfix-tls-required-not-offered",
        text: "TLS is required, but was not offered by host mx.example.com[203.0.113.25]",
        matchers: &[words(&["tls is required, but was not offered by host"])],
        appears_in: &[at(PostfixLog, Sender), at(Ndr, Sender)],
        meaning: "The Postfix SMTP client must use TLS for this destination (`smtp_tls_security_level = encrypt`, `verify`, `secure`, or a TLS policy entry), and the remote server's EHLO reply did not list STARTTLS. Nothing was sent.",
        causes: &[
            "The receiving server has no certificate configured, or STARTTLS is turned off there.",
            "A firewall with SMTP inspection strips STARTTLS from the EHLO reply.",
            "The policy requires TLS for a destination that never offered it.",
        ],
        fix: &[
            "Check the receiver's EHLO reply with tlscheck; enable STARTTLS there (tlscheck prints the settings for the detected server).",
            NO_SMTP_INSPECTION,
            "If the destination cannot do TLS, relax the policy for it (`smtp_tls_policy_maps`) to `may`.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "Postfix configuration parameters: smtp_tls_security_level",
            "https://www.postfix.org/postconf.5.html#smtp_tls_security_level",
        ),
    },
    Signature {
        id: "tls-alert-protocol-version",
        text: "SSL routines::tlsv1 alert protocol version",
        matchers: &[words(&["alert protocol version"])],
        appears_in: &[
            at(PostfixLog, Sender),
            at(PostfixLog, Receiver),
            at(EximLog, Receiver),
            at(ClientLog, Sender),
        ],
        meaning: "The other side sent the TLS alert `protocol_version` (70): it will not use the TLS version this side offered. Typical when a client limited to TLS 1.0/1.1 meets a server that requires TLS 1.2, such as Office 365, or when a current client meets a server stuck on TLS 1.0.",
        causes: &[
            "This side offers only TLS 1.0/1.1 (old OpenSSL, a protocol setting capped below TLS 1.2).",
            "The other side requires a newer version than this side offers, or offers only versions this side disabled.",
        ],
        fix: &[
            "Allow TLS 1.2 (and 1.3) on this side and check which versions the other side accepts with tlscheck.",
            "Upgrade OpenSSL or the mail software if it cannot do TLS 1.2 at all.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: reference(
            "RFC 8446 §6.2: Error Alerts (protocol_version)",
            "https://www.rfc-editor.org/rfc/rfc8446#section-6.2",
        ),
    },
    Signature {
        id: "openssl-unsupported-protocol",
        text: "SSL routines::unsupported protocol",
        matchers: &[words(&["unsupported protocol"])],
        appears_in: &[
            at(PostfixLog, Receiver),
            at(PostfixLog, Sender),
            at(EximLog, Receiver),
            at(ClientLog, Sender),
        ],
        meaning: "This side's OpenSSL refused the handshake because the peer offered only TLS versions it does not allow. On a receiving Postfix or Exim it usually means the client tried TLS 1.0/1.1 while this server's minimum is TLS 1.2: OpenSSL 3 allows TLS 1.0/1.1 only at security level 0, and some distributions set `MinProtocol = TLSv1.2` in openssl.cnf. On a sending side it is the reverse.",
        causes: &[
            "The peer supports only TLS 1.0/1.1 and this side requires TLS 1.2 or later.",
            "This side's minimum is above what the peer supports (OpenSSL 3's default security level, openssl.cnf `MinProtocol`, `*_tls_protocols`, `openssl_options`).",
        ],
        fix: &[
            "Have the peer enable TLS 1.2; that is the lasting fix (RFC 8996 retires TLS 1.0 and 1.1).",
            "Only if that is impossible, lower the minimum for that peer alone rather than for everyone.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: RFC_8996,
    },
    Signature {
        id: "openssl-no-shared-cipher",
        text: "SSL routines::no shared cipher",
        matchers: &[words(&["no shared cipher"])],
        appears_in: &[
            at(PostfixLog, Receiver),
            at(EximLog, Receiver),
            at(SendmailLog, Receiver),
        ],
        meaning: "The server's OpenSSL found no cipher suite that both it and the client accept. Often the server has no usable certificate/key for the suites offered (no certificate configured, or only an ECDSA certificate for an RSA-only client), or the client offers only old suites the server disabled.",
        causes: &[
            "No certificate and key configured or loadable, so only anonymous suites remain.",
            "The client offers only legacy suites (RC4, 3DES, non-AEAD CBC) that the server's security level excludes.",
            "Certificate key type and offered suites do not fit (ECDSA certificate, RSA-only client).",
        ],
        fix: &[
            "Check that the certificate and key are configured and load without warnings.",
            "Update the client; if that is impossible, allow a wider cipher list for that listener only.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: POSTFIX_TLS,
    },
    Signature {
        id: "sendmail-403-4-7-0-tls-handshake-failed",
        text: "stat=Deferred: 403 4.7.0 TLS handshake failed.",
        matchers: &[
            coded("4.7.0", &["tls handshake failed"]),
            partial(&["tls handshake failed"]),
        ],
        appears_in: &[at(SendmailLog, Sender), at(Ndr, Sender)],
        meaning: "Sendmail, as the sending side, issued STARTTLS and the handshake failed. 403 is Sendmail's own status, not a reply from the remote server. Usually no common TLS version or cipher suite (old OpenSSL, or `ClientSSLOptions` excluding TLS 1.2) or a certificate problem; the `STARTTLS=client` lines before it give the OpenSSL reason.",
        causes: &[
            "No common TLS version: Sendmail linked against an OpenSSL without TLS 1.2, or `ClientSSLOptions` disabling it; or the remote side requires a version Sendmail does not offer.",
            "No common cipher suite (`CipherList`).",
            "The client certificate configured for Sendmail cannot be loaded.",
        ],
        fix: &[
            "Read the `STARTTLS=client` log lines before the deferral.",
            "Allow TLS 1.2 in `ClientSSLOptions` and upgrade OpenSSL if needed (tlscheck prints the settings).",
            "As a last resort for one broken peer, skip TLS to it with `Try_TLS:<host> NO` in the access map.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: Reference {
            title: "Sendmail Installation and Operation Guide, STARTTLS section (doc/op/op.me in the Sendmail distribution)",
            url: None,
        },
    },
    // ---- Exchange Online's DANE and MTA-STS failures (sending to you) --------
    // Texts as the Exchange Online NDR table gives them (5.x in the final
    // NDR; 4.x while Exchange Online retries: 15 min, 15 min, then hourly
    // for 24 h, per "How SMTP DANE works").
    Signature {
        id: "exo-dane-starttls-not-supported-5-7-321",
        text: "5.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.",
        matchers: &[
            coded("5.7.321", &["starttls-not-supported"]),
            coded("4.7.321", &["starttls-not-supported"]),
            words(&["destination mail server must support tls to receive mail"]),
        ],
        appears_in: &[at(Ndr, Sender), at(MessageTrace, Sender)],
        meaning: "Exchange Online found valid DNSSEC-signed TLSA records for the destination (DANE), and the destination server did not let it use TLS: it does not answer STARTTLS, or the TLS handshake after STARTTLS fails. Under DANE Exchange Online does not fall back to plain text.",
        causes: &[
            "DNSSEC checks passed, yet the destination mail server does not respond to the STARTTLS command.",
            "The destination server responds to STARTTLS, but the TLS handshake fails (no TLS 1.2, no common cipher suite: tlscheck's version table and Office 365 line say which).",
        ],
        fix: &[
            "Offer STARTTLS with TLS 1.2 and a suite Office 365 supports on every MX host that has TLSA records, or remove the TLSA records until it does.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[MS_DANE],
        reference: MS_EXO_NDR,
    },
    Signature {
        id: "exo-dane-certificate-expired-5-7-322",
        text: "5.7.322 certificate-expired: Destination mail server's certificate is expired.",
        matchers: &[
            coded("5.7.322", &["certificate-expired"]),
            coded("4.7.322", &["certificate-expired"]),
            words(&["destination mail server's certificate is expired"]),
        ],
        appears_in: &[at(Ndr, Sender), at(MessageTrace, Sender)],
        meaning: "DNSSEC checks passed, but the destination server presented an expired certificate. RFC 7672 §3.1.1 lets a DANE-EE (3 x x) match ignore expiry; Exchange Online does not.",
        causes: &["The certificate on the destination mail server has expired."],
        fix: &[
            "Renew the certificate; publish the new key's TLSA record (\"3 1 1\") next to the current one before switching, then remove the old record.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[MS_DANE],
        reference: MS_EXO_NDR,
    },
    Signature {
        id: "exo-dane-tlsa-invalid-5-7-323",
        text: "5.7.323 tlsa-invalid: The domain failed DANE validation.",
        matchers: &[
            coded("5.7.323", &["tlsa-invalid"]),
            coded("4.7.323", &["tlsa-invalid"]),
            words(&["the domain failed dane validation"]),
        ],
        appears_in: &[at(Ndr, Sender), at(MessageTrace, Sender)],
        meaning: "The TLSA records are DNSSEC-authentic, but no usable record matches the certificate the destination server presented (or the records are misconfigured).",
        causes: &[
            "The destination server's certificate does not match what the authentic TLSA record expects (a certificate or key changed without a TLSA rollover).",
            "The authentic TLSA record is misconfigured (Exchange Online treats usages 0 and 1, PKIX-TA/PKIX-EE, as unusable).",
            "The certificate start date is in the future.",
        ],
        fix: &[
            "Publish a TLSA record for the key the server presents (\"3 1 1\" is the usual choice), keep the old record until senders' caches expire, and roll over before every certificate change.",
        ],
        next_step: "tlscheck {target}",
        see_also: &[MS_DANE],
        reference: MS_EXO_NDR,
    },
    Signature {
        id: "exo-dane-dnssec-invalid-5-7-324",
        text: "5.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records",
        matchers: &[
            coded("5.7.324", &["dnssec-invalid"]),
            coded("4.7.324", &["dnssec-invalid"]),
            words(&["destination domain returned invalid dnssec records"]),
        ],
        appears_in: &[at(Ndr, Sender), at(MessageTrace, Sender)],
        meaning: "The destination domain indicated it was DNSSEC-authentic, but Exchange Online could not verify it as such (expired or broken signatures, a DS without matching keys).",
        causes: &["Expired RRSIGs, a key rollover without a matching DS at the parent, or records changed without re-signing."],
        fix: &["Re-sign the zone and check the chain from the parent's DS (tlscheck --trust-anchor for a private zone; delv for an independent view)."],
        next_step: "tlscheck {target}",
        see_also: &[MS_DANE],
        reference: MS_EXO_NDR,
    },
    Signature {
        id: "exo-dane-certificate-host-mismatch-5-7-325",
        text: "5.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or subject alternative name matching the hostname (DANE)",
        matchers: &[
            coded("5.7.325", &["certificate-host-mismatch"]),
            coded("4.7.325", &["certificate-host-mismatch"]),
            words(&["remote certificate must have a common name or subject alternative name matching the hostname"]),
        ],
        appears_in: &[at(Ndr, Sender), at(MessageTrace, Sender)],
        meaning: "The identities in the destination server's certificate (CN and SAN) match none of the domains or the MX host.",
        causes: &["The certificate on the MX host names another host (a default or shared certificate)."],
        fix: &["Use a certificate whose SAN lists the MX host name."],
        next_step: "tlscheck {target}",
        see_also: &[MS_DANE],
        reference: MS_EXO_NDR,
    },
    Signature {
        id: "exo-mta-sts-mx-5-4-8",
        text: "5.4.8 MX hosts of <domain> failed MTA-STS validation",
        matchers: &[
            coded("5.4.8", &["failed mta-sts validation"]),
            coded("4.4.8", &["failed mta-sts validation"]),
        ],
        appears_in: &[at(Ndr, Sender), at(MessageTrace, Sender)],
        meaning: "The destination MX host was not a host the domain's MTA-STS policy expects.",
        causes: &["The policy's mx: lines do not include every MX host (an MX changed without updating the policy)."],
        fix: &["Add the MX host to the policy file's mx: lines, publish it and change the id in the _mta-sts TXT record so senders fetch it again."],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_EXO_NDR,
    },
    Signature {
        id: "exo-mta-sts-certificate-5-7-5",
        text: "5.7.5 Remote certificate failed MTA-STS validation. Reason: <validityStatus>",
        matchers: &[
            coded("5.7.5", &["failed mta-sts validation"]),
            coded("4.7.5", &["failed mta-sts validation"]),
        ],
        appears_in: &[at(Ndr, Sender), at(MessageTrace, Sender)],
        meaning: "Under the domain's MTA-STS policy, the destination server's certificate must chain to a trusted root CA and name a host of the policy; it did not.",
        causes: &[
            "A self-signed or private-CA certificate, a missing intermediate, or a certificate whose CN/SAN does not contain the MX host named in the policy.",
        ],
        fix: &["Use a publicly trusted certificate naming the MX host, sent with its full chain."],
        next_step: "tlscheck {target}",
        see_also: &[],
        reference: MS_EXO_NDR,
    },
];
