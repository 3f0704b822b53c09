//! Bayesian hyperparameter optimization inside Rust training code.
//!
//! Ask a [`Trial`] for hyperparameters, report a metric each epoch or fold, stop hopeless
//! trials early ([`Pruner`]s), and let a model of the objective ([`Sampler`]s: TPE, CMA-ES,
//! random, grid, Sobol) pick the next configuration. Studies live in a [`Storage`]: in memory, a
//! SQLite file shared by several processes, or a PostgreSQL database shared by workers on many
//! machines (with heartbeats, so a trial whose worker died is failed and can be retried).
//!
//! ```
//! use bo_core::{Float, Optimize, Study, Trial};
//!
//! let study = Study::builder().name("quadratic").seed(42).build()?;
//! study.optimize_with(Optimize::trials(40).progress_bar(false), |trial: &mut Trial| {
//!     let x = trial.suggest_float("x", Float::new(-10.0, 10.0))?;
//!     Ok::<_, bo_core::Error>((x - 2.0).powi(2))
//! })?;
//! let best = study.best_trial()?;
//! assert!(best.value.unwrap() < 1.0);
//! # Ok::<(), bo_core::Error>(())
//! ```
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `sqlite` | yes | [`SqliteStorage`], the embedded default storage (bundled SQLite) |
//! | `postgres` | no | [`PostgresStorage`]: one database shared by workers on many machines |
//! | `progress` | yes | the indicatif progress bar of [`Study::optimize_with`] |
//! | `derive` | no | `#[derive(SearchSpace)]` for typed search spaces |
//! | `plot` | no | rendering of the [`plot`] figures to SVG and PNG (plotters, embedded font) |
//!
//! References: Bergstra et al., "Algorithms for Hyper-Parameter Optimization" (NeurIPS 2011);
//! Watanabe, "Tree-Structured Parzen Estimator: Understanding Its Algorithm Components"
//! (2023); Akiba et al., "Optuna" (KDD 2019); Li et al., "Hyperband" (JMLR 2018); Hansen,
//! "The CMA Evolution Strategy: A Tutorial" (2016).

mod error;
mod heartbeat;
mod history;
mod math;
mod retry;
mod rng;
mod space;
mod study;
mod trial;
mod trial_record;

pub mod config;
pub mod importance;
pub mod plot;
pub mod pruner;
pub mod sampler;
pub mod storage;
pub mod wire;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{Error, Pruned, Result, is_pruned, panic_text};
pub use history::History;
pub use pruner::{
    HyperbandPruner, MedianPruner, NopPruner, PatientPruner, PercentilePruner, Pruner, SuccessiveHalvingPruner,
    ThresholdPruner,
};
pub use rng::TrialRng;
#[cfg(feature = "gp")]
pub use sampler::{GpSampler, GpSamplerBuilder};
pub use sampler::{
    CmaEsSampler, CmaEsSamplerBuilder, GridSampler, QmcSampler, RandomSampler, RestartStrategy, Sampler, TpeSampler,
    TpeSamplerBuilder,
};
pub use space::{Categorical, Choice, Distribution, Distributions, Float, Int, ParamValue, Params};
pub use storage::{Cursor, InMemoryStorage, Storage, StudyRecord, open_storage};
pub use study::{Callback, Optimize, Study, StudyBuilder};
pub use trial::{Reporter, SearchSpace, Trial};
pub use trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId, TrialState};

#[cfg(feature = "postgres")]
pub use storage::PostgresStorage;
#[cfg(feature = "sqlite")]
pub use storage::SqliteStorage;
#[cfg(feature = "http")]
pub use storage::HttpStorage;

#[cfg(feature = "derive")]
pub use bo_derive::SearchSpace;

#[cfg(test)]
mod tests;

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

// Compile-time checks: the public handles cross threads (a study's workers share them).
const _: fn() = || {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send + 'static>() {}
    send_sync::<Study>();
    send_sync::<Reporter>();
    send_sync::<InMemoryStorage>();
    send_sync::<History>();
    send_sync::<Error>();
    send::<Trial>();
};
