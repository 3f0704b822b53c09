//! [`Trial`]: the handle an objective receives, and its [`Reporter`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, Pruned, Result};
use crate::heartbeat::BeatGuard;
use crate::history::History;
use crate::rng::TrialRng;
use crate::space::{Categorical, Choice, Distribution, Distributions, Float, Int, ParamValue, Params};
use crate::study::core::StudyCore;
use crate::trial_record::{Direction, FrozenTrial, TrialId};

/// A typed search space: `let hp: Hparams = trial.suggest()?`.
///
/// Implemented by `#[derive(SearchSpace)]` (feature `derive`), which expands to the same
/// `suggest_*` calls a hand-written objective makes, so there is one code path.
pub trait SearchSpace: Sized {
    /// Suggests a value. For a struct, `name` is the prefix of its fields' parameter names
    /// (empty at top level); for a categorical enum, it is the parameter name.
    fn suggest_named(trial: &mut Trial, name: &str) -> Result<Self>;
}

#[derive(Debug, Default)]
struct Progress {
    params: Params,
    distributions: Distributions,
    intermediate: BTreeMap<u64, f64>,
    user_attrs: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone)]
struct Link {
    core: Arc<StudyCore>,
    id: TrialId,
    number: u64,
    progress: Arc<Mutex<Progress>>,
}

fn lock(p: &Mutex<Progress>) -> MutexGuard<'_, Progress> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

impl Link {
    fn report(&self, step: u64, value: f64) -> Result<()> {
        if !value.is_finite() {
            return Err(Error::NonFiniteValue { value });
        }
        self.core.storage.report(self.id, step, value)?;
        lock(&self.progress).intermediate.insert(step, value);
        Ok(())
    }

    fn snapshot(&self) -> FrozenTrial {
        snapshot_of(&self.progress, self.id, self.number)
    }

    /// The pruner's verdict on this trial, from a fresh read of the study; a storage that
    /// cannot be read is an error, never a silent "go on".
    fn should_prune(&self) -> Result<bool> {
        let history = self.core.history(Some(self.number))?;
        Ok(self.core.pruner.should_prune(&history, &self.snapshot()))
    }
}

/// A cloneable, `Send + Sync + 'static` handle to report a running trial's progress from
/// anywhere (a training-loop hook, another thread), without borrowing the [`Trial`].
///
/// Steps follow the one rule of [`Trial::report`]: the step is what the caller passes,
/// counted from 0 (the index of the epoch, fold or round that just ended).
///
/// ```
/// use bo_core::{Float, Optimize, Study, Trial};
///
/// let study = Study::builder().name("loop").maximize().seed(1).build()?;
/// study.optimize_with(Optimize::trials(5).progress_bar(false), |trial: &mut Trial| {
///     let lr = trial.suggest_float("lr", Float::log(1e-4, 1e-1))?;
///     let reporter = trial.reporter(); // e.g. moved into a training hook
///     let mut accuracy = 0.0;
///     for epoch in 0..3 {
///         accuracy = 1.0 - 1.0 / ((epoch + 1) as f64 * lr * 100.0 + 1.0); // your epoch here
///         reporter.report_or_prune(epoch, accuracy)?; // Err(Pruned) when the pruner says stop
///     }
///     Ok::<_, bo_core::Error>(accuracy)
/// })?;
/// assert_eq!(study.trials()?[0].intermediate_values.keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Reporter {
    link: Option<Link>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter").field("trial", &self.link.as_ref().map(|l| l.number)).finish()
    }
}

impl Reporter {
    /// Records the intermediate value of `step` (see [`Trial::report`]).
    pub fn report(&self, step: u64, value: f64) -> Result<()> {
        match &self.link {
            Some(l) => l.report(step, value),
            None if value.is_finite() => Ok(()),
            None => Err(Error::NonFiniteValue { value }),
        }
    }
    /// Whether the study's pruner says this trial should stop now (see
    /// [`Trial::should_prune`]).
    pub fn should_prune(&self) -> Result<bool> {
        match &self.link {
            Some(l) => l.should_prune(),
            None => Ok(false),
        }
    }
    /// [`report`](Self::report)s, then returns [`Error::Pruned`] when the pruner says stop
    /// (see [`Trial::report_or_prune`]).
    pub fn report_or_prune(&self, step: u64, value: f64) -> Result<()> {
        self.report(step, value)?;
        if self.should_prune()? {
            tracing::debug!(trial = ?self.number(), step, value, "pruned");
            return Err(Pruned.into());
        }
        Ok(())
    }
    /// Number of the trial within its study.
    pub fn number(&self) -> Option<u64> {
        self.link.as_ref().map(|l| l.number)
    }
}

/// The handle an objective receives: ask it for hyperparameters, report progress, ask
/// whether to stop.
///
/// Define-by-run: names, loops and conditionals are plain Rust. A name keeps one
/// distribution for the whole study; asking it again with another is
/// [`Error::DistributionMismatch`].
pub struct Trial {
    link: Option<Link>,
    progress: Arc<Mutex<Progress>>,
    fixed: Params,
    history: Option<History>,
    relative: Option<(Distributions, Params)>,
    rng: TrialRng,
    /// Keeps this trial's heartbeats going while the handle lives (studies with heartbeats).
    _beat: Option<BeatGuard>,
}

impl std::fmt::Debug for Trial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trial").field("number", &self.number()).field("params", &self.params()).finish()
    }
}

impl Trial {
    pub(crate) fn new(core: Arc<StudyCore>, record: &FrozenTrial, history: History, fixed: Params) -> Self {
        let rng = TrialRng::for_trial(core.seed, record.number);
        let progress = Arc::new(Mutex::new(Progress::default()));
        let link = Link { core, id: record.id, number: record.number, progress: progress.clone() };
        Trial { link: Some(link), progress, fixed, history: Some(history), relative: None, rng, _beat: None }
    }

    pub(crate) fn with_heartbeat(mut self, beat: Option<BeatGuard>) -> Self {
        self._beat = beat;
        self
    }

    /// A trial with fixed parameter values and no study, for testing an objective:
    /// `suggest_*` returns the given values (checked against the distribution), `report`
    /// only checks its value, `should_prune` is always `Ok(false)`.
    pub fn fixed(params: Params) -> Self {
        Trial {
            link: None,
            progress: Arc::new(Mutex::new(Progress::default())),
            fixed: params,
            history: None,
            relative: None,
            rng: TrialRng::seed_from_u64(0),
            _beat: None,
        }
    }

    /// Storage-wide id (`None` for a fixed trial).
    pub fn id(&self) -> Option<TrialId> {
        self.link.as_ref().map(|l| l.id)
    }

    /// Number within the study, `0, 1, 2, …` (`None` for a fixed trial).
    pub fn number(&self) -> Option<u64> {
        self.link.as_ref().map(|l| l.number)
    }

    /// The direction of the trial's study (`None` for a fixed trial).
    pub fn direction(&self) -> Option<Direction> {
        self.link.as_ref().map(|l| l.core.direction)
    }

    /// The seed of the trial's study ([`crate::Study::seed`]; `None` for a fixed trial), from
    /// which adapters derive the trial's own seeds.
    pub fn study_seed(&self) -> Option<u64> {
        self.link.as_ref().map(|l| l.core.seed)
    }

    /// The parameters suggested so far.
    pub fn params(&self) -> Params {
        lock(&self.progress).params.clone()
    }

    /// A float parameter: `trial.suggest_float("lr", Float::log(1e-5, 1e-1))?`.
    pub fn suggest_float(&mut self, name: &str, d: impl Into<Float>) -> Result<f64> {
        let v = self.suggest_value(name, Distribution::Float(d.into()))?;
        Ok(v.as_f64().unwrap_or(f64::NAN))
    }

    /// An integer parameter: `trial.suggest_int("width", 32..=512)?`.
    pub fn suggest_int(&mut self, name: &str, d: impl Into<Int>) -> Result<i64> {
        let v = self.suggest_value(name, Distribution::Int(d.into()))?;
        Ok(v.as_i64().unwrap_or_default())
    }

    /// A categorical parameter: `trial.suggest_categorical("opt", &["sgd", "adam"])?`.
    pub fn suggest_categorical<T: Choice>(&mut self, name: &str, choices: &[T]) -> Result<T> {
        let values: Vec<ParamValue> = choices.iter().map(Choice::to_param_value).collect();
        let d = Categorical::new(values);
        let v = self.suggest_value(name, Distribution::Categorical(d.clone()))?;
        let i = d.index_of(&v).unwrap_or(0);
        Ok(choices[i].clone())
    }

    /// A typed search space (see [`SearchSpace`] and `#[derive(SearchSpace)]`).
    pub fn suggest<T: SearchSpace>(&mut self) -> Result<T> {
        T::suggest_named(self, "")
    }

    /// A parameter from any distribution, as a [`ParamValue`].
    pub fn suggest_value(&mut self, name: &str, d: Distribution) -> Result<ParamValue> {
        d.validate(name)?;
        {
            let p = lock(&self.progress);
            if let Some(existing) = p.distributions.get(name) {
                if *existing != d {
                    return Err(mismatch(name, existing, &d));
                }
                return Ok(p.params[name].clone());
            }
        }
        let value = self.choose(name, &d)?;
        if let Some(link) = &self.link {
            link.core.storage.set_param(link.id, name, &d, &value)?;
        }
        let mut p = lock(&self.progress);
        p.distributions.insert(name.to_string(), d);
        p.params.insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn choose(&mut self, name: &str, d: &Distribution) -> Result<ParamValue> {
        if let Some(v) = self.fixed.get(name) {
            let x = d.to_internal(v).ok_or_else(|| Error::ValueOutOfDistribution {
                name: name.to_string(),
                value: v.to_string(),
                distribution: d.to_string(),
            })?;
            return Ok(d.to_external(x));
        }
        let (Some(link), Some(history)) = (&self.link, &self.history) else {
            return Err(Error::MissingFixedParam { name: name.to_string() });
        };
        if let Some(existing) = history.distribution(name) {
            if existing != d {
                return Err(mismatch(name, existing, d));
            }
        }
        if d.is_single() {
            return Ok(d.to_external(d.from_unit(0.0)));
        }
        let sampler = &link.core.sampler;
        if self.relative.is_none() {
            let space = sampler.relative_space(history);
            let params = if space.is_empty() {
                Params::new()
            } else {
                sampler.sample_relative(history, &space, &mut self.rng.fork("\u{0}relative"))?
            };
            self.relative = Some((space, params));
        }
        if let Some((space, params)) = &self.relative {
            if let (Some(sd), Some(v)) = (space.get(name), params.get(name)) {
                if sd == d && d.to_internal(v).is_some() {
                    return Ok(v.clone());
                }
            }
        }
        let v = sampler.sample_independent(history, name, d, &mut self.rng.fork(name))?;
        // A sampler bug must not store a value outside the space.
        let x = d.to_internal(&v).unwrap_or_else(|| d.round_internal(v.as_f64().unwrap_or(f64::NAN)));
        Ok(d.to_external(x))
    }

    /// Records the intermediate value of `step`.
    ///
    /// The step is what the caller passes, counted from 0: the index of the epoch, fold or
    /// boosting round that just ended (`for epoch in 0..n { ...; trial.report(epoch, v)? }`),
    /// as Optuna, Keras and Lightning count. Every adapter follows this rule (bo-linfa's fold
    /// `k` is step `k`; bo-burn's hook reports Burn's epoch `e`, counted from 1, as step
    /// `e - 1`), and the pruners' settings count in it: `n_warmup_steps(w)` exempts the first
    /// `w` reports (steps `0..w`), a successive-halving rung at `min_resource` is judged at the
    /// report of step `min_resource`. Reporting a step twice keeps the last value.
    pub fn report(&self, step: u64, value: f64) -> Result<()> {
        self.reporter().report(step, value)
    }

    /// Whether the study's pruner says this trial should stop now. When it does, return
    /// `Err(Pruned.into())` from the objective, or use [`Trial::report_or_prune`].
    ///
    /// The pruner decides on a fresh read of the study: a storage that cannot be read is an
    /// error (`?` fails the trial with it), not a silent `false`. Always `Ok(false)` for a
    /// [fixed](Trial::fixed) trial.
    pub fn should_prune(&self) -> Result<bool> {
        match &self.link {
            Some(l) => l.should_prune(),
            None => Ok(false),
        }
    }

    /// [`report`](Self::report)s `value` at `step`, then returns [`Error::Pruned`] when the
    /// pruner says stop, so `?` ends the objective with a pruned trial: the one call a
    /// training loop needs per epoch.
    ///
    /// ```
    /// use bo_core::{Float, MedianPruner, Optimize, Study, Trial};
    ///
    /// let study = Study::builder().pruner(MedianPruner::default()).seed(1).build()?;
    /// study.optimize_with(Optimize::trials(8).progress_bar(false), |trial: &mut Trial| {
    ///     let x = trial.suggest_float("x", Float::new(0.0, 1.0))?;
    ///     let mut loss = 0.0;
    ///     for epoch in 0..5 {
    ///         loss = x + 1.0 / (epoch + 1) as f64; // your epoch here
    ///         trial.report_or_prune(epoch, loss)?;
    ///     }
    ///     Ok::<_, bo_core::Error>(loss)
    /// })?;
    /// # Ok::<(), bo_core::Error>(())
    /// ```
    pub fn report_or_prune(&self, step: u64, value: f64) -> Result<()> {
        self.reporter().report_or_prune(step, value)
    }

    /// A cloneable, `Send + Sync + 'static` handle for reporting from training hooks.
    pub fn reporter(&self) -> Reporter {
        Reporter { link: self.link.clone() }
    }

    /// The intermediate values reported so far.
    pub fn intermediate_values(&self) -> BTreeMap<u64, f64> {
        lock(&self.progress).intermediate.clone()
    }

    /// Sets a user attribute (any serializable value), stored with the trial.
    pub fn set_user_attr(&self, key: &str, value: impl serde::Serialize) -> Result<()> {
        let v = serde_json::to_value(value).map_err(Error::storage)?;
        if let Some(link) = &self.link {
            link.core.storage.set_user_attr(link.id, key, &v)?;
        }
        lock(&self.progress).user_attrs.insert(key.to_string(), v);
        Ok(())
    }

    /// User attributes set so far.
    pub fn user_attrs(&self) -> BTreeMap<String, serde_json::Value> {
        lock(&self.progress).user_attrs.clone()
    }

    pub(crate) fn last_intermediate(&self) -> Option<f64> {
        lock(&self.progress).intermediate.values().next_back().copied()
    }

    /// A snapshot of this trial as a running [`FrozenTrial`].
    pub fn snapshot(&self) -> FrozenTrial {
        match &self.link {
            Some(l) => l.snapshot(),
            None => snapshot_of(&self.progress, 0, 0),
        }
    }
}

fn snapshot_of(progress: &Mutex<Progress>, id: TrialId, number: u64) -> FrozenTrial {
    let p = lock(progress);
    let mut t = FrozenTrial::new_running(id, number);
    t.params = p.params.clone();
    t.distributions = p.distributions.clone();
    t.intermediate_values = p.intermediate.clone();
    t.user_attrs = p.user_attrs.clone();
    t
}

fn mismatch(name: &str, existing: &Distribution, requested: &Distribution) -> Error {
    Error::DistributionMismatch {
        name: name.to_string(),
        existing: existing.to_string(),
        requested: requested.to_string(),
    }
}
