//! [`Estimator`]: a typed search space that can fit its model, and the [`Fold`] it fits on.

use std::fmt;

use bo_core::SearchSpace;
use ndarray::Array2;

use crate::data::CvData;
use crate::error::Result;

/// One fold of a cross-validation, as a model sees it: the training part with its targets,
/// and the validation records to predict (their targets stay hidden).
#[derive(Debug)]
#[non_exhaustive]
pub struct Fold<'a, D> {
    /// 0-based fold index ([`crate::HOLDOUT_FOLD`] for a held-out evaluation).
    pub index: usize,
    /// Training data: a linfa dataset (classification, regression) or records (clustering).
    pub train: &'a D,
    /// Validation records, one sample per row.
    pub valid: &'a Array2<f64>,
    /// Number of classes of the whole dataset (`max label + 1`; `0` without labels):
    /// probability columns must cover all of them, even those absent from this fold.
    pub n_classes: usize,
    /// Seed for the model's own randomness (bootstrap, initialization), fixed per fold.
    pub seed: u64,
}

/// A model's typed search space (`#[derive(SearchSpace)]`) whose values are configurations
/// the model can be fitted with.
///
/// [`Default`] is the library's default configuration (the baseline a tuned model is
/// compared with). [`crate::CrossValidation::objective`] tunes any `Estimator`; the ready ones
/// are in [`crate::linfa_models`] and (feature `smartcore`) `smartcore_models`.
///
/// Implement it for your own model:
///
/// ```
/// use bo_core::SearchSpace;
/// use bo_linfa::{ClassificationDataset, Estimator, Fold, Predictions, Result};
/// use linfa::prelude::*;
/// use linfa_trees::DecisionTree;
///
/// #[derive(Debug, Clone, Default, SearchSpace)]
/// struct Stump {
///     #[param(1..=3)]
///     depth: usize,
/// }
///
/// impl Estimator for Stump {
///     type Data = ClassificationDataset;
///     fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
///         let tree = DecisionTree::params()
///             .max_depth(Some(self.depth.max(1)))
///             .fit(fold.train)
///             .map_err(|e| bo_linfa::Error::Model { fold: fold.index, source: e.into() })?;
///         Ok(Predictions::Labels(tree.predict(fold.valid)))
///     }
/// }
/// ```
pub trait Estimator: SearchSpace + Default + Clone + fmt::Debug + Send + Sync {
    /// The data it learns from: [`crate::ClassificationDataset`],
    /// [`crate::RegressionDataset`] or `Array2<f64>` (clustering).
    type Data: CvData;

    /// Fits this configuration on `fold.train` and predicts `fold.valid`.
    fn fit_predict(&self, fold: &Fold<'_, Self::Data>) -> Result<<Self::Data as CvData>::Output>;
}
