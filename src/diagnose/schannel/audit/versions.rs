//! Rules on the TLS versions: TLS 1.2 on both sides, TLS 1.0/1.1 and SSL
//! left on, TLS 1.3 on Windows versions that have it.

use super::*;

pub(super) fn tls12_findings(protocols: &[ProtocolSetting], findings: &mut Vec<Finding>) {
    let mut by_default = Vec::new();
    let mut unknown = Vec::new();
    let mut implicit = Vec::new();
    for s in protocols.iter().filter(|s| s.protocol == Protocol::Tls12) {
        match s.state {
            ProtocolState::Disabled(DisabledBy::EnabledZero | DisabledBy::Both)
            | ProtocolState::OsDefault(OsDefault::Disabled | OsDefault::NotSupported) => {
                findings.push(tls12_disabled(s));
            }
            ProtocolState::Disabled(DisabledBy::DisabledByDefault) => by_default.push(s.side),
            ProtocolState::OsDefault(OsDefault::Unknown) => unknown.push(s.side),
            ProtocolState::OsDefault(OsDefault::Enabled) => implicit.push(s.side),
            ProtocolState::Enabled => {}
        }
    }
    if !by_default.is_empty() {
        findings.push(Finding {
            summary: format!(
                "TLS 1.2 {} {} DisabledByDefault=1: for mail, TLS 1.2 is effectively off",
                side_list(&by_default),
                verb(&by_default, "has", "have")
            ),
            detail: "DisabledByDefault=1 is subtler than Enabled=0: TLS 1.2 stays available to \
                     an application that asks for it by name, but it is left out of the \
                     default set Schannel offers (Client) and accepts (Server). Exchange \
                     transport (SMTP) uses the system defaults, so for mail to and from \
                     Office 365, which accepts only TLS 1.2 and later, TLS 1.2 is effectively \
                     off."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(tls12_on_fix(&by_default)),
            ..Finding::of(AuditId::Tls12DisabledByDefault)
        });
    }
    if !unknown.is_empty() {
        findings.push(Finding {
            summary: format!(
                "TLS 1.2 {} {} not set; whether it is on depends on the Windows version",
                side_list(&unknown),
                verb(&unknown, "is", "are")
            ),
            detail: "No value decides TLS 1.2 here, so the OS default applies. It is on by \
                     default from Windows Server 2012 on, but off on Server 2008 R2 and older. \
                     Pass --os to audit against a version, or set the keys explicitly as \
                     Microsoft's Exchange TLS guidance does."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(tls12_on_fix(&unknown)),
            ..Finding::of(AuditId::Tls12OsDefaultUnknown)
        });
    }
    if !implicit.is_empty() {
        findings.push(Finding {
            summary: format!(
                "TLS 1.2 {} {} on by OS default, not by an explicit key",
                side_list(&implicit),
                verb(&implicit, "is", "are")
            ),
            detail: "This Windows version enables TLS 1.2 by default, so it works without \
                     keys. Microsoft's Exchange TLS guidance still sets Enabled=1 and \
                     DisabledByDefault=0 explicitly, so that a later change of defaults or a \
                     hardening template cannot silently turn it off."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(tls12_on_fix(&implicit)),
            ..Finding::of(AuditId::Tls12NotExplicit)
        });
    }
}

pub(super) fn tls12_disabled(s: &ProtocolSetting) -> Finding {
    let values = match (s.enabled, s.disabled_by_default) {
        (Some(0), Some(d)) if d != 0 => "Enabled=0 and DisabledByDefault=1".to_owned(),
        (Some(0), _) => "Enabled=0".to_owned(),
        _ => format!("the {} default", s.os_default.label()),
    };
    let (id, consequence) = match s.side {
        Side::Client => (
            AuditId::Tls12ClientDisabled,
            "When this server sends mail to Office 365 it cannot offer TLS 1.2, and Office \
             365 no longer accepts TLS 1.0/1.1: Queue Viewer shows '421 4.4.2 Connection \
             dropped due to SocketError' and the Send connector protocol log 'TLS \
             negotiation failed with error SocketError'.",
        ),
        Side::Server => (
            AuditId::Tls12ServerDisabled,
            "Office 365 no longer uses TLS 1.0/1.1 to deliver mail, so mail from Office 365 \
             to this server fails; a Send or Receive connector protocol log may show '451 \
             5.7.3 Must issue a STARTTLS command first'.",
        ),
    };
    Finding {
        summary: format!("TLS 1.2 {} is disabled ({values})", s.side),
        detail: format!(
            "With {values}, Schannel refuses TLS 1.2 for every application on the {} side — \
             {}. {consequence}",
            s.side,
            s.side.role()
        ),
        lines: Vec::new(),
        fix: Some(tls12_on_fix(&[s.side])),
        ..Finding::of(id)
    }
}

/// Where a usable protocol's state comes from, for finding text.
pub(super) fn how_on(s: &ProtocolSetting) -> String {
    match s.state {
        ProtocolState::Enabled => format!("{} {} (explicit)", s.protocol, s.side),
        _ => format!("{} {} (OS default)", s.protocol, s.side),
    }
}

pub(super) fn turn_off_fix(on: &[&ProtocolSetting], advice: &str) -> Fix {
    let blocks: Vec<RegBlock> = on
        .iter()
        .map(|s| RegBlock::set(s.key_path(), &TURN_OFF))
        .collect();
    Fix {
        advice: advice.to_owned(),
        reg: reg_file(&blocks),
    }
}

pub(super) fn legacy_findings(protocols: &[ProtocolSetting], findings: &mut Vec<Finding>) {
    let on = |wanted: &[Protocol]| -> Vec<&ProtocolSetting> {
        protocols
            .iter()
            .filter(|s| wanted.contains(&s.protocol) && s.is_usable() == Some(true))
            .collect()
    };
    let legacy = on(&[Protocol::Tls10, Protocol::Tls11]);
    if !legacy.is_empty() {
        let list: Vec<String> = legacy.iter().map(|s| how_on(s)).collect();
        findings.push(Finding {
            summary: format!("TLS 1.0/1.1 still enabled: {}", list.join(", ")),
            detail: "Office 365 refuses TLS 1.0 and 1.1 on its mail endpoints. They do not \
                     break mail with Office 365 while TLS 1.2 works, but they are deprecated \
                     (RFC 8996), and a TLS 1.2 problem stays hidden with peers that fall \
                     back to them."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(turn_off_fix(
                &legacy,
                "Only once TLS 1.2 works on both sides and nothing that still needs TLS \
                 1.0/1.1 (old clients, scanners, applications) talks to this machine. Import, \
                 then restart the server.",
            )),
            ..Finding::of(AuditId::LegacyTlsEnabled)
        });
    }
    for (protocol, id) in [
        (Protocol::Ssl3, AuditId::Ssl3Enabled),
        (Protocol::Ssl2, AuditId::Ssl2Enabled),
    ] {
        let ssl = on(&[protocol]);
        if ssl.is_empty() {
            continue;
        }
        let list: Vec<String> = ssl.iter().map(|s| how_on(s)).collect();
        findings.push(Finding {
            summary: format!("{protocol} is enabled: {}", list.join(", ")),
            detail: format!(
                "{protocol} is broken (RFC 7568, RFC 6176) and no mail peer should need it; \
                 Office 365 never uses it."
            ),
            lines: Vec::new(),
            fix: Some(turn_off_fix(&ssl, RESTART)),
            ..Finding::of(id)
        });
    }
}

/// TLS 1.0/1.1 left to the OS default on a Windows version whose default
/// Microsoft documents two ways (Server 2025): say why tlscheck does not
/// pick one.
pub(super) fn legacy_default_unknown_finding(
    protocols: &[ProtocolSetting],
    os: Option<WindowsVersion>,
    findings: &mut Vec<Finding>,
) {
    let unknown: Vec<&ProtocolSetting> = protocols
        .iter()
        .filter(|s| matches!(s.protocol, Protocol::Tls10 | Protocol::Tls11))
        .filter(|s| s.state == ProtocolState::OsDefault(OsDefault::Unknown))
        .collect();
    if unknown.is_empty() || os != Some(WindowsVersion::Ws2025) {
        return;
    }
    // See: https://learn.microsoft.com/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-
    // and https://learn.microsoft.com/windows/whats-new/deprecated-features-resources
    findings.push(Finding {
        summary:
            "TLS 1.0/1.1 are not set: their default on Windows Server 2025 is documented two ways"
                .to_owned(),
        detail: "Microsoft's Schannel protocol table lists TLS 1.0 and 1.1 as Enabled on \
                 Windows Server 2025, while the same page and Windows' deprecated-features \
                 page say TLS 1.0 and 1.1 are disabled by default from the 2024 Windows 11 \
                 Insider releases on. tlscheck does not guess: set the TLS 1.0 and TLS 1.1 \
                 keys explicitly (Enabled=0, DisabledByDefault=1 once TLS 1.2 works)."
            .to_owned(),
        lines: Vec::new(),
        fix: None,
        ..Finding::of(AuditId::LegacyDefaultUnknownOn2025)
    });
}

pub(super) fn tls13_findings(protocols: &[ProtocolSetting], findings: &mut Vec<Finding>) {
    let tls13 = || protocols.iter().filter(|s| s.protocol == Protocol::Tls13);
    let unsupported: Vec<&ProtocolSetting> = tls13()
        .filter(|s| s.state == ProtocolState::Enabled && s.os_default == OsDefault::NotSupported)
        .collect();
    if !unsupported.is_empty() {
        findings.push(Finding {
            summary: "TLS 1.3 is set to Enabled on a Windows version without TLS 1.3 support"
                .to_owned(),
            // See: https://learn.microsoft.com/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-
            detail: "Microsoft: \"TLS 1.3 is supported starting in Windows 11 and Windows \
                     Server 2022. Enabling TLS 1.3 on earlier versions of Windows is not a \
                     safe system configuration.\" Remove the TLS 1.3 keys or set Enabled=0."
                .to_owned(),
            lines: Vec::new(),
            fix: None,
            ..Finding::of(AuditId::Tls13NotSupportedOnOs)
        });
    }
    if tls13().any(|s| s.is_usable() == Some(true)) {
        // See: https://learn.microsoft.com/exchange/exchange-tls-configuration
        // and Microsoft's Exchange HealthChecker (github.com/microsoft/CSS-Exchange,
        // Invoke-AnalyzerSecuritySettings), which reports this state in red.
        findings.push(Finding {
            summary: "TLS 1.3 is not disabled: on an Exchange server, Microsoft's Health Checker reports this as an error".to_owned(),
            detail: "Exchange Server does not use TLS 1.3 for SMTP, so mail to and from \
                     Office 365 runs on TLS 1.2: TLS 1.3 does not stand in for TLS 1.2. \
                     On an Exchange server, Microsoft's Exchange Health Checker says: \
                     \"TLS 1.3 is not disabled and not supported currently on Exchange and \
                     is known to cause issues within the cluster.\" Follow Microsoft's \
                     Exchange TLS configuration guide (https://aka.ms/HC-TLSConfigDocs) \
                     before turning it on."
                .to_owned(),
            lines: Vec::new(),
            fix: None,
            ..Finding::of(AuditId::Tls13NotUsedByExchangeSmtp)
        });
    }
}
