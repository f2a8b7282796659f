//! Rules on the keys and values themselves: typos, unknown keys, values
//! in the wrong place, dwords regedit rejects, wrong value types, and an
//! export without the SCHANNEL branch.

use super::*;

/// Typo keys, unknown keys and values in the wrong place under `Protocols`.
pub(super) fn protocol_tree_findings(reg: &Effective<'_>, findings: &mut Vec<Finding>) {
    let mut comma: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut unknown: Vec<(&str, Option<Protocol>)> = Vec::new();
    let mut misplaced: Vec<(&str, Protocol, Vec<RegLine>)> = Vec::new();
    for key in reg.keys.values() {
        let Some(rest) = relative(key.path, PROTOCOLS_KEY) else {
            continue;
        };
        let Some((&name, tail)) = rest.split_first() else {
            continue;
        };
        if let Some(protocol) = Protocol::from_key_name(name) {
            match tail.first() {
                None => {
                    let values: Vec<(&'static str, u32)> =
                        [VALUE_ENABLED, VALUE_DISABLED_BY_DEFAULT]
                            .into_iter()
                            .filter_map(|n| match reg.dword(key.path, n) {
                                Dword::Value(v) => Some((n, v)),
                                _ => None,
                            })
                            .collect();
                    if !values.is_empty() {
                        misplaced.push((key.path, protocol, values));
                    }
                }
                Some(side) if Side::from_key_name(side).is_some() => {}
                Some(_) => unknown.push((key.path, None)),
            }
        } else if name.eq_ignore_ascii_case("TLS 1,2") {
            let root = format!("{PROTOCOLS_KEY}\\{name}");
            comma.entry(root).or_default().push(key.line);
        } else if !OTHER_PROTOCOL_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
        {
            unknown.push((key.path, Protocol::near_miss(name)));
        }
    }
    for (root, lines) in comma {
        findings.push(comma_typo(&root, lines));
    }
    for (path, protocol, values) in misplaced {
        let blocks: Vec<RegBlock> = Side::ALL
            .into_iter()
            .map(|side| RegBlock::set(protocol_key(protocol, side), &values))
            .collect();
        findings.push(Finding {
            summary: format!("Values set on '{path}' itself have no effect"),
            detail: format!(
                "Schannel reads Enabled and DisabledByDefault only from the Client and Server \
                 subkeys of '{protocol}'. Values directly on the protocol key are ignored."
            ),
            lines: reg.key(path).map(value_lines).unwrap_or_default(),
            fix: Some(Fix {
                advice: format!("Set the same values on the Client and Server subkeys. {RESTART}"),
                reg: reg_file(&blocks),
            }),
            ..Finding::of(AuditId::ValuesOnProtocolKey)
        });
    }
    for (path, guess) in unknown {
        let hint = match guess {
            Some(p) => format!(" Did you mean '{p}'?"),
            None => String::new(),
        };
        findings.push(Finding {
            summary: format!("Key '{path}' is not one Schannel reads"),
            detail: format!(
                "Schannel reads only keys named exactly 'SSL 2.0', 'SSL 3.0', 'TLS 1.0', \
                 'TLS 1.1', 'TLS 1.2' and 'TLS 1.3', each with 'Client' and 'Server' \
                 subkeys; anything else under Protocols does nothing.{hint}"
            ),
            lines: reg.key(path).map(|k| vec![k.line]).unwrap_or_default(),
            fix: None,
            ..Finding::of(AuditId::UnrecognisedProtocolKey)
        });
    }
}

pub(super) fn value_lines(key: &EffectiveKey<'_>) -> Vec<usize> {
    key.values.values().map(|v| v.line).collect()
}

/// The source article's `TLS 1,2` key: reported as its own finding, since
/// the article is where admins copy it from.
pub(super) fn comma_typo(root: &str, mut lines: Vec<usize>) -> Finding {
    lines.sort_unstable();
    let reg_text = reg_file(&[
        RegBlock::Delete(root.to_owned()),
        RegBlock::set(protocol_key(Protocol::Tls12, Side::Client), &TURN_ON),
        RegBlock::set(protocol_key(Protocol::Tls12, Side::Server), &TURN_ON),
    ]);
    Finding {
        summary: "Key 'TLS 1,2' (comma) is ignored by Windows: TLS 1.2 is NOT configured by it"
            .to_owned(),
        detail:
            "Translations of the source article print the key as 'TLS 1,2'. Schannel reads only \
                 'TLS 1.2' (with a dot), so the 'TLS 1,2' key and everything under it have no \
                 effect. What applies to TLS 1.2 is the 'TLS 1.2' row of the table."
                .to_owned(),
        lines,
        fix: Some(Fix {
            advice: format!("Delete the comma key and set the correct one. {RESTART}"),
            reg: reg_text,
        }),
        ..Finding::of(AuditId::TypoKeyTls1Comma2)
    }
}

/// Nine-digit (and longer) dwords, from every line of the file: regedit
/// rejects them, so the audit cannot see them in the effective registry.
pub(super) fn overlong_dword_findings(export: &RegistryExport, findings: &mut Vec<Finding>) {
    let mut nine: Vec<(&str, &RegValue)> = Vec::new();
    let mut longer: Vec<(&str, &RegValue)> = Vec::new();
    for key in export.keys.iter().filter(|k| !k.deleted) {
        for value in &key.values {
            match value.quirk {
                Some(ValueQuirk::OverlongDword { digits: 9 }) => nine.push((&key.path, value)),
                Some(ValueQuirk::OverlongDword { .. }) => longer.push((&key.path, value)),
                None => {}
            }
        }
    }
    for (id, values) in [
        (AuditId::NineDigitDword, nine),
        (AuditId::OverlongDword, longer),
    ] {
        let Some(&(_, first)) = values.first() else {
            continue;
        };
        let digits = match first.quirk {
            Some(ValueQuirk::OverlongDword { digits }) => digits,
            None => 0,
        };
        let mut blocks: Vec<RegBlock> = Vec::new();
        for (path, value) in &values {
            let RegData::Dword(n) = value.data else {
                continue;
            };
            let entry = (value.name.clone(), n);
            match blocks
                .iter_mut()
                .find(|b| matches!(b, RegBlock::Set(p, _) if p == path))
            {
                Some(RegBlock::Set(_, vals)) => vals.push(entry),
                _ => blocks.push(RegBlock::Set((*path).to_owned(), vec![entry])),
            }
        }
        let reg = reg_file(&blocks);
        let names: Vec<String> = values
            .iter()
            .map(|(_, v)| format!("\"{}\" (line {})", v.name, v.line))
            .collect();
        findings.push(Finding {
            summary: format!(
                "{} has a {digits}-digit dword: regedit rejects it on import",
                names.join(", ")
            ),
            detail: "A dword in a .reg file has exactly eight hex digits (dword:00000000). \
                     regedit rejects a longer one when the file is imported, so the value is \
                     not written and tlscheck treats it as absent. An older version of the \
                     source article had this typo in its TLS 1.2 Server block \
                     (DisabledByDefault=dword:000000000); some translations still show it."
                .to_owned(),
            lines: values.iter().map(|(_, v)| v.line).collect(),
            fix: Some(Fix {
                advice: format!("The same values with eight digits. {RESTART}"),
                reg,
            }),
            ..Finding::of(id)
        });
    }
}

/// `"` and `\` escaped as in a `.reg` value name.
pub(super) fn escape_reg_name(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
}

pub(super) fn wrong_value_type(path: &str, value: &RegValue) -> Finding {
    Finding {
        summary: format!(
            "\"{}\" under '{path}' is {}, not REG_DWORD",
            value.name,
            value.data.type_name()
        ),
        detail: "This setting is documented as a REG_DWORD; a value of another type (often a \
                 string \"1\") is not what Windows reads. tlscheck treats it as not set. \
                 Delete it and create a DWORD (32-bit) value."
            .to_owned(),
        lines: vec![value.line],
        fix: None,
        ..Finding::of(AuditId::WrongValueType)
    }
}

pub(super) fn schannel_not_in_export() -> Finding {
    Finding {
        summary: "The export has no SCHANNEL keys: the table shows OS defaults only".to_owned(),
        detail: "Every export of the SCHANNEL branch contains the SCHANNEL key itself, so this \
                 file was exported from somewhere else. Export it with: reg export \
                 \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\" \
                 schannel.reg"
            .to_owned(),
        lines: Vec::new(),
        fix: None,
        ..Finding::of(AuditId::SchannelNotInExport)
    }
}
