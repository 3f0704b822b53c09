//! [`Study::optimize_with`]: the run loop, its [`Optimize`] options and [`Callback`]s.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Study;
use super::progress::ProgressBar;
use crate::error::{Error, Result, panic_text};
use crate::trial::Trial;
use crate::trial_record::FrozenTrial;

/// A callback run after every finished trial of [`Study::optimize_with`].
pub type Callback = Arc<dyn Fn(&Study, &FrozenTrial) + Send + Sync>;

/// How long [`Study::optimize_with`] runs and how.
#[derive(Clone)]
pub struct Optimize {
    n_trials: Option<u64>,
    timeout: Option<Duration>,
    n_jobs: usize,
    progress_bar: bool,
    callbacks: Vec<Callback>,
}

/// No limit (the run ends on [`Study::stop`]), one job, a progress bar.
impl Default for Optimize {
    fn default() -> Self {
        Optimize { n_trials: None, timeout: None, n_jobs: 1, progress_bar: true, callbacks: Vec::new() }
    }
}

/// One naming rule: the setters are named after what they set (`n_trials`, `timeout`,
/// `n_jobs`, `progress_bar`, `callback`); [`Optimize::trials`] is the one shorthand
/// constructor, for the common case, and [`Optimize::default`] starts with no limit.
///
/// ```
/// use std::time::Duration;
/// use bo_core::Optimize;
///
/// let by_count = Optimize::trials(100).n_jobs(4);
/// let by_time = Optimize::default().timeout(Duration::from_secs(600)).progress_bar(false);
/// let both = Optimize::trials(100).timeout(Duration::from_secs(600));
/// # let _ = (by_count, by_time, both);
/// ```
impl Optimize {
    /// Run `n` trials: `Optimize::default().n_trials(n)`.
    pub fn trials(n: u64) -> Self {
        Optimize::default().n_trials(n)
    }
    /// Trial limit. Default: none.
    pub fn n_trials(mut self, n: u64) -> Self {
        self.n_trials = Some(n);
        self
    }
    /// Time limit; no new trial starts after it. Default: none.
    pub fn timeout(mut self, d: Duration) -> Self {
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
                Err(panic) => self.tell_failed(trial, format!("objective panicked: {}", panic_text(panic.as_ref()).unwrap_or("non-string panic payload"))),
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
