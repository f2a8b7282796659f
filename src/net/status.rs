//! What the probes are waiting on right now, for the status line a person
//! at a terminal sees during long waits. Sessions write to the board as
//! they enter and leave a stage; `main` reads it on a timer. Nothing here
//! prints.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::Stage;

/// The stages in progress, shared by every session of a run.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard {
    waits: Arc<Mutex<Vec<Wait>>>,
}

#[derive(Debug, Clone, Copy)]
struct Wait {
    id: u64,
    addr: SocketAddr,
    stage: Stage,
    since: Instant,
    budget: Option<Duration>,
}

/// A stage in progress; leaving it (drop) takes it off the board.
#[derive(Debug)]
pub struct Waiting {
    board: StatusBoard,
    id: u64,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Ok(mut w) = self.board.waits.lock() {
            w.retain(|x| x.id != self.id);
        }
    }
}

impl StatusBoard {
    /// Notes that a session of `addr` entered `stage`, with its time
    /// budget when it has one.
    pub fn enter(&self, addr: SocketAddr, stage: Stage, budget: Option<Duration>) -> Waiting {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut w) = self.waits.lock() {
            w.push(Wait {
                id,
                addr,
                stage,
                since: Instant::now(),
                budget,
            });
        }
        Waiting {
            board: self.clone(),
            id,
        }
    }

    /// The longest wait in progress, in words: `waiting for 192.0.2.1:25
    /// at greeting: 12 s of 30 s (+3 more)`; `None` when nothing waits.
    pub fn describe(&self, now: Instant) -> Option<String> {
        let w = self.waits.lock().ok()?;
        let longest = w.iter().min_by_key(|x| x.since)?;
        let waited = now.saturating_duration_since(longest.since).as_secs();
        let budget = longest
            .budget
            .map(|b| format!(" of {} s", b.as_secs()))
            .unwrap_or_default();
        let more = match w.len() {
            0 | 1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        Some(format!(
            "waiting for {} at {}: {waited} s{budget}{more}",
            longest.addr, longest.stage
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_wait_is_named_and_leaving_a_stage_clears_it() {
        let board = StatusBoard::default();
        let a: SocketAddr = "192.0.2.1:25".parse().unwrap();
        let b: SocketAddr = "192.0.2.2:25".parse().unwrap();
        assert_eq!(board.describe(Instant::now()), None);
        let first = board.enter(a, Stage::Greeting, Some(Duration::from_secs(30)));
        let _second = board.enter(b, Stage::Handshake, None);
        let later = Instant::now() + Duration::from_secs(12);
        assert_eq!(
            board.describe(later).as_deref(),
            Some("waiting for 192.0.2.1:25 at greeting: 12 s of 30 s (+1 more)")
        );
        drop(first);
        assert!(board
            .describe(later)
            .is_some_and(|d| d.starts_with("waiting for 192.0.2.2:25 at handshake")));
    }
}
