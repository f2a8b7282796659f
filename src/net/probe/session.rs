//! One connection's context: the limits it shares with its address, its
//! own clock and notes, and the race of every stage against the run's
//! deadline and Ctrl-C. A stop is the run's doing and decides nothing
//! about the server.

use std::future::Future;
use std::net::SocketAddr;

use tokio::time::Instant;

use super::{ProbeConfig, Shared};
use crate::model::{Direction, NotTested, Stage, Transcript, TranscriptEvent, VersionResult};

/// Why a stage did not finish: the deadline passed or the user stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Deadline(Stage),
    Cancelled,
}

impl Stop {
    /// A stop is the run's doing, never the server's: it decides nothing
    /// about a version.
    pub(super) fn result(self) -> VersionResult {
        match self {
            Stop::Deadline(stage) => VersionResult::NotTested(NotTested::Deadline { stage }),
            Stop::Cancelled => VersionResult::NotTested(NotTested::Interrupted),
        }
    }
}

/// Per-connection context: limits, deadline and the connection's clock.
pub(crate) struct Session<'a> {
    pub(super) cfg: &'a ProbeConfig,
    pub(super) addr: SocketAddr,
    pub(super) host: Option<&'a str>,
    pub(super) shared: &'a Shared,
    /// When the current connection began: transcript times count from it.
    pub(super) started: Instant,
    /// tlscheck's own notes for the transcript.
    pub(super) notes: Transcript,
}

impl<'a> Session<'a> {
    pub(crate) fn new(
        cfg: &'a ProbeConfig,
        addr: SocketAddr,
        host: Option<&'a str>,
        shared: &'a Shared,
    ) -> Self {
        Self {
            cfg,
            addr,
            host,
            shared,
            started: Instant::now(),
            notes: Vec::new(),
        }
    }

    pub(super) fn note(&mut self, text: String) {
        self.notes.push(TranscriptEvent {
            at: self.started.elapsed(),
            direction: Direction::Note,
            text,
        });
    }

    /// Runs `fut` unless the deadline passes or the run is cancelled first;
    /// the wait is on the status board meanwhile.
    pub(crate) async fn stage<T>(
        &self,
        stage: Stage,
        fut: impl Future<Output = T>,
    ) -> Result<T, Stop> {
        let budget = Some(self.cfg.timeouts.for_stage(stage));
        let _waiting = self.cfg.status.enter(self.addr, stage, budget);
        let mut cancel = self.cfg.cancel.clone();
        if *cancel.borrow() {
            return Err(Stop::Cancelled);
        }
        let deadline = async {
            match self.cfg.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        // A dropped sender means nobody can cancel any more: wait forever.
        let cancelled = async move {
            if cancel.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            v = fut => Ok(v),
            () = deadline => Err(Stop::Deadline(stage)),
            () = cancelled => Err(Stop::Cancelled),
        }
    }
}

/// Two transcripts as one, in time order (the dialogue and the notes).
pub(super) fn merge_transcripts(mut a: Transcript, b: Transcript) -> Transcript {
    a.extend(b);
    a.sort_by_key(|e| e.at);
    a
}
