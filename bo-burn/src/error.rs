//! The one error type of bo-burn.

/// What can go wrong while a Burn training reports to a trial.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of bo-core: a storage failure, a non-finite value, or [`bo_core::Error::Pruned`]
    /// when the pruner stopped the training (the study then marks the trial PRUNED).
    #[error(transparent)]
    Core(#[from] bo_core::Error),
    /// The metric the trial follows was never logged for an epoch that ended: it is not
    /// registered for that split (`metric_valid_numeric` / `metric_train_numeric`), or the
    /// split had no batch.
    #[error("metric `{metric}` has no {split} value for epoch {epoch}; register it as a numeric {split} metric")]
    MetricMissing {
        /// Metric name.
        metric: String,
        /// Split (`train`, `valid`).
        split: String,
        /// Epoch (from 1, as Burn counts).
        epoch: usize,
    },
    /// The training ended before any epoch reported the metric.
    #[error("training ended before metric `{metric}` was reported for any epoch")]
    NoEpoch {
        /// Metric name.
        metric: String,
    },
}

impl Error {
    /// Whether this error means "the pruner stopped the trial".
    pub fn is_pruned(&self) -> bool {
        matches!(self, Error::Core(bo_core::Error::Pruned))
    }
}

/// `Result` with bo-burn's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
