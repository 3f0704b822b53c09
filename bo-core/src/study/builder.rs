//! [`StudyBuilder`]: creates or loads a [`Study`], validating its settings once.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Study;
use super::core::StudyCore;
use crate::error::{Error, Result};
use crate::heartbeat::{Heartbeat, HeartbeatConfig};
use crate::history::TrialCache;
use crate::pruner::{NopPruner, Pruner};
use crate::sampler::Sampler;
use crate::storage::{InMemoryStorage, Storage};
use crate::trial_record::Direction;

/// Builds a [`Study`]; validates once in [`StudyBuilder::build`].
pub struct StudyBuilder {
    name: Option<String>,
    direction: Direction,
    sampler: Option<Arc<dyn Sampler>>,
    pruner: Option<Arc<dyn Pruner>>,
    storage: Option<Arc<dyn Storage>>,
    seed: Option<u64>,
    load_if_exists: bool,
    heartbeat: Option<(Duration, Duration)>,
    max_retries: Option<u32>,
}

impl StudyBuilder {
    /// Study name. Default: a fresh unique name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Optimization direction. Default: `Minimize`.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }
    /// Shorthand for `direction(Direction::Maximize)`.
    pub fn maximize(self) -> Self {
        self.direction(Direction::Maximize)
    }
    /// The sampler. Default: [`crate::TpeSampler::default()`].
    pub fn sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.sampler = Some(Arc::new(sampler));
        self
    }
    /// The pruner. Default: [`NopPruner`].
    pub fn pruner(mut self, pruner: impl Pruner + 'static) -> Self {
        self.pruner = Some(Arc::new(pruner));
        self
    }
    /// The storage. Default: a fresh [`InMemoryStorage`].
    pub fn storage(mut self, storage: impl Storage + 'static) -> Self {
        self.storage = Some(Arc::new(storage));
        self
    }
    /// A storage already shared behind `Arc`.
    pub fn shared_storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }
    /// Seed of every random draw: a seeded study replays exactly (with `n_jobs = 1`).
    /// Default: drawn from the clock and process id.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Resume the study if the name exists in the storage. Default: `false` (an existing
    /// name is [`Error::StudyExists`]).
    pub fn load_if_exists(mut self, yes: bool) -> Self {
        self.load_if_exists = yes;
        self
    }
    /// Heartbeats for running trials, so that a trial whose worker died (killed, out of
    /// memory, machine lost) does not stay RUNNING forever.
    ///
    /// While a trial runs (under [`Study::optimize_with`], or from [`Study::ask`] until it is
    /// told or dropped) a background thread records a heartbeat for it every `interval`.
    /// Every [`Study::ask`] first marks FAILED the study's RUNNING trials whose last
    /// heartbeat is older than `grace` (see [`Storage::fail_stale_trials`]), and re-enqueues
    /// them if [`StudyBuilder::retry_failed_trials`] says so. `grace` must exceed `interval`;
    /// a few intervals leave room for a busy machine. Every worker of a study should use the
    /// same settings. Default: off.
    pub fn heartbeat(mut self, interval: Duration, grace: Duration) -> Self {
        self.heartbeat = Some((interval, grace));
        self
    }
    /// Re-enqueue a trial failed for missed heartbeats, with the same parameters, at most
    /// `max_retries` times per original trial (Optuna's `RetryFailedTrialCallback`).
    ///
    /// The new WAITING trial carries the system attributes `retried_from` (the number of the
    /// original trial) and `retry` (1 for the first retry, 2 for the next, …). Needs
    /// [`StudyBuilder::heartbeat`]. Default: `0` (no retry).
    pub fn retry_failed_trials(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// Creates or loads the study.
    pub fn build(self) -> Result<Study> {
        let heartbeat = match (self.heartbeat, self.max_retries) {
            (None, Some(n)) if n > 0 => {
                return Err(Error::InvalidConfig {
                    what: "retry_failed_trials",
                    reason: "needs heartbeat(interval, grace): only trials failed for missed heartbeats are retried"
                        .into(),
                });
            }
            (None, _) => None,
            (Some((interval, grace)), retries) => {
                if interval.is_zero() {
                    return Err(Error::InvalidConfig { what: "heartbeat", reason: "interval must be > 0".into() });
                }
                if grace <= interval {
                    return Err(Error::InvalidConfig {
                        what: "heartbeat",
                        reason: format!(
                            "grace ({grace:?}) must be longer than interval ({interval:?}), or live trials would be failed"
                        ),
                    });
                }
                Some(HeartbeatConfig { interval, grace, max_retries: retries.unwrap_or(0) })
            }
        };
        let storage = self.storage.unwrap_or_else(|| Arc::new(InMemoryStorage::new()));
        let seed = self.seed.unwrap_or_else(entropy_seed);
        let name = match self.name {
            Some(n) if n.trim().is_empty() => {
                return Err(Error::InvalidConfig { what: "name", reason: "must not be empty".into() });
            }
            Some(n) => n,
            None => format!("study-{:016x}", entropy_seed()),
        };
        let id = match storage.study(&name)? {
            Some(rec) => {
                if !self.load_if_exists {
                    return Err(Error::StudyExists { name });
                }
                check_direction(&name, rec.direction, self.direction)?;
                rec.id
            }
            None => match storage.create_study(&name, self.direction) {
                Ok(id) => id,
                // Another process created it between our read and our write.
                Err(Error::StudyExists { .. }) if self.load_if_exists => {
                    let rec = storage.study(&name)?.ok_or_else(|| Error::UnknownStudy { name: name.clone() })?;
                    check_direction(&name, rec.direction, self.direction)?;
                    rec.id
                }
                Err(e) => return Err(e),
            },
        };
        let sampler = self.sampler.unwrap_or_else(|| Arc::new(crate::sampler::TpeSampler::default()));
        let pruner = self.pruner.unwrap_or_else(|| Arc::new(NopPruner));
        let heartbeat = heartbeat.map(|c| (c, Heartbeat::new(storage.clone(), c.interval)));
        let core = StudyCore {
            id,
            name,
            direction: self.direction,
            storage,
            sampler,
            pruner,
            seed,
            cache: Mutex::new(TrialCache::default()),
            stop: AtomicBool::new(false),
            heartbeat,
        };
        Ok(Study { core: Arc::new(core) })
    }
}

fn check_direction(name: &str, existing: Direction, requested: Direction) -> Result<()> {
    if existing != requested {
        return Err(Error::DirectionMismatch {
            name: name.to_string(),
            existing: existing.to_string(),
            requested: requested.to_string(),
        });
    }
    Ok(())
}

fn entropy_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = t ^ ((std::process::id() as u64) << 32) ^ 0x2545_F491_4F6C_DD1D;
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^ (x >> 29)
}

impl Study {
    /// A builder with defaults: in-memory storage, minimize, TPE, no pruning.
    pub fn builder() -> StudyBuilder {
        StudyBuilder {
            name: None,
            direction: Direction::Minimize,
            sampler: None,
            pruner: None,
            storage: None,
            seed: None,
            load_if_exists: false,
            heartbeat: None,
            max_retries: None,
        }
    }
}
