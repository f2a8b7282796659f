//! The wide TLS 1.2/1.3 retry: when rustls' handshake leaves open whether
//! the server speaks a version, tlscheck asks again on a new connection
//! with its own wide ClientHello (more suites, groups and signature
//! schemes) and combines both answers. "Legacy ciphers only" or "limited
//! by tlscheck's TLS library" is said only where the wide answer shows it.

use super::plaintext::Upto;
use super::session::Session;
use super::version::{codec_handshake, CodecAnswer};
use crate::model::{Accepted, Limit, LimitKind, Rejection, Stage, TlsVersion, VersionResult};
use crate::net::tls::legacy;

/// When rustls' answer leaves open whether the server speaks `version`.
///
/// rustls offers only ECDHE with AEAD suites, three groups and the
/// signature schemes ring verifies. A refusal of that (an alert other than
/// protocol_version, a drop or reset — SCHANNEL resets when no suite
/// suits it —) or a failure on tlscheck's own side says nothing yet about
/// the version: ask again with the wide ClientHello. TLS 1.2 also retries
/// after protocol_version, to name the version the server answers with.
pub(super) fn needs_wide_retry(
    version: TlsVersion,
    r: &VersionResult,
    limit: Option<&Limit>,
) -> bool {
    if limit.is_some() {
        return true;
    }
    match r {
        VersionResult::Rejected(Rejection::Alert(a)) => {
            version == TlsVersion::Tls12 || *a != rustls::AlertDescription::ProtocolVersion
        }
        VersionResult::Rejected(Rejection::Handshake(_)) => version == TlsVersion::Tls12,
        VersionResult::Dropped { .. } => true,
        VersionResult::Unknown { .. } => true,
        _ => false,
    }
}

/// The result after the wide ClientHello, and the chain it brought.
pub(super) struct Refined {
    pub(super) result: VersionResult,
    pub(super) chain: Vec<Vec<u8>>,
}

/// Asks again with tlscheck's wide ClientHello on a new connection and
/// returns the refined result: what the server chose, and why rustls did
/// not finish it. `None` when the second connection did not get as far as
/// a handshake (the first result then stands).
pub(super) async fn wide_retry(
    parent: &mut Session<'_>,
    version: TlsVersion,
    first: &VersionResult,
    limit: Option<Limit>,
) -> Option<Refined> {
    let mut session = Session::new(parent.cfg, parent.addr, parent.host, parent.shared);
    let ready = session
        .smtp_until_tls(Upto::for_tls(parent.cfg))
        .await
        .ok()?;
    let mut stream = ready.stream?;
    let CodecAnswer {
        result: wide,
        chain,
        raw,
    } = codec_handshake(&session, &mut stream, version).await;
    parent.note(format!(
        "{version} again with tlscheck's wide ClientHello (more suites, groups and signature schemes): {wide}"
    ));
    let result = refine(version, first, limit, wide, raw.as_ref(), &chain);
    Some(Refined { result, chain })
}

/// Combines rustls' result with the wide ClientHello's (see
/// [`wide_retry`]). "Legacy ciphers only" is said only when the suite the
/// server chose is one rustls did not offer.
fn refine(
    version: TlsVersion,
    first: &VersionResult,
    limit: Option<Limit>,
    wide: VersionResult,
    raw: Option<&legacy::LegacyOutcome>,
    chain: &[Vec<u8>],
) -> VersionResult {
    let cert_requested = matches!(
        raw,
        Some(legacy::LegacyOutcome::ServerHello {
            client_cert_requested: true,
            ..
        })
    );
    match wide {
        VersionResult::Accepted(a) => {
            accepted_wide(version, first, limit, a, cert_requested, chain)
        }
        // The wide hello's refusal names the version answered or the stage
        // (after its Certificate): more than rustls' words.
        refused @ (VersionResult::Rejected(_) | VersionResult::Dropped { .. })
            if limit.is_none() =>
        {
            refused
        }
        other => match limit {
            // rustls stopped on its own side and the wide hello could not
            // show what the server chose: nothing is decided.
            Some(l) => VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: format!("{}; with tlscheck's wide ClientHello: {other}", l.detail),
            },
            None => first.clone(),
        },
    }
}

/// The wide hello got through where rustls did not: the server speaks the
/// version, and the result says what kept rustls from finishing.
fn accepted_wide(
    version: TlsVersion,
    first: &VersionResult,
    limit: Option<Limit>,
    a: Accepted,
    cert_requested: bool,
    chain: &[Vec<u8>],
) -> VersionResult {
    let chose = format!(
        "server chose {version} {}{}",
        crate::proto::tls::cipher_name(a.cipher),
        a.group
            .map(|g| format!(" with {}", crate::proto::tls::group_name(g)))
            .unwrap_or_default()
    );
    let provider = rustls::crypto::ring::default_provider();
    let rustls_suite = provider.cipher_suites.iter().any(|s| s.suite() == a.cipher);
    let rustls_group = |g| provider.kx_groups.iter().any(|k| k.name() == g);
    let limited = |kind, detail: String| {
        VersionResult::Accepted(Accepted {
            limited_by: Some(Limit {
                kind,
                detail: format!("{chose}; {detail}"),
            }),
            ..a.clone()
        })
    };
    if let Some(l) = limit {
        return limited(l.kind, l.detail);
    }
    if !rustls_suite && version == TlsVersion::Tls12 {
        return VersionResult::Accepted(Accepted {
            legacy_cipher_only: true,
            ..a
        });
    }
    if let Some(g) = a.group.filter(|g| !rustls_group(*g)) {
        return limited(
            LimitKind::Group,
            format!(
                "tlscheck's TLS library does not implement the group {} (its own handshake: {first})",
                crate::proto::tls::group_name(g)
            ),
        );
    }
    if cert_requested {
        return limited(
            LimitKind::ClientCertificate,
            format!("the server asks for a client certificate (tlscheck's own handshake: {first})"),
        );
    }
    let key = chain
        .first()
        .and_then(|leaf| crate::model::cert::key_words(leaf))
        .map(|k| format!(", with a {k} certificate"))
        .unwrap_or_default();
    limited(
        LimitKind::TlsLibrary,
        format!(
            "the server refused the ClientHello of tlscheck's TLS library ({first}) but answered a wider one{key}: it likely needs a group or signature scheme that library does not implement"
        ),
    )
}

#[cfg(test)]
mod tests;
