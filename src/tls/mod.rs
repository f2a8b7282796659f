//! TLS: the pure wire codec (`wire`) and the probe that speaks it over a
//! socket (`legacy`). The codec owns bytes and typed messages only; the
//! probe owns the socket, the timeouts and the mapping onto the model. Nothing
//! here prints.

pub mod legacy;
pub mod wire;
