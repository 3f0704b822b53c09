//! The one error type of bo-burn.

/// What can go wrong while a Burn training reports to a trial.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of bo-core: a storage failure, a non-finite value, or `bo_core::Error::Pruned`
    /// when the pruner stopped the training (the study then marks the trial PRUNED; see
    /// [`Error::is_pruned`]).
    #[error(transparent)]
    Core(#[from] bo_core::Error),
    /// The metric the trial follows was never logged for an epoch that ended: the split had no
    /// batch (an empty validation set).
    #[error("metric `{metric}` has no {split} value at step {step} (Burn's epoch {}); its split had no batch", .step + 1)]
    MetricMissing {
        /// Metric name.
        metric: String,
        /// Split (`valid`).
        split: String,
        /// Step (from 0: Burn's epoch - 1).
        step: u64,
    },
    /// The [`crate::TrialEarlyStopping`] was never attached to a training with
    /// [`crate::PruneTraining::prune_with`], so it follows no metric.
    #[error("TrialEarlyStopping was not attached to the training: use .prune_with(&stopping, metric)")]
    NotAttached,
    /// The training ended before any epoch reported the metric.
    #[error("training ended before metric `{metric}` was reported for any epoch")]
    NoEpoch {
        /// Metric name.
        metric: String,
    },
}

impl From<bo_core::Pruned> for Error {
    fn from(p: bo_core::Pruned) -> Self {
        Error::Core(p.into())
    }
}

impl Error {
    /// Whether this error means "the pruner stopped the trial".
    pub fn is_pruned(&self) -> bool {
        matches!(self, Error::Core(e) if e.is_pruned())
    }
}

/// `Result` with bo-burn's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
