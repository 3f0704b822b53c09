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
    /// The trial was pruned: [`Pruned`] as a bo-core error (what
    /// [`crate::Trial::report_or_prune`] returns). Recognize it with [`Error::is_pruned`] or
    /// [`is_pruned`], never by its message.
    #[error(transparent)]
    Pruned(#[from] Pruned),
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

/// Marker error that ends a trial as PRUNED: the one pruned form.
///
/// Return `Err(Pruned.into())` from an objective when [`crate::Trial::should_prune`] says so
/// (or let [`crate::Trial::report_or_prune`] return it); it converts into
/// [`Error::Pruned`], an adapter's error (`bo_linfa::Error::Core`, ...), `anyhow::Error` and
/// `Box<dyn Error>` alike, and [`is_pruned`] recognizes it through all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned;

impl std::fmt::Display for Pruned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("trial was pruned")
    }
}

impl std::error::Error for Pruned {
    /// A private marker: wrappers that hide the type of the error they wrap (`anyhow`'s
    /// conversion into `Box<dyn Error>`, `#[error(transparent)]` variants) still forward
    /// its source, so [`is_pruned`] finds the marker by type.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&PrunedMarker)
    }
}

/// The source of every [`Pruned`]; private, so only [`Pruned`] produces it.
#[derive(Debug)]
struct PrunedMarker;

impl std::fmt::Display for PrunedMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped before its last step")
    }
}

impl std::error::Error for PrunedMarker {}

impl Error {
    /// Wraps a backend error as [`Error::Storage`].
    pub fn storage(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Storage(Box::new(e))
    }

    /// Whether this error means "the trial was pruned" ([`Error::Pruned`]).
    pub fn is_pruned(&self) -> bool {
        matches!(self, Error::Pruned(_))
    }
}

/// The text of a panic's payload (`panic!("...")` gives a `&str` or a `String`), `None`
/// for any other payload. The study, bo-tch and the CNN examples turn panics into a failed
/// trial's reason with it.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("out of {}", "memory")).unwrap_err();
/// assert_eq!(bo_core::panic_text(payload.as_ref()), Some("out of memory"));
/// ```
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied())
}

/// Whether `error` means "the trial was pruned": it is [`Pruned`] or wraps it, through any
/// number of typed sources (an adapter's error, `anyhow::Error`, `Box<dyn Error>`). Types
/// only: an error that merely *says* "trial was pruned" is not pruned.
///
/// ```
/// use bo_core::{Pruned, is_pruned};
///
/// let e: Box<dyn std::error::Error + Send + Sync> = bo_core::Error::from(Pruned).into();
/// assert!(is_pruned(e.as_ref()));
/// let text: Box<dyn std::error::Error + Send + Sync> = "trial was pruned".into();
/// assert!(!is_pruned(text.as_ref()));
/// ```
///
/// An `anyhow::Error` is checked with `is_pruned(err.as_ref())`.
pub fn is_pruned(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = cur {
        if err.is::<Pruned>() || err.is::<PrunedMarker>() || err.downcast_ref::<Error>().is_some_and(Error::is_pruned) {
            return true;
        }
        cur = err.source();
    }
    false
}
