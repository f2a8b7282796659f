use super::*;
use std::collections::BTreeSet;

fn ids(matches: &[ExplainMatch]) -> Vec<&'static str> {
    matches.iter().map(|m| m.signature.id).collect()
}

fn first_id(text: &str) -> Option<&'static str> {
    explain(text).first().map(|m| m.signature.id)
}

/// A realistic sample per catalogue entry, as it appears in the place
/// admins find it (with its surrounding words).
const SAMPLES: &[(&str, &str)] = &[
        (
            "exo-dane-starttls-not-supported-5-7-321",
            "Remote server returned '550 5.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.'",
        ),
        (
            "exo-dane-certificate-expired-5-7-322",
            "550 5.7.322 certificate-expired: Destination mail server's certificate is expired.",
        ),
        (
            "exo-dane-tlsa-invalid-5-7-323",
            "Reason: [{LED=450 4.7.323 tlsa-invalid: The domain failed DANE validation.};{MSG=};{FQDN=mx.fabrikam.com}]",
        ),
        (
            "exo-dane-dnssec-invalid-5-7-324",
            "550 5.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records",
        ),
        (
            "exo-dane-certificate-host-mismatch-5-7-325",
            "550 5.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or subject alternative name matching the hostname (DANE)",
        ),
        (
            "exo-mta-sts-mx-5-4-8",
            "550 5.4.8 MX hosts of fabrikam.com failed MTA-STS validation",
        ),
        (
            "exo-mta-sts-certificate-5-7-5",
            "451 4.7.5 Remote certificate failed MTA-STS validation. Reason: <validityStatus>",
        ),
        (
            "socket-error-421-4-4-2",
            "Remote Server returned '421 4.4.2 Connection dropped due to SocketError'",
        ),
        (
            "tls-negotiation-failed-socketerror",
            "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E6F,3,10.0.0.5:25,104.47.1.1:25,*,,TLS negotiation failed with error SocketError",
        ),
        (
            "starttls-required-451-5-7-3",
            "2026-11-28T10:00:01.000Z,Outbound to Office 365,08DD2A1B3C4D5E70,7,10.0.0.5:41000,104.47.1.1:25,<,451 5.7.3 Must issue a STARTTLS command first,",
        ),
        (
            "starttls-required-530-5-7-0",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=0.4, dsn=5.7.0, status=bounced (host mx.example.net[203.0.113.25] said: 530 5.7.0 Must issue a STARTTLS command first (in reply to MAIL FROM command))",
        ),
        (
            "starttls-unavailable-454-4-7-0",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: host mx.example.net[203.0.113.25] offered STARTTLS: [454 4.7.0 TLS not available due to local problem]",
        ),
        (
            "starttls-refused-454",
            "2026-11-28 10:00:00 1tAbCd-000123-Ef H=mx.example.net [203.0.113.25]: SMTP error from remote mail server after STARTTLS: 454 TLS currently unavailable",
        ),
        (
            "exo-dns-query-failed-450-4-4-312",
            "Reason: [{LED=450 4.4.312 DNS query failed [Message=ServerFailure] [LastAttemptedServerName=mail.contoso.com] [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=mail.contoso.com};{IP=};{LRT=}]",
        ),
        (
            "exo-connection-timed-out-450-4-4-315",
            "Reason: [{LED=450 4.4.315 Connection timed out [Message=Socket error code 10060] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]}]",
        ),
        (
            "exo-connection-refused-450-4-4-316",
            "Reason: [{LED=450 4.4.316 Connection refused [Message=Socket error code 10061] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]}]",
        ),
        (
            "exo-cannot-connect-450-4-4-317",
            "LED=450 4.4.317 Cannot connect to remote server [Message=Remote host rejected connection] [LastAttemptedServerName=mail.contoso.com]",
        ),
        (
            "exo-connection-closed-450-4-4-318",
            "LED=450 4.4.318 Connection was closed abruptly [Message=Remote host closed connection] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]",
        ),
        (
            "exo-certificate-validation-450-4-7-320",
            "Reason: [{LED=450 4.7.320 Certificate validation failed [Message=SubjectMismatch] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.7:25]};{MSG=SubjectMismatch}]",
        ),
        (
            "exo-tenant-attribution-550-5-7-64",
            "Remote Server returned '550 5.7.64 TenantAttribution; Relay Access Denied [AM4PEPF00012345.eurprd04.prod.outlook.com]'",
        ),
        (
            "tls-negotiation-failed-unknowncredentials",
            "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E71,21,,,*,,TLS negotiation failed with error UnknownCredentials",
        ),
        (
            "tls-negotiation-failed-nocredentials",
            "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E72,21,10.0.0.5:41001,104.47.1.1:25,*,,TLS negotiation failed with error NoCredentials",
        ),
        (
            "send-connector-certificate-454-4-7-5",
            "LastError: 454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.",
        ),
        (
            "certificate-validation-454-4-7-5",
            "451 4.4.0 Primary target IP address responded with: \"454 4.7.5 Certificate validation failure.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "tls-negotiation-failed-algorithmmismatch",
            "System.Security.Authentication.AuthenticationException: A call to SSPI failed. The client and server cannot communicate, because they do not possess a common algorithm",
        ),
        (
            "dns-query-failed-451-4-4-0",
            "Remote Server returned '451 4.4.0 DNS query failed. The error was: DNS query failed with error ErrorRetry'",
        ),
        (
            "primary-target-451-4-4-0",
            "LastError: 451 4.4.0 Primary target IP address responded with: \"421 4.2.0 Service busy.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "unable-to-connect-421-4-2-1",
            "451 4.4.0 Primary target IP address responded with: \"421 4.2.1 Unable to connect.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "connect-timeout-421-4-4-1",
            "451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed out.\" Attempted failover to alternate host, but that did not succeed.",
        ),
        (
            "smtp-auth-legacy-tls-421-4-7-66",
            "Send failed: 421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
        ),
        (
            "throttled-421-4-7-0-too-many-connections",
            "host mx.example.net[203.0.113.25] refused to talk to me: 421 4.7.0 mx.example.net Error: too many connections from 198.51.100.7",
        ),
        (
            "throttled-421-4-3-2",
            "Remote Server returned '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel'",
        ),
        (
            "back-pressure-452-4-3-1",
            "2026-11-28T10:00:00.000Z,EX01\\Default Frontend EX01,08DD2A1B3C4D5E73,5,10.0.0.5:25,203.0.113.9:50000,>,452 4.3.1 Insufficient system resources,",
        ),
        (
            "exo-outdated-exchange-throttled-4-7-230",
            "2026-11-28T10:00:01.000Z,Outbound to Office 365,08DD2A1B3C4D5E71,9,10.0.0.5:41000,104.47.1.1:25,<,450 4.7.230 Connecting Exchange server version is out-of-date; connection to Exchange Online throttled for 5 mins/hr.,",
        ),
        (
            "exo-outdated-exchange-blocked-5-7-230",
            "2026-11-28T10:00:01.000Z,Outbound to Office 365,08DD2A1B3C4D5E72,9,10.0.0.5:41000,104.47.1.1:25,<,550 5.7.230 Connecting Exchange server version is out-of-date; connection to Exchange Online blocked for 10 mins/hr.,",
        ),
        (
            "connect-timeout-port-25",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: connect to mx.example.net[203.0.113.25]:25: Connection timed out",
        ),
        (
            "postfix-tls-handshake-failure",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=30, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)",
        ),
        (
            "postfix-tls-required-not-offered",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.example.net[203.0.113.25])",
        ),
        (
            "tls-alert-protocol-version",
            "Nov 28 10:00:00 mx1 postfix/smtp[4242]: warning: TLS library problem: error:0A00042E:SSL routines::tlsv1 alert protocol version:../ssl/record/rec_layer_s3.c:1599:SSL alert number 70:",
        ),
        (
            "openssl-unsupported-protocol",
            "Nov 28 10:00:00 mx1 postfix/smtpd[4243]: SSL_accept error from old.example.org[198.51.100.9]: -1 warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1658:",
        ),
        (
            "openssl-no-shared-cipher",
            "2026-11-28 10:00:00 TLS error on connection from old.example.org [198.51.100.9] (SSL_accept): error:0A0000C1:SSL routines::no shared cipher",
        ),
        (
            "sendmail-403-4-7-0-tls-handshake-failed",
            "Nov 28 10:00:00 mx1 sm-mta[4244]: 5ASA00a1004244: to=<bob@example.net>, delay=00:00:02, mailer=esmtp, relay=mx.example.net. [203.0.113.25], dsn=4.0.0, stat=Deferred: 403 4.7.0 TLS handshake failed.",
        ),
    ];

/// Puts `sample` in an Exchange-style NDR with headers and noise.
fn in_ndr(sample: &str) -> String {
    format!(
            "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>\r\n\
             To: Alice <alice@contoso.com>\r\n\
             Subject: Undeliverable: Quarterly report\r\n\r\n\
             Delivery has failed to these recipients or groups:\r\n\r\n\
             bob@example.net\r\n\
             A problem occurred while delivering this message to this email address.\r\n\r\n\
             Diagnostic information for administrators:\r\n\r\n\
             Generating server: EX01.contoso.local\r\n\r\n\
             {sample}\r\n\r\n\
             Original message headers:\r\n\r\n\
             Received: from EX01.contoso.local (10.0.0.5) by EX02.contoso.local (10.0.0.6) with\r\n \
             Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n \
             15.2.1544.4; Sat, 28 Nov 2026 10:00:00 +0000\r\n\
             Message-ID: <0123456789abcdef@EX01.contoso.local>\r\n\
             MIME-Version: 1.0\r\n"
        )
}

/// Puts `sample` in the HTML part of an NDR, with entities for quotes.
fn in_html(sample: &str) -> String {
    let escaped = sample
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
        .replacen(' ', "&nbsp;", 1)
        .replacen(' ', "&#160;", 1);
    format!(
        "<html><head><style>p {{ font-family: Segoe UI; }}</style></head><body>\n\
             <p><b>Diagnostic information for administrators:</b></p>\n\
             <p>Generating server: <span>EX01.contoso.local</span><br>\n\
             <font color=\"#808080\">{escaped}</font></p>\n</body></html>"
    )
}

/// Wraps `sample` at about 30 columns and quotes it as a reply would.
fn wrapped_and_quoted(sample: &str) -> String {
    let mut out = String::from("> ");
    let mut col = 0;
    for word in sample.split(' ') {
        if col > 30 {
            out.push_str("\r\n>  ");
            col = 0;
        } else if col > 0 {
            out.push_str("   ");
        }
        out.push_str(word);
        col += word.len() + 1;
    }
    format!("Hi, we keep getting this:\n\n{out}\n\nAny idea?")
}

#[test]
fn samples_cover_every_catalogue_entry() {
    let sampled: BTreeSet<&str> = SAMPLES.iter().map(|(id, _)| *id).collect();
    let catalogued: BTreeSet<&str> = CATALOGUE.iter().map(|s| s.id).collect();
    assert_eq!(sampled, catalogued);
    assert_eq!(SAMPLES.len(), CATALOGUE.len(), "one sample per entry");
}

#[test]
fn every_catalogue_entry_is_recognised_in_noisy_pasted_text() {
    for (id, sample) in SAMPLES {
        for (form, text) in [
            ("plain", sample.to_string()),
            ("ndr", in_ndr(sample)),
            ("html", in_html(sample)),
            ("wrapped", wrapped_and_quoted(sample)),
        ] {
            assert_eq!(first_id(&text), Some(*id), "{form} form of {id}:\n{text}");
        }
    }
}

#[test]
fn every_entry_explains_its_own_text_first() {
    for sig in CATALOGUE {
        assert_eq!(first_id(sig.text), Some(sig.id));
    }
}

#[test]
fn exchange_online_ndr_with_html_and_headers_gives_socket_error() {
    let ndr = "Your message to bob@contoso.com couldn't be delivered.\r\n\
            <p style=\"font-size:14px\">Office 365 tried to deliver it many times but the\r\n\
            recipient's email server dropped the connection.</p>\r\n\
            Diagnostic information for administrators:\r\n\
            Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n\
            bob@contoso.com\r\n\
            mail.contoso.com\r\n\
            Remote Server returned '550 4.4.7 QUEUE.Expired; message expired [Message=421 4.4.2 Connection\r\n \
            dropped due to SocketError] [LastAttemptedServerName=mail.contoso.com]\r\n \
            [LastAttemptedIP=198.51.100.7:25] [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]'\r\n\
            Original message headers:\r\n\
            ARC-Seal: i=1; a=rsa-sha256; s=arcselector9901; d=microsoft.com; cv=none;\r\n\
            X-MS-Exchange-Organization-SCL: 1\r\n";
    let found = explain(ndr);
    assert_eq!(ids(&found), ["socket-error-421-4-4-2"]);
    assert_eq!(found[0].strength, Strength::Exact);
    assert_eq!(
        found[0].fragment,
        "421 4.4.2 Connection dropped due to SocketError"
    );
}

#[test]
fn queue_viewer_last_error_lists_wrapped_error_before_envelope() {
    let line = "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 \
            Connection dropped due to SocketError.\" Attempted failover to alternate host, \
            but that did not succeed. Either there are no alternate hosts, or delivery \
            failed to all alternate hosts. The last endpoint attempted was 104.47.1.1:25";
    let found = explain(line);
    assert_eq!(
        ids(&found),
        ["socket-error-421-4-4-2", "primary-target-451-4-4-0"]
    );
    assert_eq!(found[1].strength, Strength::Envelope);
}

#[test]
fn send_connector_protocol_log_line_gives_tls_negotiation_socket_error() {
    let line = "2026-11-28T10:00:00.000Z,Outbound to Office 365,08D9A1B2C3D4E5F6,3,\
            10.0.0.5:25,104.47.1.1:25,*,,TLS negotiation failed with error SocketError";
    let found = explain(line);
    assert_eq!(ids(&found), ["tls-negotiation-failed-socketerror"]);
    assert_eq!(
        found[0].fragment,
        "TLS negotiation failed with error SocketError"
    );
}

#[test]
fn postfix_530_is_not_reported_as_exchange_451_5_7_3() {
    let line = "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, \
            relay=mx.example.net[203.0.113.25]:25, dsn=5.7.0, status=bounced (host \
            mx.example.net[203.0.113.25] said: 530 5.7.0 Must issue a STARTTLS command \
            first (in reply to MAIL FROM command))";
    let found = explain(line);
    assert_eq!(ids(&found), ["starttls-required-530-5-7-0"]);
    assert_eq!(
        found[0].fragment,
        "530 5.7.0 Must issue a STARTTLS command first"
    );
}

#[test]
fn socket_error_reply_and_tls_negotiation_log_are_both_found() {
    let text = "Queue: 421 4.4.2 Connection dropped due to SocketError\n\
            SmtpSend: TLS negotiation failed with error SocketError";
    let found = explain(text);
    assert_eq!(
        ids(&found),
        [
            "socket-error-421-4-4-2",
            "tls-negotiation-failed-socketerror"
        ]
    );
}

#[test]
fn reply_code_with_other_words_is_a_weaker_code_match() {
    let found = explain("421 4.4.2 Connection dropped due to ConnectionReset");
    assert_eq!(ids(&found), ["socket-error-421-4-4-2"]);
    assert_eq!(found[0].strength, Strength::Code);
}

#[test]
fn starttls_words_with_code_beat_the_same_words_alone() {
    let found = explain("<,451 5.7.3 Must issue a STARTTLS command first,");
    assert_eq!(ids(&found), ["starttls-required-451-5-7-3"]);
    assert_eq!(found[0].strength, Strength::Exact);
    let words_only = explain("the server says: must issue a starttls command first");
    assert_eq!(words_only[0].strength, Strength::Partial);
}

#[test]
fn bare_enhanced_code_without_reply_code_is_not_a_match() {
    assert!(explain("Upgraded libfoo to 4.4.2 yesterday").is_empty());
    assert!(explain("dsn=4.4.2, status=deferred (lost connection)").is_empty());
}

#[test]
fn enhanced_code_must_stand_alone() {
    assert!(explain("421 14.4.2 Connection dropped due to something").is_empty());
    assert!(explain("421 4.4.21 Connection dropped").is_empty());
    assert!(explain("421 4.4.2.1 Connection dropped").is_empty());
    assert_eq!(
        first_id("421 4.4.2. Connection reset"),
        Some("socket-error-421-4-4-2")
    );
}

#[test]
fn words_belong_to_the_code_they_follow() {
    // "DNS query failed" follows 4.4.312, so it is not a 4.4.0 DNS error.
    let text = "451 4.4.0 Primary target IP address responded with: \
            \"450 4.4.312 DNS query failed.\"";
    let found = explain(text);
    assert_eq!(
        ids(&found),
        [
            "exo-dns-query-failed-450-4-4-312",
            "primary-target-451-4-4-0"
        ]
    );
}

#[test]
fn unrelated_text_gives_nothing() {
    for text in [
        "",
        "   \n\t  ",
        "Hello Bob, the quarterly report is attached. Regards, Alice",
        "250 2.0.0 OK queued as 1A2B3C4D5E",
        "220 mx.example.net ESMTP Postfix (Debian/GNU)",
        "<html><body><p>Nothing to see</p></body></html>",
        "&#xZZ; &; &#99999999999; <",
    ] {
        assert!(
            explain(text).is_empty(),
            "{text:?} gave {:?}",
            ids(&explain(text))
        );
    }
}

#[test]
fn quoted_printable_soft_breaks_and_entities_are_undone() {
    let qp =
        "Remote Server returned &#39;421 4.4.2 Connection dropped due to Socket=\r\nError&#39;";
    assert_eq!(first_id(qp), Some("socket-error-421-4-4-2"));
    let nbsp = "TLS&nbsp;negotiation&#160;failed with error&#x20;SocketError";
    assert_eq!(first_id(nbsp), Some("tls-negotiation-failed-socketerror"));
    let zero_width = "TLS negotiation failed with error Socket\u{200b}Error";
    assert_eq!(
        first_id(zero_width),
        Some("tls-negotiation-failed-socketerror")
    );
}

#[test]
fn case_and_whitespace_do_not_matter_but_the_fragment_keeps_case() {
    let found = explain("  421\t4.4.2   CONNECTION\r\n\r\n   dropped due to socketerror ");
    assert_eq!(ids(&found), ["socket-error-421-4-4-2"]);
    assert_eq!(
        found[0].fragment,
        "421 4.4.2 CONNECTION dropped due to socketerror"
    );
}

#[test]
fn multiline_reply_separator_is_accepted() {
    assert_eq!(
        first_id("421-4.4.2 Connection dropped due to SocketError"),
        Some("socket-error-421-4-4-2")
    );
}

#[test]
fn fragments_are_bounded() {
    for (_, sample) in SAMPLES {
        for m in explain(&in_ndr(sample)) {
            assert!(
                m.fragment.len() <= MAX_FRAGMENT + '…'.len_utf8(),
                "{}: {}",
                m.signature.id,
                m.fragment
            );
            assert!(!m.fragment.is_empty());
        }
    }
    let long = fragment(&"x".repeat(1000), 0, 1000);
    assert_eq!(long.len(), MAX_FRAGMENT + '…'.len_utf8());
    assert!(long.ends_with('…'));
}

#[test]
fn only_the_first_mebibyte_is_read() {
    let noise = "lorem ipsum 4.4.2 4.4.2 dolor <b>sit</b> &amp; amet\n".repeat(40_000);
    assert!(noise.len() > MAX_INPUT);
    let late = format!("{noise}421 4.4.2 Connection dropped due to SocketError");
    let early = format!("421 4.4.2 Connection dropped due to SocketError\n{noise}");
    assert!(explain(&late).is_empty());
    assert_eq!(first_id(&early), Some("socket-error-421-4-4-2"));
}

#[test]
fn input_cut_inside_a_multibyte_character_does_not_panic() {
    let text = format!("{}é421 4.4.2", "a".repeat(MAX_INPUT - 1));
    assert!(explain(&text).is_empty());
    assert_eq!(normalise(&text).len(), MAX_INPUT - 1);
}

#[test]
fn normalise_drops_tags_and_quote_markers_and_collapses_space() {
    assert_eq!(
        normalise("> 421 4.4.2\n>> Connection <b>dropped</b>&nbsp;due"),
        "421 4.4.2 Connection dropped due"
    );
    assert_eq!(normalise("a < b and c > d"), "a < b and c > d");
    assert_eq!(normalise("to=<bob@example.net>, x"), "to= , x");
}

fn sig(id: &str) -> &'static Signature {
    crate::diagnose::catalogue::by_id(id).unwrap()
}

#[test]
fn exchange_online_ndr_names_the_receiving_server_and_office365_as_sender() {
    let ndr = "Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n\
            bob@fabrikam.com\r\n\
            Remote Server returned '550 4.4.7 QUEUE.Expired; message expired [Message=421 4.4.2 Connection\r\n \
            dropped due to SocketError] [LastAttemptedServerName=mail.fabrikam.com]\r\n \
            [LastAttemptedIP=198.51.100.7:25] [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]'";
    let c = context(ndr);
    assert_eq!(c.direction, Direction::FromOffice365);
    assert_eq!(c.receiver_host.as_deref(), Some("mail.fabrikam.com"));
    assert_eq!(c.receiver_ip, Some("198.51.100.7".parse().unwrap()));
    let advice = c.advice().unwrap();
    assert!(advice.contains("the receiving server is mail.fabrikam.com [198.51.100.7]: run `tlscheck mail.fabrikam.com`"), "{advice}");
    assert_eq!(
        c.next_step(sig("socket-error-421-4-4-2")),
        "tlscheck mail.fabrikam.com"
    );
    assert!(!advice.contains(PLACEHOLDER));
    // The same lines in HTML with entities (the wrapper brings its own
    // on-premises generating server): the receiver is still read.
    let html = context(&in_html(ndr));
    assert_eq!(html.receiver_host, c.receiver_host);
    assert_eq!(html.receiver_ip, c.receiver_ip);
}

#[test]
fn prod_outlook_com_generating_server_is_office365_too() {
    let c = context("Generating server: DM6PR01MB1234.namprd01.prod.outlook.com\n\
            Remote Server returned '450 4.4.317 Cannot connect to remote server' [LastAttemptedServerName=mx.contoso.com]");
    assert_eq!(c.direction, Direction::FromOffice365);
    assert_eq!(c.receiver().as_deref(), Some("mx.contoso.com"));
}

#[test]
fn queue_viewer_towards_office365_says_you_are_the_sender() {
    let get_queue = "Identity        : EX01\\3\n\
            DeliveryType    : SmartHostConnectorDelivery\n\
            NextHopDomain   : contoso-com.mail.protection.outlook.com\n\
            Status          : Retry\n\
            LastError       : 451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to SocketError.\" \
            Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery \
            failed to all alternate hosts. The last endpoint attempted was 104.47.1.1:25";
    let c = context(get_queue);
    assert_eq!(c.direction, Direction::ToOffice365);
    assert_eq!(
        c.receiver_host.as_deref(),
        Some("contoso-com.mail.protection.outlook.com")
    );
    assert_eq!(c.receiver_ip, Some("104.47.1.1".parse().unwrap()));
    let advice = c.advice().unwrap();
    assert!(
        advice.contains("You are the sender: check your sending side (`tlscheck schannel FILE`"),
        "{advice}"
    );
    assert!(advice.contains("`tlscheck listen`"));
    assert_eq!(
        c.next_step(sig("socket-error-421-4-4-2")),
        "tlscheck listen --bind 0.0.0.0:25 --once"
    );
    // Get-Queue's LastError in its structured form.
    let structured = "LastError : [{LED=451 4.4.395 Target host responded with error. -> 421 4.4.1 Connection timed out};\
            {MSG=};{FQDN=exchangelabsnl-mail-onmicrosoft-com.mail.protection.outlook.com}; {IP=};{LRT=5/2/2019 6:32:14 AM}]";
    assert_eq!(context(structured).direction, Direction::ToOffice365);
}

#[test]
fn last_endpoint_alone_names_the_receiver_by_address() {
    let line = "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to \
            SocketError.\" Attempted failover to alternate host, but that did not succeed. The last endpoint \
            attempted was 203.0.113.25:25";
    let c = context(line);
    assert_eq!(c.direction, Direction::ReceiverNamed);
    assert_eq!(c.receiver().as_deref(), Some("203.0.113.25"));
    assert_eq!(
        c.next_step(sig("socket-error-421-4-4-2")),
        "tlscheck 203.0.113.25"
    );
    let advice = c.advice().unwrap();
    assert!(advice.contains("run `tlscheck 203.0.113.25`"));
    assert!(advice.contains("sending side"));
    let v6 = context("The last endpoint attempted was 2001:db8::25:25");
    assert_eq!(v6.receiver_ip, Some("2001:db8::25".parse().unwrap()));
    let bracketed = context("The last endpoint attempted was [2001:db8::7]:25");
    assert_eq!(bracketed.receiver_ip, Some("2001:db8::7".parse().unwrap()));
}

#[test]
fn postfix_client_log_names_the_relay() {
    let line = "Nov 28 10:00:00 mx1 postfix/smtp[4242]: 1A2B3C4D5E: to=<bob@example.net>, \
            relay=mx.example.net[203.0.113.25]:25, delay=30, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)";
    let c = context(line);
    assert_eq!(c.direction, Direction::ReceiverNamed);
    assert_eq!(c.receiver_host.as_deref(), Some("mx.example.net"));
    assert_eq!(c.receiver_ip, Some("203.0.113.25".parse().unwrap()));
    assert_eq!(
        c.next_step(sig("postfix-tls-handshake-failure")),
        "tlscheck mx.example.net"
    );
    let refused = context(
        "postfix/smtp[1]: connect to mx.example.net[203.0.113.25]:25: Connection timed out",
    );
    assert_eq!(refused.receiver_host.as_deref(), Some("mx.example.net"));
    let to_office = context("postfix/smtp[1]: 1A: to=<a@contoso.com>, relay=contoso-com.mail.protection.outlook.com[104.47.1.1]:25, status=deferred (TLS is required, but was not offered by host contoso-com.mail.protection.outlook.com[104.47.1.1])");
    assert_eq!(to_office.direction, Direction::ToOffice365);
}

#[test]
fn receiving_side_logs_say_you_are_the_receiver() {
    let postfix = "Nov 28 10:00:00 mx1 postfix/smtpd[4243]: SSL_accept error from old.example.org[198.51.100.9]: -1";
    let c = context(postfix);
    assert_eq!(c.direction, Direction::YouReceive);
    assert_eq!(
        c.sender_peer.as_deref(),
        Some("old.example.org [198.51.100.9]")
    );
    assert!(c
        .advice()
        .unwrap()
        .contains("you are the receiver and the sender is old.example.org"));
    let exim = "2026-11-28 10:00:00 TLS error on connection from old.example.org [198.51.100.9] (SSL_accept): error:0A0000C1:SSL routines::no shared cipher";
    let e = context(exim);
    assert_eq!(e.direction, Direction::YouReceive);
    assert_eq!(
        e.sender_peer.as_deref(),
        Some("old.example.org [198.51.100.9]")
    );
}

#[test]
fn text_that_names_no_side_keeps_the_placeholder() {
    let c = context("421 4.4.2 Connection dropped due to SocketError");
    assert_eq!(c.direction, Direction::Unknown);
    assert_eq!(c.advice(), None);
    assert_eq!(
        c.next_step(sig("socket-error-421-4-4-2")),
        "tlscheck YOUR-DOMAIN"
    );
    // An on-premises NDR that names only its own generating server.
    let c = context(&in_ndr("421 4.4.2 Connection dropped due to SocketError"));
    assert_eq!(c.generating_server.as_deref(), Some("ex01.contoso.local"));
    assert_eq!(c.direction, Direction::Unknown);
    // Commands without {target} are kept as they are.
    let fixed = context("[LastAttemptedServerName=mail.fabrikam.com]");
    assert_eq!(
        fixed.next_step(sig("tls-negotiation-failed-nocredentials")),
        "tlscheck listen --bind 0.0.0.0:25 --once"
    );
}

#[test]
fn exchange_protocol_logs_tell_the_side_from_the_connector() {
    // The Send connector log of the server sending to Office 365 (seed
    // article: "TLS negotiation failed with error SocketError").
    let send = "2026-11-28T10:00:00.000Z,Outbound to Office 365,08DD2A1B3C4D5E6F,3,10.0.0.5:25,104.47.1.1:25,*,,TLS negotiation failed with error SocketError";
    let c = context(send);
    assert_eq!(c.direction, Direction::ToOffice365);
    assert_eq!(c.receiver_ip, Some("104.47.1.1".parse().unwrap()));
    assert!(c.advice().unwrap().contains("You are the sender"));
    // A Receive connector log: this server received.
    let receive = "2026-11-28T10:00:00.000Z,EX01\\Default Frontend EX01,08DD2A1B3C4D5E73,5,10.0.0.5:25,203.0.113.9:50000,>,452 4.3.1 Insufficient system resources,";
    let c = context(receive);
    assert_eq!(c.direction, Direction::YouReceive);
    assert_eq!(c.sender_peer.as_deref(), Some("203.0.113.9"));
    assert!(c
        .advice()
        .unwrap()
        .contains("you are the receiver and the sender is 203.0.113.9"));
}

#[test]
fn office365_hosts_are_recognised_by_suffix_only() {
    for h in [
        "contoso-com.mail.protection.outlook.com",
        "am0pr01mb1234.eurprd01.prod.exchangelabs.com",
        "dm6pr01mb1234.namprd01.prod.outlook.com",
        "outlook.com",
        "smtp.office365.com",
    ] {
        assert!(is_office365_host(h), "{h}");
    }
    for h in [
        "evil-outlook.com",
        "outlook.com.evil.example",
        "mail.fabrikam.com",
        "",
    ] {
        assert!(!is_office365_host(h), "{h}");
    }
}

#[test]
fn hostile_context_text_is_bounded_and_does_not_panic() {
    for text in [
        "LastAttemptedServerName=",
        "LastAttemptedIP=",
        "LastAttemptedIP=999.1.1.1:25",
        "The last endpoint attempted was [",
        "The last endpoint attempted was [::1",
        "relay=[",
        "relay=a[",
        "host x.y[1.2.3.4",
        "{FQDN=}{IP=}",
        "Generating server: ",
        "LastAttemptedServerName=\u{e9}\u{e9}.example",
    ] {
        let _ = context(text).advice();
    }
    let long = format!("LastAttemptedServerName={}.example.com", "a".repeat(10_000));
    assert_eq!(context(&long).receiver_host, None);
    let c = context("[LastAttemptedServerName=mail.fabrikam.com`;rm -rf /]");
    assert_eq!(c.receiver_host.as_deref(), Some("mail.fabrikam.com"));
}

#[test]
fn contains_code_finds_only_standalone_enhanced_codes() {
    assert!(contains_code(b" said: 421 4.4.2 x"));
    assert!(contains_code(b"[Message=5.7.64]"));
    assert!(!contains_code(b"version 15.2.1544.4"));
    assert!(!contains_code(b"10.0.0.5:25"));
    assert!(!contains_code(b"3.4.5 is not a class"));
    assert!(!contains_code(b"4.1234.5"));
    assert!(!contains_code(b""));
}
