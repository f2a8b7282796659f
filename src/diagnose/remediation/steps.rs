//! The fixes themselves, per software: steps and snippets to paste. Pure
//! data; `remediation` picks the one for the server at hand.

use super::{Remediation, Snippet};

// ---- Exchange / Windows ----------------------------------------------------

/// SCHANNEL TLS 1.2 for both directions, then the .NET Framework settings
/// from Microsoft's "Exchange Server TLS guidance, part 2". The key names
/// and 8-digit dwords are the correct ones. Translations of the Microsoft
/// support article this project starts from print the key as `TLS 1,2`, and
/// an older version of it showed a nine-digit dword; the current English
/// article has neither typo.
pub(super) const EXCHANGE_TLS12_REG: &str = r#"Windows Registry Editor Version 5.00

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

pub(super) const EXCHANGE_ENABLE_TLS12: Remediation = Remediation {
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

pub(super) const EXCHANGE_DISABLE_LEGACY_REG: &str = r#"Windows Registry Editor Version 5.00

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

pub(super) const EXCHANGE_DISABLE_LEGACY: Remediation = Remediation {
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

pub(super) const EXCHANGE_ENABLE_STARTTLS: Remediation = Remediation {
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

pub(super) const EXCHANGE_REPAIR_STARTTLS: Remediation = Remediation {
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

pub(super) const POSTFIX_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 in Postfix (receiving smtpd and sending smtp)",
    steps: &[
        "Find what caps the version: `postconf -n | grep -E 'tls_(mandatory_)?protocols'` and `postconf -P | grep tls`; look for `<=TLSv1.1`, `!TLSv1.2` or `-o` overrides in master.cf.",
        "Check that Postfix is linked with OpenSSL 1.0.1 or later (`ldd $(postconf -h daemon_directory)/smtpd | grep -E 'ssl|crypto'`); older OpenSSL has no TLS 1.2.",
        "Set the four protocol lists in the snippet (in /etc/postfix/main.cf, or with `postconf -e`); they change nothing else, so the certificate and the other TLS settings that already work stay as they are. They allow TLS 1.2 and 1.3 with no upper limit, and the opportunistic lists keep a floor of TLS 1.0 (the Postfix 3.6+ default), so Postfix itself does not push older peers to plain text (OpenSSL 3 may still refuse TLS 1.0/1.1 at its default security level).",
        "On Postfix older than 3.6, write the protocol lists as exclusions: `!SSLv2, !SSLv3` (and add `!TLSv1, !TLSv1.1` for the mandatory lists).",
        "Run `postfix check` and `postfix reload`, then run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"# /etc/postfix/main.cf: the protocol lists only (receiving smtpd, sending smtp)
smtpd_tls_protocols = >=TLSv1
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_protocols = >=TLSv1
smtp_tls_mandatory_protocols = >=TLSv1.2
"#,
    }),
};

pub(super) const POSTFIX_DISABLE_LEGACY: Remediation = Remediation {
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

pub(super) const POSTFIX_ENABLE_STARTTLS: Remediation = Remediation {
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

pub(super) const POSTFIX_REPAIR_STARTTLS: Remediation = Remediation {
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

pub(super) const EXIM_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 in Exim",
    steps: &[
        "Find what excludes TLS 1.2: `exim -bP openssl_options tls_require_ciphers` (`exim -bV` shows whether Exim uses OpenSSL or GnuTLS).",
        "Replace only that option with the line of the snippet for your TLS library, in the main section of the Exim configuration (Debian split configuration: a file in /etc/exim4/conf.d/main/); the certificate settings that already work stay as they are.",
        "Check that Exim is built against OpenSSL 1.0.1 / GnuTLS 3 or later: `exim -bV` shows the TLS library.",
        "Debian: `update-exim4.conf`; then restart Exim and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: r#"# Exim main configuration: the protocol option only
# OpenSSL builds: exclude only SSL; TLS 1.0 to 1.3 stay available.
openssl_options = +no_sslv2 +no_sslv3
# GnuTLS builds use a priority string instead:
# tls_require_ciphers = NORMAL
"#,
    }),
};

pub(super) const EXIM_DISABLE_LEGACY: Remediation = Remediation {
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

pub(super) const EXIM_ENABLE_STARTTLS: Remediation = Remediation {
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

pub(super) const EXIM_REPAIR_STARTTLS: Remediation = Remediation {
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

pub(super) const SENDMAIL_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 in Sendmail",
    steps: &[
        "Check that Sendmail is built with STARTTLS: `sendmail -d0.1 -bv root | grep STARTTLS`, and linked with OpenSSL 1.0.1 or later.",
        "Replace the `ServerSSLOptions`/`ClientSSLOptions` lines in the LOCAL_CONFIG part of /etc/mail/sendmail.mc with the snippet (they must not contain `+SSL_OP_NO_TLSv1_2`); the certificate settings that already work stay as they are.",
        "Rebuild sendmail.cf (`make -C /etc/mail`, or `m4 sendmail.mc > sendmail.cf`), restart Sendmail and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "m4",
        text: r#"dnl /etc/mail/sendmail.mc: the protocol options only
LOCAL_CONFIG
O ServerSSLOptions=+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3
O ClientSSLOptions=+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3
"#,
    }),
};

pub(super) const SENDMAIL_DISABLE_LEGACY: Remediation = Remediation {
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

pub(super) const SENDMAIL_ENABLE_STARTTLS: Remediation = Remediation {
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

pub(super) const SENDMAIL_REPAIR_STARTTLS: Remediation = Remediation {
    title: "Repair STARTTLS in Sendmail (certificate and private key)",
    steps: &[
        "Read the log for `STARTTLS=server` lines: `unsafe` means the key or its directory is readable by others, `load verify locs` a missing CA path.",
        "Fix permissions (key 0600, owned by root), check that key and certificate belong together, restart Sendmail and run tlscheck again.",
    ],
    snippet: None,
};

// ---- TLS 1.2 with old cipher suites only -----------------------------------

pub(super) const EXCHANGE_MODERN_CIPHERS: Remediation = Remediation {
    title: "Offer the ECDHE_RSA AES-GCM cipher suites on Windows (Schannel cipher suite order)",
    steps: &[
        "List the suites Windows offers with the first command of the snippet; TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 should be among the first.",
        "If a Group Policy sets \"SSL Cipher Suite Order\" (Computer Configuration > Administrative Templates > Network > SSL Configuration Settings), change the list there: it overrides the local order. Otherwise enable the two suites with the snippet.",
        "Keep an RSA certificate bound to SMTP: Office 365 lists no ECDSA suites for TLS 1.2.",
        "Restart the server, then run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "powershell",
        text: r#"Get-TlsCipherSuite | Format-Table Name
Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 -Position 0
Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 -Position 1
"#,
    }),
};

pub(super) const POSTFIX_MODERN_CIPHERS: Remediation = Remediation {
    title: "Let Postfix offer ECDHE with AES-GCM (cipher settings only)",
    steps: &[
        "Find the cipher overrides: `postconf -n | grep -E 'cipher|eecdh'` and `postconf -P | grep -E 'cipher|eecdh'` (master.cf).",
        "Go back to Postfix's defaults for the cipher settings with the snippet (`postconf -X` removes the overrides from main.cf; `smtpd_tls_eecdh_grade = auto` is the default that enables ECDHE). Nothing else changes.",
        "Keep an RSA certificate (alone or next to an ECDSA one): Office 365 lists only RSA-authenticated suites for TLS 1.2 (ECDHE_RSA with AES-GCM or AES-CBC, RSA with AES-GCM).",
        "Run `postfix reload`, then run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "sh",
        text: r#"postconf -n | grep -E 'cipher|eecdh'
postconf -X smtpd_tls_ciphers smtpd_tls_mandatory_ciphers smtpd_tls_exclude_ciphers tls_medium_cipherlist tls_high_cipherlist smtpd_tls_eecdh_grade
postfix reload
"#,
    }),
};

pub(super) const EXIM_MODERN_CIPHERS: Remediation = Remediation {
    title: "Let Exim offer ECDHE with AES-GCM (cipher setting only)",
    steps: &[
        "Look at the cipher setting: `exim -bP tls_require_ciphers` (`exim -bV` shows OpenSSL or GnuTLS).",
        "Remove the `tls_require_ciphers` override from the main section, or set it to a list that includes ECDHE with AES-GCM (OpenSSL: `ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:DEFAULT`; GnuTLS: `NORMAL`). Nothing else changes.",
        "Keep an RSA certificate: Office 365 lists only RSA-authenticated suites for TLS 1.2.",
        "Debian: `update-exim4.conf`; restart Exim and run tlscheck again.",
    ],
    snippet: None,
};

pub(super) const SENDMAIL_MODERN_CIPHERS: Remediation = Remediation {
    title: "Let Sendmail offer ECDHE with AES-GCM (CipherList only)",
    steps: &[
        "Look for a `CipherList` option (`O CipherList=` in the LOCAL_CONFIG part of sendmail.mc, or `confCIPHER_LIST`).",
        "Remove it, or make it include ECDHE with AES-GCM, e.g. `O CipherList=ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL`. Nothing else changes.",
        "Keep an RSA certificate: Office 365 lists only RSA-authenticated suites for TLS 1.2.",
        "Rebuild sendmail.cf, restart Sendmail and run tlscheck again.",
    ],
    snippet: None,
};

pub(super) const OTHER_MODERN_CIPHERS: Remediation = Remediation {
    title: "Offer ECDHE cipher suites with AES-GCM for TLS 1.2",
    steps: &[
        "Look for a cipher list or cipher suite order in the server's TLS settings (or in the appliance that terminates TLS in front of it) and allow ECDHE with AES-GCM: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.",
        "Keep an RSA certificate: Office 365 lists only RSA-authenticated suites for TLS 1.2 (ECDHE_RSA with AES-GCM or AES-CBC, RSA with AES-GCM).",
        "Update the TLS library if it has no AES-GCM (OpenSSL before 1.0.1).",
        "Restart the service and run tlscheck again.",
    ],
    snippet: None,
};

// ---- Others ----------------------------------------------------------------

pub(super) const OTHER_ENABLE_TLS12: Remediation = Remediation {
    title: "Enable TLS 1.2 on the mail server",
    steps: &[
        "Update the mail server software and its TLS library (OpenSSL 1.0.1 or later, GnuTLS 3, Windows SCHANNEL with TLS 1.2 enabled); TLS 1.2 is standard since 2008.",
        "Look for a minimum/maximum TLS version or protocol list in its configuration and allow TLS 1.2 and 1.3.",
        "If an appliance or firewall terminates SMTP in front of the server, check its TLS settings too.",
        "Restart the service and run tlscheck again.",
    ],
    snippet: None,
};

pub(super) const OTHER_DISABLE_LEGACY: Remediation = Remediation {
    title: "Turn off TLS 1.0 and TLS 1.1 on the mail server",
    steps: &[
        "Confirm TLS 1.2 works in both directions first.",
        "Set the minimum TLS version to 1.2 in the server's TLS settings (or the protocol list to TLS 1.2 and 1.3).",
        "Restart the service and run tlscheck again: TLS 1.0 and 1.1 should be refused.",
    ],
    snippet: None,
};

pub(super) const OTHER_ENABLE_STARTTLS: Remediation = Remediation {
    title: "Make the mail server offer STARTTLS",
    steps: &[
        "Install a certificate (with its chain) whose names include the MX host name, and point the SMTP service's TLS settings at it with its private key.",
        "Enable STARTTLS for inbound SMTP on port 25.",
        "If a firewall inspects SMTP, turn that off: it may strip STARTTLS from the EHLO reply.",
        "Restart the service and run tlscheck again.",
    ],
    snippet: None,
};

pub(super) const OTHER_REPAIR_STARTTLS: Remediation = Remediation {
    title: "Repair STARTTLS on the mail server (certificate and private key)",
    steps: &[
        "Read the server's log at the time of the refusal; it names the certificate or key it could not load.",
        "Check that the certificate and private key exist, belong together, are readable by the mail service, and that the key has no passphrase.",
        "Restart the service and run tlscheck again.",
    ],
    snippet: None,
};
