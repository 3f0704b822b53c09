//! The one error type of bo-linfa.

use bo_core::Direction;

use crate::metric::Metric;

/// Everything that can go wrong in bo-linfa, as data a caller can match on.
///
/// Bad input (an empty dataset, more folds than samples, a metric that does not fit the task
/// or the predictions) comes back as one of these, never as a panic. A model that fails (or
/// panics) while fitting or predicting a fold is [`Error::Model`], with the fold and the
/// model's own error as the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of bo-core: suggesting a parameter, a storage failure, or
    /// `bo_core::Error::Pruned` when the study's pruner stopped the trial after a fold
    /// (returned from an objective, it ends the trial as PRUNED; see [`Error::is_pruned`]).
    #[error(transparent)]
    Core(#[from] bo_core::Error),
    /// Cross-validation asked to run in a study that optimizes the other way: a maximized
    /// metric (accuracy) in a minimizing study, or the reverse, would make the sampler chase
    /// the worst configurations and the pruner stop the best. Build the study with
    /// `Study::builder().direction(cv.direction())`.
    #[error("metric {metric} is to {} but the study is set to {study}; build it with .direction(cv.direction())", .metric.direction())]
    DirectionMismatch {
        /// The cross-validation's metric.
        metric: Metric,
        /// The study's direction.
        study: Direction,
    },
    /// A dataset with no sample (or no feature).
    #[error("empty dataset: {samples} samples, {features} features")]
    EmptyDataset {
        /// Number of samples (rows).
        samples: usize,
        /// Number of features (columns).
        features: usize,
    },
    /// Records and targets of different lengths.
    #[error("records have {records} rows but there are {targets} targets")]
    LengthMismatch {
        /// Rows of the records.
        records: usize,
        /// Length of the targets.
        targets: usize,
    },
    /// A feature or target that is NaN or infinite.
    #[error("non-finite {what} at row {row}")]
    NonFiniteData {
        /// `"feature"` or `"target"`.
        what: &'static str,
        /// The first offending row.
        row: usize,
    },
    /// More folds than samples.
    #[error("cannot split {samples} samples into {folds} folds")]
    TooManyFolds {
        /// Requested folds.
        folds: usize,
        /// Available samples.
        samples: usize,
    },
    /// A configuration value out of its allowed range (builders report these).
    #[error("invalid configuration: {what}: {reason}")]
    InvalidConfig {
        /// The setting.
        what: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// A metric used for a task it does not measure (e.g. RMSE on class labels).
    #[error("metric {metric} does not apply to {task}")]
    MetricTask {
        /// The metric.
        metric: Metric,
        /// `"classification"`, `"regression"` or `"clustering"`.
        task: &'static str,
    },
    /// A metric that needs class probabilities, given hard labels only.
    #[error("metric {metric} needs class probabilities, but the model predicted labels only")]
    NeedsProbabilities {
        /// The metric.
        metric: Metric,
    },
    /// Predictions whose shape does not fit the truth or the classes.
    #[error("predictions do not fit: {reason}")]
    PredictionShape {
        /// What does not fit.
        reason: String,
    },
    /// A metric that is undefined on this input (e.g. ROC AUC with one class present,
    /// silhouette with one cluster).
    #[error("metric {metric} is undefined here: {reason}")]
    UndefinedMetric {
        /// The metric.
        metric: Metric,
        /// Why.
        reason: String,
    },
    /// A fold's score that is NaN or infinite.
    #[error("fold {fold} scored {value} with {metric}, which is not finite")]
    NonFiniteScore {
        /// 0-based fold index.
        fold: usize,
        /// The metric.
        metric: Metric,
        /// The score.
        value: f64,
    },
    /// A model that failed (returned an error or panicked) on a fold.
    #[error("model failed {}", fold_text(*fold))]
    Model {
        /// 0-based fold index ([`crate::HOLDOUT_FOLD`] for a held-out evaluation).
        fold: usize,
        /// The model's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn fold_text(fold: usize) -> String {
    if fold == crate::HOLDOUT_FOLD { "in the held-out fit".to_string() } else { format!("on fold {fold}") }
}

/// `Result` with bo-linfa's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// True when this error means "the trial was pruned" (`bo_core::Error::Pruned` inside
    /// [`Error::Core`]).
    pub fn is_pruned(&self) -> bool {
        matches!(self, Error::Core(e) if e.is_pruned())
    }

    /// Wraps a model's error (as a boxed source).
    pub(crate) fn model(fold: usize, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Model { fold, source: e.into() }
    }
}

impl From<bo_core::Pruned> for Error {
    fn from(p: bo_core::Pruned) -> Self {
        Error::Core(p.into())
    }
}

/// A model panic turned into an error (its message).
#[derive(Debug)]
pub(crate) struct ModelPanic(pub(crate) String);

impl std::fmt::Display for ModelPanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "model panicked: {}", self.0)
    }
}

impl std::error::Error for ModelPanic {}

/// A message of a library's error type that is not `Send + Sync` or not `Error`.
#[derive(Debug)]
pub(crate) struct ModelMessage(pub(crate) String);

impl std::fmt::Display for ModelMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ModelMessage {}
