use super::decode::cp1252;
use super::reg_file::parse_dword_digits;
use super::*;

const TLS12_CLIENT: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client";

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe]; // BOM, little endian
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

fn only_key(export: &RegistryExport) -> &RegKey {
    assert_eq!(export.keys.len(), 1, "{export:?}");
    &export.keys[0]
}

#[test]
fn reads_a_utf16le_regedit_export_with_bom_and_crlf() {
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[{TLS12_CLIENT}]\r\n\
             \"DisabledByDefault\"=dword:00000000\r\n\"Enabled\"=dword:00000001\r\n\r\n"
    );
    let export = parse(&utf16le_with_bom(&text)).unwrap();
    assert_eq!(export.format, ExportFormat::Regedit5);
    assert_eq!(export.encoding, TextEncoding::Utf16Le);
    let key = only_key(&export);
    assert_eq!(key.path, TLS12_CLIENT);
    assert_eq!(key.line, 3);
    assert_eq!(key.values[0].name, "DisabledByDefault");
    assert_eq!(key.values[0].data, RegData::Dword(0));
    assert_eq!(key.values[1].data, RegData::Dword(1));
    assert_eq!(key.values[1].line, 5);
}

#[test]
fn reads_utf16le_without_bom() {
    let text = "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\"A\"=dword:00000002\r\n";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let export = parse(&bytes).unwrap();
    assert_eq!(export.encoding, TextEncoding::Utf16Le);
    assert_eq!(export.format, ExportFormat::Regedit4);
    assert_eq!(only_key(&export).values[0].data, RegData::Dword(2));
}

#[test]
fn reads_ansi_regedit4_with_windows_1252_comment() {
    let mut bytes = b"REGEDIT4\r\n\r\n; Export\xe9 \x96 srv\r\n[HKLM\\SOFTWARE\\A]\r\n".to_vec();
    bytes.extend(b"\"Name\"=\"caf\xe9\"\r\n"); // 0xE9 = é in Windows-1252
    let export = parse(&bytes).unwrap();
    assert_eq!(export.encoding, TextEncoding::Ansi);
    let key = only_key(&export);
    assert_eq!(key.path, r"HKEY_LOCAL_MACHINE\SOFTWARE\A");
    assert_eq!(key.values[0].data, RegData::String("café".to_owned()));
}

#[test]
fn value_names_are_kept_as_written_and_escapes_are_undone() {
    let text = "Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\A]\n\
                    \"Pa\\\"th\"=\"C:\\\\Windows\\\\\"\n@=\"default\"\n";
    let export = parse(text.as_bytes()).unwrap();
    let key = only_key(&export);
    assert_eq!(key.values[0].name, "Pa\"th");
    assert_eq!(
        key.values[0].data,
        RegData::String(r"C:\Windows\".to_owned())
    );
    assert_eq!(key.values[1].name, "");
    assert_eq!(key.values[1].data, RegData::String("default".to_owned()));
}

#[test]
fn nine_digit_dword_is_kept_and_marked() {
    let text = "Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\A]\n\
                    \"DisabledByDefault\"=dword:000000000\n";
    let export = parse(text.as_bytes()).unwrap();
    let value = &only_key(&export).values[0];
    assert_eq!(value.data, RegData::Dword(0));
    assert_eq!(value.quirk, Some(ValueQuirk::OverlongDword { digits: 9 }));
}

#[test]
fn eight_digit_and_short_dwords_carry_no_quirk() {
    for digits in ["00000001", "1", "FFFFFFFF", "ffffffff"] {
        let (data, quirk) = parse_dword_digits(digits).unwrap();
        assert!(matches!(data, RegData::Dword(_)), "{digits}");
        assert_eq!(quirk, None, "{digits}");
    }
}

#[test]
fn rejects_dwords_that_do_not_fit_or_are_not_hex() {
    for digits in ["100000000", "", "0000000g", "12 34", "-1"] {
        assert_eq!(
            parse_dword_digits(digits),
            Err(LineProblem::BadDword),
            "{digits}"
        );
    }
}

#[test]
fn hex_values_continue_over_backslash_lines() {
    let text = "Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\A]\r\n\
                    \"Multi\"=hex(7):41,00,00,00,\\\r\n  42,00,00,00,00,00\r\n\
                    \"Q\"=hex(b):01,00,00,00,00,00,00,00\r\n\"D\"=hex(4):02,00,00,00\r\n\
                    \"B\"=hex:de,ad\r\n";
    let export = parse(text.as_bytes()).unwrap();
    let values = &only_key(&export).values;
    assert_eq!(
        values[0].data,
        RegData::Binary {
            type_code: 7,
            bytes: vec![0x41, 0, 0, 0, 0x42, 0, 0, 0, 0, 0],
        }
    );
    assert_eq!(values[1].data, RegData::Qword(1));
    assert_eq!(values[2].data, RegData::Dword(2));
    assert_eq!(values[2].line, 6);
    assert_eq!(
        values[3].data,
        RegData::Binary {
            type_code: 3,
            bytes: vec![0xde, 0xad],
        }
    );
}

#[test]
fn deletion_forms_are_recorded() {
    let text = "Windows Registry Editor Version 5.00\n[-HKEY_LOCAL_MACHINE\\A]\n\
                    [HKEY_LOCAL_MACHINE\\B]\n\"X\"=-\n";
    let export = parse(text.as_bytes()).unwrap();
    assert!(export.keys[0].deleted);
    assert_eq!(export.keys[0].path, r"HKEY_LOCAL_MACHINE\A");
    assert!(!export.keys[1].deleted);
    assert_eq!(export.keys[1].values[0].data, RegData::Delete);
}

#[test]
fn concatenated_exports_with_a_second_header_and_bom_are_one_export() {
    let text = "Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\A]\r\n\
                    \u{feff}Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\B]\r\n";
    let export = parse(&utf16le_with_bom(text)).unwrap();
    assert_eq!(export.keys.len(), 2);
}

#[test]
fn reads_reg_query_output() {
    let text = format!(
        "\r\n{TLS12_CLIENT}\r\n    DisabledByDefault    REG_DWORD    0x0\r\n\
             \x20   Enabled    REG_DWORD    0xffffffff\r\n\
             \x20   Note    REG_SZ    two  words\r\n\
             \x20   Blob    REG_BINARY    01FF\r\n\
             \x20   (Default)    REG_SZ    \r\n\r\n\
             HKLM\\SOFTWARE\\X\r\n    Big    REG_QWORD    0x100000000\r\n\
             \x20   Paths    REG_MULTI_SZ    a\\0b\r\n"
    );
    let export = parse(text.as_bytes()).unwrap();
    assert_eq!(export.format, ExportFormat::RegQuery);
    let values = &export.keys[0].values;
    assert_eq!(export.keys[0].path, TLS12_CLIENT);
    assert_eq!(export.keys[0].line, 2);
    assert_eq!(values[0].data, RegData::Dword(0));
    assert_eq!(values[1].data, RegData::Dword(0xffff_ffff));
    assert_eq!(values[2].data, RegData::String("two  words".to_owned()));
    assert_eq!(
        values[3].data,
        RegData::Binary {
            type_code: 3,
            bytes: vec![0x01, 0xff],
        }
    );
    assert_eq!(values[4].name, "(Default)");
    assert_eq!(export.keys[1].path, r"HKEY_LOCAL_MACHINE\SOFTWARE\X");
    assert_eq!(export.keys[1].values[0].data, RegData::Qword(1 << 32));
    assert_eq!(export.keys[1].values[1].data.type_name(), "REG_MULTI_SZ");
}

#[test]
fn rejects_reg_query_dword_that_is_not_a_number() {
    let text = "HKEY_LOCAL_MACHINE\\A\r\n    Enabled    REG_DWORD    one\r\n";
    let err = parse(text.as_bytes()).unwrap_err();
    assert!(matches!(
        err,
        ParseError::BadLine {
            line: 2,
            problem: LineProblem::BadQueryValue,
            ..
        }
    ));
}

#[test]
fn rejects_reg_query_error_text() {
    let text = "HKEY_LOCAL_MACHINE\\A\r\nERROR: The system was unable to find the specified registry key or value.\r\n";
    assert!(matches!(
        parse(text.as_bytes()),
        Err(ParseError::BadLine { line: 2, .. })
    ));
}

#[test]
fn refuses_files_over_16_mib_before_reading_them() {
    let bytes = vec![b'a'; MAX_EXPORT_BYTES + 1];
    assert_eq!(
        parse(&bytes),
        Err(ParseError::TooLarge {
            len: MAX_EXPORT_BYTES + 1
        })
    );
}

#[test]
fn empty_and_blank_files_are_empty() {
    for bytes in [&b""[..], b"\r\n  \r\n", b"\xff\xfe", b"\xef\xbb\xbf\n"] {
        assert_eq!(parse(bytes), Err(ParseError::Empty), "{bytes:?}");
    }
}

#[test]
fn not_a_registry_export_says_what_was_expected() {
    let err = parse(b"{\"tls\": \"1.2\"}\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a registry export (first line '{\"tls\": \"1.2\"}'): expected a .reg export \
             (first line 'Windows Registry Editor Version 5.00' or 'REGEDIT4') or `reg query /s` \
             output (lines starting with HKEY_LOCAL_MACHINE\\…)"
    );
}

#[test]
fn error_excerpts_escape_control_and_bidi_characters_and_are_cut_short() {
    let err = parse("\u{1b}[31mred\u{202e}evil".as_bytes()).unwrap_err();
    let ParseError::NotRegistryExport { first_line } = err else {
        panic!("{err:?}")
    };
    assert_eq!(first_line, "'\\u{1b}[31mred\\u{202e}evil'");
    let long = excerpt(&format!("head{}tail", "x".repeat(500)));
    assert_eq!(long.chars().count(), EXCERPT_CHARS + 3);
    assert!(
        long.starts_with("'headxx") && long.ends_with("xxtail'"),
        "{long}"
    );
}

#[test]
fn malformed_lines_name_line_and_problem() {
    let cases: &[(&str, usize, LineProblem)] = &[
        (
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\Cur",
            2,
            LineProblem::UnclosedKey,
        ),
        ("[]", 2, LineProblem::EmptyKey),
        ("\"Enabled\"=dword:0000000", 2, LineProblem::ValueOutsideKey),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"Enab",
            3,
            LineProblem::UnterminatedString,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"Enabled\" dword:1",
            3,
            LineProblem::MissingEquals,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"Enabled\"=dword:",
            3,
            LineProblem::BadDword,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"E\"=hex:01,0g",
            3,
            LineProblem::BadHex,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"E\"=hex(zz):01",
            3,
            LineProblem::BadHex,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"E\"=hex:01,\\",
            3,
            LineProblem::ContinuationAtEnd,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"E\"=word:1",
            3,
            LineProblem::UnknownData,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"E\"=\"x\" y",
            3,
            LineProblem::TrailingData,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\n\"E\"=\"x",
            3,
            LineProblem::UnterminatedString,
        ),
        (
            "[HKEY_LOCAL_MACHINE\\A]\nEnabled=1",
            3,
            LineProblem::UnexpectedLine,
        ),
    ];
    for (body, line, problem) in cases {
        let text = format!("Windows Registry Editor Version 5.00\n{body}\n");
        match parse(text.as_bytes()) {
            Err(ParseError::BadLine {
                line: l,
                problem: p,
                ..
            }) => assert_eq!((l, p), (*line, *problem), "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn every_prefix_of_an_export_parses_or_fails_cleanly() {
    let text = format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{TLS12_CLIENT}]\r\n\
             \"Enabled\"=dword:00000001\r\n\"M\"=hex(7):41,00,\\\r\n  00,00\r\n\"S\"=\"a\\\\b\"\r\n"
        );
    let bytes = utf16le_with_bom(&text);
    for end in 0..=bytes.len() {
        let _ = parse(&bytes[..end]);
    }
    for end in 0..=text.len() {
        if let Some(prefix) = text.get(..end) {
            let _ = parse(prefix.as_bytes());
        }
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A fixed linear congruential generator: reproducible junk.
    let mut state: u32 = 0x2545_f491;
    for len in [1usize, 2, 3, 7, 64, 513, 4096] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect();
        let _ = parse(&bytes);
        let mut with_header = b"REGEDIT4\n[HKEY_LOCAL_MACHINE\\A]\n".to_vec();
        with_header.extend(&bytes);
        let _ = parse(&with_header);
    }
}

#[test]
fn hklm_is_expanded_and_trailing_backslash_dropped() {
    assert_eq!(normalise_key(r"HKLM\SYSTEM\"), r"HKEY_LOCAL_MACHINE\SYSTEM");
    assert_eq!(
        normalise_key(r"hkey_local_machine\A"),
        r"HKEY_LOCAL_MACHINE\A"
    );
    assert_eq!(
        normalise_key(r"HKEY_CURRENT_USER\A"),
        r"HKEY_CURRENT_USER\A"
    );
    assert_eq!(
        normalise_key(r"HKLM\A\TLS 1.2 "),
        r"HKEY_LOCAL_MACHINE\A\TLS 1.2 "
    );
}

#[test]
fn windows_1252_maps_the_high_block() {
    assert_eq!(cp1252(0x80), '€');
    assert_eq!(cp1252(0x96), '–');
    assert_eq!(cp1252(0x81), '\u{81}');
    assert_eq!(cp1252(0xe9), 'é');
    assert_eq!(cp1252(b'A'), 'A');
}
