//! [`TrialEarlyStopping`]: Burn's early-stopping hook, driven by a trial's pruner.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bo_core::{Reporter, Trial};
use burn::train::logger::{InMemoryMetricLogger, MetricLogger};
use burn::train::metric::store::{Aggregate, EpochSummary, EventStoreClient, MetricsUpdate, Split};
use burn::train::metric::{Metric, MetricDefinition, MetricId, NumericEntry};
use burn::train::{EarlyStoppingStrategy, LearningComponentsTypes, SupervisedTraining};

use crate::error::{Error, Result};

/// How long [`TrialEarlyStopping`] waits for Burn's metric thread to deliver an epoch's
/// value before it asks Burn's event store instead.
const EPOCH_WAIT: Duration = Duration::from_secs(60);

/// Burn's early-stopping hook, driven by a trial: after each epoch it reports the epoch's
/// metric (by default on the validation split) to the trial, and stops the training when
/// the study's pruner says so.
///
/// Attach it with [`PruneTraining::prune_with`], then end the objective with
/// [`finish`](Self::finish): it returns the last epoch's value, or
/// [`bo_core::Error::Pruned`] (wrapped) when the pruner stopped the training, so `?` marks
/// the trial PRUNED.
///
/// The value of an epoch is the mean of the metric over the epoch's batches, weighted by
/// batch size, as Burn's own `MetricEarlyStoppingStrategy` computes it. Burn computes
/// metrics on a background thread; `prune_with` also registers a metric logger that sees
/// every batch, and the strategy waits (at most a minute) until the epoch's last batch has
/// been counted, so the value reported is always the whole epoch's. Epochs count from 1, as
/// Burn counts them, and are the trial's steps.
///
/// A training error (a storage failure, a NaN metric, a metric that was never registered)
/// stops the training too; [`finish`](Self::finish) returns it and the trial fails with it.
///
/// Clones share their state: keep one to call [`finish`](Self::finish) after
/// `launch`.
///
/// ```ignore
/// let stopping = TrialEarlyStopping::new(trial.reporter(), &AccuracyMetric::<B>::new());
/// let result = SupervisedTraining::new(dir, train_loader, valid_loader)
///     .metric_valid_numeric(AccuracyMetric::new())
///     .num_epochs(20)
///     .renderer(QuietRenderer)
///     .with_application_logger(None)
///     .prune_with(&stopping)
///     .launch(Learner::new(model, optimizer, lr));
/// let accuracy = stopping.finish()?; // Err(Pruned) when the pruner stopped it
/// ```
#[derive(Clone)]
pub struct TrialEarlyStopping {
    shared: Arc<Shared>,
}

struct Shared {
    reporter: Reporter,
    metric: String,
    split: Split,
    /// When the strategy was made: the start of the first epoch's clock.
    created: Instant,
    state: Mutex<State>,
    epoch_ended: Condvar,
}

#[derive(Default)]
struct State {
    logger_attached: bool,
    /// Metric ids seen in Burn's definitions, and whether each is the followed metric.
    followed: HashMap<MetricId, bool>,
    /// Sum of value * count and count, per epoch still running on the split.
    running: BTreeMap<usize, (f64, usize)>,
    /// Epochs whose split ended, with the epoch's value when the metric was logged.
    ended: BTreeMap<usize, Option<f64>>,
    /// Values reported to the trial.
    reported: BTreeMap<usize, f64>,
    /// When each epoch's value was reported, in order.
    reported_at: Vec<Instant>,
    pruned_at: Option<usize>,
    error: Option<Error>,
    warned_fallback: bool,
}

impl std::fmt::Debug for TrialEarlyStopping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrialEarlyStopping")
            .field("trial", &self.shared.reporter.number())
            .field("metric", &self.shared.metric)
            .field("split", &self.shared.split)
            .finish()
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TrialEarlyStopping {
    /// Follows `metric` on the validation split and reports it to the trial of `reporter`
    /// (`trial.reporter()`).
    pub fn new<M: Metric>(reporter: Reporter, metric: &M) -> Self {
        Self::for_split(reporter, metric, Split::Valid)
    }

    /// Follows `metric` on `split` (`Split::Valid` or `Split::Train`).
    pub fn for_split<M: Metric>(reporter: Reporter, metric: &M, split: Split) -> Self {
        Self::by_name(reporter, metric.name().as_str(), split)
    }

    /// Follows the metric named `metric` (as Burn names it, e.g. `"Accuracy"`, `"Loss"`).
    pub fn by_name(reporter: Reporter, metric: &str, split: Split) -> Self {
        TrialEarlyStopping {
            shared: Arc::new(Shared {
                reporter,
                metric: metric.to_string(),
                split,
                created: Instant::now(),
                state: Mutex::new(State::default()),
                epoch_ended: Condvar::new(),
            }),
        }
    }

    /// For `trial`'s validation split: `TrialEarlyStopping::new(trial.reporter(), metric)`.
    pub fn for_trial<M: Metric>(trial: &Trial, metric: &M) -> Self {
        Self::new(trial.reporter(), metric)
    }

    /// The name of the followed metric.
    pub fn metric(&self) -> &str {
        &self.shared.metric
    }

    /// The values reported to the trial so far, by epoch.
    pub fn values(&self) -> BTreeMap<usize, f64> {
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

    /// The epoch after which the pruner stopped the training, if it did.
    pub fn pruned_at(&self) -> Option<usize> {
        lock(&self.shared.state).pruned_at
    }

    /// How the training ended, for the objective to return: the last epoch's value;
    /// [`bo_core::Error::Pruned`] (wrapped) when the pruner stopped it; the error that stopped
    /// it; or [`Error::NoEpoch`] when no epoch was reported.
    ///
    /// An error is returned once; later calls see the pruned state or the last value.
    pub fn finish(&self) -> Result<f64> {
        let mut state = lock(&self.shared.state);
        if let Some(e) = state.error.take() {
            return Err(e);
        }
        if state.pruned_at.is_some() {
            return Err(bo_core::Error::Pruned.into());
        }
        match state.reported.values().next_back() {
            Some(v) => Ok(*v),
            None => Err(Error::NoEpoch { metric: self.shared.metric.clone() }),
        }
    }

    fn logger(&self) -> TrialMetricLogger {
        lock(&self.shared.state).logger_attached = true;
        TrialMetricLogger { shared: self.shared.clone() }
    }

    /// The value of `epoch`: from the attached logger once the epoch has ended on the split,
    /// else from Burn's event store (which may lag behind the metric thread).
    fn epoch_value(&self, epoch: usize, store: &EventStoreClient) -> Option<f64> {
        let shared = &self.shared;
        let state = lock(&shared.state);
        if state.logger_attached {
            let (state, timeout) = shared
                .epoch_ended
                .wait_timeout_while(state, EPOCH_WAIT, |s| !s.ended.contains_key(&epoch))
                .unwrap_or_else(|e| e.into_inner());
            if !timeout.timed_out() {
                return state.ended.get(&epoch).copied().flatten();
            }
            tracing::warn!(epoch, metric = %shared.metric, "epoch end not seen by the trial logger; asking the event store");
        } else {
            let mut state = state;
            if !state.warned_fallback {
                state.warned_fallback = true;
                tracing::warn!(
                    "TrialEarlyStopping was registered without its metric logger; attach it with \
                     `prune_with` so each epoch's value is complete"
                );
            }
        }
        store.find_metric(&shared.metric, epoch, Aggregate::Mean, &shared.split)
    }
}

impl EarlyStoppingStrategy for TrialEarlyStopping {
    fn should_stop(&mut self, epoch: usize, store: &EventStoreClient) -> bool {
        let shared = &self.shared;
        if lock(&shared.state).error.is_some() {
            return true;
        }
        let Some(value) = self.epoch_value(epoch, store) else {
            lock(&shared.state).error = Some(Error::MetricMissing {
                metric: shared.metric.clone(),
                split: shared.split.to_string(),
                epoch,
            });
            return true;
        };
        if let Err(e) = shared.reporter.report(epoch as u64, value) {
            lock(&shared.state).error = Some(e.into());
            return true;
        }
        {
            let mut state = lock(&shared.state);
            state.reported.insert(epoch, value);
            state.reported_at.push(Instant::now());
        }
        if shared.reporter.should_prune() {
            tracing::debug!(trial = ?shared.reporter.number(), epoch, value, "pruned");
            lock(&shared.state).pruned_at = Some(epoch);
            return true;
        }
        false
    }
}

/// Sees every metric update on Burn's event-store thread and closes each epoch's value
/// when the split's epoch ends.
struct TrialMetricLogger {
    shared: Arc<Shared>,
}

impl MetricLogger for TrialMetricLogger {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        if *split != self.shared.split {
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
        let followed = definition.name == self.shared.metric;
        lock(&self.shared.state).followed.insert(definition.metric_id, followed);
    }

    fn log_epoch_summary(&mut self, summary: EpochSummary) {
        if summary.split != self.shared.split {
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

/// Attaches a [`TrialEarlyStopping`] to Burn's `SupervisedTraining`.
pub trait PruneTraining: Sized {
    /// Reports each epoch's metric to the trial and stops when its pruner says so.
    ///
    /// Registers the strategy as the training's early stopping (replacing any other), its
    /// metric logger, and Burn's `InMemoryMetricLogger` (Burn's event store reads metrics
    /// back from its loggers). Burn writes its file metric logs only when no logger is
    /// registered, so with this it writes none; add `with_metric_logger(FileMetricLogger::new(dir))`
    /// to keep them.
    fn prune_with(self, stopping: &TrialEarlyStopping) -> Self;
}

impl<LC: LearningComponentsTypes> PruneTraining for SupervisedTraining<LC> {
    fn prune_with(self, stopping: &TrialEarlyStopping) -> Self {
        self.with_metric_logger(InMemoryMetricLogger::new())
            .with_metric_logger(stopping.logger())
            .early_stopping(stopping.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn handles_are_send_and_sync() {
        assert_send_sync::<TrialEarlyStopping>();
        assert_send_sync::<crate::EpochReporter>();
        assert_send_sync::<crate::QuietRenderer>();
    }
}
