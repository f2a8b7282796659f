//! Mail security policies a sender applies before it delivers: DNSSEC and
//! DANE (RFC 7671, RFC 7672), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460).
//!
//! This folder does the IO (DNSSEC-validated lookups in [`dnssec`], the
//! policy fetch over HTTPS in [`fetch`], the orchestration in [`lookup`])
//! and produces a plain `model::policy::PolicyObservation`; the pure parsers
//! are in `proto::policy`. Judging it — DANE matching against the chains the probes
//! saw, MTA-STS against the MX and certificates, the findings — is done in
//! `diagnose::policy`. Nothing here prints; a failure is an outcome kept in
//! the observation, not an `Err`.

pub mod dnssec;
pub mod fetch;
pub mod lookup;
