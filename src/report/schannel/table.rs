//! The words and cells of the audit: the protocol × side table (one row
//! per protocol, Client then Server), the .NET values, the OS line. Raw
//! words and a tone, shared by text and Markdown, which escape and style
//! them.

use crate::diagnose::schannel::{
    Audit, DisabledBy, OsDefault, Protocol, ProtocolSetting, ProtocolState, Side,
};
use crate::report::style::palette::Tone;

/// One cell of the protocol table: words and tone, shared by text and
/// Markdown.
pub(super) struct Cell {
    pub(super) text: String,
    pub(super) tone: Tone,
}

/// The protocol × side table: one row per protocol, Client then Server.
pub(super) fn protocol_rows(audit: &Audit) -> Vec<(Protocol, Vec<Cell>)> {
    Protocol::ALL
        .into_iter()
        .map(|p| {
            let cells = Side::ALL
                .into_iter()
                .map(|s| match audit.setting(p, s) {
                    Some(setting) => cell(setting),
                    None => Cell {
                        text: "?".to_owned(),
                        tone: Tone::Plain,
                    },
                })
                .collect();
            (p, cells)
        })
        .collect()
}

fn cell(s: &ProtocolSetting) -> Cell {
    let text = state_words(s);
    let usable = s.is_usable();
    let tone = match (s.protocol, usable) {
        (Protocol::Tls12, Some(true)) => Tone::Good,
        (Protocol::Tls12, Some(false)) => Tone::Bad,
        (Protocol::Tls12, None) => Tone::Warn,
        (Protocol::Ssl2 | Protocol::Ssl3 | Protocol::Tls10 | Protocol::Tls11, Some(true)) => {
            Tone::Warn
        }
        (Protocol::Ssl2 | Protocol::Ssl3 | Protocol::Tls10 | Protocol::Tls11, Some(false)) => {
            Tone::Good
        }
        _ => Tone::Plain,
    };
    Cell { text, tone }
}

/// `on (Enabled=1)`, `OFF (DisabledByDefault=1)`, `on (OS default)`, ….
fn state_words(s: &ProtocolSetting) -> String {
    let set_values = || {
        let mut v = Vec::new();
        if let Some(n) = s.enabled {
            v.push(format!("Enabled={}", dword(n)));
        }
        if let Some(n) = s.disabled_by_default {
            v.push(format!("DisabledByDefault={}", dword(n)));
        }
        v.join(", ")
    };
    match s.state {
        ProtocolState::Enabled if s.os_default == OsDefault::NotSupported => {
            format!("not supported ({} ignored)", set_values())
        }
        ProtocolState::Enabled => format!("on ({})", set_values()),
        ProtocolState::Disabled(by) => {
            let why = match by {
                DisabledBy::EnabledZero => "Enabled=0",
                DisabledBy::DisabledByDefault => "DisabledByDefault=1",
                DisabledBy::Both => "Enabled=0, DisabledByDefault=1",
            };
            format!("OFF ({why})")
        }
        ProtocolState::OsDefault(d) => match d {
            OsDefault::Enabled => "on (OS default)".to_owned(),
            OsDefault::Disabled => "off (OS default)".to_owned(),
            OsDefault::NotSupported => "not supported".to_owned(),
            OsDefault::Unknown => "unknown (OS default)".to_owned(),
        },
    }
}

/// A dword as people write it: `1`, `0xffffffff`.
fn dword(n: u32) -> String {
    if n < 10 {
        n.to_string()
    } else {
        format!("0x{n:x}")
    }
}

pub(super) fn dotnet_value(v: Option<u32>) -> String {
    v.map_or_else(|| "(not set)".to_owned(), dword)
}

pub(super) fn column_header(side: Side) -> &'static str {
    match side {
        Side::Client => "Client (sending mail)",
        Side::Server => "Server (receiving mail)",
    }
}

pub(super) fn os_line(audit: &Audit) -> String {
    match audit.os {
        Some(os) => format!("{os}"),
        None => "unknown Windows version (pass --os): OS defaults are uncertain".to_owned(),
    }
}

/// A fix's advice without the sentence on importing and restarting, which
/// the merged .reg says once.
pub(super) fn advice_without_import(advice: &str) -> String {
    let cut = ["Import it (", "Import, then restart"]
        .iter()
        .filter_map(|m| advice.find(m))
        .min()
        .unwrap_or(advice.len());
    advice.get(..cut).unwrap_or(advice).trim().to_owned()
}

/// The sentence on importing and restarting, from the first fix that has
/// one (the .NET one names the .NET processes).
pub(super) fn import_advice(audit: &Audit) -> String {
    let all: Vec<&str> = audit
        .findings
        .iter()
        .filter_map(|f| f.fix.as_ref().map(|x| x.advice.as_str()))
        .collect();
    let dotnet = all.iter().find(|a| a.contains(".NET process"));
    let pick = dotnet.or_else(|| all.iter().find(|a| a.contains("Import it (")));
    match pick.and_then(|a| a.find("Import it (").map(|i| &a[i..])) {
        Some(s) => s.to_owned(),
        None => "Import it (double-click the .reg file, or run reg import FILE), then restart \
                 the server: Schannel reads these keys at boot."
            .to_owned(),
    }
}
