//! Tune linfa and smartcore models with bo: cross-validated objectives that report each fold,
//! so pruners stop a bad configuration after a fold or two, and ready typed search spaces.
//!
//! A [`CrossValidation`] splits a dataset into `k` folds (stratified for classification),
//! fits the model on each, reports the running mean score after each fold
//! (`trial.report(fold, mean_so_far)`, fold `k` as step `k`, the first at 0), checks
//! `trial.should_prune()?`, and returns the mean score (or `bo_core::Error::Pruned`, which
//! ends the trial as PRUNED; [`Error::is_pruned`]). The [`Metric`] knows its direction, so the
//! study is built from it; a study set the other way is [`Error::DirectionMismatch`]. Models come from the ready spaces in
//! [`linfa_models`] (and `smartcore_models`, feature `smartcore`), from any linfa
//! `Fit`/`Predict` parameters ([`CrossValidation::classify_linfa`]), or from a closure
//! ([`CrossValidation::classify`], [`CrossValidation::regress`], [`CrossValidation::cluster`]).
//!
//! ```
//! use bo_core::{MedianPruner, Optimize, Study, TpeSampler, Trial};
//! use bo_linfa::{CrossValidation, Estimator, Metric, linfa_models::DecisionTreeSpace};
//!
//! let data = linfa_datasets::iris();
//! let cv = CrossValidation::builder().folds(5).metric(Metric::Accuracy).seed(3).build()?;
//! let study = Study::builder()
//!     .direction(cv.direction())
//!     .sampler(TpeSampler::default())
//!     .pruner(MedianPruner::default())
//!     .seed(42)
//!     .build()?;
//! study.optimize_with(Optimize::trials(10).progress_bar(false), cv.objective::<DecisionTreeSpace>(&data))?;
//!
//! // The best configuration, typed again:
//! let best: DecisionTreeSpace = Trial::fixed(study.best_params()?).suggest()?;
//! assert!(study.best_value()? > 0.9);
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `smartcore` | no | `smartcore_models`: smartcore 0.7's trees, forests, SVC, logistic regression, elastic net, k-NN and k-means |
//!
//! Everything is pure Rust (no BLAS). References: Kohavi, "A Study of Cross-Validation and
//! Bootstrap for Accuracy Estimation and Model Selection" (IJCAI 1995); scikit-learn's
//! `StratifiedKFold` and `sklearn.metrics`.

mod cv;
mod data;
mod error;
mod estimator;
mod folds;
mod metric;

pub mod linfa_models;
#[cfg(feature = "smartcore")]
pub mod smartcore_models;

pub use cv::{CrossValidation, CrossValidationBuilder, FOLD_SCORES_ATTR, HOLDOUT_FOLD};
pub use data::{ClassificationDataset, CvData, RegressionDataset};
pub use error::{Error, Result};
pub use estimator::{Estimator, Fold};
pub use folds::{k_fold, stratified_k_fold};
pub use metric::{
    Metric, Predictions, Task, accuracy, f1, f1_macro, log_loss, mae, r2, rmse, roc_auc, roc_auc_ovr, silhouette,
};

#[cfg(test)]
mod tests;
