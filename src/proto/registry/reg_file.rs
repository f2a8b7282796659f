//! The `.reg` format of `regedit` (`Windows Registry Editor Version 5.00`,
//! `REGEDIT4`): `[key]` lines, `"name"=data` values with `dword:`, `hex:`
//! and `hex(N):` data, backslash continuations. Pure and bounded.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::{
    add_value, bad_line, clean, is_header, starts_with_ignore_case, LineProblem, RegData, RegKey,
    Result, ValueQuirk, DWORD_DIGITS,
};

/// `.reg` body: `lines` starts with the header line, numbered `header_no`.
pub(super) fn parse_reg(lines: &[&str], header_no: usize) -> Result<Vec<RegKey>> {
    let mut keys: Vec<RegKey> = Vec::new();
    let mut idx = 1;
    while let Some(raw) = lines.get(idx) {
        let line_no = header_no + idx;
        idx += 1;
        let line = clean(raw);
        if line.is_empty() || line.starts_with(';') || is_header(line) {
            continue;
        }
        let bad = |problem| bad_line(line_no, problem, line);
        if let Some(inner) = line.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| bad(LineProblem::UnclosedKey))?;
            let (deleted, path) = match inner.strip_prefix('-') {
                Some(path) => (true, path),
                None => (false, inner),
            };
            if path.trim().is_empty() {
                return Err(bad(LineProblem::EmptyKey));
            }
            keys.push(RegKey::new(path, deleted, line_no));
            continue;
        }
        if !(line.starts_with('"') || line.starts_with('@')) {
            return Err(bad(LineProblem::UnexpectedLine));
        }
        let (name, data) = split_value_line(line).map_err(bad)?;
        // `hex` data may run over several lines, each ending in `\`.
        let mut data = data.to_owned();
        if starts_with_ignore_case(&data, "hex") {
            while let Some(head) = data.strip_suffix('\\') {
                data.truncate(head.len());
                let next = lines.get(idx).map(|l| clean(l)).unwrap_or_default();
                if next.is_empty() {
                    return Err(bad(LineProblem::ContinuationAtEnd));
                }
                idx += 1;
                data.push_str(next);
            }
        }
        let (data, quirk) = parse_reg_data(&data).map_err(bad)?;
        add_value(&mut keys, name, data, line_no, quirk).map_err(bad)?;
    }
    Ok(keys)
}

/// `"Name"=data` or `@=data` → (name, data text after `=`).
fn split_value_line(line: &str) -> std::result::Result<(String, &str), LineProblem> {
    let (name, rest) = match line.strip_prefix('@') {
        Some(rest) => (String::new(), rest),
        None => parse_quoted(line).ok_or(LineProblem::UnterminatedString)?,
    };
    let data = rest
        .trim_start()
        .strip_prefix('=')
        .ok_or(LineProblem::MissingEquals)?;
    Ok((name, data.trim()))
}

/// A `"…"` string with `.reg` escapes (`\\`, `\"`) at the start of `s` →
/// (unescaped text, rest after the closing quote).
fn parse_quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((idx, c)) = chars.next() {
        match c {
            '"' => return Some((out, s.get(idx + 2..)?)),
            '\\' => match chars.next()? {
                (_, e @ ('"' | '\\')) => out.push(e),
                (_, e) => {
                    out.push('\\');
                    out.push(e);
                }
            },
            c => out.push(c),
        }
    }
    None
}

fn parse_reg_data(data: &str) -> std::result::Result<(RegData, Option<ValueQuirk>), LineProblem> {
    if data == "-" {
        return Ok((RegData::Delete, None));
    }
    if data.starts_with('"') {
        let (text, rest) = parse_quoted(data).ok_or(LineProblem::UnterminatedString)?;
        if !rest.trim().is_empty() {
            return Err(LineProblem::TrailingData);
        }
        return Ok((RegData::String(text), None));
    }
    if starts_with_ignore_case(data, "dword:") {
        let digits = data.get("dword:".len()..).unwrap_or_default().trim();
        return parse_dword_digits(digits);
    }
    if starts_with_ignore_case(data, "hex") {
        let rest = data.get("hex".len()..).unwrap_or_default();
        let (type_code, bytes) = match rest.strip_prefix(':') {
            Some(bytes) => (3, bytes),
            None => {
                let inner = rest.strip_prefix('(').ok_or(LineProblem::BadHex)?;
                let (code, bytes) = inner.split_once("):").ok_or(LineProblem::BadHex)?;
                let code = u32::from_str_radix(code.trim(), 16).map_err(|_| LineProblem::BadHex)?;
                (code, bytes)
            }
        };
        let bytes = parse_hex_bytes(bytes).ok_or(LineProblem::BadHex)?;
        return Ok((binary_data(type_code, bytes), None));
    }
    Err(LineProblem::UnknownData)
}

/// The digits after `dword:`. More than eight digits is a quirk when the
/// number still fits 32 bits, an error when it does not.
pub(super) fn parse_dword_digits(
    digits: &str,
) -> std::result::Result<(RegData, Option<ValueQuirk>), LineProblem> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LineProblem::BadDword);
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > DWORD_DIGITS {
        return Err(LineProblem::BadDword);
    }
    let value = u32::from_str_radix(
        if significant.is_empty() {
            "0"
        } else {
            significant
        },
        16,
    )
    .map_err(|_| LineProblem::BadDword)?;
    let quirk = (digits.len() > DWORD_DIGITS).then_some(ValueQuirk::OverlongDword {
        digits: digits.len(),
    });
    Ok((RegData::Dword(value), quirk))
}

/// `01,00,00,00` (whitespace allowed, trailing comma allowed).
fn parse_hex_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches(',');
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(',')
        .map(|b| {
            let b = b.trim();
            if b.is_empty() || b.len() > 2 {
                return None;
            }
            u8::from_str_radix(b, 16).ok()
        })
        .collect()
}

/// `hex(4)` of four bytes is a REG_DWORD and `hex(b)` of eight a REG_QWORD
/// (both little endian); everything else stays bytes.
fn binary_data(type_code: u32, bytes: Vec<u8>) -> RegData {
    match (type_code, bytes.as_slice()) {
        (4, &[a, b, c, d]) => RegData::Dword(u32::from_le_bytes([a, b, c, d])),
        (0xb, &[a, b, c, d, e, f, g, h]) => {
            RegData::Qword(u64::from_le_bytes([a, b, c, d, e, f, g, h]))
        }
        _ => RegData::Binary { type_code, bytes },
    }
}
