//! The registry as it stands after importing the file, and the settings
//! read from it.

use super::*;

/// The registry as it stands after the file: keys by ASCII-lowercased path.
pub(super) struct Effective<'a> {
    pub(super) keys: BTreeMap<String, EffectiveKey<'a>>,
}

pub(super) struct EffectiveKey<'a> {
    pub(super) path: &'a str,
    /// The line of the key's first appearance.
    pub(super) line: usize,
    /// Values by ASCII-lowercased name.
    pub(super) values: BTreeMap<String, &'a RegValue>,
}

/// A REG_DWORD read from the effective registry.
pub(super) enum Dword<'a> {
    Absent,
    Value(u32),
    WrongType(&'a RegValue),
}

impl<'a> Effective<'a> {
    pub(super) fn build(export: &'a RegistryExport) -> Self {
        let mut keys: BTreeMap<String, EffectiveKey<'a>> = BTreeMap::new();
        for key in &export.keys {
            let lower = key.path.to_ascii_lowercase();
            if key.deleted {
                let subkeys = format!("{lower}\\");
                keys.retain(|k, _| *k != lower && !k.starts_with(&subkeys));
                continue;
            }
            let entry = keys.entry(lower).or_insert_with(|| EffectiveKey {
                path: &key.path,
                line: key.line,
                values: BTreeMap::new(),
            });
            for value in &key.values {
                let name = value.name.to_ascii_lowercase();
                match (&value.data, value.quirk) {
                    // regedit refuses the line: nothing is written.
                    (_, Some(ValueQuirk::OverlongDword { .. })) => {}
                    (RegData::Delete, None) => {
                        entry.values.remove(&name);
                    }
                    (_, None) => {
                        entry.values.insert(name, value);
                    }
                }
            }
        }
        Self { keys }
    }

    pub(super) fn key(&self, path: &str) -> Option<&EffectiveKey<'a>> {
        self.keys.get(&path.to_ascii_lowercase())
    }

    pub(super) fn dword(&self, path: &str, name: &str) -> Dword<'a> {
        let value = self
            .key(path)
            .and_then(|k| k.values.get(&name.to_ascii_lowercase()).copied());
        match value {
            None => Dword::Absent,
            Some(v) => match v.data {
                RegData::Dword(n) => Dword::Value(n),
                _ => Dword::WrongType(v),
            },
        }
    }

    /// Whether the key or any key below it is present.
    pub(super) fn has_under(&self, root: &str) -> bool {
        self.keys.values().any(|k| relative(k.path, root).is_some())
    }
}

/// The path segments of `path` below `root`, if `path` is `root` or under
/// it (segments compared ignoring ASCII case, as Windows does).
pub(super) fn relative<'p>(path: &'p str, root: &str) -> Option<Vec<&'p str>> {
    let mut segments = path.split('\\');
    for want in root.split('\\') {
        if !segments.next()?.eq_ignore_ascii_case(want) {
            return None;
        }
    }
    Some(segments.collect())
}

pub(super) fn protocol_key(protocol: Protocol, side: Side) -> String {
    format!(
        "{PROTOCOLS_KEY}\\{}\\{}",
        protocol.key_name(),
        side.key_name()
    )
}

pub(super) fn protocol_setting(
    reg: &Effective<'_>,
    protocol: Protocol,
    side: Side,
    os: Option<WindowsVersion>,
    findings: &mut Vec<Finding>,
) -> ProtocolSetting {
    let path = protocol_key(protocol, side);
    let mut read = |name| match reg.dword(&path, name) {
        Dword::Absent => None,
        Dword::Value(n) => Some(n),
        Dword::WrongType(v) => {
            findings.push(wrong_value_type(&path, v));
            None
        }
    };
    let enabled = read(VALUE_ENABLED);
    let disabled_by_default = read(VALUE_DISABLED_BY_DEFAULT);
    let os_default = OsDefault::for_os(protocol, os);
    // Enabled=0 wins over everything; DisabledByDefault is a flag, any
    // non-zero value sets it.
    let state = match (enabled, disabled_by_default) {
        (Some(0), Some(d)) if d != 0 => ProtocolState::Disabled(DisabledBy::Both),
        (Some(0), _) => ProtocolState::Disabled(DisabledBy::EnabledZero),
        (_, Some(d)) if d != 0 => ProtocolState::Disabled(DisabledBy::DisabledByDefault),
        (Some(_), _) => ProtocolState::Enabled,
        (None, _) => ProtocolState::OsDefault(os_default),
    };
    ProtocolSetting {
        protocol,
        side,
        key_present: reg.key(&path).is_some(),
        enabled,
        disabled_by_default,
        os_default,
        state,
    }
}
