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

impl fmt::Display for ServerSoftware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Banner fragments (lower case) that name the software.
const BANNER_HINTS: &[(&str, ServerSoftware)] = &[
    ("microsoft esmtp mail service", ServerSoftware::Exchange),
    ("microsoft smtp server", ServerSoftware::Exchange),
    ("microsoft exchange", ServerSoftware::Exchange),
    ("esmtp postfix", ServerSoftware::Postfix),
    ("esmtp exim", ServerSoftware::Exim),
    ("esmtp sendmail", ServerSoftware::Sendmail),
];

/// EHLO keywords only Exchange advertises; they give it away when the
/// banner has been changed to hide the product.
const EXCHANGE_EHLO_KEYWORDS: &[&str] = &[
    "X-ANONYMOUSTLS",
    "X-EXPS",
    "XEXCH50",
    "XRDST",
    "XSHADOW",
    "XSHADOWREQUEST",
    "X-LINK2STATE",
];

/// Guesses the server software from the 220 greeting (with or without its
/// `220 ` prefix) and the lines of the EHLO reply (with or without `250-`).
pub fn detect(banner: &str, ehlo_lines: &[String]) -> ServerSoftware {
    let banner = banner.to_ascii_lowercase();
    if let Some((_, sw)) = BANNER_HINTS.iter().find(|(hint, _)| banner.contains(hint)) {
        return *sw;
    }
    for line in ehlo_lines {
        let line = line.trim();
        let line = line
            .strip_prefix("250-")
            .or_else(|| line.strip_prefix("250 "))
            .unwrap_or(line);
        let keyword = line.split_whitespace().next().unwrap_or_default();
        if EXCHANGE_EHLO_KEYWORDS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
        {
            return ServerSoftware::Exchange;
        }
        // Sendmail's EHLO greeting line, kept even with a custom banner.
        if line.to_ascii_lowercase().contains("pleased to meet you") {
            return ServerSoftware::Sendmail;
        }
    }
    ServerSoftware::Other
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

// ---- Exchange / Windows ----------------------------------------------------

/// SCHANNEL TLS 1.2 for both directions, then the .NET Framework settings
/// from Microsoft's "Exchange Server TLS guidance, part 2". The key names
/// and 8-digit dwords are the correct ones. Translations of the Microsoft
/// support article this project starts from print the key as `TLS 1,2`, and
/// an older version of it showed a nine-digit dword; the current English
/// article has neither typo.
const EXCHANGE_TLS12_REG: &str = r#"Windows Registry Editor Version 5.00

; TLS 1.2 in SCHANNEL. Client: what this server offers when it sends mail.
; Server: what it accepts when it receives mail.
[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client]
"DisabledByDefault"=dword:00000000
"Enabled"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server]
"DisabledByDefault"=dword:00000000
"Enabled"=dword:00000001

; .NET Framework 4.x: use the operating system's TLS versions and strong crypto.
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319]
"SystemDefaultTlsVersions"=dword:00000001
"SchUseStrongCrypto"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319]
"SystemDefaultTlsVersions"=dword:00000001
"SchUseStrongCrypto"=dword:00000001

; .NET Framework 3.5 (v2.0.50727): the same.
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v2.0.50727]
"SystemDefaultTlsVersions"=dword:00000001
"SchUseStrongCrypto"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v2.0.50727]
"SystemDefaultTlsVersions"=dword:00000001
"SchUseStrongCrypto"=dword:00000001
"#;

const EXCHANGE_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 on Exchange (SCHANNEL client and server, .NET Framework)",
    steps: &[
        "Save the snippet as tls12.reg on every Exchange server (Mailbox and Edge) and every Windows SMTP relay in the mail path.",
        "Import it as an administrator: `reg import tls12.reg` (or double-click the file).",
        "Restart the server: SCHANNEL reads these keys only when Windows starts.",
        "Install the latest Windows updates and the latest Exchange cumulative update and security update; older builds cannot use TLS 1.2 for SMTP.",
        "Check the result with the Exchange Health Checker (https://aka.ms/ExchangeHealthChecker), then run tlscheck against the server again; for the sending side, send a test message to `tlscheck listen`.",
    ],
    snippet: Some(Snippet {
        language: "reg",
        text: EXCHANGE_TLS12_REG,
    }),
};

const EXCHANGE_DISABLE_LEGACY_REG: &str = r#"Windows Registry Editor Version 5.00

; Turn off TLS 1.0 and TLS 1.1 in SCHANNEL, for receiving (Server) and
; sending (Client). Apply only after TLS 1.2 works everywhere.
[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Client]
"Enabled"=dword:00000000
"DisabledByDefault"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server]
"Enabled"=dword:00000000
"DisabledByDefault"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.1\Client]
"Enabled"=dword:00000000
"DisabledByDefault"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.1\Server]
"Enabled"=dword:00000000
"DisabledByDefault"=dword:00000001
"#;

const EXCHANGE_DISABLE_LEGACY: Remediation = Remediation {
    title: "Turn off TLS 1.0 and TLS 1.1 on Exchange (SCHANNEL)",
    steps: &[
        "First enable TLS 1.2 (client and server, .NET Framework) and confirm mail flows with it in both directions.",
        "Find clients still using TLS 1.0/1.1 (old Outlook, devices, applications, other mail servers) as described in \"Exchange Server TLS guidance, part 2\", and update them first.",
        "Save the snippet as disable-tls10-11.reg and import it on every Exchange server: `reg import disable-tls10-11.reg`.",
        "Restart the server.",
        "Run tlscheck against the server: TLS 1.0 and 1.1 should now be refused and TLS 1.2 accepted.",
    ],
    snippet: Some(Snippet {
        language: "reg",
        text: EXCHANGE_DISABLE_LEGACY_REG,
    }),
};

const EXCHANGE_ENABLE_STARTTLS: Remediation = Remediation {
    title: "Make Exchange offer STARTTLS (a certificate for the Receive connector's FQDN, enabled for SMTP)",
    steps: &[
        "Exchange offers STARTTLS only when a valid certificate whose names include the Receive connector's FQDN is enabled for the SMTP service.",
        "List the certificates and the connectors' FQDNs with the first two commands of the snippet.",
        "Enable the right certificate for SMTP. When Exchange asks whether to replace the default SMTP certificate, answer No: the self-signed one stays for Exchange's internal traffic.",
        "Make sure `Tls` is in the Receive connector's AuthMechanism (the Default Frontend connector has it unless someone removed it); to change it, give `Set-ReceiveConnector -AuthMechanism` the full list with `Tls` added.",
        "If EHLO through the firewall lists `XXXXXXXA` instead of STARTTLS, turn off SMTP inspection on the firewall.",
        "Run tlscheck again: EHLO should now list STARTTLS.",
    ],
    snippet: Some(Snippet {
        language: "powershell",
        text: r#"# Which certificates exist, and which are enabled for SMTP?
Get-ExchangeCertificate | Format-List Thumbprint,Subject,CertificateDomains,Services,Status,NotAfter,HasPrivateKey
# Each Receive connector answers EHLO with its FQDN; a certificate must contain that name.
Get-ReceiveConnector | Format-List Identity,Fqdn,AuthMechanism,RequireTLS,TlsCertificateName
# Enable the certificate for SMTP (answer No to replacing the default SMTP certificate).
Enable-ExchangeCertificate -Thumbprint <THUMBPRINT> -Services SMTP
Restart-Service MSExchangeFrontEndTransport, MSExchangeTransport
"#,
    }),
};

const EXCHANGE_REPAIR_STARTTLS: Remediation = Remediation {
    title: "Repair STARTTLS on Exchange (certificate and private key)",
    steps: &[
        "Check that the certificate for the connector's FQDN is enabled for SMTP, has its private key (`HasPrivateKey` True) and a `Status` of Valid.",
        "A certificate without its private key must be imported again from its PFX; an expired one renewed; `RevocationCheckFailure` means the server cannot reach the CA's CRL.",
        "After a renewal, update `TlsCertificateName` on the Receive and Send connectors that set it.",
        "Read the Application log for MSExchangeFrontEndTransport event 12014 (no certificate for the FQDN).",
        "Restart the transport services and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "powershell",
        text: r#"Get-ExchangeCertificate | Format-List Thumbprint,Subject,CertificateDomains,Services,Status,NotAfter,HasPrivateKey
Get-ReceiveConnector | Format-List Identity,Fqdn,TlsCertificateName
Get-EventLog Application -Source MSExchangeFrontEndTransport -Newest 200 | Where-Object EventID -eq 12014
# After fixing or replacing the certificate:
Enable-ExchangeCertificate -Thumbprint <THUMBPRINT> -Services SMTP
$cert = Get-ExchangeCertificate -Thumbprint <THUMBPRINT>
Set-ReceiveConnector "<SERVER>\Default Frontend <SERVER>" -TlsCertificateName "<I>$($cert.Issuer)<S>$($cert.Subject)"
Restart-Service MSExchangeFrontEndTransport, MSExchangeTransport
"#,
    }),
};

// ---- Postfix ---------------------------------------------------------------

const POSTFIX_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 in Postfix (receiving smtpd and sending smtp)",
    steps: &[
        "Find what caps the version: `postconf -n | grep -E 'tls_(mandatory_)?protocols'` and `postconf -P | grep tls`; look for `<=TLSv1.1`, `!TLSv1.2` or `-o` overrides in master.cf.",
        "Check that Postfix is linked with OpenSSL 1.0.1 or later (`ldd $(postconf -h daemon_directory)/smtpd | grep -E 'ssl|crypto'`); older OpenSSL has no TLS 1.2.",
        "Put the snippet in /etc/postfix/main.cf with your certificate paths. It allows TLS 1.2 and 1.3 with no upper limit. The opportunistic lists set only a floor of TLS 1.0, so Postfix itself does not push older peers to plain text (OpenSSL 3 may still refuse TLS 1.0/1.1 at its default security level).",
        "On Postfix older than 3.6, write the protocol lists as exclusions: `!SSLv2, !SSLv3` (and add `!TLSv1, !TLSv1.1` for the mandatory lists).",
        "Run `postfix check` and `postfix reload`, then run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"# /etc/postfix/main.cf
# Receiving (smtpd): offer STARTTLS with a certificate for the MX name.
smtpd_tls_security_level = may
smtpd_tls_cert_file = /etc/ssl/certs/mail.example.com.fullchain.pem
smtpd_tls_key_file = /etc/ssl/private/mail.example.com.key
smtpd_tls_protocols = >=TLSv1
smtpd_tls_mandatory_protocols = >=TLSv1.2
# Sending (smtp): use TLS whenever the other side offers it.
smtp_tls_security_level = may
smtp_tls_protocols = >=TLSv1
smtp_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_loglevel = 1
smtpd_tls_loglevel = 1
"#,
    }),
};

const POSTFIX_DISABLE_LEGACY: Remediation = Remediation {
    title: "Turn off TLS 1.0 and TLS 1.1 in Postfix",
    steps: &[
        "Put the snippet in /etc/postfix/main.cf (Postfix 3.6 or later; older versions: `!SSLv2, !SSLv3, !TLSv1, !TLSv1.1`).",
        "Remove or update any `-o smtpd_tls_protocols=…` overrides in master.cf (`postconf -P | grep tls`).",
        "Run `postfix check` and `postfix reload`.",
        "Senders limited to TLS 1.0/1.1 will now deliver in plain text or fail if they require TLS; watch the log for `unsupported protocol`.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"# /etc/postfix/main.cf: TLS 1.2 or later only
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_protocols = >=TLSv1.2
smtp_tls_mandatory_protocols = >=TLSv1.2
"#,
    }),
};

const POSTFIX_ENABLE_STARTTLS: Remediation = Remediation {
    title: "Make Postfix offer STARTTLS",
    steps: &[
        "Put the snippet in /etc/postfix/main.cf with the paths of your certificate (full chain) and private key; the certificate must contain the name the MX record points to.",
        "Check master.cf for `-o smtpd_tls_security_level=none` on the smtpd service (`postconf -P | grep tls`).",
        "Run `postfix check` and `postfix reload`; EHLO now lists STARTTLS.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"# /etc/postfix/main.cf
smtpd_tls_security_level = may
smtpd_tls_cert_file = /etc/ssl/certs/mail.example.com.fullchain.pem
smtpd_tls_key_file = /etc/ssl/private/mail.example.com.key
smtpd_tls_loglevel = 1
"#,
    }),
};

const POSTFIX_REPAIR_STARTTLS: Remediation = Remediation {
    title: "Repair STARTTLS in Postfix (454 4.7.0 TLS not available due to local problem)",
    steps: &[
        "Read the mail log at the time of the 454: `warning: TLS library problem` or `cannot get … private key` names the file.",
        "Check that the certificate and key files exist, that the key is not protected by a passphrase, and that the two belong together (the two hashes in the snippet must be equal).",
        "Keep the key owned by root with mode 0600, and make sure `tlsmgr` is present in master.cf.",
        "Run `postfix check` and `postfix reload`, then run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "sh",
        text: r#"postconf smtpd_tls_cert_file smtpd_tls_key_file smtpd_tls_chain_files
# Key and certificate belong together when these two hashes are equal:
openssl x509 -in /etc/ssl/certs/mail.example.com.fullchain.pem -noout -pubkey | openssl sha256
openssl pkey -in /etc/ssl/private/mail.example.com.key -pubout | openssl sha256
grep -E 'TLS library problem|private key|cannot load' /var/log/mail.log | tail -n 20
postfix check && postfix reload
"#,
    }),
};

// ---- Exim ------------------------------------------------------------------

const EXIM_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 in Exim",
    steps: &[
        "Put the snippet in the main section of the Exim configuration (Debian split configuration: a file in /etc/exim4/conf.d/main/, or set `MAIN_TLS_ENABLE = yes` and the `MAIN_TLS_CERTIFICATE`/`MAIN_TLS_PRIVATEKEY` macros).",
        "Remove `+no_tlsv1_2` from `openssl_options` if it is there; with GnuTLS (Debian's exim4 packages) make sure `tls_require_ciphers` does not exclude `VERS-TLS1.2`.",
        "Check that Exim is built against OpenSSL 1.0.1 / GnuTLS 3 or later: `exim -bV` shows the TLS library.",
        "Debian: `update-exim4.conf`; then restart Exim and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"# Exim main configuration
tls_advertise_hosts = *
tls_certificate = /etc/exim4/mail.example.com.fullchain.pem
tls_privatekey = /etc/exim4/mail.example.com.key
# OpenSSL builds: exclude only SSL; TLS 1.0 to 1.3 stay available.
openssl_options = +no_sslv2 +no_sslv3
# GnuTLS builds use a priority string instead:
# tls_require_ciphers = NORMAL
"#,
    }),
};

const EXIM_DISABLE_LEGACY: Remediation = Remediation {
    title: "Turn off TLS 1.0 and TLS 1.1 in Exim",
    steps: &[
        "Put the line for your TLS library in the main section of the Exim configuration (`exim -bV` shows whether it is OpenSSL or GnuTLS).",
        "Debian: `update-exim4.conf`; then restart Exim and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"# OpenSSL builds:
openssl_options = +no_sslv2 +no_sslv3 +no_tlsv1 +no_tlsv1_1
# GnuTLS builds:
# tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2
"#,
    }),
};

const EXIM_ENABLE_STARTTLS: Remediation = Remediation {
    title: "Make Exim offer STARTTLS",
    steps: &[
        "Exim offers STARTTLS to the hosts in `tls_advertise_hosts` once `tls_certificate` and `tls_privatekey` are set; put the snippet in the main section.",
        "Debian: set `MAIN_TLS_ENABLE = yes` in /etc/exim4/conf.d/main/000_localmacros (or exim4.conf.localmacros), run `update-exim4.conf`.",
        "The key must be readable by the Exim user (Debian: group Debian-exim). Restart Exim and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"tls_advertise_hosts = *
tls_certificate = /etc/exim4/mail.example.com.fullchain.pem
tls_privatekey = /etc/exim4/mail.example.com.key
"#,
    }),
};

const EXIM_REPAIR_STARTTLS: Remediation = Remediation {
    title: "Repair STARTTLS in Exim (certificate and private key)",
    steps: &[
        "Read the main and panic logs for `TLS error on connection … (cert/key setup)`.",
        "Check that `tls_certificate` and `tls_privatekey` exist, belong together and are readable by the Exim user.",
        "Restart Exim and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "sh",
        text: r#"exim -bP tls_certificate tls_privatekey
grep -i 'TLS error' /var/log/exim4/mainlog /var/log/exim4/paniclog | tail -n 20
openssl x509 -in /etc/exim4/mail.example.com.fullchain.pem -noout -pubkey | openssl sha256
openssl pkey -in /etc/exim4/mail.example.com.key -pubout | openssl sha256
"#,
    }),
};

// ---- Sendmail --------------------------------------------------------------

const SENDMAIL_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 in Sendmail",
    steps: &[
        "Check that Sendmail is built with STARTTLS: `sendmail -d0.1 -bv root | grep STARTTLS`, and linked with OpenSSL 1.0.1 or later.",
        "Add the snippet to /etc/mail/sendmail.mc with your certificate paths; make sure no `ServerSSLOptions`/`ClientSSLOptions` line excludes TLS 1.2 (`+SSL_OP_NO_TLSv1_2`).",
        "Rebuild sendmail.cf (`make -C /etc/mail`, or `m4 sendmail.mc > sendmail.cf`), restart Sendmail and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "m4",
        text: r#"dnl /etc/mail/sendmail.mc
define(`confSERVER_CERT', `/etc/mail/tls/mail.example.com.fullchain.pem')dnl
define(`confSERVER_KEY', `/etc/mail/tls/mail.example.com.key')dnl
define(`confCLIENT_CERT', `/etc/mail/tls/mail.example.com.fullchain.pem')dnl
define(`confCLIENT_KEY', `/etc/mail/tls/mail.example.com.key')dnl
define(`confCACERT_PATH', `/etc/ssl/certs')dnl
LOCAL_CONFIG
O ServerSSLOptions=+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3
O ClientSSLOptions=+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3
"#,
    }),
};

const SENDMAIL_DISABLE_LEGACY: Remediation = Remediation {
    title: "Turn off TLS 1.0 and TLS 1.1 in Sendmail",
    steps: &[
        "Replace the SSL option lines in the LOCAL_CONFIG part of /etc/mail/sendmail.mc with the snippet.",
        "Rebuild sendmail.cf, restart Sendmail and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "m4",
        text: r#"LOCAL_CONFIG
O ServerSSLOptions=+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1
O ClientSSLOptions=+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1
"#,
    }),
};

const SENDMAIL_ENABLE_STARTTLS: Remediation = Remediation {
    title: "Make Sendmail offer STARTTLS",
    steps: &[
        "Check that Sendmail is built with STARTTLS: `sendmail -d0.1 -bv root | grep STARTTLS`.",
        "Add the snippet to /etc/mail/sendmail.mc with your certificate paths.",
        "Sendmail refuses key files others can read: keep the key mode 0600, owned by root.",
        "Rebuild sendmail.cf, restart Sendmail and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "m4",
        text: r#"define(`confSERVER_CERT', `/etc/mail/tls/mail.example.com.fullchain.pem')dnl
define(`confSERVER_KEY', `/etc/mail/tls/mail.example.com.key')dnl
define(`confCACERT_PATH', `/etc/ssl/certs')dnl
"#,
    }),
};

const SENDMAIL_REPAIR_STARTTLS: Remediation = Remediation {
    title: "Repair STARTTLS in Sendmail (certificate and private key)",
    steps: &[
        "Read the log for `STARTTLS=server` lines: `unsafe` means the key or its directory is readable by others, `load verify locs` a missing CA path.",
        "Fix permissions (key 0600, owned by root), check that key and certificate belong together, restart Sendmail and run tlscheck again.",
    ],
    snippet: None,
};

// ---- Others ----------------------------------------------------------------

const OTHER_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 on the mail server",
    steps: &[
        "Update the mail server software and its TLS library (OpenSSL 1.0.1 or later, GnuTLS 3, Windows SCHANNEL with TLS 1.2 enabled); TLS 1.2 is standard since 2008.",
        "Look for a minimum/maximum TLS version or protocol list in its configuration and allow TLS 1.2 and 1.3.",
        "If an appliance or firewall terminates SMTP in front of the server, check its TLS settings too.",
        "Restart the service and run tlscheck again.",
    ],
    snippet: None,
};

const OTHER_DISABLE_LEGACY: Remediation = Remediation {
    title: "Turn off TLS 1.0 and TLS 1.1 on the mail server",
    steps: &[
        "Confirm TLS 1.2 works in both directions first.",
        "Set the minimum TLS version to 1.2 in the server's TLS settings (or the protocol list to TLS 1.2 and 1.3).",
        "Restart the service and run tlscheck again: TLS 1.0 and 1.1 should be refused.",
    ],
    snippet: None,
};

const OTHER_ENABLE_STARTTLS: Remediation = Remediation {
    title: "Make the mail server offer STARTTLS",
    steps: &[
        "Install a certificate (with its chain) whose names include the MX host name, and point the SMTP service's TLS settings at it with its private key.",
        "Enable STARTTLS for inbound SMTP on port 25.",
        "If a firewall inspects SMTP, turn that off: it may strip STARTTLS from the EHLO reply.",
        "Restart the service and run tlscheck again.",
    ],
    snippet: None,
};

const OTHER_REPAIR_STARTTLS: Remediation = Remediation {
    title: "Repair STARTTLS on the mail server (certificate and private key)",
    steps: &[
        "Read the server's log at the time of the refusal; it names the certificate or key it could not load.",
        "Check that the certificate and private key exist, belong together, are readable by the mail service, and that the key has no passphrase.",
        "Restart the service and run tlscheck again.",
    ],
    snippet: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ServerSoftware; 5] = [
        ServerSoftware::Exchange,
        ServerSoftware::Postfix,
        ServerSoftware::Exim,
        ServerSoftware::Sendmail,
        ServerSoftware::Other,
    ];

    fn lines(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detect_recognises_servers_from_banner_and_ehlo() {
        let cases: &[(&str, &[&str], ServerSoftware)] = &[
            (
                "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026 10:00:00 +0000",
                &[],
                ServerSoftware::Exchange,
            ),
            (
                "AM4PEPF00012345.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026 10:00:00 +0000",
                &[],
                ServerSoftware::Exchange,
            ),
            (
                "220 relay.contoso.com Microsoft ESMTP MAIL Service, Version: 10.0.17763.1 ready",
                &[],
                ServerSoftware::Exchange,
            ),
            (
                // Banner changed to hide the product; EHLO still tells.
                "220 mail.contoso.com",
                &[
                    "mail.contoso.com Hello [203.0.113.9]",
                    "SIZE 37748736",
                    "PIPELINING",
                    "STARTTLS",
                    "X-ANONYMOUSTLS",
                    "AUTH NTLM",
                    "XRDST",
                ],
                ServerSoftware::Exchange,
            ),
            (
                "220 mail.contoso.com",
                &["250-mail.contoso.com Hello", "250-x-anonymoustls", "250 XRDST"],
                ServerSoftware::Exchange,
            ),
            ("220 mx.example.net ESMTP Postfix (Debian/GNU)", &[], ServerSoftware::Postfix),
            ("mx.example.net ESMTP Postfix", &[], ServerSoftware::Postfix),
            (
                "220 mail.example.org ESMTP Exim 4.96 Sat, 28 Nov 2026 10:00:00 +0000",
                &[],
                ServerSoftware::Exim,
            ),
            (
                "220 mail.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Sat, 28 Nov 2026",
                &[],
                ServerSoftware::Sendmail,
            ),
            (
                "220 mail.example.org ESMTP ready",
                &["mail.example.org Hello client.example.com [198.51.100.7], pleased to meet you"],
                ServerSoftware::Sendmail,
            ),
            ("220 mx.google.com ESMTP a1b2c3d4 - gsmtp", &[], ServerSoftware::Other),
            // A host name is not a product name.
            ("220 postfix.example.com ESMTP ready", &["PIPELINING"], ServerSoftware::Other),
            ("", &[], ServerSoftware::Other),
            ("220 mx.example.net ESMTP", &["", "   ", "250-"], ServerSoftware::Other),
        ];
        for (banner, ehlo, expected) in cases {
            assert_eq!(
                detect(banner, &lines(ehlo)),
                *expected,
                "{banner:?} {ehlo:?}"
            );
        }
    }

    #[test]
    fn exchange_tls12_snippet_is_a_correct_registry_file() {
        let snippet = enable_tls12(ServerSoftware::Exchange).snippet.unwrap();
        assert_eq!(snippet.language, "reg");
        let reg = snippet.text;
        assert!(reg.starts_with("Windows Registry Editor Version 5.00\n"));
        assert!(reg.contains(r"\SCHANNEL\Protocols\TLS 1.2\Client]"));
        assert!(reg.contains(r"\SCHANNEL\Protocols\TLS 1.2\Server]"));
        assert!(reg.contains("\"DisabledByDefault\"=dword:00000000"));
        assert!(reg.contains("\"Enabled\"=dword:00000001"));
        assert!(!reg.contains("TLS 1,2"), "the source article's typo");
        for key in [
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319]",
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319]",
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v2.0.50727]",
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v2.0.50727]",
        ] {
            let block = reg.split(key).nth(1).expect(key);
            let block = block.split("\n\n").next().unwrap();
            assert!(
                block.contains("\"SystemDefaultTlsVersions\"=dword:00000001"),
                "{key}"
            );
            assert!(
                block.contains("\"SchUseStrongCrypto\"=dword:00000001"),
                "{key}"
            );
        }
        assert_dwords_have_eight_digits(reg);
    }

    #[test]
    fn exchange_disable_legacy_snippet_turns_off_tls10_and_tls11_both_ways() {
        let reg = disable_legacy(ServerSoftware::Exchange)
            .snippet
            .unwrap()
            .text;
        assert!(reg.starts_with("Windows Registry Editor Version 5.00\n"));
        for version in ["TLS 1.0", "TLS 1.1"] {
            for side in ["Client", "Server"] {
                let key = format!(r"\SCHANNEL\Protocols\{version}\{side}]");
                let block = reg.split(key.as_str()).nth(1).expect(&key);
                let block = block.split("\n\n").next().unwrap();
                assert!(block.contains("\"Enabled\"=dword:00000000"), "{key}");
                assert!(
                    block.contains("\"DisabledByDefault\"=dword:00000001"),
                    "{key}"
                );
            }
        }
        assert!(
            !reg.contains(r"TLS 1.2\"),
            "must not touch the TLS 1.2 keys"
        );
        assert_dwords_have_eight_digits(reg);
    }

    /// Every `dword:` value in a .reg text has exactly eight hex digits
    /// (the source article shows a nine-digit one, which regedit rejects).
    fn assert_dwords_have_eight_digits(reg: &str) {
        let values: Vec<&str> = reg.split("dword:").skip(1).collect();
        assert!(!values.is_empty());
        for rest in values {
            let digits = rest.chars().take_while(char::is_ascii_hexdigit).count();
            assert_eq!(digits, 8, "dword:{}", rest.lines().next().unwrap_or(""));
        }
    }

    #[test]
    fn postfix_snippets_set_protocols_on_both_sides() {
        let enable = enable_tls12(ServerSoftware::Postfix).snippet.unwrap();
        assert_eq!(enable.language, "conf");
        for line in [
            "smtpd_tls_security_level = may",
            "smtpd_tls_mandatory_protocols = >=TLSv1.2",
            "smtp_tls_mandatory_protocols = >=TLSv1.2",
            "smtpd_tls_protocols = ",
            "smtp_tls_protocols = ",
            "smtpd_tls_cert_file = ",
            "smtpd_tls_key_file = ",
        ] {
            assert!(enable.text.contains(line), "{line}");
        }
        // No upper limit that would shut out TLS 1.3 or 1.2.
        assert!(!enable.text.contains("<="));
        let disable = disable_legacy(ServerSoftware::Postfix).snippet.unwrap();
        for param in [
            "smtpd_tls_protocols",
            "smtpd_tls_mandatory_protocols",
            "smtp_tls_protocols",
            "smtp_tls_mandatory_protocols",
        ] {
            assert!(
                disable.text.contains(&format!("{param} = >=TLSv1.2\n")),
                "{param}"
            );
        }
        assert!(enable_tls12(ServerSoftware::Postfix)
            .steps
            .iter()
            .any(|s| s.contains("postfix reload")));
    }

    #[test]
    fn exim_snippets_name_the_tls_options() {
        let enable = enable_tls12(ServerSoftware::Exim).snippet.unwrap().text;
        assert!(enable.contains("tls_certificate = "));
        assert!(enable.contains("tls_privatekey = "));
        assert!(enable.contains("tls_require_ciphers"));
        assert!(!enable.contains("+no_tlsv1_2"));
        let disable = disable_legacy(ServerSoftware::Exim).snippet.unwrap().text;
        assert!(disable.contains("openssl_options = +no_sslv2 +no_sslv3 +no_tlsv1 +no_tlsv1_1"));
    }

    #[test]
    fn starttls_remediations_name_the_certificate_settings() {
        let exchange = enable_starttls(ServerSoftware::Exchange).snippet.unwrap();
        assert_eq!(exchange.language, "powershell");
        assert!(exchange.text.contains("Enable-ExchangeCertificate"));
        assert!(exchange.text.contains("-Services SMTP"));
        assert!(exchange.text.contains("Get-ReceiveConnector"));
        assert!(exchange.text.contains("Fqdn"));
        assert!(exchange.text.contains("AuthMechanism"));
        let postfix = enable_starttls(ServerSoftware::Postfix)
            .snippet
            .unwrap()
            .text;
        assert!(postfix.contains("smtpd_tls_security_level = may"));
        assert!(postfix.contains("smtpd_tls_cert_file"));
        assert!(postfix.contains("smtpd_tls_key_file"));
        let repair = repair_starttls(ServerSoftware::Postfix);
        assert!(repair.title.contains("454"));
        assert!(repair.snippet.unwrap().text.contains("openssl pkey"));
    }

    #[test]
    fn every_remediation_has_a_title_and_steps() {
        let all = [
            enable_tls12,
            disable_legacy,
            enable_starttls,
            repair_starttls,
        ];
        for make in all {
            for sw in ALL {
                let r = make(sw);
                assert!(!r.title.is_empty(), "{sw:?}");
                assert!(!r.steps.is_empty(), "{sw:?} {}", r.title);
                assert!(r.steps.iter().all(|s| !s.trim().is_empty()));
                if let Some(snippet) = r.snippet {
                    assert!(
                        ["reg", "powershell", "conf", "m4", "sh"].contains(&snippet.language),
                        "{}",
                        snippet.language
                    );
                    assert!(snippet.text.ends_with('\n'), "{}", r.title);
                    assert!(!snippet.text.contains('\r'));
                }
            }
        }
    }

    #[test]
    fn labels_are_stable() {
        let labels: Vec<&str> = ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels, ["exchange", "postfix", "exim", "sendmail", "other"]);
    }
}
