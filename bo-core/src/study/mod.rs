//! [`Study`]: a named optimization over one storage, with its builder and run loop.

mod builder;
pub(crate) mod core;
mod optimize;
mod progress;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use self::core::StudyCore;
use crate::error::{Error, Result, is_pruned};
use crate::history::History;
use crate::retry::fail_stale_trials;
use crate::space::{ParamValue, Params};
use crate::storage::{FIXED_PARAMS_ATTR, FixedParams, Storage};
use crate::trial::Trial;
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId};

pub use builder::StudyBuilder;
pub use optimize::{Callback, Optimize};

/// A named optimization: trials, a sampler that proposes them, a pruner that stops them.
///
/// Cheap to clone (a handle); `Send + Sync`, so workers on several threads share one.
///
/// ```
/// use bo_core::{Float, Study, Trial};
/// let study = Study::builder().seed(7).build()?;
/// study.optimize_with(bo_core::Optimize::trials(30).progress_bar(false), |t: &mut Trial| {
///     let x = t.suggest_float("x", Float::new(-10.0, 10.0))?;
///     Ok::<_, bo_core::Error>((x - 2.0).powi(2))
/// })?;
/// assert!(study.best_value()? < 4.0);
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Study {
    core: Arc<StudyCore>,
}

impl std::fmt::Debug for Study {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Study").field("name", &self.core.name).field("direction", &self.core.direction).finish()
    }
}

impl Study {
    /// The study's name.
    pub fn name(&self) -> &str {
        &self.core.name
    }
    /// The study's storage-wide id.
    pub fn id(&self) -> StudyId {
        self.core.id
    }
    /// The optimization direction.
    pub fn direction(&self) -> Direction {
        self.core.direction
    }
    /// The storage this study lives in.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.core.storage
    }
    /// The seed of the study's random draws.
    pub fn seed(&self) -> u64 {
        self.core.seed
    }

    /// Starts a trial: claims an enqueued one if any, else creates one. The objective
    /// suggests, reports and then gives it back with [`Study::tell`] (or a `tell_*`).
    pub fn ask(&self) -> Result<Trial> {
        if let Some((config, _)) = &self.core.heartbeat {
            fail_stale_trials(self.core.storage.as_ref(), self.core.id, config)?;
        }
        // Claiming is a write transaction; skip it unless the (incremental) read shows a
        // waiting trial. The claim itself stays atomic: another worker may win it.
        let claimed = if self.core.has_waiting_trials()? {
            self.core.storage.claim_waiting_trial(self.core.id)?
        } else {
            None
        };
        let record = match claimed {
            Some(t) => t,
            None => self.core.storage.create_trial(self.core.id)?,
        };
        let beat = match &self.core.heartbeat {
            Some((_, heartbeat)) => match heartbeat.track(record.id) {
                Ok(guard) => Some(guard),
                Err(e) => {
                    // Without heartbeats the trial could never be found stale: end it now.
                    let reason = format!("could not start its heartbeat: {e}");
                    if let Err(e2) = self.core.storage.finish(record.id, &Outcome::Failed(reason)) {
                        tracing::warn!(trial = record.number, error = %e2, "could not fail a trial without heartbeat");
                    }
                    return Err(e);
                }
            },
            None => None,
        };
        let fixed = fixed_params(&record);
        let history = self.core.history(Some(record.number))?;
        Ok(Trial::new(self.core.clone(), &record, history, fixed).with_heartbeat(beat))
    }

    /// Completes `trial` with `value`. A NaN or infinite value marks it FAILED instead
    /// (the returned record says so).
    pub fn tell(&self, trial: Trial, value: f64) -> Result<FrozenTrial> {
        self.finish(&trial, value_outcome(value))
    }

    /// Ends `trial` as PRUNED (its value is its last intermediate value).
    pub fn tell_pruned(&self, trial: Trial) -> Result<FrozenTrial> {
        let last = trial.last_intermediate();
        self.finish(&trial, Outcome::Pruned(last))
    }

    /// Ends `trial` as FAILED with `reason`.
    pub fn tell_failed(&self, trial: Trial, reason: impl Into<String>) -> Result<FrozenTrial> {
        self.finish(&trial, Outcome::Failed(reason.into()))
    }

    /// Ends `trial` from an objective's result: `Ok(v)` completes (or fails if `v` is not
    /// finite), an error that [`crate::is_pruned`] recognizes ([`crate::Pruned`], wrapped or
    /// not) prunes, any other error fails.
    pub fn tell_result<E>(&self, trial: Trial, result: std::result::Result<f64, E>) -> Result<FrozenTrial>
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match result {
            Ok(v) => self.tell(trial, v),
            Err(e) => {
                let e: Box<dyn std::error::Error + Send + Sync> = e.into();
                if is_pruned(e.as_ref()) {
                    self.tell_pruned(trial)
                } else {
                    self.tell_failed(trial, error_chain(e.as_ref()))
                }
            }
        }
    }

    fn finish(&self, trial: &Trial, outcome: Outcome) -> Result<FrozenTrial> {
        let id = trial.id().ok_or(Error::InvalidConfig {
            what: "trial",
            reason: "a fixed trial (Trial::fixed) belongs to no study".into(),
        })?;
        let record = self.core.storage.finish(id, &outcome)?;
        if let Outcome::Failed(reason) = &outcome {
            tracing::warn!(trial = record.number, %reason, "trial failed");
        }
        Ok(record)
    }

    /// Adds a trial with fixed parameter values, run before any sampled one (warm starts).
    /// Parameters the objective asks for but `params` lacks are sampled as usual.
    pub fn enqueue<K, V>(&self, params: impl IntoIterator<Item = (K, V)>) -> Result<FrozenTrial>
    where
        K: Into<String>,
        V: Into<ParamValue>,
    {
        let fixed: FixedParams = params.into_iter().map(|(k, v)| (k.into(), v.into().to_json())).collect();
        self.core.storage.enqueue_trial(self.core.id, &fixed)
    }

    /// All trials, in number order (a fresh read).
    pub fn trials(&self) -> Result<Vec<FrozenTrial>> {
        let h = self.core.history(None)?;
        Ok(h.trials().iter().map(|t| (**t).clone()).collect())
    }

    /// A snapshot of the study for samplers, pruners and reports.
    pub fn history(&self) -> Result<History> {
        self.core.history(None)
    }

    /// The best completed trial; [`Error::NoCompletedTrials`] if none.
    pub fn best_trial(&self) -> Result<FrozenTrial> {
        let h = self.core.history(None)?;
        h.best().cloned().ok_or(Error::NoCompletedTrials)
    }

    /// The best value so far.
    pub fn best_value(&self) -> Result<f64> {
        self.best_trial().map(|t| t.value.unwrap_or(f64::NAN))
    }

    /// The parameters of the best trial.
    pub fn best_params(&self) -> Result<Params> {
        self.best_trial().map(|t| t.params)
    }

    /// Asks a running [`Study::optimize_with`] to start no new trial.
    pub fn stop(&self) {
        self.core.stop.store(true, Ordering::SeqCst);
    }
}

fn value_outcome(value: f64) -> Outcome {
    if value.is_finite() {
        Outcome::Complete(value)
    } else {
        Outcome::Failed(Error::NonFiniteValue { value }.to_string())
    }
}

fn fixed_params(record: &FrozenTrial) -> Params {
    let Some(serde_json::Value::Object(map)) = record.system_attrs.get(FIXED_PARAMS_ATTR) else {
        return Params::new();
    };
    map.iter().filter_map(|(k, v)| ParamValue::from_json(v).map(|p| (k.clone(), p))).collect()
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
