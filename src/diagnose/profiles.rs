//! Findings about cipher suites: whether the documented senders (Microsoft
//! 365 always, others with `--profile`) can negotiate TLS with each
//! server, and, with `--ciphers`, the weak suites and parameters the
//! enumeration saw. Pure: observations in, findings and one verdict
//! sentence out.
//!
//! Sources for the fixes (cited where they are used):
//! - Postfix: postconf(5) `smtpd_tls_ciphers`, `smtpd_tls_mandatory_ciphers`,
//!   `smtpd_tls_exclude_ciphers`, `tls_medium_cipherlist`,
//!   `smtpd_tls_chain_files`, `smtpd_tls_dh1024_param_file`
//!   <https://www.postfix.org/postconf.5.html>.
//! - Exim: the specification, chapter "Encrypted SMTP connections
//!   (TLS/SSL)": `tls_require_ciphers`, `tls_certificate` (a list of files
//!   for several key types since 4.91, bug 2092), `tls_dhparam`
//!   <https://www.exim.org/exim-html-current/doc/html/spec_html/ch-encrypted_smtp_connections_using_tlsssl.html>.
//! - Windows: the TLS PowerShell module `Enable-TlsCipherSuite` /
//!   `Disable-TlsCipherSuite` <https://learn.microsoft.com/en-us/powershell/module/tls/enable-tlsciphersuite>,
//!   and the "SSL Cipher Suite Order" group policy (Computer Configuration >
//!   Administrative Templates > Network > SSL Configuration Settings), stored
//!   in `HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002`
//!   value `Functions` <https://learn.microsoft.com/en-us/windows-server/security/tls/manage-tls>.

use crate::diagnose::findings::{sig, software, Accumulator, Finding, FindingId, Fix, Severity};
use crate::diagnose::remediation::{Remediation, ServerSoftware, Snippet};
use crate::model::ServerObservation;
use crate::proto::tls::cipher_name;
use crate::proto::tls::profiles::MICROSOFT365;
use crate::proto::tls::suites::{weaknesses, ProfileOutcome, SuiteWeakness};

/// Catalogue ids of what Office 365 and the server log when no suite is
/// common.
const NO_COMMON_SUITE_SIGNATURES: &[&str] = &[
    "exo-cannot-connect-450-4-4-317",
    sig::CLOSED_ABRUPTLY_450,
    "tls-negotiation-failed-algorithmmismatch",
    "openssl-no-shared-cipher",
    sig::MUST_STARTTLS_451,
];

const POSTFIX_RSA_NEXT_TO_ECDSA: Remediation = Remediation {
    title: "Serve an RSA certificate next to the ECDSA one (Postfix picks by suite)",
    steps: &[
        "Get an RSA 2048 (or larger) certificate for the same names as the ECDSA one.",
        "List both key+chain files in smtpd_tls_chain_files (Postfix 3.4 and later; postconf(5)), or set smtpd_tls_cert_file/smtpd_tls_key_file to the RSA pair beside smtpd_tls_eccert_file/smtpd_tls_eckey_file.",
        "Make sure the cipher list still holds ECDHE-RSA AES-GCM suites (the default smtpd_tls_ciphers = medium does).",
        "Run postfix reload, then tlscheck again: the Microsoft 365 line must say \"can negotiate\".",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "# main.cf (Postfix >= 3.4): key then chain in each file\nsmtpd_tls_chain_files =\n    /etc/postfix/rsa2048.pem,\n    /etc/postfix/ecdsa-p256.pem\nsmtpd_tls_ciphers = medium\n",
    }),
};

const POSTFIX_ENABLE_ECDHE_RSA_GCM: Remediation = Remediation {
    title: "Let Postfix offer an ECDHE-RSA AES-GCM suite",
    steps: &[
        "Find where the cipher list was narrowed: postconf smtpd_tls_ciphers smtpd_tls_mandatory_ciphers smtpd_tls_exclude_ciphers tls_high_cipherlist tls_medium_cipherlist.",
        "Port 25 uses smtpd_tls_ciphers (opportunistic TLS) and smtpd_tls_mandatory_ciphers where TLS is enforced; set both back to medium (the default) or add ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256 to the list they name.",
        "Run postfix reload, then tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "# main.cf\nsmtpd_tls_ciphers = medium\nsmtpd_tls_mandatory_ciphers = medium\n# and remove ECDHE/AESGCM from smtpd_tls_exclude_ciphers if they are there\n",
    }),
};

const EXIM_RSA_NEXT_TO_ECDSA: Remediation = Remediation {
    title: "Serve an RSA certificate next to the ECDSA one (Exim 4.91 and later with OpenSSL)",
    steps: &[
        "Get an RSA 2048 (or larger) certificate for the same names.",
        "List both in tls_certificate and the keys in the same order in tls_privatekey (colon-separated lists; Exim specification, TLS chapter).",
        "Keep an ECDHE-RSA AES-GCM suite in tls_require_ciphers, then restart Exim and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "tls_certificate = /etc/exim4/rsa2048.crt : /etc/exim4/ecdsa.crt\ntls_privatekey = /etc/exim4/rsa2048.key : /etc/exim4/ecdsa.key\n",
    }),
};

const EXIM_ENABLE_ECDHE_RSA_GCM: Remediation = Remediation {
    title: "Let Exim offer an ECDHE-RSA AES-GCM suite",
    steps: &[
        "tls_require_ciphers (OpenSSL cipher-list syntax with OpenSSL builds, a GnuTLS priority string with GnuTLS builds) limits what the server accepts; add ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256, or remove the option to get the library default.",
        "Restart Exim and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "tls_require_ciphers = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256\n",
    }),
};

const WINDOWS_ENABLE_ECDHE_RSA_GCM: Remediation = Remediation {
    title: "Enable an ECDHE_RSA AES-GCM suite in SCHANNEL and use an RSA certificate",
    steps: &[
        "The Exchange/IIS SMTP certificate must have an RSA key: Get-ExchangeCertificate | Format-List Thumbprint,Services,PublicKeySize; bind an RSA certificate with Enable-ExchangeCertificate -Services SMTP.",
        "Enable the suites with Enable-TlsCipherSuite (TLS PowerShell module; no restart needed for the cmdlet's list).",
        "If the \"SSL Cipher Suite Order\" group policy is set (Computer Configuration > Administrative Templates > Network > SSL Configuration Settings; registry HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002, value Functions), it overrides the cmdlets: add the suites there instead.",
        "Check that SCHANNEL\\Ciphers\\AES 128/128 and AES 256/256, SCHANNEL\\Hashes and SCHANNEL\\KeyExchangeAlgorithms\\ECDH are not disabled (tlscheck schannel reads an export), then reboot and run tlscheck again.",
    ],
    snippet: Some(Snippet {
        language: "powershell",
        text: "Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 -Position 0\nEnable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 -Position 1\nGet-TlsCipherSuite | Format-Table Name\n",
    }),
};

const POSTFIX_WEAK_SUITES: Remediation = Remediation {
    title: "Stop Postfix from accepting weak suites",
    steps: &[
        "Exclude them on port 25 and where TLS is mandatory (postconf(5) smtpd_tls_exclude_ciphers, smtpd_tls_mandatory_exclude_ciphers).",
        "Keep smtpd_tls_ciphers at medium or high: Office 365 needs an ECDHE-RSA or RSA AES suite.",
        "Run postfix reload, then tlscheck --ciphers again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5\nsmtpd_tls_mandatory_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5\n",
    }),
};

const EXIM_WEAK_SUITES: Remediation = Remediation {
    title: "Stop Exim from accepting weak suites",
    steps: &[
        "Set tls_require_ciphers to exclude them (OpenSSL syntax shown; GnuTLS builds take a priority string such as NORMAL:-3DES-CBC:-ARCFOUR-128).",
        "Restart Exim and run tlscheck --ciphers again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "tls_require_ciphers = HIGH:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!RC4:!MD5\n",
    }),
};

const WINDOWS_WEAK_SUITES: Remediation = Remediation {
    title: "Disable the weak suites in SCHANNEL",
    steps: &[
        "Disable each weak suite with Disable-TlsCipherSuite -Name <suite> (TLS PowerShell module).",
        "If the \"SSL Cipher Suite Order\" group policy is set (registry HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002, value Functions), remove them from that list instead: the policy wins.",
        "Reboot, then run tlscheck --ciphers again.",
    ],
    snippet: Some(Snippet {
        language: "powershell",
        text: "Get-TlsCipherSuite | Where-Object { $_.Name -match '3DES|RC4|NULL|EXPORT|_DES_' } |\n    ForEach-Object { Disable-TlsCipherSuite -Name $_.Name }\n",
    }),
};

const POSTFIX_DH: Remediation = Remediation {
    title: "Give Postfix a 2048-bit (or larger) DH group",
    steps: &[
        "Generate parameters: openssl dhparam -out /etc/postfix/dh2048.pem 2048.",
        "Point smtpd_tls_dh1024_param_file at them (despite its name it takes any size; postconf(5)); Postfix 3.7 and later with OpenSSL 3 can use auto instead.",
        "Run postfix reload, then tlscheck --ciphers again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "smtpd_tls_dh1024_param_file = /etc/postfix/dh2048.pem\n",
    }),
};

const EXIM_DH: Remediation = Remediation {
    title: "Give Exim a 2048-bit (or larger) DH group",
    steps: &[
        "Set tls_dhparam to a named RFC 7919 group (ffdhe2048 or larger) or a file made with openssl dhparam 2048 (Exim specification, TLS chapter).",
        "Restart Exim and run tlscheck --ciphers again.",
    ],
    snippet: Some(Snippet {
        language: "conf",
        text: "tls_dhparam = ffdhe3072\n",
    }),
};

const WINDOWS_DH: Remediation = Remediation {
    title: "Raise the SCHANNEL server DH size",
    steps: &[
        "Set HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\KeyExchangeAlgorithms\\Diffie-Hellman value ServerMinKeyBitLength to 2048 (0x800), or disable the TLS_DHE_* suites with Disable-TlsCipherSuite.",
        "Reboot, then run tlscheck --ciphers again.",
    ],
    snippet: Some(Snippet {
        language: "reg",
        text: "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\KeyExchangeAlgorithms\\Diffie-Hellman]\n\"ServerMinKeyBitLength\"=dword:00000800\n",
    }),
};

fn fix(sw: ServerSoftware, pick: [Option<Remediation>; 3]) -> Option<Fix> {
    let [postfix, exim, windows] = pick;
    let r = match sw {
        ServerSoftware::Postfix => postfix,
        ServerSoftware::Exim => exim,
        ServerSoftware::Exchange => windows,
        _ => None,
    }?;
    Some(Fix {
        software: sw,
        remediation: r,
    })
}

fn label(s: &ServerObservation) -> String {
    match &s.host {
        Some(h) => format!("{h} ({})", s.address),
        None => s.address.to_string(),
    }
}

/// True when the server's certificate (from the probes) is ECDSA only, as
/// far as tlscheck saw: the certificate summary says EC and no RSA key
/// came with any suite the enumeration saw.
fn ecdsa_only(s: &ServerObservation) -> bool {
    let summary_ec = s
        .certificate
        .as_ref()
        .is_some_and(|c| c.key_type.starts_with("EC"));
    let scan_rsa = s.suites.scan.as_ref().is_some_and(|scan| {
        scan.versions.iter().any(|v| {
            v.accepted
                .iter()
                .any(|a| a.cert.as_ref().is_some_and(|c| c.key_type == "RSA"))
        })
    });
    summary_ec && !scan_rsa
}

/// The findings about suites for the servers of one target.
pub fn findings(servers: &[ServerObservation]) -> Vec<Finding> {
    let mut acc = Accumulator::default();
    for s in servers {
        no_common_suite(s, &mut acc);
        weak(s, &mut acc);
    }
    acc.finish()
}

fn no_common_suite(s: &ServerObservation, acc: &mut Accumulator) {
    for c in &s.suites.profiles {
        let ProfileOutcome::Refused { detail } = &c.outcome else {
            continue;
        };
        // A server that speaks no TLS 1.2 at all is the version findings'
        // business; here only "TLS 1.2, but not with these suites".
        let tls12 = s
            .version(crate::model::TlsVersion::Tls12)
            .is_some_and(|v| v.result.is_accepted());
        if !tls12 {
            continue;
        }
        let sw = software(s);
        let ecdsa = ecdsa_only(s);
        let mut evidence = vec![format!(
            "{}: the {} ClientHello (its documented suites) was refused: {detail}",
            label(s),
            crate::proto::tls::profiles::name_of(c.profile)
        )];
        if let Some(cert) = &s.certificate {
            evidence.push(format!(
                "{}: certificate key {}{}",
                label(s),
                cert.key_type,
                cert.key_bits.map(|b| format!(" {b}")).unwrap_or_default()
            ));
        }
        if let Some(v) = s.suites.scan.as_ref().and_then(|scan| {
            scan.versions
                .iter()
                .find(|v| v.version == crate::model::TlsVersion::Tls12)
        }) {
            let names: Vec<String> = v.accepted.iter().map(|a| cipher_name(a.suite)).collect();
            evidence.push(format!(
                "{}: TLS 1.2 suites accepted: {}",
                label(s),
                names.join(", ")
            ));
        }
        let is_m365 = c.profile == MICROSOFT365.id;
        let (id, title, severity) = if is_m365 {
            (
                FindingId::Office365NoCommonCipherSuite,
                "Office 365 cannot negotiate TLS with this server: none of Microsoft 365's documented TLS 1.2 cipher suites is accepted".to_owned(),
                Severity::Error,
            )
        } else {
            (
                FindingId::SenderProfileNoCommonCipherSuite,
                format!(
                    "{} cannot negotiate TLS with this server: none of its documented cipher suites is accepted",
                    crate::proto::tls::profiles::name_of(c.profile)
                ),
                Severity::Warning,
            )
        };
        let mut remediation = vec![
            "Microsoft 365 offers only TLS_ECDHE_RSA_* (AES-GCM and AES-CBC) and TLS_RSA_WITH_AES_*_GCM suites (Microsoft Purview, \"Technical reference details about encryption\", 2023-06-14): no ECDSA, no ChaCha20, no DHE.".to_owned(),
            "What Office 365 logs: the TLS handshake fails; when the connector requires TLS the message is deferred (450 4.4.317 Cannot connect to remote server / 450 4.4.318 Connection was closed abruptly) and finally bounced; when TLS is opportunistic Office 365 may retry in plain text, and a server that requires STARTTLS then answers 451 5.7.3.".to_owned(),
        ];
        if ecdsa {
            remediation.push("The certificate is ECDSA only, and Microsoft 365 has no ECDSA suite: add an RSA certificate next to the ECDSA one (servers pick the certificate by suite).".to_owned());
        } else {
            remediation.push("Enable an ECDHE_RSA AES-GCM suite (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 or _128_GCM_SHA256) with an RSA certificate; a server allowing only ChaCha20, CBC with RSA key exchange, or DHE has none in common with Office 365.".to_owned());
        }
        remediation.push("Postfix: smtpd_tls_ciphers / smtpd_tls_mandatory_ciphers and tls_*_cipherlist; Exim: tls_require_ciphers; Windows: Enable-TlsCipherSuite and the SSL Cipher Suite Order policy (HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002).".to_owned());
        let fix = if ecdsa {
            fix(
                sw,
                [
                    Some(POSTFIX_RSA_NEXT_TO_ECDSA),
                    Some(EXIM_RSA_NEXT_TO_ECDSA),
                    Some(WINDOWS_ENABLE_ECDHE_RSA_GCM),
                ],
            )
        } else {
            fix(
                sw,
                [
                    Some(POSTFIX_ENABLE_ECDHE_RSA_GCM),
                    Some(EXIM_ENABLE_ECDHE_RSA_GCM),
                    Some(WINDOWS_ENABLE_ECDHE_RSA_GCM),
                ],
            )
        };
        acc.add(
            Finding::of(id)
                .with_severity(severity)
                .with_title(title)
                .with_evidence(evidence)
                .with_signatures(NO_COMMON_SUITE_SIGNATURES.to_vec())
                .with_fix_short(if ecdsa {
                    "add an RSA certificate next to the ECDSA one"
                } else {
                    "enable an ECDHE_RSA AES-GCM cipher suite"
                })
                .with_remediation(remediation)
                .with_fix(fix),
        );
    }
}

fn weakness_words(w: SuiteWeakness) -> &'static str {
    match w {
        SuiteWeakness::Null => "NULL (no encryption)",
        SuiteWeakness::Export => "EXPORT (40/56-bit)",
        SuiteWeakness::Anonymous => "anonymous (no server authentication)",
        SuiteWeakness::Rc4 => "RC4 (prohibited by RFC 7465)",
        SuiteWeakness::Des => "single DES",
        SuiteWeakness::TripleDes => {
            "3DES (64-bit blocks, Sweet32; Office 365 disabled it on 2019-02-28)"
        }
    }
}

fn weak(s: &ServerObservation, acc: &mut Accumulator) {
    let Some(scan) = &s.suites.scan else {
        return;
    };
    let sw = software(s);
    let mut weak_lines = Vec::new();
    let mut dh_lines = Vec::new();
    let mut short_rsa = Vec::new();
    let mut sha1 = Vec::new();
    for v in &scan.versions {
        for a in &v.accepted {
            let ws = weaknesses(a.suite);
            if !ws.is_empty() {
                let words: Vec<&str> = ws.iter().map(|w| weakness_words(*w)).collect();
                weak_lines.push(format!(
                    "{}: {} {} — {}",
                    label(s),
                    v.version,
                    cipher_name(a.suite),
                    words.join(", ")
                ));
            }
            if let Some(bits) = a.dh_bits.filter(|b| *b < 2048) {
                dh_lines.push(format!(
                    "{}: {} {} uses a {bits}-bit DH group",
                    label(s),
                    v.version,
                    cipher_name(a.suite)
                ));
            }
            if let Some(c) = &a.cert {
                if c.is_short_rsa() {
                    let line = format!(
                        "{}: RSA key of {} bits (sent with {})",
                        label(s),
                        c.key_bits.unwrap_or_default(),
                        cipher_name(a.suite)
                    );
                    if short_rsa.is_empty() {
                        short_rsa.push(line);
                    }
                }
                if c.is_sha1_signed() && sha1.is_empty() {
                    sha1.push(format!(
                        "{}: certificate signed with {}",
                        label(s),
                        c.signature_algorithm
                    ));
                }
            }
        }
    }
    if !weak_lines.is_empty() {
        acc.add(Finding::of(FindingId::WeakCipherSuites)
                .with_evidence(weak_lines)
                .with_remediation(vec![
                "Office 365 never offers these suites, so they do not help mail from Microsoft 365; they let a weak or hostile client (or a man in the middle, for anonymous suites) choose them. Modern OpenSSL senders at the default security level refuse them, so they carry no legitimate mail either.".to_owned(),
                "Postfix: smtpd_tls_exclude_ciphers / smtpd_tls_mandatory_exclude_ciphers; Exim: tls_require_ciphers; Windows: Disable-TlsCipherSuite, or the SSL Cipher Suite Order policy (HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002 Functions).".to_owned(),
            ])
                .with_fix(fix(sw, [Some(POSTFIX_WEAK_SUITES), Some(EXIM_WEAK_SUITES), Some(WINDOWS_WEAK_SUITES)])));
    }
    if !dh_lines.is_empty() {
        acc.add(Finding::of(FindingId::WeakDhGroup)
                .with_evidence(dh_lines)
                .with_remediation(vec![
                "OpenSSL 3 senders at the default security level (2) refuse DH groups under 2048 bits and fail the handshake with \"dh key too small\"; a sender that prefers DHE then cannot deliver over TLS.".to_owned(),
                "Postfix: smtpd_tls_dh1024_param_file; Exim: tls_dhparam; Windows: SCHANNEL\\KeyExchangeAlgorithms\\Diffie-Hellman ServerMinKeyBitLength.".to_owned(),
            ])
                .with_fix(fix(sw, [Some(POSTFIX_DH), Some(EXIM_DH), Some(WINDOWS_DH)])));
    }
    if !short_rsa.is_empty() {
        acc.add(Finding::of(FindingId::CertificateRsaKeyShort)
                .with_evidence(short_rsa)
                .with_remediation(vec![
                "OpenSSL 3 senders at the default security level refuse server keys under 2048 bits (\"ee key too small\"), and public CAs have not issued them since 2013 (CA/Browser Forum Baseline Requirements).".to_owned(),
                "Issue a new certificate with an RSA 2048 (or 3072) key and install it in place of the old one.".to_owned(),
            ]));
    }
    if !sha1.is_empty() {
        acc.add(Finding::of(FindingId::CertificateSha1Signature)
                .with_evidence(sha1)
                .with_signatures(vec![sig::CERT_VALIDATION_450])
                .with_remediation(vec![
                "Senders that validate certificates (Office 365 with a TLS-enforcing connector, DANE or MTA-STS senders) refuse SHA-1 signatures; OpenSSL 3 at the default security level refuses them too.".to_owned(),
                "Reissue the certificate with sha256WithRSAEncryption (or ECDSA with SHA-256) and install it.".to_owned(),
            ]));
    }
}

/// The suites of Microsoft 365's documented TLS 1.2 list that `offered`
/// holds, in Microsoft's order: what Office 365 could agree with a sender
/// (inbound, the same documented list).
pub fn office365_common_suites(offered: &[rustls::CipherSuite]) -> Vec<rustls::CipherSuite> {
    MICROSOFT365
        .tls12_suites
        .iter()
        .copied()
        .filter(|c| offered.contains(c))
        .collect()
}

/// One line for `tlscheck listen`: whether the sender's offered suites
/// meet Office 365's documented list.
pub fn sender_office365_words(o: &crate::model::listen::Offer) -> String {
    let common = office365_common_suites(&o.cipher_suites);
    let tls12 = o.versions.contains(&crate::model::TlsVersion::Tls12);
    match (tls12, common.first()) {
        (false, _) => {
            "the sender offers no TLS 1.2, the only version Microsoft 365 documents".to_owned()
        }
        (true, Some(first)) => format!(
            "{} of Microsoft 365's 8 documented TLS 1.2 suites offered (first: {})",
            common.len(),
            cipher_name(*first)
        ),
        (true, None) => "none of Microsoft 365's 8 documented TLS 1.2 suites offered".to_owned(),
    }
}

/// The finding for a sender whose ClientHello offers TLS 1.2 but none of
/// Microsoft 365's documented suites: Office 365 (receiving) cannot agree
/// on a suite with it. `None` otherwise (or when no hello was read).
pub fn sender_finding(s: &crate::model::listen::SenderSession) -> Option<Finding> {
    let o = s.offer.as_ref()?;
    if !o.versions.contains(&crate::model::TlsVersion::Tls12)
        || !office365_common_suites(&o.cipher_suites).is_empty()
    {
        return None;
    }
    let tls13 = o.versions.contains(&crate::model::TlsVersion::Tls13);
    // TLS 1.2 suites proper: no TLS 1.3 suite, no signalling value
    // (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV).
    let tls12: Vec<rustls::CipherSuite> = o
        .cipher_suites
        .iter()
        .copied()
        .filter(|c| {
            !crate::proto::tls::suites::is_tls13_suite(*c) && !cipher_name(*c).ends_with("_SCSV")
        })
        .collect();
    let ecdsa_only = !tls12.is_empty()
        && tls12
            .iter()
            .all(|c| crate::proto::tls::suites::needs_ecdsa_certificate(*c));
    let names: Vec<String> = tls12.iter().map(|c| cipher_name(*c)).collect();
    Some(Finding::of(FindingId::SenderNoOffice365CipherSuite)
            .with_severity(if tls13 { Severity::Warning } else { Severity::Error })
            .with_evidence(vec![format!(
            "ClientHello from {}: TLS 1.2 suites offered: {}",
            s.peer,
            names.join(", ")
        )])
            .with_signatures(vec!["tls-negotiation-failed-algorithmmismatch", "postfix-tls-handshake-failure"])
            .with_remediation(vec![
            "Microsoft 365 documents only TLS_ECDHE_RSA_* AES-GCM/CBC and TLS_RSA_WITH_AES_*_GCM suites for TLS 1.2 (Microsoft Purview, \"Technical reference details about encryption\", 2023-06-14).".to_owned(),
            if ecdsa_only {
                "The sender offers only ECDSA suites: let its TLS client offer ECDHE_RSA suites too (client cipher lists are independent of the sender's own certificate).".to_owned()
            } else {
                "Add TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 to the sender's client cipher list (Postfix smtp_tls_ciphers / smtp_tls_mandatory_ciphers and tls_*_cipherlist; Exim tls_require_ciphers on the smtp transport; Windows Enable-TlsCipherSuite or the SSL Cipher Suite Order policy).".to_owned()
            },
            if tls13 {
                "The sender also offers TLS 1.3; whether Exchange Online accepts TLS 1.3 over SMTP is not documented, so do not rely on it.".to_owned()
            } else {
                "The sender offers no TLS 1.3, so the handshake with Office 365 fails.".to_owned()
            },
        ]))
}

/// The sentence for the verdict line: whether Office 365 can negotiate
/// TLS with the servers of a target, and with which suite. `None` when
/// no Microsoft 365 check ran.
pub fn office365_sentence(servers: &[ServerObservation]) -> Option<String> {
    let checks: Vec<(&ServerObservation, &ProfileOutcome)> = servers
        .iter()
        .flat_map(|s| {
            s.suites
                .profiles
                .iter()
                .filter(|c| c.profile == MICROSOFT365.id)
                .map(move |c| (s, &c.outcome))
        })
        .collect();
    if checks.is_empty() {
        return None;
    }
    let negotiated: Vec<String> = checks
        .iter()
        .filter_map(|(_, o)| match o {
            ProfileOutcome::Negotiated { version, suite } => {
                Some(format!("{version} {}", cipher_name(suite.suite)))
            }
            _ => None,
        })
        .collect();
    let mut suites = negotiated.clone();
    suites.sort();
    suites.dedup();
    let refused = checks
        .iter()
        .filter(|(_, o)| matches!(o, ProfileOutcome::Refused { .. }))
        .count();
    let untested = checks.len() - negotiated.len() - refused;
    let conclusive = negotiated.len() + refused;
    let untested_note = if untested > 0 {
        format!(" ({untested} of {} servers not established)", checks.len())
    } else {
        String::new()
    };
    let tls12_somewhere = checks.iter().any(|(s, _)| {
        s.version(crate::model::TlsVersion::Tls12)
            .is_some_and(|v| v.result.is_accepted())
    });
    if conclusive == 0 && !tls12_somewhere {
        // No answer to the hello and no TLS 1.2 either (no STARTTLS, down,
        // …): the headline's own finding says why; nothing to add.
        return None;
    }
    Some(if conclusive == 0 {
        "Office 365 TLS negotiation inconclusive".to_owned()
    } else if refused == 0 {
        format!("Office 365 negotiates {}{untested_note}", suites.join("; "))
    } else if negotiated.is_empty() {
        let tls12 = checks.iter().any(|(s, _)| {
            s.version(crate::model::TlsVersion::Tls12)
                .is_some_and(|v| v.result.is_accepted())
        });
        let why = if tls12 {
            "no cipher suite in common"
        } else {
            "no TLS 1.2"
        };
        format!("Office 365 cannot negotiate TLS ({why}){untested_note}")
    } else {
        format!(
            "Office 365 negotiates TLS with {} of {} servers ({}){untested_note}",
            negotiated.len(),
            conclusive,
            suites.join("; ")
        )
    })
}

/// The summary line with the Office 365 sentence put right after
/// `VERDICT target: `, where no width cap can cut it off. Unchanged when
/// no Microsoft 365 check ran, or when the line already leads with the
/// no-common-suite finding.
pub fn with_office365(summary: String, servers: &[ServerObservation]) -> String {
    let Some(sentence) = office365_sentence(servers) else {
        return summary;
    };
    if summary.contains("Office 365 cannot negotiate TLS with this server") {
        return summary;
    }
    match summary.find(": ") {
        Some(i) => {
            let (head, rest) = summary.split_at(i + 2);
            format!("{head}{sentence}; {rest}")
        }
        None => format!("{summary} ({sentence})"),
    }
}

#[cfg(test)]
mod tests;
