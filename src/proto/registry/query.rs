//! The text of `reg query /s`: key lines, then indented
//! `Name    REG_TYPE    data` lines. Pure and bounded.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::{
    add_value, bad_line, is_query_key_line, starts_with_ignore_case, LineProblem, RegData, RegKey,
    Result, DWORD_DIGITS, QUERY_SEPARATOR,
};

/// `reg query /s` body: `lines` starts with the first key line, numbered
/// `first_idx + 1`.
pub(super) fn parse_query(lines: &[&str], first_idx: usize) -> Result<Vec<RegKey>> {
    let mut keys: Vec<RegKey> = Vec::new();
    for (idx, raw) in lines.iter().enumerate() {
        let line_no = first_idx + idx + 1;
        let line = raw.trim_start_matches('\u{feff}').trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let bad = |problem| bad_line(line_no, problem, line);
        if !line.starts_with([' ', '\t']) {
            if is_query_key_line(line) {
                keys.push(RegKey::new(line, false, line_no));
                continue;
            }
            // `reg query /f` ends with "End of search: N match(es) found."
            if starts_with_ignore_case(line, "End of search") {
                continue;
            }
            return Err(bad(LineProblem::BadQueryValue));
        }
        let (name, data) =
            parse_query_value(line.trim_start()).ok_or_else(|| bad(LineProblem::BadQueryValue))?;
        add_value(&mut keys, name, data, line_no, None).map_err(bad)?;
    }
    Ok(keys)
}

/// `Name    REG_DWORD    0x1` (leading indentation already removed).
fn parse_query_value(body: &str) -> Option<(String, RegData)> {
    let (name, rest) = if body.starts_with("REG_") {
        ("", body)
    } else {
        let at = body.find("    REG_")?;
        (body.get(..at)?, body.get(at + QUERY_SEPARATOR.len()..)?)
    };
    let (type_name, text) = match rest.split_once(QUERY_SEPARATOR) {
        Some((type_name, text)) => (type_name, text),
        None => (rest, ""),
    };
    let number = |max_digits: usize| -> Option<u64> {
        let digits = text
            .trim()
            .strip_prefix("0x")
            .or(text.trim().strip_prefix("0X"))?;
        if digits.is_empty() || digits.len() > max_digits {
            return None;
        }
        u64::from_str_radix(digits, 16).ok()
    };
    let data = match type_name {
        "REG_DWORD" => RegData::Dword(u32::try_from(number(DWORD_DIGITS)?).ok()?),
        "REG_QWORD" => RegData::Qword(number(2 * DWORD_DIGITS)?),
        "REG_SZ" => RegData::String(text.to_owned()),
        "REG_BINARY" => match parse_query_binary(text) {
            Some(bytes) => RegData::Binary {
                type_code: 3,
                bytes,
            },
            None => return None,
        },
        _ if type_name.starts_with("REG_") && !type_name.contains(' ') => RegData::Text {
            type_name: type_name.to_owned(),
            text: text.to_owned(),
        },
        _ => return None,
    };
    Some((name.to_owned(), data))
}

/// `reg query` prints REG_BINARY as contiguous hex pairs: `0100FFAB`.
fn parse_query_binary(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
