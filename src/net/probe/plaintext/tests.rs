use super::*;

#[test]
fn a_421_greeting_is_a_throttle_whatever_its_text() {
    assert!(is_throttle(&Reply::single(421, "mx.example closing")));
}

#[test]
fn a_4yz_greeting_is_a_throttle_only_when_its_text_says_busy() {
    assert!(is_throttle(&Reply::single(450, "Too many connections")));
    assert!(is_throttle(&Reply::single(451, "Rate limited, try again")));
    assert!(is_throttle(&Reply::single(
        452,
        "insufficient system resources"
    )));
    assert!(!is_throttle(&Reply::single(450, "mailbox unavailable")));
}

#[test]
fn a_5yz_greeting_is_never_a_throttle() {
    assert!(!is_throttle(&Reply::single(554, "too many connections")));
    assert!(!is_throttle(&Reply::single(220, "busy")));
}

#[test]
fn a_non_smtp_greeting_is_named_by_its_first_bytes() {
    assert_eq!(speaks(b"HTTP/1.1 400 Bad Request"), "HTTP");
    assert_eq!(speaks(b"<html>"), "HTTP");
    assert_eq!(speaks(b"SSH-2.0-OpenSSH_9.2"), "SSH");
    // RFC 8446 §5.1: handshake (0x16) and alert (0x15) records, TLS 1.x.
    assert_eq!(speaks(&[0x16, 0x03, 0x01, 0x00]), "TLS");
    assert_eq!(speaks(&[0x15, 0x03, 0x03]), "TLS");
    assert_eq!(speaks(&[0x16, 0x02]), "unknown");
    assert_eq!(speaks(b""), "unknown");
}
