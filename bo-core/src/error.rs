//! The one error type of bo-core.

/// Everything that can go wrong in bo-core, as data a caller can match on.
///
/// Messages are lowercase, name the rule and the offending value. No variant is ever
/// produced by a panic: bad user input always comes back as one of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A float/int range whose lower bound exceeds its upper bound.
    #[error("invalid range for `{name}`: low ({low}) must be <= high ({high})")]
    InvalidRange {
        /// Parameter name.
        name: String,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// A bound that is NaN or infinite.
    #[error("invalid bound for `{name}`: {value} is not finite")]
    NonFiniteBound {
        /// Parameter name.
        name: String,
        /// The offending bound.
        value: f64,
    },
    /// A log-scaled range that includes zero or negative values.
    #[error("invalid log range for `{name}`: low ({low}) must be > 0")]
    InvalidLogRange {
        /// Parameter name.
        name: String,
        /// Lower bound.
        low: f64,
    },
    /// A step that is not positive, or that does not divide the range.
    #[error("invalid step for `{name}`: {reason} (step = {step})")]
    InvalidStep {
        /// Parameter name.
        name: String,
        /// The offending step.
        step: f64,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A categorical parameter with no choices.
    #[error("empty choices for categorical `{name}`")]
    EmptyChoices {
        /// Parameter name.
        name: String,
    },
    /// A categorical parameter with a choice that appears twice or is not representable.
    #[error("invalid choices for categorical `{name}`: {reason}")]
    InvalidChoices {
        /// Parameter name.
        name: String,
        /// Which rule they break.
        reason: String,
    },
    /// A parameter name asked again with a different distribution.
    #[error("parameter `{name}` was defined as {existing} and cannot be redefined as {requested}")]
    DistributionMismatch {
        /// Parameter name.
        name: String,
        /// The distribution it already has (as text).
        existing: String,
        /// The distribution asked now (as text).
        requested: String,
    },
    /// A value (from `enqueue` or `Trial::fixed`) that lies outside its distribution.
    #[error("value {value} for `{name}` is not in {distribution}")]
    ValueOutOfDistribution {
        /// Parameter name.
        name: String,
        /// The offending value (as JSON text).
        value: String,
        /// The distribution (as text).
        distribution: String,
    },
    /// A fixed trial (`Trial::fixed`) was asked for a parameter it does not hold.
    #[error("fixed trial has no value for parameter `{name}`")]
    MissingFixedParam {
        /// Parameter name.
        name: String,
    },
    /// An objective value that is NaN or infinite.
    #[error("objective value {value} is not finite")]
    NonFiniteValue {
        /// The offending value.
        value: f64,
    },
    /// The trial was pruned: return `Err(Pruned.into())` from an objective.
    #[error("trial was pruned")]
    Pruned,
    /// A call on a trial that has already finished.
    #[error("trial {trial} has already finished")]
    TrialFinished {
        /// Trial id.
        trial: u64,
    },
    /// A trial id that is not in the storage.
    #[error("trial {trial} does not exist")]
    UnknownTrial {
        /// Trial id.
        trial: u64,
    },
    /// A study name that is not in the storage.
    #[error("study `{name}` does not exist")]
    UnknownStudy {
        /// Study name.
        name: String,
    },
    /// A study name that exists already (and `load_if_exists` is off).
    #[error("study `{name}` already exists; use load_if_exists(true) to resume it")]
    StudyExists {
        /// Study name.
        name: String,
    },
    /// Loading an existing study with another direction.
    #[error("study `{name}` exists with direction {existing}, not {requested}")]
    DirectionMismatch {
        /// Study name.
        name: String,
        /// Stored direction.
        existing: String,
        /// Requested direction.
        requested: String,
    },
    /// A parameter name that no (completed) trial of the study holds.
    #[error("parameter `{name}` is not in the study")]
    UnknownParam {
        /// Parameter name.
        name: String,
    },
    /// No completed trial yet (e.g. `best_trial` on a fresh study).
    #[error("study has no completed trial yet")]
    NoCompletedTrials,
    /// A configuration value out of its allowed range (builders report these).
    #[error("invalid configuration: {what}: {reason}")]
    InvalidConfig {
        /// The setting.
        what: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// A plot of learning curves for a study where no trial reported a value.
    #[error("no trial of the study reported intermediate values")]
    NoIntermediateValues,
    /// An image path whose extension names no supported format.
    #[error("cannot tell the image format of `{path}`: use a .svg or .png file name")]
    UnsupportedImageFormat {
        /// The path.
        path: String,
    },
    /// Drawing a plot failed (backend or font error).
    #[error("cannot render plot: {0}")]
    Render(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Writing a file failed.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A storage opened with a schema version this build cannot read.
    #[error("storage schema version {found} is not supported (this build reads version {expected})")]
    SchemaVersion {
        /// Version found in the store.
        found: i64,
        /// Version this build uses.
        expected: i64,
    },
    /// A storage URL that cannot be parsed or names an unknown backend.
    #[error("invalid storage url `{url}`: {reason}")]
    InvalidStorageUrl {
        /// The URL.
        url: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A failure of the storage backend (database error, I/O).
    #[error("storage error: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A feature that is not compiled in.
    #[error("`{feature}` support is not compiled in; enable feature `{feature}`")]
    FeatureDisabled {
        /// Cargo feature name.
        feature: &'static str,
    },
}

/// `Result` with bo-core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Marker error that ends a trial as PRUNED.
///
/// Return `Err(Pruned.into())` from an objective when [`crate::Trial::should_prune`] says so;
/// it converts into [`Error::Pruned`], `anyhow::Error` and `Box<dyn Error>` alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("trial was pruned")]
pub struct Pruned;

impl From<Pruned> for Error {
    fn from(_: Pruned) -> Self {
        Error::Pruned
    }
}

impl Error {
    /// Wraps a backend error as [`Error::Storage`].
    pub fn storage(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Storage(Box::new(e))
    }
}

/// The message of [`Pruned`] and [`Error::Pruned`].
const PRUNED_MESSAGE: &str = "trial was pruned";

/// True when an error returned by an objective means "pruned", looking through wrappers.
///
/// Wrappers that re-box the error (`anyhow::Error` into `Box<dyn Error>`) hide its type, so
/// an error whose message is exactly the pruned message counts too.
pub(crate) fn is_pruned(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<Pruned>()
            || matches!(err.downcast_ref::<Error>(), Some(Error::Pruned))
            || err.to_string() == PRUNED_MESSAGE
        {
            return true;
        }
        cur = err.source();
    }
    false
}
