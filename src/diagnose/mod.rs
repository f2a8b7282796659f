//! Diagnosis: pure functions from observations to findings and a verdict.
//! No IO and no rendering here.

pub mod findings;
pub mod verdict;
