//! Burn hooks for bo: tune a Burn model with a study, prune hopeless trials mid-training.
//!
//! With Burn's learner, [`TrialEarlyStopping`] is the training's early-stopping strategy:
//! after each epoch it reports the validation metric to the trial and stops the training
//! when the study's pruner says so; [`PruneTraining::prune_with`] attaches it and
//! [`TrialEarlyStopping::finish`] turns the outcome into the objective's result (a pruned
//! training ends the trial PRUNED). Hand-written loops use [`EpochReporter`].
//! [`QuietRenderer`] keeps Burn from printing each step while trials run side by side.
//!
//! bo-burn enables no Burn backend: the user picks one (`ndarray`, `cuda`, …).
//!
//! ```ignore
//! study.optimize_with(Optimize::trials(30).n_jobs(2), |trial: &mut Trial| {
//!     let hp: Hparams = trial.suggest()?;
//!     let stopping = TrialEarlyStopping::new(trial.reporter(), &AccuracyMetric::<B>::new());
//!     SupervisedTraining::new(dir, train_loader, valid_loader)
//!         .metric_valid_numeric(AccuracyMetric::new())
//!         .num_epochs(12)
//!         .renderer(QuietRenderer)
//!         .with_application_logger(None)
//!         .prune_with(&stopping)
//!         .launch(Learner::new(model, hp.optimizer(), hp.lr));
//!     Ok::<_, bo_burn::Error>(stopping.finish()?) // accuracy, or PRUNED
//! })?;
//! ```
//!
//! A complete, tested version is `tests/cnn_digits.rs`; a runnable program is
//! `examples/tune-cnn-burn`.

mod early_stopping;
mod error;
mod renderer;

pub use early_stopping::{PruneTraining, TrialEarlyStopping};
pub use error::{Error, Result};
pub use renderer::QuietRenderer;
pub use bo_core::EpochReporter;
