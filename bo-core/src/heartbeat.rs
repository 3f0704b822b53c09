//! Heartbeats of running trials: a background thread per study handle stamps every trial
//! this process is running, so that other workers can tell a dead worker's trial from a slow
//! one (see `StudyBuilder::heartbeat`).

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::storage::Storage;
use crate::trial_record::TrialId;

/// Heartbeat settings of a study, validated by the builder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeartbeatConfig {
    /// Time between two beats of a running trial.
    pub(crate) interval: Duration,
    /// Time without a beat after which a RUNNING trial is failed.
    pub(crate) grace: Duration,
    /// How many times a trial failed for missed heartbeats is re-enqueued (0: never).
    pub(crate) max_retries: u32,
}

#[derive(Debug, Default)]
struct State {
    trials: BTreeSet<TrialId>,
    thread_started: bool,
    shutdown: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every mutation is a single insert/remove/assignment: a poisoned lock is consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The beating side of one study handle: the set of trials this process runs, and the
/// thread that stamps them every `interval` (started with the first trial, ended when the
/// study handle is dropped).
pub(crate) struct Heartbeat {
    shared: Arc<Shared>,
    storage: Arc<dyn Storage>,
    interval: Duration,
}

impl Heartbeat {
    pub(crate) fn new(storage: Arc<dyn Storage>, interval: Duration) -> Self {
        Heartbeat { shared: Arc::default(), storage, interval }
    }

    /// Beats for `trial` now and then every interval until the returned guard is dropped
    /// or the trial ends.
    pub(crate) fn track(&self, trial: TrialId) -> Result<BeatGuard> {
        // The first beat is synchronous: from now on the trial can be found stale.
        self.storage.heartbeat(trial)?;
        let mut state = self.shared.lock();
        state.trials.insert(trial);
        if !state.thread_started {
            let shared = self.shared.clone();
            let storage = self.storage.clone();
            let interval = self.interval;
            std::thread::Builder::new()
                .name("bo-heartbeat".into())
                .spawn(move || beat_loop(&shared, storage.as_ref(), interval))
                .map_err(|e| Error::Io { path: "(heartbeat thread)".into(), source: e })?;
            state.thread_started = true;
        }
        Ok(BeatGuard { shared: self.shared.clone(), trial })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_all();
    }
}

/// Stops the beats of one trial when dropped (the trial was told, or abandoned).
pub(crate) struct BeatGuard {
    shared: Arc<Shared>,
    trial: TrialId,
}

impl Drop for BeatGuard {
    fn drop(&mut self) {
        self.shared.lock().trials.remove(&self.trial);
    }
}

fn beat_loop(shared: &Shared, storage: &dyn Storage, interval: Duration) {
    loop {
        let trials: Vec<TrialId> = {
            let deadline = Instant::now() + interval;
            let mut state = shared.lock();
            loop {
                if state.shutdown {
                    return;
                }
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                state = shared.wake.wait_timeout(state, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
            }
            state.trials.iter().copied().collect()
        };
        for trial in trials {
            match storage.heartbeat(trial) {
                Ok(()) => {}
                Err(Error::TrialFinished { .. } | Error::UnknownTrial { .. }) => {
                    // Ended (told, or failed by another worker as stale): stop beating for it.
                    shared.lock().trials.remove(&trial);
                }
                Err(e) => tracing::warn!(trial, error = %e, "could not record a heartbeat"),
            }
        }
    }
}
