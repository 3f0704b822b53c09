//! Ready search spaces for smartcore 0.7's models (feature `smartcore`), each an
//! [`Estimator`] over the same linfa datasets as [`crate::linfa_models`].
//!
//! | space | model | task | predicts |
//! |---|---|---|---|
//! | [`DecisionTreeSpace`] | `DecisionTreeClassifier` | classification | labels |
//! | [`RandomForestSpace`] | `RandomForestClassifier` | classification | labels |
//! | [`SvcSpace`] | `MultiClassSVC` (one-vs-one) | classification | labels |
//! | [`LogisticRegressionSpace`] | `LogisticRegression` | classification | labels |
//! | [`KnnSpace`] | `KNNClassifier` | classification | probabilities |
//! | [`KnnRegressorSpace`] | `KNNRegressor` | regression | values |
//! | [`ElasticNetSpace`] | `ElasticNet` | regression | values |
//! | [`KMeansSpace`] | `KMeans` | clustering | clusters |
//!
//! Records are copied into smartcore's `DenseMatrix` per fold; labels are passed as `u32`.
//! Each space's [`Default`] is smartcore's default configuration (where smartcore leaves a
//! setting unset, the doc of `default` says what is used).

use bo_core::SearchSpace;
use ndarray::{Array1, Array2};
use smartcore::cluster::kmeans::{KMeans, KMeansParameters};
use smartcore::ensemble::random_forest_classifier::{RandomForestClassifier, RandomForestClassifierParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::elastic_net::{ElasticNet, ElasticNetParameters};
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};
use smartcore::neighbors::KNNWeightFunction;
use smartcore::neighbors::knn_classifier::{KNNClassifier, KNNClassifierParameters};
use smartcore::neighbors::knn_regressor::{KNNRegressor, KNNRegressorParameters};
use smartcore::svm::Kernels;
use smartcore::svm::svc::{MultiClassSVC, SVCParameters};
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters, SplitCriterion as SmartSplit,
};

use crate::data::{ClassificationDataset, RegressionDataset};
use crate::error::{Error, ModelMessage, Result};
use crate::estimator::{Estimator, Fold};
use crate::metric::Predictions;

/// A smartcore matrix of `records` (row-major copy).
fn matrix(records: &Array2<f64>, fold: usize) -> Result<DenseMatrix<f64>> {
    DenseMatrix::new(records.nrows(), records.ncols(), records.iter().copied().collect(), false)
        .map_err(|e| Error::model(fold, e))
}

/// Labels as smartcore's `u32` targets.
fn labels_u32(targets: &Array1<usize>, fold: usize) -> Result<Vec<u32>> {
    targets
        .iter()
        .map(|&l| u32::try_from(l).map_err(|_| Error::model(fold, ModelMessage(format!("label {l} does not fit in u32")))))
        .collect()
}

fn labels_usize(pred: &[u32]) -> Array1<usize> {
    pred.iter().map(|&l| l as usize).collect()
}

/// Split criterion of a smartcore tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, SearchSpace)]
pub enum SplitCriterion {
    /// Gini impurity.
    #[default]
    Gini,
    /// Information gain (entropy).
    Entropy,
    /// Misclassification rate.
    ClassificationError,
}

impl From<SplitCriterion> for SmartSplit {
    fn from(c: SplitCriterion) -> Self {
        match c {
            SplitCriterion::Gini => SmartSplit::Gini,
            SplitCriterion::Entropy => SmartSplit::Entropy,
            SplitCriterion::ClassificationError => SmartSplit::ClassificationError,
        }
    }
}

/// Search space of smartcore's `DecisionTreeClassifier`.
///
/// Parameters: `criterion`, `use_max_depth` (+ `max_depth`), `min_samples_leaf`,
/// `min_samples_split`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct DecisionTreeSpace {
    /// Impurity measure of a split.
    pub criterion: SplitCriterion,
    /// Maximum depth; `None` grows until the leaves are pure.
    #[param(1..=16)]
    pub max_depth: Option<u16>,
    /// Minimum number of samples in a leaf.
    #[param(1..=32, log)]
    pub min_samples_leaf: usize,
    /// Minimum number of samples to split a node.
    #[param(2..=64, log)]
    pub min_samples_split: usize,
}

impl Default for DecisionTreeSpace {
    /// smartcore's defaults: Gini, unlimited depth, leaf 1, split 2.
    fn default() -> Self {
        DecisionTreeSpace { criterion: SplitCriterion::Gini, max_depth: None, min_samples_leaf: 1, min_samples_split: 2 }
    }
}

impl DecisionTreeSpace {
    /// smartcore's parameters for this configuration.
    pub fn params(&self, seed: u64) -> DecisionTreeClassifierParameters {
        DecisionTreeClassifierParameters {
            criterion: self.criterion.into(),
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            min_samples_split: self.min_samples_split,
            seed: Some(seed),
        }
    }
}

impl Estimator for DecisionTreeSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        let x = matrix(&fold.train.records, fold.index)?;
        let y = labels_u32(&fold.train.targets, fold.index)?;
        let model = DecisionTreeClassifier::fit(&x, &y, self.params(fold.seed)).map_err(|e| Error::model(fold.index, e))?;
        let pred = model.predict(&matrix(fold.valid, fold.index)?).map_err(|e| Error::model(fold.index, e))?;
        Ok(Predictions::Labels(labels_usize(&pred)))
    }
}

/// Search space of smartcore's `RandomForestClassifier`.
///
/// Parameters: `n_trees`, `use_max_features` (+ `max_features`, the share of features tried
/// at each split), `criterion`, `use_max_depth` (+ `max_depth`), `min_samples_leaf`,
/// `min_samples_split`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct RandomForestSpace {
    /// Number of trees.
    #[param(8..=128, log)]
    pub n_trees: u16,
    /// Share of the features tried at each split; `None`: the square root of their number.
    #[param(0.1..=1.0)]
    pub max_features: Option<f64>,
    /// Impurity measure of a split.
    pub criterion: SplitCriterion,
    /// Maximum depth; `None` grows until the leaves are pure.
    #[param(1..=16)]
    pub max_depth: Option<u16>,
    /// Minimum number of samples in a leaf.
    #[param(1..=32, log)]
    pub min_samples_leaf: usize,
    /// Minimum number of samples to split a node.
    #[param(2..=64, log)]
    pub min_samples_split: usize,
}

impl Default for RandomForestSpace {
    /// smartcore's defaults: 100 trees, square root of the features per split, Gini,
    /// unlimited depth, leaf 1, split 2.
    fn default() -> Self {
        RandomForestSpace {
            n_trees: 100,
            max_features: None,
            criterion: SplitCriterion::Gini,
            max_depth: None,
            min_samples_leaf: 1,
            min_samples_split: 2,
        }
    }
}

impl Estimator for RandomForestSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        let n_features = fold.train.records.ncols();
        let params = RandomForestClassifierParameters {
            criterion: self.criterion.into(),
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            min_samples_split: self.min_samples_split,
            n_trees: self.n_trees.max(1),
            m: self.max_features.map(|f| ((f * n_features as f64).ceil() as usize).clamp(1, n_features)),
            keep_samples: false,
            seed: fold.seed,
        };
        let x = matrix(&fold.train.records, fold.index)?;
        let y = labels_u32(&fold.train.targets, fold.index)?;
        let model = RandomForestClassifier::fit(&x, &y, params).map_err(|e| Error::model(fold.index, e))?;
        let pred = model.predict(&matrix(fold.valid, fold.index)?).map_err(|e| Error::model(fold.index, e))?;
        Ok(Predictions::Labels(labels_usize(&pred)))
    }
}

/// Kernel of smartcore's SVC.
#[derive(Debug, Clone, PartialEq, Default, SearchSpace)]
pub enum SvcKernel {
    /// `<x, x'>`.
    #[default]
    Linear,
    /// `exp(-gamma |x - x'|^2)`.
    Rbf {
        /// Inverse width.
        #[param(1e-3..=1e1, log)]
        gamma: f64,
    },
    /// `(gamma <x, x'> + coef0)^degree`.
    Polynomial {
        /// Degree.
        #[param(2..=4)]
        degree: u32,
        /// Scale of the inner product.
        #[param(1e-3..=1e1, log)]
        gamma: f64,
        /// Additive constant.
        #[param(0.0..=2.0)]
        coef0: f64,
    },
}

impl SvcKernel {
    fn kernel(&self) -> Kernels {
        match *self {
            SvcKernel::Linear => Kernels::linear(),
            SvcKernel::Rbf { gamma } => Kernels::rbf().with_gamma(gamma),
            SvcKernel::Polynomial { degree, gamma, coef0 } => {
                Kernels::polynomial().with_degree(f64::from(degree)).with_gamma(gamma).with_coef0(coef0)
            }
        }
    }
}

/// Search space of smartcore's SVC (one-vs-one `MultiClassSVC` for any number of classes).
/// Scale the features (`CrossValidationBuilder::standardize`).
///
/// Parameters: `c`, `kernel` (+ `kernel.rbf.gamma`, or `kernel.polynomial.degree`,
/// `kernel.polynomial.gamma`, `kernel.polynomial.coef0`).
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct SvcSpace {
    /// Penalty of margin violations.
    #[param(1e-2..=1e3, log)]
    pub c: f64,
    /// The kernel.
    pub kernel: SvcKernel,
}

impl Default for SvcSpace {
    /// smartcore's defaults: `C = 1`, tolerance `1e-3`, 2 epochs; smartcore sets no kernel, so
    /// the linear one.
    fn default() -> Self {
        SvcSpace { c: 1.0, kernel: SvcKernel::Linear }
    }
}

impl Estimator for SvcSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        let x = matrix(&fold.train.records, fold.index)?;
        let y: Vec<i32> = labels_u32(&fold.train.targets, fold.index)?.into_iter().map(|l| l as i32).collect();
        let params = SVCParameters::default().with_c(self.c).with_kernel(self.kernel.kernel()).with_seed(Some(fold.seed));
        let valid = matrix(fold.valid, fold.index)?;
        let model = MultiClassSVC::fit(&x, &y, &params).map_err(|e| Error::model(fold.index, e))?;
        let pred = model.predict(&valid).map_err(|e| Error::model(fold.index, e))?;
        Ok(Predictions::Labels(pred.iter().map(|&l| l.round().max(0.0) as usize).collect()))
    }
}

/// Search space of smartcore's `LogisticRegression` (L-BFGS). Scale the features
/// (`CrossValidationBuilder::standardize`).
///
/// Parameters: `use_alpha` (+ `alpha`).
#[derive(Debug, Clone, PartialEq, Default, SearchSpace)]
pub struct LogisticRegressionSpace {
    /// L2 penalty; `None` is no penalty.
    #[param(1e-4..=1e2, log)]
    pub alpha: Option<f64>,
}

impl Estimator for LogisticRegressionSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        let x = matrix(&fold.train.records, fold.index)?;
        let y: Vec<i32> = labels_u32(&fold.train.targets, fold.index)?.into_iter().map(|l| l as i32).collect();
        let params = LogisticRegressionParameters::default().with_alpha(self.alpha.unwrap_or(0.0));
        let model = LogisticRegression::fit(&x, &y, params).map_err(|e| Error::model(fold.index, e))?;
        let pred: Vec<i32> = model.predict(&matrix(fold.valid, fold.index)?).map_err(|e| Error::model(fold.index, e))?;
        Ok(Predictions::Labels(pred.iter().map(|&l| l.max(0) as usize).collect()))
    }
}

/// Neighbour weights of k-NN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, SearchSpace)]
pub enum KnnWeight {
    /// Every neighbour counts the same.
    #[default]
    Uniform,
    /// Neighbours count by inverse distance.
    Distance,
}

impl From<KnnWeight> for KNNWeightFunction {
    fn from(w: KnnWeight) -> Self {
        match w {
            KnnWeight::Uniform => KNNWeightFunction::Uniform,
            KnnWeight::Distance => KNNWeightFunction::Distance,
        }
    }
}

fn check_k(k: usize, n_train: usize, fold: usize) -> Result<()> {
    if k == 0 || k > n_train {
        return Err(Error::InvalidConfig { what: "k", reason: format!("{k} neighbours for {n_train} training samples (fold {fold})") });
    }
    Ok(())
}

/// Search space of smartcore's `KNNClassifier` (Euclidean distance); predicts neighbour
/// vote shares as probabilities. Scale the features (`CrossValidationBuilder::standardize`).
///
/// Parameters: `k`, `weight`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct KnnSpace {
    /// Number of neighbours.
    #[param(1..=30)]
    pub k: usize,
    /// Neighbour weights.
    pub weight: KnnWeight,
}

impl Default for KnnSpace {
    /// smartcore's defaults: 3 neighbours, uniform weights.
    fn default() -> Self {
        KnnSpace { k: 3, weight: KnnWeight::Uniform }
    }
}

impl Estimator for KnnSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        check_k(self.k, fold.train.records.nrows(), fold.index)?;
        let x = matrix(&fold.train.records, fold.index)?;
        let y = labels_u32(&fold.train.targets, fold.index)?;
        let params = KNNClassifierParameters::default().with_k(self.k).with_weight(self.weight.into());
        let model = KNNClassifier::fit(&x, &y, params).map_err(|e| Error::model(fold.index, e))?;
        let proba = model.predict_proba(&matrix(fold.valid, fold.index)?).map_err(|e| Error::model(fold.index, e))?;
        // Columns follow the sorted distinct training labels.
        let mut classes: Vec<usize> = fold.train.targets.to_vec();
        classes.sort_unstable();
        classes.dedup();
        let n_classes = fold.n_classes.max(classes.last().map_or(0, |c| c + 1));
        let mut probs = Array2::<f64>::zeros((fold.valid.nrows(), n_classes));
        for (i, row) in proba.iter().enumerate() {
            for (j, &p) in row.iter().enumerate() {
                if let Some(&c) = classes.get(j) {
                    probs[[i, c]] = p;
                }
            }
        }
        Ok(Predictions::Probabilities(probs))
    }
}

/// Search space of smartcore's `KNNRegressor` (Euclidean distance). Scale the features
/// (`CrossValidationBuilder::standardize`).
///
/// Parameters: `k`, `weight`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct KnnRegressorSpace {
    /// Number of neighbours.
    #[param(1..=30)]
    pub k: usize,
    /// Neighbour weights.
    pub weight: KnnWeight,
}

impl Default for KnnRegressorSpace {
    /// smartcore's defaults: 3 neighbours, uniform weights.
    fn default() -> Self {
        KnnRegressorSpace { k: 3, weight: KnnWeight::Uniform }
    }
}

impl Estimator for KnnRegressorSpace {
    type Data = RegressionDataset;

    fn fit_predict(&self, fold: &Fold<'_, RegressionDataset>) -> Result<Array1<f64>> {
        check_k(self.k, fold.train.records.nrows(), fold.index)?;
        let x = matrix(&fold.train.records, fold.index)?;
        let y = fold.train.targets.to_vec();
        let params = KNNRegressorParameters::default().with_k(self.k).with_weight(self.weight.into());
        let model = KNNRegressor::fit(&x, &y, params).map_err(|e| Error::model(fold.index, e))?;
        let pred: Vec<f64> = model.predict(&matrix(fold.valid, fold.index)?).map_err(|e| Error::model(fold.index, e))?;
        Ok(Array1::from(pred))
    }
}

/// Search space of smartcore's `ElasticNet` (regression).
///
/// Parameters: `alpha`, `l1_ratio`, `normalize`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct ElasticNetSpace {
    /// Overall penalty.
    #[param(1e-4..=1e1, log)]
    pub alpha: f64,
    /// Share of the penalty that is L1 (`0`: ridge, `1`: lasso).
    #[param(0.0..=1.0)]
    pub l1_ratio: f64,
    /// Standardize the features inside the model.
    pub normalize: bool,
}

impl Default for ElasticNetSpace {
    /// smartcore's defaults: `alpha = 1`, `l1_ratio = 0.5`, normalized features.
    fn default() -> Self {
        ElasticNetSpace { alpha: 1.0, l1_ratio: 0.5, normalize: true }
    }
}

impl Estimator for ElasticNetSpace {
    type Data = RegressionDataset;

    fn fit_predict(&self, fold: &Fold<'_, RegressionDataset>) -> Result<Array1<f64>> {
        let x = matrix(&fold.train.records, fold.index)?;
        let y = fold.train.targets.to_vec();
        let params = ElasticNetParameters::default()
            .with_alpha(self.alpha)
            .with_l1_ratio(self.l1_ratio)
            .with_normalize(self.normalize);
        let model = ElasticNet::fit(&x, &y, params).map_err(|e| Error::model(fold.index, e))?;
        let pred: Vec<f64> = model.predict(&matrix(fold.valid, fold.index)?).map_err(|e| Error::model(fold.index, e))?;
        Ok(Array1::from(pred))
    }
}

/// Search space of smartcore's `KMeans`, scored by silhouette on the validation fold. Scale
/// the features (`CrossValidationBuilder::standardize`).
///
/// Parameters: `k`, `max_iter`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct KMeansSpace {
    /// Number of clusters.
    #[param(2..=10)]
    pub k: usize,
    /// Iterations at most.
    #[param(10..=300, log)]
    pub max_iter: usize,
}

impl Default for KMeansSpace {
    /// smartcore's defaults: 2 clusters, 100 iterations.
    fn default() -> Self {
        KMeansSpace { k: 2, max_iter: 100 }
    }
}

impl Estimator for KMeansSpace {
    type Data = Array2<f64>;

    fn fit_predict(&self, fold: &Fold<'_, Array2<f64>>) -> Result<Array1<usize>> {
        if self.k > fold.train.nrows() {
            return Err(Error::InvalidConfig {
                what: "k",
                reason: format!("{} clusters for {} training samples", self.k, fold.train.nrows()),
            });
        }
        let x = matrix(fold.train, fold.index)?;
        let params = KMeansParameters::default().with_k(self.k).with_max_iter(self.max_iter);
        let params = KMeansParameters { seed: Some(fold.seed), ..params };
        let model: KMeans<f64, u32, DenseMatrix<f64>, Vec<u32>> =
            KMeans::fit(&x, params).map_err(|e| Error::model(fold.index, e))?;
        let pred = model.predict(&matrix(fold.valid, fold.index)?).map_err(|e| Error::model(fold.index, e))?;
        Ok(labels_usize(&pred))
    }
}
