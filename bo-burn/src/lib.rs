//! Burn hooks for bo: tune a Burn model with a study, prune hopeless trials mid-training.
//!
//! With Burn's learner, [`TrialEarlyStopping`] is the training's early-stopping strategy:
//! after each epoch it reports the validation metric to the trial and stops the training
//! when the study's pruner says so; [`PruneTraining::prune_with`] attaches it and
//! [`TrialEarlyStopping::finish`] turns the outcome into the objective's result (a pruned
//! training ends the trial PRUNED). The metric it follows is named once, in `prune_with`.
//! Steps count from 0 as everywhere in bo: Burn's epoch `e` (counted from 1) is step `e - 1`.
//! Hand-written loops call `trial.report_or_prune(epoch, value)?` with their 0-based epoch.
//! [`QuietRenderer`] keeps Burn from printing each step while trials run side by side.
//!
//! bo-burn enables no Burn backend: the user picks one (`ndarray`, `cuda`, …).
//!
//! ```ignore
//! study.optimize_with(Optimize::trials(30).n_jobs(2), |trial: &mut Trial| {
//!     let hp: Hparams = trial.suggest()?;
//!     let stopping = TrialEarlyStopping::new(trial);
//!     SupervisedTraining::new(dir, train_loader, valid_loader)
//!         .num_epochs(12)
//!         .renderer(QuietRenderer)
//!         .with_application_logger(None)
//!         .prune_with(&stopping, AccuracyMetric::new())  // follows (and registers) Accuracy
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
