//! [`StudyCore`]: the state shared by every handle of one study (the `Study`, its trials and
//! their reporters). It knows the storage, the sampler and the pruner, but neither the
//! builder nor the run loop, so the trial can hold it without a cycle.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Result;
use crate::heartbeat::{Heartbeat, HeartbeatConfig};
use crate::history::{History, TrialCache};
use crate::pruner::Pruner;
use crate::sampler::Sampler;
use crate::storage::Storage;
use crate::trial_record::{Direction, StudyId};

/// Shared state behind every handle of one study (the `Study`, its trials and reporters).
pub(crate) struct StudyCore {
    pub(crate) id: StudyId,
    pub(crate) name: String,
    pub(crate) direction: Direction,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) sampler: Arc<dyn Sampler>,
    pub(crate) pruner: Arc<dyn Pruner>,
    pub(crate) seed: u64,
    pub(super) cache: Mutex<TrialCache>,
    pub(super) stop: AtomicBool,
    /// Heartbeat settings and the thread that beats this handle's running trials.
    pub(super) heartbeat: Option<(HeartbeatConfig, Heartbeat)>,
}

impl StudyCore {
    /// Reads what changed since the last read and returns a fresh snapshot.
    pub(crate) fn history(&self, current: Option<u64>) -> Result<History> {
        let mut cache = self.refreshed_cache()?;
        Ok(cache.history(self.direction, current))
    }

    /// Whether the study has an enqueued trial waiting, as of a fresh read.
    pub(super) fn has_waiting_trials(&self) -> Result<bool> {
        Ok(self.refreshed_cache()?.has_waiting())
    }

    /// The trial cache, brought up to date with the storage.
    fn refreshed_cache(&self) -> Result<MutexGuard<'_, TrialCache>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (mut changed, cursor) = self.storage.trials_since(self.id, cache.cursor)?;
        cache.cursor = cursor;
        changed.sort_by_key(|t| t.number);
        if !cache.merge(changed) {
            // Trials arrived out of order (a gap in the numbers): read the study afresh.
            cache.reset();
            let (mut all, cursor) = self.storage.trials_since(self.id, cache.cursor)?;
            cache.cursor = cursor;
            all.sort_by_key(|t| t.number);
            cache.merge(all);
        }
        Ok(cache)
    }
}
