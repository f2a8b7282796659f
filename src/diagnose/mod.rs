//! Diagnosis: what the observations and the errors an admin pastes mean,
//! and what to change. Everything here is pure data and pure functions: no
//! IO, no printing, no clocks. Renderers in `report` turn the values into
//! text, Markdown or JSON.
//!
//! - [`catalogue`]: the documented failure signatures (`421 4.4.2 …
//!   SocketError`, `451 5.7.3 …`, the Exchange Online `4.4.31x` family, …)
//!   as one static table.
//! - [`explain`]: finds catalogue entries in pasted text (an NDR, a queue
//!   line, a protocol log).
//! - [`remediation`]: paste-able fixes per server software.
//! - [`findings`] and [`verdict`]: from observations to findings, a
//!   verdict and the summary line.
//! - [`sender`]: the verdict on a sending server seen by `tlscheck listen`.

pub mod catalogue;
pub mod dns;
pub mod explain;
pub mod findings;
pub mod policy;
pub mod remediation;
pub mod sender;
pub mod verdict;
