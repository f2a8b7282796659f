//! Observations the unit tests of the diagnosis build on: one place for
//! the fixtures `findings`, `policy` and `profiles` share.

use std::time::Duration;

use rustls::CipherSuite;

use crate::model::{
    Accepted, Policy, ServerObservation, StarttlsStatus, TlsVersion, VersionProbe, VersionResult,
};
use crate::proto::smtp::reply::Reply;

/// A one-line reply.
pub(crate) fn reply(code: u16, text: &str) -> Reply {
    Reply {
        code,
        lines: vec![text.to_owned()],
    }
}

/// A full handshake with `cipher`.
pub(crate) fn accepted_with(cipher: CipherSuite) -> VersionResult {
    VersionResult::Accepted(Accepted {
        cipher,
        group: None,
        full_handshake: true,
        legacy_cipher_only: false,
        limited_by: None,
    })
}

/// One version's session, 5 ms, no transcript, no chain.
pub(crate) fn probe(version: TlsVersion, result: VersionResult) -> VersionProbe {
    VersionProbe {
        version,
        result,
        elapsed: Duration::from_millis(5),
        transcript: Vec::new(),
        chain: Vec::new(),
        post_tls_ehlo: None,
    }
}

/// `mx.example.test` at 127.0.0.1:25 with STARTTLS offered, no greeting
/// or policy probe recorded, and these sessions.
pub(crate) fn server(versions: Vec<VersionProbe>) -> ServerObservation {
    ServerObservation {
        host: Some("mx.example.test".to_owned()),
        address: std::net::SocketAddr::from(([127, 0, 0, 1], 25)),
        preference: None,
        banner: None,
        ehlo: None,
        starttls: StarttlsStatus::Offered,
        policy: Policy {
            mail_from: None,
            requires_tls: None,
            error: None,
            transcript: Vec::new(),
        },
        versions,
        certificate: None,
        error: None,
        sni: Some("mx.example.test".to_owned()),
        suites: Default::default(),
        elapsed: Duration::from_millis(20),
    }
}
