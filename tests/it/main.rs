//! The one integration-test binary: in-process servers on loopback and the
//! probes and commands that run against them, one `mod` per area.

mod advice;
mod classes;
mod cli;
mod dns;
mod domain;
mod hostile;
mod layers;
mod legacy;
mod listen;
mod policy;
mod probe;
mod readme;
mod schannel;
mod servers;
mod snapshots;
mod suites;
mod truth;
mod ux;
