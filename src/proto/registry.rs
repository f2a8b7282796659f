//! Registry export parsing: `regedit` `.reg` files (`Windows Registry Editor
//! Version 5.00`, `REGEDIT4`) and `reg query /s` text, in UTF-16LE or
//! ANSI/UTF-8, into plain keys and values in file order.
//!
//! Pure and bounded: at most [`MAX_EXPORT_BYTES`] in, no panics on any
//! input. It records what the file says, quirks included (a nine-digit
//! dword is kept and marked), and makes no judgement about what the values
//! mean: that is `schannel::audit`.

use std::fmt;
use std::str::FromStr;

/// The largest file tlscheck parses. A full `regedit` export of
/// `HKLM\SYSTEM` is far larger, but the SCHANNEL and .NET branches are a
/// few kilobytes; 16 MiB leaves room for generous exports and bounds memory.
pub const MAX_EXPORT_BYTES: usize = 16 * 1024 * 1024;

/// First line of a `regedit` export since Windows 2000 (UTF-16LE by default).
const HEADER_V5: &str = "Windows Registry Editor Version 5.00";
/// First line of a `regedit` export in the old ANSI format.
const HEADER_V4: &str = "REGEDIT4";
/// The one hive name SCHANNEL and .NET settings live in.
const HKLM_LONG: &str = "HKEY_LOCAL_MACHINE";
/// The short hive name `reg.exe` accepts.
const HKLM_SHORT: &str = "HKLM";
/// `regedit` writes a REG_DWORD as exactly eight hex digits.
const DWORD_DIGITS: usize = 8;
/// `reg query` separates name, type and data with four spaces.
const QUERY_SEPARATOR: &str = "    ";
/// How much of an offending line an error quotes.
const EXCERPT_CHARS: usize = 60;
/// What a registry export looks like, for error messages.
const EXPECTED: &str = "expected a .reg export (first line 'Windows Registry Editor Version 5.00' \
     or 'REGEDIT4') or `reg query /s` output (lines starting with HKEY_LOCAL_MACHINE\\…)";

/// This module's result type.
pub type Result<T> = std::result::Result<T, ParseError>;

/// Why a file is not a registry export tlscheck can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The file is larger than [`MAX_EXPORT_BYTES`].
    #[error("the file is {len} bytes; tlscheck reads registry exports of at most {max} bytes (16 MiB)", max = MAX_EXPORT_BYTES)]
    TooLarge {
        /// The file's length in bytes.
        len: usize,
    },
    /// The file is empty or holds only blank lines.
    #[error("the file is empty: {}", EXPECTED)]
    Empty,
    /// The first non-blank line is neither a `.reg` header nor a key line.
    #[error("not a registry export (first line {first_line}): {}", EXPECTED)]
    NotRegistryExport {
        /// The first non-blank line, quoted, with control characters escaped
        /// and cut to a few dozen characters.
        first_line: String,
    },
    /// A line inside an export cannot be read.
    #[error("line {line}: {problem}: {text}")]
    BadLine {
        /// 1-based line number in the file.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
        /// The line, quoted, escaped and cut short.
        text: String,
    },
}

impl ParseError {
    /// A stable snake_case name for JSON and tests.
    pub fn label(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Empty => "empty",
            Self::NotRegistryExport { .. } => "not_registry_export",
            Self::BadLine { .. } => "bad_line",
        }
    }
}

/// What is wrong with one line of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineProblem {
    /// `[HKEY_…` without the closing `]`.
    UnclosedKey,
    /// `[]` or `[-]`.
    EmptyKey,
    /// A quoted name or string without its closing quote.
    UnterminatedString,
    /// `"Name"` not followed by `=`.
    MissingEquals,
    /// `dword:` not followed by hex digits that fit 32 bits.
    BadDword,
    /// `hex:`/`hex(N):` not followed by comma-separated hex bytes.
    BadHex,
    /// Data after `=` that is none of `"…"`, `dword:`, `hex…:` or `-`.
    UnknownData,
    /// Text after a closed string value.
    TrailingData,
    /// A value line before the first key line.
    ValueOutsideKey,
    /// A line that is no key, value, comment or blank line.
    UnexpectedLine,
    /// A line ends in a `\` continuation but no data line follows.
    ContinuationAtEnd,
    /// A `reg query` value line without `Name    REG_TYPE    data`, or with
    /// a number that does not parse.
    BadQueryValue,
}

impl LineProblem {
    /// A stable snake_case name for JSON and tests.
    pub fn label(self) -> &'static str {
        match self {
            Self::UnclosedKey => "unclosed_key",
            Self::EmptyKey => "empty_key",
            Self::UnterminatedString => "unterminated_string",
            Self::MissingEquals => "missing_equals",
            Self::BadDword => "bad_dword",
            Self::BadHex => "bad_hex",
            Self::UnknownData => "unknown_data",
            Self::TrailingData => "trailing_data",
            Self::ValueOutsideKey => "value_outside_key",
            Self::UnexpectedLine => "unexpected_line",
            Self::ContinuationAtEnd => "continuation_at_end",
            Self::BadQueryValue => "bad_query_value",
        }
    }
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnclosedKey => "key line has no closing ']' (is the file cut short?)",
            Self::EmptyKey => "key line names no key",
            Self::UnterminatedString => "quoted text is not closed (is the line cut short?)",
            Self::MissingEquals => "expected '=' after the value name",
            Self::BadDword => "expected dword: followed by 8 hex digits, e.g. dword:00000001",
            Self::BadHex => "expected hex bytes such as hex:01,00,00,00",
            Self::UnknownData => "expected \"text\", dword:, hex: or - after '='",
            Self::TrailingData => "unexpected text after the value",
            Self::ValueOutsideKey => "value line before any [key] line",
            Self::UnexpectedLine => {
                "expected a [key] line, a \"Name\"=value line, a ; comment or a blank line"
            }
            Self::ContinuationAtEnd => {
                "a value continued with '\\' has no next line (is the file cut short?)"
            }
            Self::BadQueryValue => {
                "expected a reg query value line '    Name    REG_TYPE    data' \
                 or a key line starting with HKEY_LOCAL_MACHINE\\"
            }
        })
    }
}

/// Which tool wrote the export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// `regedit` export, `Windows Registry Editor Version 5.00`.
    Regedit5,
    /// `regedit` export in the old `REGEDIT4` format (ANSI).
    Regedit4,
    /// `reg query … /s` text output.
    RegQuery,
    /// Not a file: `schannel --local` read this machine's registry
    /// (see `schannel::live`).
    LiveRegistry,
}

impl ExportFormat {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Regedit5 => "regedit5",
            Self::Regedit4 => "regedit4",
            Self::RegQuery => "reg_query",
            Self::LiveRegistry => "live_registry",
        }
    }

    /// A phrase for reports: what kind of file this was.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Regedit5 => ".reg export (Windows Registry Editor Version 5.00)",
            Self::Regedit4 => ".reg export (REGEDIT4)",
            Self::RegQuery => "reg query /s output",
            Self::LiveRegistry => "the live registry of this machine (schannel --local)",
        }
    }
}

/// How the file's text was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-16 little endian (with or without BOM): `regedit`'s default,
    /// and PowerShell 5's `>` redirection.
    Utf16Le,
    /// UTF-16 big endian with BOM (rare; accepted for kindness).
    Utf16Be,
    /// UTF-8, with or without BOM (plain ASCII counts here).
    Utf8,
    /// Not UTF-8: read as Windows-1252 (`REGEDIT4`, `cmd` redirection).
    Ansi,
    /// No text at all: values read through the Windows registry API.
    Native,
}

impl TextEncoding {
    /// A name for reports: `UTF-16LE`, `ANSI (read as Windows-1252)`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
            Self::Utf8 => "UTF-8",
            Self::Ansi => "ANSI (read as Windows-1252)",
            Self::Native => "read through the Windows registry API",
        }
    }

    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf16Le => "utf16le",
            Self::Utf16Be => "utf16be",
            Self::Utf8 => "utf8",
            Self::Ansi => "ansi",
            Self::Native => "native",
        }
    }
}

/// A registry export, as written: keys in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryExport {
    /// Which tool wrote it.
    pub format: ExportFormat,
    /// How its text was encoded.
    pub encoding: TextEncoding,
    /// Every key line with the values under it, in file order. A key may
    /// appear more than once; later lines win, as on import.
    pub keys: Vec<RegKey>,
}

/// One `[key]` line (or `reg query` key line) and the values after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegKey {
    /// Full path with the hive spelled `HKEY_LOCAL_MACHINE` (`HKLM\` is
    /// expanded), no trailing `\`; otherwise exactly as in the file.
    pub path: String,
    /// `[-HKEY_…]`: the line deletes the key and its subkeys on import.
    pub deleted: bool,
    /// 1-based line number of the key line.
    pub line: usize,
    /// The values under this key line, in file order.
    pub values: Vec<RegValue>,
}

/// One value line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegValue {
    /// Value name as written; empty for the default value (`@=`).
    /// `reg query` shows the default value under a localised name such as
    /// `(Default)`, which is kept as is.
    pub name: String,
    /// The value's data.
    pub data: RegData,
    /// 1-based line number where the value starts.
    pub line: usize,
    /// Something `regedit` would not accept, kept for the audit to report.
    pub quirk: Option<ValueQuirk>,
}

/// The data of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegData {
    /// REG_DWORD: `dword:00000001`, `hex(4):` of four bytes, `0x1`.
    Dword(u32),
    /// REG_QWORD: `hex(b):` of eight bytes, `0x1`.
    Qword(u64),
    /// REG_SZ: `"text"`.
    String(String),
    /// Any other `hex:`/`hex(N):` data, or `reg query` REG_BINARY.
    Binary {
        /// The registry type number (`hex:` is 3, REG_BINARY).
        type_code: u32,
        /// The raw bytes.
        bytes: Vec<u8>,
    },
    /// A `reg query` value of a type kept as text (REG_EXPAND_SZ,
    /// REG_MULTI_SZ, REG_NONE, …).
    Text {
        /// The type as `reg query` printed it, e.g. `REG_MULTI_SZ`.
        type_name: String,
        /// The data as printed.
        text: String,
    },
    /// `"Name"=-`: the line deletes the value on import.
    Delete,
}

impl RegData {
    /// The registry type name, for messages: `REG_DWORD`, `hex(7)`, ….
    pub fn type_name(&self) -> String {
        match self {
            Self::Dword(_) => "REG_DWORD".to_owned(),
            Self::Qword(_) => "REG_QWORD".to_owned(),
            Self::String(_) => "REG_SZ".to_owned(),
            Self::Binary { type_code: 3, .. } => "REG_BINARY".to_owned(),
            Self::Binary { type_code, .. } => format!("hex({type_code:x})"),
            Self::Text { type_name, .. } => type_name.clone(),
            Self::Delete => "deletion".to_owned(),
        }
    }
}

/// A value line `regedit` would not import as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueQuirk {
    /// `dword:` with more than eight digits (the source article prints
    /// `dword:000000000`). The number fits 32 bits and is kept in
    /// [`RegData::Dword`], but `regedit` rejects the line on import.
    OverlongDword {
        /// How many hex digits the file has.
        digits: usize,
    },
}

/// Parses a registry export: a `.reg` file or `reg query /s` output, in
/// UTF-16 (BOM or not) or ANSI/UTF-8.
pub fn parse(bytes: &[u8]) -> Result<RegistryExport> {
    if bytes.len() > MAX_EXPORT_BYTES {
        return Err(ParseError::TooLarge { len: bytes.len() });
    }
    let (text, encoding) = decode(bytes);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let Some((first_idx, first)) = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, clean(l)))
        .find(|(_, l)| !l.is_empty())
    else {
        return Err(ParseError::Empty);
    };
    let format = if first.eq_ignore_ascii_case(HEADER_V5) {
        ExportFormat::Regedit5
    } else if first.eq_ignore_ascii_case(HEADER_V4) {
        ExportFormat::Regedit4
    } else if is_query_key_line(first) {
        ExportFormat::RegQuery
    } else {
        return Err(ParseError::NotRegistryExport {
            first_line: excerpt(first),
        });
    };
    let body = lines.get(first_idx..).unwrap_or_default();
    let keys = match format {
        ExportFormat::Regedit5 | ExportFormat::Regedit4 => parse_reg(body, first_idx + 1)?,
        // Never detected from a file: only schannel::live makes it.
        ExportFormat::RegQuery | ExportFormat::LiveRegistry => parse_query(body, first_idx)?,
    };
    Ok(RegistryExport {
        format,
        encoding,
        keys,
    })
}

/// A line without surrounding whitespace and stray BOMs (concatenated
/// UTF-16 exports carry one at the start of each part).
fn clean(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

fn is_header(line: &str) -> bool {
    line.eq_ignore_ascii_case(HEADER_V5) || line.eq_ignore_ascii_case(HEADER_V4)
}

fn is_query_key_line(line: &str) -> bool {
    starts_with_ignore_case(line, "HKEY_") || starts_with_ignore_case(line, "HKLM\\")
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// `.reg` body: `lines` starts with the header line, numbered `header_no`.
fn parse_reg(lines: &[&str], header_no: usize) -> Result<Vec<RegKey>> {
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
            keys.push(RegKey {
                path: normalise_key(path),
                deleted,
                line: line_no,
                values: Vec::new(),
            });
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
        let key = keys
            .last_mut()
            .ok_or_else(|| bad(LineProblem::ValueOutsideKey))?;
        key.values.push(RegValue {
            name,
            data,
            line: line_no,
            quirk,
        });
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
fn parse_dword_digits(
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

/// `reg query /s` body: `lines` starts with the first key line, numbered
/// `first_idx + 1`.
fn parse_query(lines: &[&str], first_idx: usize) -> Result<Vec<RegKey>> {
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
                keys.push(RegKey {
                    path: normalise_key(line),
                    deleted: false,
                    line: line_no,
                    values: Vec::new(),
                });
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
        let key = keys
            .last_mut()
            .ok_or_else(|| bad(LineProblem::ValueOutsideKey))?;
        key.values.push(RegValue {
            name,
            data,
            line: line_no,
            quirk: None,
        });
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

/// Expands `HKLM\` to `HKEY_LOCAL_MACHINE\`, spells the hive in capitals
/// and drops a trailing `\`; the rest of the path stays as written, since
/// a key named `TLS 1.2 ` (trailing space) is a different key.
fn normalise_key(path: &str) -> String {
    let path = path.strip_suffix('\\').unwrap_or(path);
    let (hive, rest) = match path.split_once('\\') {
        Some((hive, rest)) => (hive, Some(rest)),
        None => (path, None),
    };
    let hive = if hive.eq_ignore_ascii_case(HKLM_SHORT) || hive.eq_ignore_ascii_case(HKLM_LONG) {
        HKLM_LONG
    } else {
        hive
    };
    match rest {
        Some(rest) => format!("{hive}\\{rest}"),
        None => hive.to_owned(),
    }
}

fn bad_line(line: usize, problem: LineProblem, text: &str) -> ParseError {
    ParseError::BadLine {
        line,
        problem,
        text: excerpt(text),
    }
}

/// A hostile line for an error message, quoted: at most [`EXCERPT_CHARS`]
/// characters, a long line shown as its start and end (a truncated line is
/// recognised by its end), with control, format and bidi characters
/// escaped so the message cannot move the cursor or reorder the terminal.
fn excerpt(s: &str) -> String {
    let len = s.chars().count();
    let half = EXCERPT_CHARS / 2;
    let mut out = String::from("'");
    for (n, c) in s.chars().enumerate() {
        if len > EXCERPT_CHARS && n >= half && n < len - half {
            if n == half {
                out.push('…');
            }
            continue;
        }
        if c.is_control() || is_format_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Zero-width and bidi formatting characters (Unicode category Cf) that
/// matter in a terminal.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Bytes → text. BOMs decide; without one, NULs at odd offsets mean
/// UTF-16LE (PowerShell and `regedit` write it); valid UTF-8 is UTF-8;
/// anything else is ANSI, read as Windows-1252.
fn decode(bytes: &[u8]) -> (String, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        return (utf16(rest, u16::from_le_bytes), TextEncoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        return (utf16(rest, u16::from_be_bytes), TextEncoding::Utf16Be);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            TextEncoding::Utf8,
        );
    }
    if looks_like_utf16le(bytes) {
        return (utf16(bytes, u16::from_le_bytes), TextEncoding::Utf16Le);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), TextEncoding::Utf8),
        Err(_) => (
            bytes.iter().map(|&b| cp1252(b)).collect(),
            TextEncoding::Ansi,
        ),
    }
}

/// Mostly-ASCII UTF-16LE without BOM: in the first 512 bytes, at least
/// 40 % of the odd bytes are NUL and almost no even byte is.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let head = bytes.get(..512).unwrap_or(bytes);
    if head.len() < 4 {
        return false;
    }
    let (mut odd_nul, mut even_nul) = (0usize, 0usize);
    for (i, &b) in head.iter().enumerate() {
        if b == 0 {
            if i % 2 == 1 {
                odd_nul += 1;
            } else {
                even_nul += 1;
            }
        }
    }
    let pairs = head.len() / 2;
    odd_nul * 10 >= pairs * 4 && even_nul * 20 <= pairs
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|p| match p {
        &[a, b] => unit([a, b]),
        _ => 0xfffd,
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252 bytes 0x80–0x9F; the five unassigned ones map to the C1
/// control of the same number, as Windows' own conversion does.
const CP1252_HIGH: [u16; 32] = [
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, // 0x80–0x87
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f, // 0x88–0x8F
    0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, // 0x90–0x97
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178, // 0x98–0x9F
];

fn cp1252(b: u8) -> char {
    let code = match b {
        0x80..=0x9f => CP1252_HIGH
            .get(usize::from(b - 0x80))
            .copied()
            .unwrap_or(0xfffd),
        _ => u16::from(b),
    };
    char::from_u32(u32::from(code)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// A Windows Server release whose Schannel defaults tlscheck knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WindowsVersion {
    /// Windows Server 2008 R2 (Windows 7 kernel), the classic Exchange
    /// 2010 host.
    Ws2008R2,
    /// Windows Server 2012 R2 (Windows 8.1 kernel).
    Ws2012R2,
    /// Windows Server 2016 (Windows 10 1607).
    Ws2016,
    /// Windows Server 2019 (Windows 10 1809).
    Ws2019,
    /// Windows Server 2022.
    Ws2022,
    /// Windows Server 2025.
    Ws2025,
}

impl WindowsVersion {
    /// Every version, oldest first.
    pub const ALL: [Self; 6] = [
        Self::Ws2008R2,
        Self::Ws2012R2,
        Self::Ws2016,
        Self::Ws2019,
        Self::Ws2022,
        Self::Ws2025,
    ];

    /// The name on the command line (`--os 2012r2`) and in JSON.
    pub fn cli_name(self) -> &'static str {
        match self {
            Self::Ws2008R2 => "2008r2",
            Self::Ws2012R2 => "2012r2",
            Self::Ws2016 => "2016",
            Self::Ws2019 => "2019",
            Self::Ws2022 => "2022",
            Self::Ws2025 => "2025",
        }
    }
}

impl fmt::Display for WindowsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ws2008R2 => "Windows Server 2008 R2",
            Self::Ws2012R2 => "Windows Server 2012 R2",
            Self::Ws2016 => "Windows Server 2016",
            Self::Ws2019 => "Windows Server 2019",
            Self::Ws2022 => "Windows Server 2022",
            Self::Ws2025 => "Windows Server 2025",
        })
    }
}

/// A `--os` value that names no version tlscheck knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Windows Server version '{0}': expected one of 2008r2, 2012r2, 2016, 2019, 2022, 2025"
)]
pub struct UnknownWindowsVersion(pub String);

impl FromStr for WindowsVersion {
    type Err = UnknownWindowsVersion;

    /// Accepts the CLI names and the spellings people type: `2012R2`,
    /// `2012 R2`, `ws2019`, `Server 2022`, `Windows Server 2025`.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let squashed: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .collect::<String>()
            .to_ascii_lowercase();
        let short = ["windowsserver", "server", "ws"]
            .iter()
            .find_map(|p| squashed.strip_prefix(p))
            .unwrap_or(&squashed);
        Self::ALL
            .into_iter()
            .find(|v| v.cli_name() == short)
            .ok_or_else(|| UnknownWindowsVersion(s.to_owned()))
    }
}

#[cfg(test)]
mod tests;
