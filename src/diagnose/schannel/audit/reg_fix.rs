//! The `.reg` files tlscheck writes as fixes.

use super::*;

/// A dword value line for a `.reg` fix.
pub(super) type RegLine = (&'static str, u32);

/// One block of a `.reg` fix.
pub(super) enum RegBlock {
    /// `[-path]`: delete the key and its subkeys.
    Delete(String),
    /// `[path]` and its dword values.
    Set(String, Vec<(String, u32)>),
}

impl RegBlock {
    pub(super) fn set(path: String, values: &[RegLine]) -> Self {
        Self::Set(
            path,
            values.iter().map(|&(n, v)| (n.to_owned(), v)).collect(),
        )
    }
}

/// A `.reg` file: the header, then each block after a blank line, dwords
/// in eight digits as `regedit` writes them.
pub(super) fn reg_file(blocks: &[RegBlock]) -> String {
    let mut out = format!("{REG_HEADER}\n");
    for block in blocks {
        match block {
            RegBlock::Delete(path) => out.push_str(&format!("\n[-{path}]\n")),
            RegBlock::Set(path, values) => {
                out.push_str(&format!("\n[{path}]\n"));
                for (name, value) in values {
                    out.push_str(&format!(
                        "\"{}\"=dword:{value:0w$x}\n",
                        escape_reg_name(name),
                        w = DWORD_DIGITS
                    ));
                }
            }
        }
    }
    out
}

/// The two values that turn a protocol fully on.
pub(super) const TURN_ON: [RegLine; 2] = [(VALUE_DISABLED_BY_DEFAULT, 0), (VALUE_ENABLED, 1)];
/// The two values that turn a protocol fully off.
pub(super) const TURN_OFF: [RegLine; 2] = [(VALUE_DISABLED_BY_DEFAULT, 1), (VALUE_ENABLED, 0)];

pub(super) fn tls12_on_fix(sides: &[Side]) -> Fix {
    let blocks: Vec<RegBlock> = sides
        .iter()
        .map(|&s| RegBlock::set(protocol_key(Protocol::Tls12, s), &TURN_ON))
        .collect();
    Fix {
        advice: RESTART.to_owned(),
        reg: reg_file(&blocks),
    }
}

pub(super) fn side_list(sides: &[Side]) -> String {
    let names: Vec<&str> = sides.iter().map(|s| s.key_name()).collect();
    names.join(" and ")
}

pub(super) fn verb<'v>(sides: &[Side], one: &'v str, both: &'v str) -> &'v str {
    if sides.len() > 1 {
        both
    } else {
        one
    }
}
