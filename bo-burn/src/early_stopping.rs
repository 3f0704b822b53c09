//! [`TrialEarlyStopping`]: Burn's early-stopping hook, driven by a trial's pruner.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bo_core::{Reporter, Trial};
use burn::train::logger::{InMemoryMetricLogger, MetricLogger};
use burn::train::metric::store::{Aggregate, EpochSummary, EventStoreClient, MetricsUpdate, Split};
use burn::train::metric::{Adaptor, Metric, MetricDefinition, MetricId, Numeric, NumericEntry};
use burn::train::{
    EarlyStoppingStrategy, InferenceStep, ItemLazy, LearningComponentsTypes, SupervisedTraining,
};

use crate::error::{Error, Result};

/// How long [`TrialEarlyStopping`] waits for Burn's metric thread to deliver an epoch's
/// value before it asks Burn's event store instead.
const EPOCH_WAIT: Duration = Duration::from_secs(60);

/// Burn's early-stopping hook, driven by a trial: after each epoch it reports the epoch's
/// validation metric to the trial and stops the training when the study's pruner says so.
///
/// Create it from the trial, attach it with [`PruneTraining::prune_with`], which takes the
/// metric to follow (named once: it registers it with the learner as a numeric validation
/// metric), then end the objective with [`finish`](Self::finish): it returns the last
/// epoch's value, or `bo_core::Error::Pruned` (wrapped, see [`Error::is_pruned`]) when the
/// pruner stopped the training, so `?` marks the trial PRUNED.
///
/// The value of an epoch is the mean of the metric over the epoch's batches, weighted by
/// batch size, as Burn's own `MetricEarlyStoppingStrategy` computes it. Burn computes
/// metrics on a background thread; `prune_with` also registers a metric logger that sees
/// every batch, and the strategy waits (at most a minute) until the epoch's last batch has
/// been counted, so the value reported is always the whole epoch's.
///
/// Steps follow bo's one rule (`bo_core::Trial::report`): counted from 0. Burn counts epochs
/// from 1, so Burn's epoch `e` is reported as step `e - 1`: the first epoch is step 0, and a
/// pruner's `n_warmup_steps` / `min_resource` mean the same here as in a hand-written loop
/// `for epoch in 0..n`.
///
/// A training error (a storage failure, a NaN metric, a metric that was never logged)
/// stops the training too; [`finish`](Self::finish) returns it and the trial fails with it.
///
/// Clones share their state: keep one to call [`finish`](Self::finish) after
/// `launch`.
///
/// ```ignore
/// let stopping = TrialEarlyStopping::new(trial);
/// let result = SupervisedTraining::new(dir, train_loader, valid_loader)
///     .metric_valid_numeric(LossMetric::new())           // other metrics, as usual
///     .num_epochs(20)
///     .renderer(QuietRenderer)
///     .with_application_logger(None)
///     .prune_with(&stopping, AccuracyMetric::new())       // the followed metric, named once
///     .launch(Learner::new(model, optimizer, lr));
/// let accuracy = stopping.finish()?; // Err(Pruned) when the pruner stopped it
/// ```
#[derive(Clone)]
pub struct TrialEarlyStopping {
    shared: Arc<Shared>,
}

struct Shared {
    reporter: Reporter,
    /// When the strategy was made: the start of the first epoch's clock.
    created: Instant,
    state: Mutex<State>,
    epoch_ended: Condvar,
}

#[derive(Default)]
struct State {
    /// The followed metric's name, set by `prune_with`.
    metric: Option<String>,
    /// Metric ids seen in Burn's definitions, and whether each is the followed metric.
    followed: HashMap<MetricId, bool>,
    /// Sum of value * count and count, per Burn epoch still running on the split.
    running: BTreeMap<usize, (f64, usize)>,
    /// Burn epochs whose split ended, with the epoch's value when the metric was logged.
    ended: BTreeMap<usize, Option<f64>>,
    /// Values reported to the trial, by step.
    reported: BTreeMap<u64, f64>,
    /// When each epoch's value was reported, in order.
    reported_at: Vec<Instant>,
    pruned_at: Option<u64>,
    error: Option<Error>,
}

impl std::fmt::Debug for TrialEarlyStopping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrialEarlyStopping")
            .field("trial", &self.shared.reporter.number())
            .field("metric", &self.metric())
            .finish()
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The split the followed metric is read on.
const SPLIT: Split = Split::Valid;

/// Burn's epochs count from 1; bo's steps from 0.
fn step_of(epoch: usize) -> u64 {
    (epoch as u64).saturating_sub(1)
}

impl TrialEarlyStopping {
    /// Reports to `trial`; the metric is given once, to [`PruneTraining::prune_with`].
    pub fn new(trial: &Trial) -> Self {
        Self::from_reporter(trial.reporter())
    }

    /// Reports through `reporter` (`trial.reporter()`, e.g. one that was moved elsewhere).
    pub fn from_reporter(reporter: Reporter) -> Self {
        TrialEarlyStopping {
            shared: Arc::new(Shared {
                reporter,
                created: Instant::now(),
                state: Mutex::new(State::default()),
                epoch_ended: Condvar::new(),
            }),
        }
    }

    /// The name of the followed metric (as Burn names it, e.g. `"Accuracy"`), once attached.
    pub fn metric(&self) -> Option<String> {
        lock(&self.shared.state).metric.clone()
    }

    /// The values reported to the trial so far, by step (Burn's epoch - 1).
    pub fn values(&self) -> BTreeMap<u64, f64> {
        lock(&self.shared.state).reported.clone()
    }

    /// Seconds each reported epoch took, in order: from one report to the next, the first
    /// from the strategy's creation (so make it just before `launch`). An epoch's time
    /// includes its validation; the first also includes warm-up (a GPU backend's kernel
    /// compilation and autotune).
    pub fn epoch_seconds(&self) -> Vec<f64> {
        let state = lock(&self.shared.state);
        let mut last = self.shared.created;
        state
            .reported_at
            .iter()
            .map(|&at| {
                let seconds = at.duration_since(last).as_secs_f64();
                last = at;
                seconds
            })
            .collect()
    }

    /// The step after which the pruner stopped the training, if it did.
    pub fn pruned_at(&self) -> Option<u64> {
        lock(&self.shared.state).pruned_at
    }

    /// How the training ended, for the objective to return: the last epoch's value;
    /// `bo_core::Error::Pruned` (wrapped) when the pruner stopped it; the error that stopped
    /// it; [`Error::NotAttached`] when it was never attached with `prune_with`; or
    /// [`Error::NoEpoch`] when no epoch was reported.
    ///
    /// An error is returned once; later calls see the pruned state or the last value.
    pub fn finish(&self) -> Result<f64> {
        let mut state = lock(&self.shared.state);
        if let Some(e) = state.error.take() {
            return Err(e);
        }
        if state.pruned_at.is_some() {
            return Err(bo_core::Pruned.into());
        }
        match (state.reported.values().next_back(), &state.metric) {
            (Some(v), _) => Ok(*v),
            (None, Some(metric)) => Err(Error::NoEpoch { metric: metric.clone() }),
            (None, None) => Err(Error::NotAttached),
        }
    }

    /// Follows the metric named `name` and returns the logger that sums its values.
    fn attach(&self, name: String) -> TrialMetricLogger {
        lock(&self.shared.state).metric = Some(name);
        TrialMetricLogger { shared: self.shared.clone() }
    }

    /// The value of Burn's `epoch`: from the attached logger once the epoch has ended on the
    /// split, else (after a minute) from Burn's event store.
    fn epoch_value(&self, epoch: usize, metric: &str, store: &EventStoreClient) -> Option<f64> {
        let shared = &self.shared;
        let state = lock(&shared.state);
        let (state, timeout) = shared
            .epoch_ended
            .wait_timeout_while(state, EPOCH_WAIT, |s| !s.ended.contains_key(&epoch))
            .unwrap_or_else(|e| e.into_inner());
        if !timeout.timed_out() {
            return state.ended.get(&epoch).copied().flatten();
        }
        drop(state);
        tracing::warn!(epoch, metric, "epoch end not seen by the trial logger; asking the event store");
        store.find_metric(metric, epoch, Aggregate::Mean, &SPLIT)
    }

    fn fail(&self, e: Error) -> bool {
        lock(&self.shared.state).error = Some(e);
        true
    }
}

impl EarlyStoppingStrategy for TrialEarlyStopping {
    fn should_stop(&mut self, epoch: usize, store: &EventStoreClient) -> bool {
        let shared = &self.shared;
        let metric = {
            let state = lock(&shared.state);
            if state.error.is_some() {
                return true;
            }
            state.metric.clone()
        };
        let Some(metric) = metric else { return self.fail(Error::NotAttached) };
        let step = step_of(epoch);
        let Some(value) = self.epoch_value(epoch, &metric, store) else {
            return self.fail(Error::MetricMissing { metric, split: SPLIT.to_string(), step });
        };
        if let Err(e) = shared.reporter.report(step, value) {
            return self.fail(e.into());
        }
        {
            let mut state = lock(&shared.state);
            state.reported.insert(step, value);
            state.reported_at.push(Instant::now());
        }
        match shared.reporter.should_prune() {
            Ok(false) => false,
            Ok(true) => {
                tracing::debug!(trial = ?shared.reporter.number(), step, value, "pruned");
                lock(&shared.state).pruned_at = Some(step);
                true
            }
            Err(e) => self.fail(e.into()),
        }
    }
}

/// Sees every metric update on Burn's event-store thread and closes each epoch's value
/// when the split's epoch ends.
struct TrialMetricLogger {
    shared: Arc<Shared>,
}

impl MetricLogger for TrialMetricLogger {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        if *split != SPLIT {
            return;
        }
        let mut state = lock(&self.shared.state);
        for numeric in &update.entries_numeric {
            if state.followed.get(&numeric.entry.metric_id) != Some(&true) {
                continue;
            }
            let (sum, count) = match numeric.numeric_entry {
                NumericEntry::Value(v) => (v, 1),
                NumericEntry::Aggregated { aggregated_value, count } => (aggregated_value * count as f64, count),
            };
            let acc = state.running.entry(epoch).or_insert((0.0, 0));
            acc.0 += sum;
            acc.1 += count;
        }
    }

    fn read_numeric(&mut self, _name: &str, _epoch: usize, _split: &Split) -> Result<Vec<NumericEntry>, String> {
        // Burn's event store reads from the first logger that answers Ok; this one keeps
        // only running sums, so it leaves the answer to the others.
        Err("bo-burn's trial logger keeps no per-batch values".to_string())
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        let mut state = lock(&self.shared.state);
        let followed = state.metric.as_deref() == Some(definition.name.as_str());
        state.followed.insert(definition.metric_id, followed);
    }

    fn log_epoch_summary(&mut self, summary: EpochSummary) {
        if summary.split != SPLIT {
            return;
        }
        let mut state = lock(&self.shared.state);
        let value = state
            .running
            .remove(&summary.epoch_number)
            .and_then(|(sum, count)| (count > 0).then(|| sum / count as f64));
        state.ended.insert(summary.epoch_number, value);
        drop(state);
        self.shared.epoch_ended.notify_all();
    }
}

/// Attaches a [`TrialEarlyStopping`] to Burn's `SupervisedTraining`, with the metric it
/// follows.
pub trait PruneTraining<M>: Sized {
    /// Registers `metric` as a numeric validation metric of the training (do not register it
    /// again with `metric_valid_numeric`), reports its value after each epoch to the trial,
    /// and stops the training when the trial's pruner says so.
    ///
    /// Registers the strategy as the training's early stopping (replacing any other), its
    /// metric logger, and Burn's `InMemoryMetricLogger` (Burn's event store reads metrics
    /// back from its loggers). Burn writes its file metric logs only when no logger is
    /// registered, so with this it writes none; add `with_metric_logger(FileMetricLogger::new(dir))`
    /// to keep them. Attach a [`TrialEarlyStopping`] to one training, once.
    fn prune_with(self, stopping: &TrialEarlyStopping, metric: M) -> Self;
}

impl<LC, M> PruneTraining<M> for SupervisedTraining<LC>
where
    LC: LearningComponentsTypes,
    M: Metric + Numeric + 'static,
    <<LC::InferenceModel as InferenceStep>::Output as ItemLazy>::ItemSync: Adaptor<M::Input>,
{
    fn prune_with(self, stopping: &TrialEarlyStopping, metric: M) -> Self {
        let logger = stopping.attach(metric.name().to_string());
        self.metric_valid_numeric(metric)
            .with_metric_logger(InMemoryMetricLogger::new())
            .with_metric_logger(logger)
            .early_stopping(stopping.clone())
    }
}

// Compile-time check: the handles cross threads (Burn's training runs the strategy there).
const _: fn() = || {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<TrialEarlyStopping>();
    send_sync::<crate::QuietRenderer>();
    send_sync::<Error>();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burn_epoch_1_is_step_0() {
        assert_eq!([step_of(1), step_of(2), step_of(12)], [0, 1, 11]);
    }

    #[test]
    fn finish_without_prune_with_says_so() {
        let stopping = TrialEarlyStopping::new(&Trial::fixed(Default::default()));
        assert!(matches!(stopping.finish(), Err(Error::NotAttached)));
        assert_eq!(stopping.metric(), None);
    }
}
