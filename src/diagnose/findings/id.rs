//! Every finding id of `tlscheck check` and `tlscheck listen`, as one
//! type backed by one static table: the id string (a published interface,
//! see docs/schema.md), the default severity, a generic title, the short
//! fix, the sort group and the software-specific remediation.
//!
//! A check that knows more (the port, the days left, the policy mode)
//! overrides title, severity or short fix on the finding it builds; the
//! table gives the rest. To add a finding, add a row here and a check that
//! builds it.

use super::Severity;
use crate::diagnose::id_table::id_table;
use crate::diagnose::remediation::{self, Remediation, ServerSoftware};

/// What a finding is about. Findings of the same severity sort by
/// [`Group::rank`]: what decides whether mail reaches the server over TLS
/// first, then certificates, then DNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Reaching the server and getting TLS from it: connection, greeting,
    /// STARTTLS, TLS versions, cipher suites; and a sender's TLS offer.
    Delivery,
    /// DNSSEC, DANE, MTA-STS and TLS-RPT.
    Policy,
    /// The server's certificate.
    Certificate,
    /// Mail routing in DNS: the domain, its MX records, their addresses.
    Dns,
}

impl Group {
    /// The place in the sort, lowest first. Policy findings sort with the
    /// delivery ones (then by id): a DANE or MTA-STS failure is a delivery
    /// failure for the senders that apply the policy.
    pub fn rank(self) -> u8 {
        match self {
            Self::Delivery | Self::Policy => 0,
            Self::Certificate => 1,
            Self::Dns => 2,
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct FindingInfo {
    /// The id.
    pub id: FindingId,
    /// The stable kebab-case string (`legacy-tls-only`).
    pub name: &'static str,
    /// The severity unless the check says otherwise.
    pub severity: Severity,
    /// What the finding says, in general; checks give a sharper title
    /// where they know the numbers.
    pub title: &'static str,
    /// The fix in a few words, for the summary line.
    pub fix_short: &'static str,
    /// Where it sorts among findings of the same severity.
    pub group: Group,
    /// How to fix it on the server's software (recognised from the
    /// greeting and EHLO), where tlscheck has the steps.
    pub remediation: Option<fn(ServerSoftware) -> Remediation>,
}

/// A row of [`FINDINGS`] (the table macro passes id and name first).
const fn row(
    id: FindingId,
    name: &'static str,
    group: Group,
    severity: Severity,
    remediation: Option<fn(ServerSoftware) -> Remediation>,
    title: &'static str,
    fix_short: &'static str,
) -> FindingInfo {
    FindingInfo {
        id,
        name,
        severity,
        title,
        fix_short,
        group,
        remediation,
    }
}

const NONE: Option<fn(ServerSoftware) -> Remediation> = None;
const ENABLE_TLS12: Option<fn(ServerSoftware) -> Remediation> = Some(remediation::enable_tls12);

use Group::{Certificate, Delivery, Dns, Policy};
use Severity::{Error, Info, Warning};

id_table! {
    /// A finding id. `as_str()` gives the published kebab-case string.
    enum FindingId;
    /// The table: one row per [`FindingId`], in declaration order.
    static FINDINGS: [FindingInfo] = row;
    // ---- Reaching the server -------------------------------------------
    /// Every connection attempt timed out (outbound port 25 blocked?).
    AllConnectionsTimedOut = "all-connections-timed-out" (Delivery, Error, NONE,
        "No server answered: every connection attempt timed out",
        "run tlscheck from a network that allows outbound port 25");
    /// A server could not be checked, for a reason of no other class.
    ServerUnreachable = "server-unreachable" (Delivery, Error, NONE,
        "A mail server could not be checked",
        "make the server reachable on its SMTP port");
    /// Connection refused.
    ConnectionRefused = "connection-refused" (Delivery, Error, NONE,
        "Nothing accepts connections on a mail server's SMTP port (connection refused)",
        "start the SMTP service or fix the MX address");
    /// No route to the address.
    HostUnreachable = "host-unreachable" (Delivery, Error, NONE,
        "A mail server's address is unreachable from here (no route)",
        "check the address and the routing");
    /// The TCP connection timed out.
    ConnectionTimedOut = "connection-timed-out" (Delivery, Error, NONE,
        "A mail server did not answer the TCP connection",
        "open the SMTP port or fix the address");
    /// Closed before the greeting.
    ClosedBeforeGreeting = "closed-before-greeting" (Delivery, Error, NONE,
        "A mail server accepted the connection and closed it without a greeting",
        "check the server's connection limits, filters and logs");
    /// Connected, but no greeting in time.
    NoGreeting = "no-greeting" (Delivery, Warning, NONE,
        "A mail server accepted the connection but sent no greeting in time",
        "run again with a longer --timeout; check for a tarpit or TLS on connect");
    /// The port speaks something other than SMTP.
    NotSmtp = "not-smtp" (Delivery, Error, NONE,
        "A mail server's SMTP port answers with something that is not SMTP",
        "point the MX at the mail server, or fix the port forwarding");
    /// A reply over the SMTP length limits.
    ReplyTooLong = "reply-too-long" (Delivery, Error, NONE,
        "A mail server's reply passes the SMTP length limits",
        "shorten the greeting/banner");
    /// The greeting deferred tlscheck (throttling).
    Throttled = "throttled" (Delivery, Warning, NONE,
        "The server throttled tlscheck's connections; some versions could not be tested",
        "run again later or with --per-server 1");
    /// The greeting refused tlscheck (policy block).
    GreetingRejected = "greeting-rejected" (Delivery, Error, NONE,
        "The server refused the connection at the greeting (a policy block, not a TLS problem)",
        "check the server's connection filtering (IP reputation, allow lists)");
    /// A greeting after 5 s or more.
    SlowGreeting = "slow-greeting" (Delivery, Info, NONE,
        "The server is slow to greet",
        "nothing required; check for a deliberate greeting delay");
    /// EHLO refused for good.
    EhloRefused = "ehlo-refused" (Delivery, Warning, NONE,
        "The server refused tlscheck's EHLO, so STARTTLS could not be checked",
        "run again with --ehlo set to a real host name");

    // ---- STARTTLS ------------------------------------------------------
    /// EHLO lists no STARTTLS.
    NoStarttls = "no-starttls" (Delivery, Error, Some(remediation::enable_starttls),
        "The server does not offer STARTTLS: senders that require TLS (Office 365 connectors with TLS enforced) cannot deliver",
        "enable STARTTLS with a certificate for the server's name");
    /// STARTTLS answered 454: the server's TLS set-up fails.
    StarttlsRefused = "starttls-refused" (Delivery, Error, Some(remediation::repair_starttls),
        "The server advertises STARTTLS but refuses it (454: TLS not available)",
        "fix the server's TLS certificate/key configuration");
    /// STARTTLS answered with another code than 220 or 454.
    StarttlsRejected = "starttls-rejected" (Delivery, Error, NONE,
        "The server advertises STARTTLS but refuses the command",
        "allow STARTTLS for this client, or stop advertising it");
    /// The connection closes when STARTTLS is sent.
    StarttlsDropped = "starttls-dropped" (Delivery, Error, NONE,
        "The server closes the connection when STARTTLS is sent, before any TLS",
        "check the SMTP service and any SMTP proxy or firewall in front of it");
    /// A firewall's SMTP inspection masks the banner or EHLO.
    SmtpInspection = "smtp-inspection" (Delivery, Warning, NONE,
        "A firewall's SMTP inspection sits in front of the server (masked banner or EHLO keywords)",
        "allow STARTTLS in the firewall's ESMTP inspection, or turn it off for port 25");
    /// The server requires STARTTLS before MAIL FROM.
    RequiresTls = "requires-tls" (Delivery, Info, NONE,
        "The server requires STARTTLS before mail: senders that can only do TLS 1.0/1.1 cannot deliver",
        "nothing here; such senders must enable TLS 1.2");

    // ---- TLS versions and suites ---------------------------------------
    /// Every handshake fails on the server's side.
    TlsHandshakeDropped = "tls-handshake-dropped" (Delivery, Error, NONE,
        "STARTTLS is offered but every TLS handshake fails on the server's side (the SocketError pattern)",
        "make the SMTP certificate's private key usable by the TLS stack");
    /// Every version refused by version.
    NoTlsVersionAccepted = "no-tls-version-accepted" (Delivery, Error, ENABLE_TLS12,
        "STARTTLS is offered but no TLS version could be negotiated",
        "enable TLS 1.2 on the server and restart it");
    /// Only TLS 1.0/1.1.
    LegacyTlsOnly = "legacy-tls-only" (Delivery, Error, ENABLE_TLS12,
        "The server accepts only TLS 1.0/1.1: Office 365 and every TLS 1.2+ sender cannot deliver to it over TLS",
        "enable TLS 1.2 (SCHANNEL TLS 1.2 Server and Client keys) and restart");
    /// TLS 1.0/1.1 next to TLS 1.2+ (an error under --forbid-legacy).
    LegacyTlsEnabled = "legacy-tls-enabled" (Delivery, Warning, Some(remediation::disable_legacy),
        "TLS 1.0/1.1 are still enabled next to TLS 1.2+; Office 365 no longer uses them",
        "disable TLS 1.0/1.1; check the sending side too");
    /// TLS 1.2 only with suites modern clients do not offer. Fixed in the
    /// cipher settings, not by enabling TLS 1.2 (issue 12 §4).
    Tls12LegacyCiphersOnly = "tls12-legacy-ciphers-only" (Delivery, Warning, Some(remediation::enable_modern_ciphers),
        "TLS 1.2 works only with cipher suites modern clients no longer offer (no ECDHE with AES-GCM/ChaCha20)",
        "enable ECDHE AES-GCM cipher suites");
    /// --require-tls 1.3 and no TLS 1.3.
    Tls13Required = "tls13-required" (Delivery, Error, NONE,
        "TLS 1.3 is required by policy (--require-tls 1.3) but not accepted",
        "enable TLS 1.3");
    /// No TLS 1.3 (fine for Office 365).
    NoTls13 = "no-tls13" (Delivery, Info, NONE,
        "TLS 1.3 is not offered (TLS 1.2 is enough for Office 365)",
        "nothing required");
    /// TLS 1.3 without TLS 1.2.
    Tls13Only = "tls13-only" (Delivery, Warning, NONE,
        "The server accepts TLS 1.3 but not TLS 1.2: senders without TLS 1.3 cannot use TLS with it",
        "enable TLS 1.2 next to TLS 1.3");
    /// The handshake needs a client certificate.
    ClientCertificateRequired = "client-certificate-required" (Delivery, Warning, NONE,
        "The server requires a client certificate: senders that present none cannot deliver over TLS",
        "do not require client certificates on the public SMTP listener");
    /// Undecided versions next to a working TLS 1.2+ session.
    VersionsUndecided = "versions-undecided" (Delivery, Info, NONE,
        "Some TLS versions could not be decided (the verdict does not rest on them)",
        "run again as suggested; nothing is proven broken yet");
    /// No TLS 1.2+ session and versions undecided: INCONCLUSIVE.
    TlsInconclusive = "tls-inconclusive" (Delivery, Warning, NONE,
        "No TLS 1.2 or newer session was completed, and some versions could not be decided",
        "run again as suggested; nothing is proven broken yet");
    /// None of Microsoft 365's documented TLS 1.2 suites is accepted.
    Office365NoCommonCipherSuite = "office365-no-common-cipher-suite" (Delivery, Error, NONE,
        "Office 365 cannot negotiate TLS with this server: none of Microsoft 365's documented TLS 1.2 cipher suites is accepted",
        "enable an ECDHE_RSA AES-GCM cipher suite");
    /// None of a named sender profile's suites is accepted.
    SenderProfileNoCommonCipherSuite = "sender-profile-no-common-cipher-suite" (Delivery, Warning, NONE,
        "A sender cannot negotiate TLS with this server: none of its documented cipher suites is accepted",
        "enable an ECDHE_RSA AES-GCM cipher suite");
    /// NULL, EXPORT, anonymous, RC4, DES or 3DES suites accepted.
    WeakCipherSuites = "weak-cipher-suites" (Delivery, Warning, NONE,
        "The server accepts weak cipher suites (NULL, EXPORT, anonymous, RC4, DES or 3DES)",
        "disable NULL, EXPORT, anon, RC4, DES and 3DES suites");
    /// DHE with a group under 2048 bits.
    WeakDhGroup = "weak-dh-group" (Delivery, Warning, NONE,
        "DHE key exchange with a group smaller than 2048 bits",
        "use a DH group of 2048 bits or more, or disable DHE");

    // ---- A sender seen by `tlscheck listen` ----------------------------
    /// The ClientHello offered no TLS 1.2 or 1.3.
    SenderLegacyTlsOnly = "sender-legacy-tls-only" (Delivery, Error, NONE,
        "The sender offers only TLS 1.0/1.1 when it starts TLS; Office 365 requires TLS 1.2 and drops the connection",
        "enable TLS 1.2 for sending (Windows: the SCHANNEL TLS 1.2\\Client key, then restart; Postfix: smtp_tls_protocols)");
    /// MAIL FROM before STARTTLS although STARTTLS was offered.
    SenderNoStarttls = "sender-no-starttls" (Delivery, Error, NONE,
        "The sender sent MAIL FROM without STARTTLS, although tlscheck offered it",
        "make the sender use STARTTLS (opportunistic TLS) with TLS 1.2");
    /// STARTTLS, then no usable ClientHello.
    SenderNoClientHello = "sender-no-client-hello" (Delivery, Error, NONE,
        "The sender asked for STARTTLS but sent no TLS ClientHello: its TLS client could not start",
        "check the sender's TLS client settings: TLS 1.2 enabled, TLS library working");
    /// TLS 1.2+ offered, but the handshake with tlscheck failed.
    SenderHandshakeFailed = "sender-handshake-failed" (Delivery, Warning, NONE,
        "The sender offers TLS 1.2 or newer, but the handshake with tlscheck failed",
        "offer ECDHE cipher suites with AES-GCM for TLS 1.2");
    /// The sender offers none of Microsoft 365's documented TLS 1.2 suites.
    SenderNoOffice365CipherSuite = "sender-no-office365-cipher-suite" (Delivery, Error, NONE,
        "The sender offers none of Microsoft 365's documented TLS 1.2 cipher suites: Office 365 cannot agree on a suite with it",
        "offer an ECDHE_RSA AES-GCM suite (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)");

    // ---- DNSSEC, DANE, MTA-STS, TLS-RPT --------------------------------
    /// The MX answer is DNSSEC-bogus.
    DnssecBogus = "dnssec-bogus" (Policy, Error, NONE,
        "DNSSEC validation of the domain's MX records failed; Exchange Online defers, then bounces",
        "re-sign the zone and check the DS at the parent");
    /// A DANE lookup (TLSA or addresses) is DNSSEC-bogus.
    DaneDnssecInvalid = "dane-dnssec-invalid" (Policy, Error, NONE,
        "DNSSEC validation of a DANE lookup failed; Exchange Online defers, then bounces",
        "fix the zone's signatures");
    /// TLSA records that senders do not apply (zone not signed).
    DaneNotApplied = "dane-not-applied" (Policy, Info, NONE,
        "TLSA records are published, but senders do not apply DANE",
        "sign the zones (DNSSEC) or remove the TLSA records");
    /// TLSA records matching no certificate.
    DaneStaleRecord = "dane-stale-record" (Policy, Info, NONE,
        "Some TLSA records match no certificate the server sent (fine during a key rollover)",
        "remove TLSA records of retired keys");
    /// One TLSA record only.
    DaneSingleRecord = "dane-single-record" (Policy, Info, NONE,
        "Only one TLSA record: a certificate change without a rollover breaks delivery from DANE senders",
        "publish the next key's TLSA record before changing certificates");
    /// A DANE exchange without STARTTLS (5.7.321).
    DaneNoStarttls = "dane-no-starttls" (Policy, Error, NONE,
        "A DANE-protected exchange does not offer STARTTLS: Exchange Online bounces",
        "enable STARTTLS on the exchange");
    /// The DANE-matched certificate expired (5.7.322).
    DaneCertificateExpired = "dane-certificate-expired" (Policy, Error, NONE,
        "The DANE-matched certificate has expired: Exchange Online bounces",
        "renew the certificate and roll the TLSA record over");
    /// The DANE-matched certificate does not name the MX host (5.7.325).
    DaneCertificateHostMismatch = "dane-certificate-host-mismatch" (Policy, Error, NONE,
        "The DANE-matched certificate does not name the MX host: Exchange Online bounces",
        "put the MX host name in the certificate's subjectAltName");
    /// No usable TLSA record matches (5.7.323).
    DaneTlsaMismatch = "dane-tlsa-mismatch" (Policy, Error, NONE,
        "No usable TLSA record matches the certificate: Exchange Online bounces",
        "publish a TLSA record for the current certificate");
    /// The _mta-sts TXT record is invalid.
    MtaStsRecordInvalid = "mta-sts-record-invalid" (Policy, Warning, NONE,
        "The _mta-sts TXT record is invalid: senders assume there is no MTA-STS policy",
        "fix the _mta-sts TXT record");
    /// The policy file cannot be fetched or used.
    MtaStsPolicyUnavailable = "mta-sts-policy-unavailable" (Policy, Warning, NONE,
        "The MTA-STS record is published but the policy cannot be used: senders without a cached policy ignore MTA-STS",
        "serve the policy over HTTPS as text/plain, without redirects");
    /// The policy file does not parse.
    MtaStsPolicyInvalid = "mta-sts-policy-invalid" (Policy, Warning, NONE,
        "The MTA-STS policy does not parse: senders treat it as no policy",
        "fix the policy file");
    /// The policy file has oddities.
    MtaStsPolicyOdd = "mta-sts-policy-odd" (Policy, Info, NONE,
        "The MTA-STS policy has oddities senders may not forgive",
        "tidy the policy file");
    /// An MX host the policy does not list (severity by mode).
    MtaStsMxNotInPolicy = "mta-sts-mx-not-in-policy" (Policy, Error, NONE,
        "An MX host is not listed in the MTA-STS policy",
        "add the MX host to the policy's mx lines and publish a new id");
    /// An MX host under a policy without STARTTLS (severity by mode).
    MtaStsNoStarttls = "mta-sts-no-starttls" (Policy, Error, NONE,
        "An MX host under an MTA-STS policy does not offer STARTTLS: senders that honour the policy do not deliver to it",
        "enable STARTTLS with a trusted certificate for the MX host");
    /// An MX certificate that fails the policy (severity by mode).
    MtaStsCertificateInvalid = "mta-sts-certificate-invalid" (Policy, Error, NONE,
        "An MX certificate fails the MTA-STS policy",
        "use a publicly trusted certificate that names the MX host");
    /// The policy is in testing mode.
    MtaStsTesting = "mta-sts-testing" (Policy, Info, NONE,
        "MTA-STS is in testing mode: senders deliver even when the checks fail, and report failures over TLS-RPT",
        "switch to mode: enforce once reports are clean");
    /// The TLS-RPT record is invalid.
    TlsRptInvalid = "tls-rpt-invalid" (Policy, Warning, NONE,
        "The TLS-RPT record is invalid: senders send no TLS failure reports",
        "fix the _smtp._tls TXT record");
    /// No TLS-RPT record next to DANE or MTA-STS.
    TlsRptMissing = "tls-rpt-missing" (Policy, Info, NONE,
        "No TLS-RPT record: nobody tells you when senders fail DANE or MTA-STS",
        "publish a TLS-RPT record");

    // ---- The certificate -----------------------------------------------
    /// Expires within --cert-warn-days.
    CertificateExpiresSoon = "certificate-expires-soon" (Certificate, Warning, NONE,
        "The certificate expires soon",
        "renew the certificate");
    /// Expired.
    CertificateExpired = "certificate-expired" (Certificate, Warning, NONE,
        "The certificate has expired",
        "renew the certificate");
    /// Not valid yet.
    CertificateNotYetValid = "certificate-not-yet-valid" (Certificate, Warning, NONE,
        "The certificate is not valid yet (check the server's clock)",
        "fix the clock or the certificate");
    /// Does not name the host.
    CertificateNameMismatch = "certificate-name-mismatch" (Certificate, Warning, NONE,
        "The certificate does not cover the host name senders connect to",
        "use a certificate that names the MX host");
    /// Self-signed.
    CertificateSelfSigned = "certificate-self-signed" (Certificate, Warning, NONE,
        "The certificate is self-signed",
        "use a certificate from a public CA");
    /// No chain to a trusted root.
    CertificateUntrusted = "certificate-untrusted" (Certificate, Warning, NONE,
        "The certificate does not chain to a trusted root (missing intermediate or private CA)",
        "send the full chain / use a public CA");
    /// Could not be verified for another reason.
    CertificateInvalid = "certificate-invalid" (Certificate, Warning, NONE,
        "The certificate could not be verified",
        "replace the certificate");
    /// An RSA key under 2048 bits.
    CertificateRsaKeyShort = "certificate-rsa-key-short" (Certificate, Warning, NONE,
        "The certificate's RSA key is shorter than 2048 bits",
        "replace the certificate with an RSA 2048+ one");
    /// A SHA-1 signature.
    CertificateSha1Signature = "certificate-sha1-signature" (Certificate, Warning, NONE,
        "The certificate is signed with SHA-1",
        "reissue the certificate with a SHA-256 signature");

    // ---- Mail routing in DNS -------------------------------------------
    /// NXDOMAIN for the domain.
    DomainDoesNotExist = "domain-does-not-exist" (Dns, Error, NONE,
        "The domain does not exist in DNS (NXDOMAIN)",
        "check the domain name");
    /// Neither MX nor address records.
    NoMailRecords = "no-mail-records" (Dns, Error, NONE,
        "The domain has no MX and no address records: nobody can deliver mail to it",
        "publish MX records for the domain");
    /// RFC 7505 null MX.
    NullMx = "null-mx" (Dns, Info, NONE,
        "The domain publishes a null MX (RFC 7505): it accepts no mail",
        "nothing, unless the domain should receive mail");
    /// No MX: senders use the name's own address.
    ImplicitMx = "implicit-mx" (Dns, Info, NONE,
        "The name has no MX records; senders deliver to its own address (implicit MX, RFC 5321 §5.1)",
        "nothing");
    /// A lookup failed (SERVFAIL, timeout, refused).
    DnsLookupFailed = "dns-lookup-failed" (Dns, Error, NONE,
        "A DNS lookup failed",
        "fix the DNS zone or ask another resolver (--resolver)");
    /// The address lookup of an MX host failed.
    ExchangeLookupFailed = "exchange-lookup-failed" (Dns, Warning, NONE,
        "The address lookup of an MX host failed",
        "fix the DNS zone or ask another resolver (--resolver)");
    /// A host name (--host) without addresses.
    HostHasNoAddress = "host-has-no-address" (Dns, Error, NONE,
        "The host name has no A or AAAA record",
        "check the host name");
    /// A host whose only addresses -4/-6 left out.
    HostFilteredOut = "host-filtered-out" (Dns, Warning, NONE,
        "The host's only addresses are of the family this run leaves out (-4/-6)",
        "run without -4/-6 to test those addresses");
    /// An MX host whose only addresses -4/-6 left out.
    ExchangeFilteredOut = "exchange-filtered-out" (Dns, Info, NONE,
        "An MX host's only addresses are of the family this run leaves out (-4/-6)",
        "run without -4/-6 to test those addresses");
    /// An MX host with no address records.
    ExchangeWithoutAddress = "exchange-without-address" (Dns, Warning, NONE,
        "An MX host has no address records",
        "give the exchange an A/AAAA record or remove the MX");
    /// An MX that names an alias.
    MxPointsToCname = "mx-points-to-cname" (Dns, Warning, NONE,
        "An MX record names an alias (CNAME), not a host",
        "point the MX at the host's canonical name");
    /// An MX that names an address.
    MxIsIpLiteral = "mx-is-ip-literal" (Dns, Warning, NONE,
        "An MX record names an address, not a host",
        "point the MX at a host name, not an address");
    /// "0 ." next to other MX records.
    NullMxAmongOthers = "null-mx-among-others" (Dns, Warning, NONE,
        "A null MX (\"0 .\") stands next to other MX records",
        "remove the \"0 .\" record or the others");
    /// More MX hosts than tlscheck resolves.
    TooManyExchanges = "too-many-exchanges" (Dns, Info, NONE,
        "More MX hosts than tlscheck resolves; the rest were not tested",
        "nothing");
}

#[cfg(test)]
mod tests;
