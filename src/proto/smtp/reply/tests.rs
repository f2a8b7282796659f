use super::*;

/// Parses bytes that must hold exactly one complete reply.
fn one(bytes: &[u8]) -> Reply {
    let (reply, consumed) = parse(bytes).unwrap().unwrap();
    assert_eq!(consumed, bytes.len(), "whole input consumed");
    reply
}

fn reply(code: u16, lines: &[&str]) -> Reply {
    Reply {
        code,
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
    }
}

/// A Postfix EHLO reply before TLS.
const POSTFIX_EHLO: &[u8] = b"250-mail.example.org\r\n\
        250-PIPELINING\r\n\
        250-SIZE 10240000\r\n\
        250-VRFY\r\n\
        250-ETRN\r\n\
        250-STARTTLS\r\n\
        250-ENHANCEDSTATUSCODES\r\n\
        250-8BITMIME\r\n\
        250-DSN\r\n\
        250-SMTPUTF8\r\n\
        250 CHUNKING\r\n";

#[test]
fn parses_single_line_greeting() {
    let r = one(b"220 mail.example.org ESMTP Postfix\r\n");
    assert_eq!(r, reply(220, &["mail.example.org ESMTP Postfix"]));
}

#[test]
fn parses_multi_line_ehlo_reply() {
    let r = one(POSTFIX_EHLO);
    assert_eq!(r.code, 250);
    assert_eq!(r.lines.len(), 11);
    assert_eq!(r.first_line(), "mail.example.org");
    assert_eq!(r.lines[10], "CHUNKING");
}

#[test]
fn every_prefix_of_a_multi_line_reply_is_incomplete_not_an_error() {
    for len in 0..POSTFIX_EHLO.len() {
        assert_eq!(parse(&POSTFIX_EHLO[..len]), Ok(None), "prefix {len}");
    }
}

#[test]
fn reply_fed_in_every_split_gives_the_same_reply() {
    let whole = one(POSTFIX_EHLO);
    for cut in 0..=POSTFIX_EHLO.len() {
        let mut p = ReplyParser::new();
        let (a, b) = POSTFIX_EHLO.split_at(cut);
        let first = p.push(a).unwrap();
        let got = match first {
            Some((r, used)) => {
                assert_eq!(used, a.len());
                r
            }
            None => {
                let (r, used) = p.push(b).unwrap().unwrap();
                assert_eq!(used, b.len());
                r
            }
        };
        assert_eq!(got, whole, "cut at {cut}");
        assert!(p.is_idle());
    }
}

#[test]
fn reply_fed_one_byte_at_a_time_completes_on_the_last_lf() {
    let mut p = ReplyParser::new();
    let (last, head) = POSTFIX_EHLO.split_last().unwrap();
    for b in head {
        assert_eq!(p.push(std::slice::from_ref(b)), Ok(None));
    }
    let (r, used) = p.push(std::slice::from_ref(last)).unwrap().unwrap();
    assert_eq!(used, 1);
    assert_eq!(r, one(POSTFIX_EHLO));
}

#[test]
fn stops_after_the_reply_and_leaves_following_bytes() {
    let bytes = b"220 Ready to start TLS\r\n\x16\x03\x01"; // reply, then a TLS record header
    let (r, used) = parse(bytes).unwrap().unwrap();
    assert_eq!(r, reply(220, &["Ready to start TLS"]));
    assert_eq!(&bytes[used..], b"\x16\x03\x01");
}

#[test]
fn parses_two_replies_back_to_back() {
    let bytes = b"250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n";
    let mut p = ReplyParser::new();
    let (a, used) = p.push(bytes).unwrap().unwrap();
    let (b, rest) = p.push(&bytes[used..]).unwrap().unwrap();
    assert_eq!(a, reply(250, &["2.1.0 Ok"]));
    assert_eq!(b, reply(250, &["2.0.0 Ok"]));
    assert_eq!(used + rest, bytes.len());
}

#[test]
fn accepts_bare_lf_line_endings() {
    let r = one(b"250-first\n250 last\n");
    assert_eq!(r, reply(250, &["first", "last"]));
}

#[test]
fn accepts_code_without_text() {
    assert_eq!(one(b"220\r\n"), reply(220, &[""]));
    assert_eq!(one(b"250-a\r\n250\r\n"), reply(250, &["a", ""]));
}

#[test]
fn keeps_text_spacing_exactly() {
    let r = one(b"250  two leading, one trailing \r\n");
    assert_eq!(r.lines, vec![" two leading, one trailing ".to_owned()]);
}

#[test]
fn replaces_invalid_utf8_instead_of_failing() {
    let r = one(b"220 caf\xe9 \xff\r\n"); // Latin-1 é and a stray 0xff
    assert_eq!(r.first_line(), "caf\u{fffd} \u{fffd}");
}

#[test]
fn rejects_continuation_line_with_another_code() {
    let err = parse(b"250-mx.example.org\r\n250-SIZE 1\r\n550 nope\r\n").unwrap_err();
    assert_eq!(
        err,
        ReplyError::CodeMismatch {
            first: 250,
            found: 550,
            line: 3
        }
    );
}

#[test]
fn rejects_line_longer_than_max_as_soon_as_it_passes_the_bound() {
    let mut p = ReplyParser::new();
    let mut line = b"220 ".to_vec();
    line.resize(MAX_LINE_LEN, b'a');
    assert_eq!(p.push(&line), Ok(None), "exactly MAX_LINE_LEN is fine");
    assert_eq!(p.push(b"\r"), Ok(None), "CR of the CRLF is not counted");
    let mut p2 = ReplyParser::new();
    p2.push(&line).unwrap();
    assert_eq!(
        p2.push(b"a"),
        Err(ReplyError::LineTooLong { max: MAX_LINE_LEN })
    );
}

#[test]
fn line_of_exactly_max_len_parses() {
    let mut line = b"220 ".to_vec();
    line.resize(MAX_LINE_LEN, b'a');
    line.extend_from_slice(b"\r\n");
    assert_eq!(one(&line).first_line().len(), MAX_LINE_LEN - 4);
}

#[test]
fn endless_line_fed_in_chunks_fails_without_growing() {
    let mut p = ReplyParser::new();
    assert_eq!(p.push(b"220 "), Ok(None));
    let chunk = [b'x'; 512];
    let mut result = Ok(None);
    for _ in 0..100 {
        result = p.push(&chunk);
        if result.is_err() {
            break;
        }
        assert!(p.line.len() <= MAX_LINE_LEN + 1);
    }
    assert_eq!(result, Err(ReplyError::LineTooLong { max: MAX_LINE_LEN }));
}

#[test]
fn rejects_reply_with_too_many_lines() {
    let mut p = ReplyParser::new();
    for i in 0..MAX_REPLY_LINES {
        assert_eq!(p.push(format!("250-line {i}\r\n").as_bytes()), Ok(None));
    }
    assert_eq!(
        p.push(b"250-one too many\r\n"),
        Err(ReplyError::TooManyLines {
            max: MAX_REPLY_LINES
        })
    );
    assert!(p.is_idle(), "state dropped after the error");
}

#[test]
fn reply_of_exactly_max_lines_parses() {
    let mut bytes = Vec::new();
    for i in 0..MAX_REPLY_LINES - 1 {
        bytes.extend_from_slice(format!("250-line {i}\r\n").as_bytes());
    }
    bytes.extend_from_slice(b"250 last\r\n");
    assert_eq!(one(&bytes).lines.len(), MAX_REPLY_LINES);
}

#[test]
fn rejects_ssh_banner_as_not_smtp() {
    let err = parse(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n").unwrap_err();
    assert_eq!(
        err,
        ReplyError::NotSmtp {
            first_bytes: b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3".to_vec()
        }
    );
    assert_eq!(
        err.to_string(),
        "not an SMTP reply: \"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\""
    );
}

#[test]
fn rejects_http_response_before_its_line_ends() {
    // No LF yet: the first bytes already show it is not SMTP.
    let err = parse(b"HTTP/1.1 400 Bad Request").unwrap_err();
    assert_eq!(err.label(), "not_smtp");
}

#[test]
fn rejects_tls_record_at_once_and_escapes_it_in_the_message() {
    let bytes = [
        0x15, // content type: alert
        0x03, 0x03, // version TLS 1.2
        0x00, 0x02, // length 2
        0x02, 0x46, // fatal, protocol_version
    ];
    let err = parse(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not an SMTP reply: \"\\x15\\x03\\x03\\x00\\x02\\x02F\""
    );
}

#[test]
fn not_smtp_keeps_at_most_64_bytes() {
    let junk = [b'Z'; 1000];
    match parse(&junk).unwrap_err() {
        ReplyError::NotSmtp { first_bytes } => assert_eq!(first_bytes.len(), NOT_SMTP_KEEP),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn rejects_malformed_code_and_separator() {
    for bad in [
        &b"\r\n"[..],          // empty line
        b"22\r\n",             // two digits
        b"120 hello\r\n",      // class 1 is not SMTP
        b"620 hello\r\n",      // class 6 is not SMTP
        b"2a0 hello\r\n",      // letter in the code
        b"2200 hello\r\n",     // four digits
        b"220\thello\r\n",     // tab as separator
        b"250-a\r\n25\r\n",    // short continuation
        b"250-a\r\nhello\r\n", // continuation without a code
    ] {
        assert_eq!(
            parse(bad).unwrap_err().label(),
            "not_smtp",
            "{:?}",
            bad.escape_ascii().to_string()
        );
    }
}

#[test]
fn random_bytes_never_panic_and_stay_bounded() {
    // xorshift64*: deterministic, no dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    // Half the inputs from an SMTP-like alphabet, so the parser gets
    // past the first bytes; half fully random.
    let alphabet = b"2345012-  \r\n\n\raZ\xff";
    for round in 0..2000 {
        let mut p = ReplyParser::new();
        let len = (next() % 600) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if round % 2 == 0 {
                    alphabet[(r % alphabet.len() as u64) as usize]
                } else {
                    r as u8
                }
            })
            .collect();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let take = ((next() % 17) as usize + 1).min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            rest = tail;
            match p.push(chunk) {
                Ok(Some((_, used))) => {
                    assert!(used <= chunk.len());
                    rest = &bytes[bytes.len() - rest.len() - (chunk.len() - used)..];
                }
                Ok(None) => {}
                Err(_) => break,
            }
            assert!(p.line.len() <= MAX_LINE_LEN + 1);
            assert!(p.lines.len() <= MAX_REPLY_LINES);
        }
        let _ = parse(&bytes);
    }
}

#[test]
fn to_wire_round_trips_through_the_parser() {
    for r in [
        reply(220, &["mail.example.org ESMTP"]),
        reply(250, &["mx", "SIZE 1", "STARTTLS"]),
        reply(250, &["a", ""]),
        reply(554, &["5.7.1 caf\u{e9}"]),
    ] {
        assert_eq!(one(&r.to_wire()), r);
    }
    assert_eq!(reply(250, &["a", "b"]).to_wire(), b"250-a\r\n250 b\r\n");
}

#[test]
fn wire_lines_show_separators_as_sent() {
    let r = reply(250, &["mx", "STARTTLS", ""]);
    assert_eq!(r.wire_lines(), vec!["250-mx", "250-STARTTLS", "250"]);
}

#[test]
fn classifies_reply_codes() {
    let ok = reply(250, &["ok"]);
    let later = reply(451, &["later"]);
    let never = reply(554, &["never"]);
    assert!(ok.is_positive_completion() && !ok.is_transient() && !ok.is_permanent());
    assert!(later.is_transient() && !later.is_positive_completion());
    assert!(never.is_permanent() && !never.is_transient());
    assert!(!reply(354, &["go"]).is_positive_completion());
}

#[test]
fn reads_enhanced_status_from_the_first_line() {
    let r = reply(451, &["5.7.3 Must issue a STARTTLS command first"]);
    assert_eq!(
        r.enhanced_status(),
        Some(EnhancedStatus {
            class: 5,
            subject: 7,
            detail: 3
        })
    );
    assert_eq!(r.enhanced_status().unwrap().to_string(), "5.7.3");
    assert_eq!(
        reply(250, &["2.1.0 Ok"])
            .enhanced_status()
            .unwrap()
            .to_string(),
        "2.1.0"
    );
}

#[test]
fn ignores_text_that_is_not_an_enhanced_status() {
    for text in [
        "Ok",
        "",
        "3.1.0 class three",
        "5.7 two parts",
        "5.7.3.1 four parts",
        "5.1000.1 subject too long",
        "5..1 empty subject",
        "mail.example.org 5.7.3",
    ] {
        assert_eq!(reply(550, &[text]).enhanced_status(), None, "{text}");
    }
}

#[test]
fn text_and_display_join_lines() {
    let r = reply(250, &["mx", "STARTTLS"]);
    assert_eq!(r.text(), "mx STARTTLS");
    assert_eq!(r.to_string(), "250 mx STARTTLS");
    assert_eq!(reply(220, &[""]).to_string(), "220");
    assert_eq!(reply(220, &[]).first_line(), "");
}

#[test]
fn ehlo_extensions_skip_the_greeting_line_and_upper_case_keywords() {
    let r = reply(
        250,
        &[
            "mx.example.org Hello [127.0.0.1]",
            "size 35882577",
            "starttls",
            "AUTH  LOGIN PLAIN ",
            "",
            "8BITMIME",
        ],
    );
    let exts = ehlo_extensions(&r);
    assert_eq!(
        exts,
        vec!["SIZE 35882577", "STARTTLS", "AUTH LOGIN PLAIN", "8BITMIME"]
    );
    assert!(has_extension(&exts, "STARTTLS"));
    assert!(has_extension(&exts, "starttls"));
    assert!(has_extension(&exts, "SIZE"));
    assert!(!has_extension(&exts, "CHUNKING"));
    assert!(!has_extension(&exts, "START"));
}

#[test]
fn refused_ehlo_advertises_no_extensions() {
    let r = reply(502, &["5.5.2 Error: command not recognized", "STARTTLS"]);
    assert!(ehlo_extensions(&r).is_empty());
}

#[test]
fn postfix_ehlo_lists_starttls() {
    assert!(has_extension(
        &ehlo_extensions(&one(POSTFIX_EHLO)),
        "STARTTLS"
    ));
}

#[test]
fn requires_tls_recognises_exchange_postfix_and_policy_replies() {
    for (code, text) in [
        (451, "5.7.3 Must issue a STARTTLS command first"), // Exchange
        (530, "5.7.0 Must issue a STARTTLS command first"), // Postfix
        (530, "Must issue a STARTTLS command first"),       // RFC 3207 §4, no enhanced code
        (550, "5.7.1 TLS required"),
        (550, "5.7.10 Encryption needed: TLS-only domain"),
        (554, "5.7.1 Please use TLSv1.2 or later"),
    ] {
        assert_eq!(
            requires_tls(&reply(code, &[text])),
            Some(true),
            "{code} {text}"
        );
    }
}

#[test]
fn requires_tls_is_false_when_the_null_sender_is_accepted() {
    assert_eq!(requires_tls(&reply(250, &["2.1.0 Ok"])), Some(false));
}

#[test]
fn requires_tls_never_guesses_on_other_replies() {
    for (code, text) in [
        (421, "4.7.0 mx.example.org Error: too many connections"),
        (421, "4.7.0 TLS required, closing"), // closing: nothing learnt
        (554, "5.7.1 Access denied"),         // policy, not TLS
        (530, "5.7.0 Authentication required"), // auth, not TLS
        (550, "TLS required"),                // no code says security
        (451, "4.3.0 Temporary lookup failure"),
        (503, "5.5.1 Error: nested MAIL command"),
        (354, "go ahead, mentions TLS"),
        (550, "5.7.1 Rejected by atlsmtp01.example.net"), // letters, not the word TLS
    ] {
        assert_eq!(requires_tls(&reply(code, &[text])), None, "{code} {text}");
    }
}
