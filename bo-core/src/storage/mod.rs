//! Storages: where studies and trials live.
//!
//! The storage is the only shared state between workers: they never talk to each other.
//! Reads are incremental ([`Storage::trials_since`]), so the cost of an `ask` does not grow
//! with the number of finished trials.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId};

#[cfg(feature = "http")]
mod http;
mod load;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "http")]
pub use http::{HttpStorage, TOKEN_ENV};

pub use load::load_study;
pub use memory::InMemoryStorage;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStorage;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStorage;

/// Position in a study's change stream; `Cursor::default()` reads everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cursor(pub u64);

/// A study as listed by a storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRecord {
    /// Storage-wide id.
    pub id: StudyId,
    /// Unique name.
    pub name: String,
    /// Optimization direction.
    pub direction: Direction,
    /// Number of trials (any state).
    pub n_trials: u64,
}

/// Fixed parameter values of an enqueued trial (JSON scalars by name).
pub type FixedParams = BTreeMap<String, serde_json::Value>;

/// Key of [`FrozenTrial::system_attrs`] under which an enqueued trial keeps its fixed params.
pub const FIXED_PARAMS_ATTR: &str = "fixed_params";

/// Key of [`FrozenTrial::system_attrs`] under which a retried trial keeps the number of the
/// trial it retries (the first of the chain); see `StudyBuilder::retry_failed_trials`.
pub const RETRIED_FROM_ATTR: &str = "retried_from";

/// Key of [`FrozenTrial::system_attrs`] under which a retried trial keeps its retry count
/// (1 for the first retry of the original trial).
pub const RETRY_ATTR: &str = "retry";

/// Persistent home of studies and trials.
///
/// Contract: every method is atomic with respect to other callers, in this process and (for
/// shared backends) in others; trial numbers within a study are `0, 1, 2, …` without gaps or
/// duplicates; a WAITING trial is claimed by exactly one caller; a finished trial never
/// changes again (writes to it return [`Error::TrialFinished`]). Implementations are
/// `Send + Sync` and are shared behind `Arc` by every worker thread.
///
/// ```
/// use bo_core::{Direction, InMemoryStorage, Storage, Outcome};
/// let s = InMemoryStorage::new();
/// let study = s.create_study("demo", Direction::Minimize)?;
/// let t = s.create_trial(study)?;
/// s.report(t.id, 1, 0.5)?;
/// s.finish(t.id, &Outcome::Complete(0.25))?;
/// let (trials, _cursor) = s.trials_since(study, Default::default())?;
/// assert_eq!(trials[0].value, Some(0.25));
/// # Ok::<(), bo_core::Error>(())
/// ```
pub trait Storage: Send + Sync {
    /// Creates a study; [`Error::StudyExists`] if the name is taken.
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId>;
    /// Looks a study up by name.
    fn study(&self, name: &str) -> Result<Option<StudyRecord>>;
    /// Lists all studies.
    fn studies(&self) -> Result<Vec<StudyRecord>>;
    /// Deletes a study and its trials; [`Error::UnknownStudy`] if absent.
    fn delete_study(&self, name: &str) -> Result<()>;
    /// Creates a RUNNING trial with the next number.
    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial>;
    /// Creates a WAITING trial holding `fixed` parameter values: by default,
    /// [`Storage::enqueue_trial_with_attrs`] with no extra attributes.
    fn enqueue_trial(&self, study: StudyId, fixed: &FixedParams) -> Result<FrozenTrial> {
        self.enqueue_trial_with_attrs(study, fixed, &BTreeMap::new())
    }
    /// Creates a WAITING trial holding `fixed` parameter values (under the system attribute
    /// [`FIXED_PARAMS_ATTR`]) and extra system attributes (a retried trial's `retried_from`
    /// and `retry`, see `StudyBuilder::retry_failed_trials`).
    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &FixedParams,
        system_attrs: &BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial>;
    /// Atomically turns the oldest WAITING trial into RUNNING and returns it.
    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>>;
    /// Records a parameter of a running trial.
    fn set_param(&self, trial: TrialId, name: &str, d: &Distribution, value: &ParamValue) -> Result<()>;
    /// Records an intermediate value of a running trial (a later report of a step replaces it).
    fn report(&self, trial: TrialId, step: u64, value: f64) -> Result<()>;
    /// Sets a user attribute of a running trial.
    fn set_user_attr(&self, trial: TrialId, key: &str, value: &serde_json::Value) -> Result<()>;
    /// Ends a running trial.
    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial>;
    /// One trial by id.
    fn trial(&self, trial: TrialId) -> Result<FrozenTrial>;
    /// Trials of `study` created or changed after `cursor`, and the cursor to pass next time.
    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)>;
    /// Records that the worker running `trial` is alive, stamped with the storage's clock.
    ///
    /// A trial that has never beaten is never considered stale: heartbeats are opt-in per
    /// study (see `StudyBuilder::heartbeat`). [`Error::TrialFinished`] once the trial ended,
    /// which tells a heartbeat thread to stop.
    fn heartbeat(&self, trial: TrialId) -> Result<()>;
    /// Marks FAILED every RUNNING trial of `study` whose last heartbeat is older than
    /// `grace`, with the reason stored, and returns those trials (now FAILED).
    ///
    /// Atomic per trial: when several workers call this at once, each stale trial is failed
    /// (and returned) by exactly one of them, so exactly one worker may retry it.
    fn fail_stale_trials(&self, study: StudyId, grace: Duration) -> Result<Vec<FrozenTrial>>;
}

/// Reason stored on a trial failed by [`Storage::fail_stale_trials`].
pub fn stale_trial_reason(seconds_since_heartbeat: f64, grace: Duration) -> String {
    format!(
        "the worker stopped sending heartbeats: last one {seconds_since_heartbeat:.1} s ago, grace period {:.1} s",
        grace.as_secs_f64()
    )
}

impl<S: Storage + ?Sized> Storage for Arc<S> {
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId> {
        (**self).create_study(name, direction)
    }
    fn study(&self, name: &str) -> Result<Option<StudyRecord>> {
        (**self).study(name)
    }
    fn studies(&self) -> Result<Vec<StudyRecord>> {
        (**self).studies()
    }
    fn delete_study(&self, name: &str) -> Result<()> {
        (**self).delete_study(name)
    }
    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial> {
        (**self).create_trial(study)
    }
    fn enqueue_trial(&self, study: StudyId, fixed: &FixedParams) -> Result<FrozenTrial> {
        (**self).enqueue_trial(study, fixed)
    }
    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &FixedParams,
        system_attrs: &BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial> {
        (**self).enqueue_trial_with_attrs(study, fixed, system_attrs)
    }
    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>> {
        (**self).claim_waiting_trial(study)
    }
    fn set_param(&self, trial: TrialId, name: &str, d: &Distribution, value: &ParamValue) -> Result<()> {
        (**self).set_param(trial, name, d, value)
    }
    fn report(&self, trial: TrialId, step: u64, value: f64) -> Result<()> {
        (**self).report(trial, step, value)
    }
    fn set_user_attr(&self, trial: TrialId, key: &str, value: &serde_json::Value) -> Result<()> {
        (**self).set_user_attr(trial, key, value)
    }
    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        (**self).finish(trial, outcome)
    }
    fn trial(&self, trial: TrialId) -> Result<FrozenTrial> {
        (**self).trial(trial)
    }
    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)> {
        (**self).trials_since(study, cursor)
    }
    fn heartbeat(&self, trial: TrialId) -> Result<()> {
        (**self).heartbeat(trial)
    }
    fn fail_stale_trials(&self, study: StudyId, grace: Duration) -> Result<Vec<FrozenTrial>> {
        (**self).fail_stale_trials(study, grace)
    }
}

/// Opens a storage from a URL: `memory:`, `sqlite:PATH` / `sqlite://PATH`, a bare path
/// (taken as a SQLite file), `postgres://…` / `postgresql://…` (feature `postgres`), or
/// `http://[TOKEN@]HOST:PORT` (a `bo-server`, feature `http`).
pub fn open_storage(url: &str) -> Result<Arc<dyn Storage>> {
    if url == "memory:" || url == "memory" {
        return Ok(Arc::new(InMemoryStorage::new()));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url);
    }
    if url.starts_with("http://") {
        return open_http(url);
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") {
        return Err(Error::InvalidStorageUrl { url: url.to_string(), reason: "unknown scheme".into() });
    } else {
        url
    };
    if path.is_empty() {
        return Err(Error::InvalidStorageUrl { url: url.to_string(), reason: "empty path".into() });
    }
    open_sqlite(path)
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str) -> Result<Arc<dyn Storage>> {
    Ok(Arc::new(SqliteStorage::open(path)?))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_path: &str) -> Result<Arc<dyn Storage>> {
    Err(Error::FeatureDisabled { feature: "sqlite" })
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Arc<dyn Storage>> {
    Ok(Arc::new(PostgresStorage::open(url)?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Arc<dyn Storage>> {
    Err(Error::FeatureDisabled { feature: "postgres" })
}

#[cfg(feature = "http")]
fn open_http(url: &str) -> Result<Arc<dyn Storage>> {
    Ok(Arc::new(HttpStorage::open(url)?))
}

#[cfg(not(feature = "http"))]
fn open_http(_url: &str) -> Result<Arc<dyn Storage>> {
    Err(Error::FeatureDisabled { feature: "http" })
}

/// Checks that a value can be written to a trial in `state`.
pub(crate) fn ensure_running(t: &FrozenTrial) -> Result<()> {
    if t.state.is_finished() {
        Err(Error::TrialFinished { trial: t.id })
    } else {
        Ok(())
    }
}
