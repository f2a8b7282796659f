//! TLS probes: the legacy probe for versions rustls does not speak, full
//! rustls handshakes for 1.2/1.3, suite enumeration, and certificate verdicts.

pub mod enumerate;
pub mod legacy;
pub mod modern;
