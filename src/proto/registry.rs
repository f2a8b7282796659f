//! Registry export parsing: `regedit` `.reg` files (`Windows Registry Editor
//! Version 5.00`, `REGEDIT4`) and `reg query /s` text, in UTF-16LE or
//! ANSI/UTF-8, into plain keys and values in file order.
//!
//! Pure and bounded: at most [`MAX_EXPORT_BYTES`] in, no panics on any
//! input. It records what the file says, quirks included (a nine-digit
//! dword is kept and marked), and makes no judgement about what the values
//! mean: that is `schannel::audit`.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::fmt;

mod decode;
mod query;
mod reg_file;
mod windows;

use decode::decode;
use query::parse_query;
use reg_file::parse_reg;
pub use windows::{UnknownWindowsVersion, WindowsVersion};

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

impl RegKey {
    /// A key as its line names it, with no values yet.
    fn new(path: &str, deleted: bool, line: usize) -> Self {
        Self {
            path: normalise_key(path),
            deleted,
            line,
            values: Vec::new(),
        }
    }
}

/// Adds a value, read at `line`, to the key above it; a value before any
/// key line is [`LineProblem::ValueOutsideKey`].
fn add_value(
    keys: &mut [RegKey],
    name: String,
    data: RegData,
    line: usize,
    quirk: Option<ValueQuirk>,
) -> std::result::Result<(), LineProblem> {
    let key = keys.last_mut().ok_or(LineProblem::ValueOutsideKey)?;
    key.values.push(RegValue {
        name,
        data,
        line,
        quirk,
    });
    Ok(())
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

#[cfg(test)]
mod tests;
