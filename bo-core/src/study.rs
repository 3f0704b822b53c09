//! [`Study`]: a named optimization over one storage, with its builder and run loop.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, is_pruned};
use crate::heartbeat::{Heartbeat, HeartbeatConfig};
use crate::history::{History, TrialCache};
use crate::pruner::{NopPruner, Pruner};
use crate::sampler::Sampler;
use crate::space::{ParamValue, Params};
use crate::storage::{FIXED_PARAMS_ATTR, FixedParams, InMemoryStorage, RETRIED_FROM_ATTR, RETRY_ATTR, Storage};
use crate::trial::Trial;
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialState};

/// Shared state behind every handle of one study (the `Study`, its trials and reporters).
pub(crate) struct StudyCore {
    pub(crate) id: StudyId,
    pub(crate) name: String,
    pub(crate) direction: Direction,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) sampler: Arc<dyn Sampler>,
    pub(crate) pruner: Arc<dyn Pruner>,
    pub(crate) seed: u64,
    cache: Mutex<TrialCache>,
    stop: AtomicBool,
    /// Heartbeat settings and the thread that beats this handle's running trials.
    heartbeat: Option<(HeartbeatConfig, Heartbeat)>,
}

impl StudyCore {
    /// Reads what changed since the last read and returns a fresh snapshot.
    pub(crate) fn history(&self, current: Option<u64>) -> Result<History> {
        let mut cache = self.refreshed_cache()?;
        Ok(cache.history(self.direction, current))
    }

    /// Whether the study has an enqueued trial waiting, as of a fresh read.
    fn has_waiting_trials(&self) -> Result<bool> {
        Ok(self.refreshed_cache()?.has_waiting())
    }

    /// The trial cache, brought up to date with the storage.
    fn refreshed_cache(&self) -> Result<std::sync::MutexGuard<'_, TrialCache>> {
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

/// A callback run after every finished trial of [`Study::optimize_with`].
pub type Callback = Arc<dyn Fn(&Study, &FrozenTrial) + Send + Sync>;

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

/// How long [`Study::optimize_with`] runs and how.
#[derive(Clone)]
pub struct Optimize {
    n_trials: Option<u64>,
    timeout: Option<Duration>,
    n_jobs: usize,
    progress_bar: bool,
    callbacks: Vec<Callback>,
}

impl Optimize {
    /// Run `n` trials.
    pub fn trials(n: u64) -> Self {
        Optimize { n_trials: Some(n), timeout: None, n_jobs: 1, progress_bar: true, callbacks: Vec::new() }
    }
    /// Run until `d` has passed (no trial limit unless [`Optimize::n_trials`] is set too).
    pub fn timeout(d: Duration) -> Self {
        Optimize { n_trials: None, timeout: Some(d), n_jobs: 1, progress_bar: true, callbacks: Vec::new() }
    }
    /// Trial limit. Default: none with [`Optimize::timeout`].
    pub fn n_trials(mut self, n: u64) -> Self {
        self.n_trials = Some(n);
        self
    }
    /// Time limit; no new trial starts after it. Default: none.
    pub fn with_timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Trials run concurrently on this many threads. Default: `1`.
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.n_jobs = n;
        self
    }
    /// Show a progress bar (trial k/N, best value) on a terminal. Default: `true`.
    pub fn progress_bar(mut self, yes: bool) -> Self {
        self.progress_bar = yes;
        self
    }
    /// Run `f` after every finished trial (any state); [`Study::stop`] inside ends the run.
    pub fn callback(mut self, f: impl Fn(&Study, &FrozenTrial) + Send + Sync + 'static) -> Self {
        self.callbacks.push(Arc::new(f));
        self
    }
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
            self.fail_stale_trials(config)?;
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

    /// Fails the study's trials whose heartbeats stopped and re-enqueues them if asked.
    fn fail_stale_trials(&self, config: &HeartbeatConfig) -> Result<()> {
        for t in self.core.storage.fail_stale_trials(self.core.id, config.grace)? {
            let reason = t.fail_reason.as_deref().unwrap_or_default();
            tracing::warn!(trial = t.number, %reason, "failed a trial whose worker stopped sending heartbeats");
            let retry = t.system_attrs.get(RETRY_ATTR).and_then(serde_json::Value::as_u64).unwrap_or(0);
            if config.max_retries == 0 {
                continue;
            }
            if retry >= u64::from(config.max_retries) {
                tracing::warn!(trial = t.number, retries = retry, "not retried again: retry_failed_trials limit reached");
                continue;
            }
            let original = t.system_attrs.get(RETRIED_FROM_ATTR).and_then(serde_json::Value::as_u64).unwrap_or(t.number);
            // The enqueued values the trial had (if any), and every value it had suggested.
            let mut fixed: FixedParams = match t.system_attrs.get(FIXED_PARAMS_ATTR) {
                Some(serde_json::Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                _ => FixedParams::new(),
            };
            fixed.extend(t.params.iter().map(|(k, v)| (k.clone(), v.to_json())));
            let attrs = [
                (RETRIED_FROM_ATTR.to_string(), serde_json::Value::from(original)),
                (RETRY_ATTR.to_string(), serde_json::Value::from(retry + 1)),
            ]
            .into_iter()
            .collect();
            let again = self.core.storage.enqueue_trial_with_attrs(self.core.id, &fixed, &attrs)?;
            tracing::info!(trial = t.number, retry = retry + 1, new_trial = again.number, "re-enqueued a failed trial");
        }
        Ok(())
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

    /// Runs `n_trials` trials of `objective` on this thread, with a progress bar.
    pub fn optimize<F, E>(&self, n_trials: u64, objective: F) -> Result<()>
    where
        F: Fn(&mut Trial) -> std::result::Result<f64, E> + Sync,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.optimize_with(Optimize::trials(n_trials), objective)
    }

    /// Runs `objective` as `options` say: trial limit and/or timeout, `n_jobs` threads,
    /// progress bar, callbacks.
    ///
    /// Each trial ends by its result: `Ok(v)` completes, `Err(Pruned)` prunes, any other
    /// error, a panic, or a NaN/infinite value fails the trial with its reason, and the
    /// study goes on. Only a storage failure stops the run (and is returned).
    pub fn optimize_with<F, E>(&self, options: Optimize, objective: F) -> Result<()>
    where
        F: Fn(&mut Trial) -> std::result::Result<f64, E> + Sync,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if options.n_jobs == 0 {
            return Err(Error::InvalidConfig { what: "n_jobs", reason: "must be >= 1".into() });
        }
        if options.n_trials.is_none() && options.timeout.is_none() {
            return Err(Error::InvalidConfig { what: "optimize", reason: "needs n_trials or a timeout".into() });
        }
        self.core.stop.store(false, Ordering::SeqCst);
        let started = Instant::now();
        let claimed = AtomicU64::new(0);
        let progress = ProgressBar::new(options.progress_bar, options.n_trials, self.core.direction);
        let run_one = || -> Result<bool> {
            if self.core.stop.load(Ordering::SeqCst) {
                return Ok(false);
            }
            if options.timeout.is_some_and(|t| started.elapsed() >= t) {
                return Ok(false);
            }
            if let Some(n) = options.n_trials {
                if claimed.fetch_add(1, Ordering::SeqCst) >= n {
                    return Ok(false);
                }
            }
            let mut trial = self.ask()?;
            let id = trial.id();
            let result = catch_unwind(AssertUnwindSafe(|| objective(&mut trial)));
            let told = match result {
                Ok(r) => self.tell_result(trial, r),
                Err(panic) => self.tell_failed(trial, format!("objective panicked: {}", panic_message(panic.as_ref()))),
            };
            let record = match (told, id) {
                // Another worker failed the trial meanwhile (its heartbeats came too late):
                // that is the trial's outcome; the study goes on.
                (Err(Error::TrialFinished { .. }), Some(id)) if self.core.heartbeat.is_some() => {
                    let record = self.core.storage.trial(id)?;
                    tracing::warn!(trial = record.number, state = %record.state, "trial was ended by another worker");
                    record
                }
                (told, _) => told?,
            };
            progress.finished(&record);
            for cb in &options.callbacks {
                cb(self, &record);
            }
            Ok(true)
        };
        let result = if options.n_jobs == 1 {
            loop {
                match run_one() {
                    Ok(true) => continue,
                    Ok(false) => break Ok(()),
                    Err(e) => break Err(e),
                }
            }
        } else {
            let first_error: Mutex<Option<Error>> = Mutex::new(None);
            std::thread::scope(|s| {
                for _ in 0..options.n_jobs {
                    s.spawn(|| {
                        loop {
                            if first_error.lock().map(|g| g.is_some()).unwrap_or(true) {
                                break;
                            }
                            match run_one() {
                                Ok(true) => continue,
                                Ok(false) => break,
                                Err(e) => {
                                    if let Ok(mut g) = first_error.lock() {
                                        g.get_or_insert(e);
                                    }
                                    break;
                                }
                            }
                        }
                    });
                }
            });
            match first_error.into_inner().unwrap_or(None) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        };
        progress.done();
        result
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

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}
impl From<i32> for ParamValue {
    fn from(v: i32) -> Self {
        ParamValue::Int(v as i64)
    }
}
impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_string())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Str(v)
    }
}

/// The progress bar of a run (a no-op without the `progress` feature or when disabled).
struct ProgressBar {
    #[cfg(feature = "progress")]
    bar: Option<indicatif::ProgressBar>,
    best: Mutex<Option<f64>>,
    direction: Direction,
}

impl ProgressBar {
    fn new(enabled: bool, n_trials: Option<u64>, direction: Direction) -> Self {
        #[cfg(feature = "progress")]
        let bar = enabled.then(|| {
            let bar = match n_trials {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::no_length(),
            };
            let style = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] trial {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        #[cfg(not(feature = "progress"))]
        let _ = (enabled, n_trials);
        ProgressBar {
            #[cfg(feature = "progress")]
            bar,
            best: Mutex::new(None),
            direction,
        }
    }

    fn finished(&self, t: &FrozenTrial) {
        let mut best = self.best.lock().unwrap_or_else(|e| e.into_inner());
        if t.state == TrialState::Complete {
            if let Some(v) = t.value {
                if best.is_none_or(|b| self.direction.is_better(v, b)) {
                    *best = Some(v);
                }
            }
        }
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if let Some(b) = *best {
                bar.set_message(format!("best {b:.6}"));
            }
        }
    }

    fn done(&self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
