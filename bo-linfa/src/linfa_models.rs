//! Ready search spaces for linfa's models, each an [`Estimator`].
//!
//! | space | model | task | predicts |
//! |---|---|---|---|
//! | [`DecisionTreeSpace`] | `linfa_trees::DecisionTree` | classification | labels |
//! | [`RandomForestSpace`] | `linfa_ensemble::RandomForest` (bagging with `feature_proportion = 1`) | classification | vote shares |
//! | [`SvmSpace`] | `linfa_svm::Svm` with Platt scaling, one-vs-rest for more than two classes | classification | probabilities |
//! | [`LogisticRegressionSpace`] | `linfa_logistic::MultiLogisticRegression` | classification | probabilities |
//! | [`ElasticNetSpace`] | `linfa_elasticnet::ElasticNet` | regression | values |
//! | [`KMeansSpace`] | `linfa_clustering::KMeans` | clustering | clusters |
//!
//! linfa has no k-NN classifier (only neighbour search); smartcore's is
//! `smartcore_models::KnnSpace` (feature `smartcore`).
//!
//! Each space's [`Default`] is the library's default configuration. The ranges are common
//! starting points; for other ranges, copy a space into your crate and change its
//! `#[param(...)]` attributes.

use bo_core::SearchSpace;
use linfa::DatasetBase;
use linfa::dataset::Pr;
use linfa::traits::Fit;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_elasticnet::ElasticNet;
use linfa_ensemble::EnsembleLearnerParams;
use linfa_logistic::MultiLogisticRegression;
use linfa_svm::Svm;
use linfa_trees::{DecisionTree, DecisionTreeParams, SplitQuality};
use ndarray::{Array1, Array2, Axis};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;

use crate::cv::predict;
use crate::data::{ClassificationDataset, RegressionDataset};
use crate::error::{Error, ModelMessage, Result};
use crate::estimator::{Estimator, Fold};
use crate::metric::Predictions;

/// Impurity measure of a tree split (linfa's `SplitQuality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, SearchSpace)]
pub enum SplitCriterion {
    /// Gini impurity.
    #[default]
    Gini,
    /// Information gain (entropy).
    Entropy,
}

impl From<SplitCriterion> for SplitQuality {
    fn from(c: SplitCriterion) -> Self {
        match c {
            SplitCriterion::Gini => SplitQuality::Gini,
            SplitCriterion::Entropy => SplitQuality::Entropy,
        }
    }
}

/// Search space of `linfa_trees::DecisionTree`.
///
/// Parameters: `split_quality`, `use_max_depth` (+ `max_depth`), `min_weight_split`,
/// `min_weight_leaf`, `min_impurity_decrease`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct DecisionTreeSpace {
    /// Impurity measure of a split.
    pub split_quality: SplitCriterion,
    /// Maximum depth; `None` grows until the leaves are pure.
    #[param(1..=16)]
    pub max_depth: Option<usize>,
    /// Minimum (weighted) number of samples to split a node.
    #[param(2..=64, log)]
    pub min_weight_split: u32,
    /// Minimum (weighted) number of samples in a leaf.
    #[param(1..=32, log)]
    pub min_weight_leaf: u32,
    /// Minimum impurity decrease of a split.
    #[param(1e-6..=1e-1, log)]
    pub min_impurity_decrease: f64,
}

impl Default for DecisionTreeSpace {
    /// linfa's defaults: Gini, unlimited depth, split 2, leaf 1, impurity decrease 1e-5.
    fn default() -> Self {
        DecisionTreeSpace {
            split_quality: SplitCriterion::Gini,
            max_depth: None,
            min_weight_split: 2,
            min_weight_leaf: 1,
            min_impurity_decrease: 1e-5,
        }
    }
}

impl DecisionTreeSpace {
    /// linfa's hyperparameters for this configuration.
    pub fn params(&self) -> DecisionTreeParams<f64, usize> {
        DecisionTree::params()
            .split_quality(self.split_quality.into())
            .max_depth(self.max_depth)
            .min_weight_split(self.min_weight_split as f32)
            .min_weight_leaf(self.min_weight_leaf as f32)
            .min_impurity_decrease(self.min_impurity_decrease)
    }
}

impl Estimator for DecisionTreeSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        let tree = self.params().fit(fold.train).map_err(|e| Error::model(fold.index, e))?;
        Ok(Predictions::Labels(predict(&tree, fold.valid)))
    }
}

/// Search space of linfa's random forest (`linfa_ensemble::EnsembleLearnerParams` over
/// decision trees): bagging with a random subset of features per tree. Predicts the share of
/// trees voting for each class.
///
/// Parameters: `n_trees`, `bootstrap_proportion`, `feature_proportion`, and the tree's as
/// `tree.*` (`tree.split_quality`, `tree.use_max_depth`, …). With `feature_proportion = 1`
/// it is plain bagging.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct RandomForestSpace {
    /// Number of trees.
    #[param(8..=128, log)]
    pub n_trees: usize,
    /// Share of the training samples each tree is fitted on (drawn with replacement).
    #[param(0.2..=1.0)]
    pub bootstrap_proportion: f64,
    /// Share of the features each tree sees.
    #[param(0.2..=1.0)]
    pub feature_proportion: f64,
    /// The trees' own hyperparameters.
    pub tree: DecisionTreeSpace,
}

impl Default for RandomForestSpace {
    /// linfa's defaults: one tree on a full bootstrap sample with all features (linfa's
    /// `EnsembleLearnerParams::new`), default trees.
    fn default() -> Self {
        RandomForestSpace { n_trees: 1, bootstrap_proportion: 1.0, feature_proportion: 1.0, tree: DecisionTreeSpace::default() }
    }
}

impl Estimator for RandomForestSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        let forest = EnsembleLearnerParams::new_fixed_rng(self.tree.params(), Xoshiro256Plus::seed_from_u64(fold.seed))
            .ensemble_size(self.n_trees)
            .bootstrap_proportion(self.bootstrap_proportion)
            .feature_proportion(self.feature_proportion)
            .fit(fold.train)
            .map_err(|e| Error::model(fold.index, e))?;
        let n_classes = fold.n_classes.max(1);
        let mut votes = Array2::<f64>::zeros((fold.valid.nrows(), n_classes));
        for (tree, features) in forest.models.iter().zip(&forest.model_features) {
            let sub = fold.valid.select(Axis(1), features);
            let labels: Array1<usize> = predict(tree, &sub);
            for (i, &c) in labels.iter().enumerate() {
                if c < n_classes {
                    votes[[i, c]] += 1.0;
                }
            }
        }
        votes /= forest.models.len().max(1) as f64;
        Ok(Predictions::Probabilities(votes))
    }
}

/// Kernel of an SVM.
#[derive(Debug, Clone, PartialEq, Default, SearchSpace)]
pub enum SvmKernel {
    /// `<x, x'>`.
    #[default]
    Linear,
    /// `exp(-|x - x'|^2 / eps)`.
    Gaussian {
        /// Width of the kernel.
        #[param(1e-2..=1e3, log)]
        eps: f64,
    },
    /// `(<x, x'> + constant)^degree`.
    Polynomial {
        /// Additive constant.
        #[param(0.0..=2.0)]
        constant: f64,
        /// Degree.
        #[param(2..=4)]
        degree: u32,
    },
}

/// Search space of `linfa_svm::Svm` as a classifier, with Platt-scaled probabilities; more
/// than two classes are one-vs-rest (one SVM per class, probabilities normalized). Scale the
/// features (`CrossValidationBuilder::standardize`).
///
/// Parameters: `c`, `kernel` (+ `kernel.gaussian.eps`, or `kernel.polynomial.constant` and
/// `kernel.polynomial.degree`).
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct SvmSpace {
    /// Penalty of margin violations (both classes).
    #[param(1e-2..=1e3, log)]
    pub c: f64,
    /// The kernel.
    pub kernel: SvmKernel,
}

impl Default for SvmSpace {
    /// linfa's defaults: `C = 1`, linear kernel.
    fn default() -> Self {
        SvmSpace { c: 1.0, kernel: SvmKernel::Linear }
    }
}

impl SvmSpace {
    /// Probability of class `positive` for each validation record, from a binary SVM.
    fn one_vs_rest(&self, fold: &Fold<'_, ClassificationDataset>, positive: usize) -> Result<Array1<f64>> {
        let targets: Array1<bool> = fold.train.targets.mapv(|l| l == positive);
        let n_pos = targets.iter().filter(|&&t| t).count();
        if n_pos == 0 || n_pos == targets.len() {
            // One class only in this training part: the answer is certain.
            let p = if n_pos == 0 { 0.0 } else { 1.0 };
            return Ok(Array1::from_elem(fold.valid.nrows(), p));
        }
        let params = Svm::<f64, Pr>::params().pos_neg_weights(self.c, self.c);
        let params = match self.kernel {
            SvmKernel::Linear => params.linear_kernel(),
            SvmKernel::Gaussian { eps } => params.gaussian_kernel(eps),
            SvmKernel::Polynomial { constant, degree } => params.polynomial_kernel(constant, f64::from(degree)),
        };
        let data = DatasetBase::new(fold.train.records.view(), targets.view());
        let model = params.fit(&data).map_err(|e| Error::model(fold.index, e))?;
        let p: Array1<Pr> = predict(&model, fold.valid);
        Ok(p.mapv(|p| f64::from(*p)))
    }
}

impl Estimator for SvmSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        if fold.n_classes <= 2 {
            return Ok(Predictions::binary(&self.one_vs_rest(fold, 1)?));
        }
        let mut probs = Array2::<f64>::zeros((fold.valid.nrows(), fold.n_classes));
        for c in 0..fold.n_classes {
            let p = self.one_vs_rest(fold, c)?;
            probs.column_mut(c).assign(&p);
        }
        for mut row in probs.rows_mut() {
            let s = row.sum();
            if s > 0.0 {
                row /= s;
            }
        }
        Ok(Predictions::Probabilities(probs))
    }
}

/// Search space of `linfa_logistic::MultiLogisticRegression` (multinomial, L2-penalized;
/// also for two classes). Scale the features (`CrossValidationBuilder::standardize`).
///
/// Parameters: `alpha`, `max_iterations`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct LogisticRegressionSpace {
    /// L2 penalty.
    #[param(1e-4..=1e2, log)]
    pub alpha: f64,
    /// Iterations of the L-BFGS solver.
    #[param(20..=500, log)]
    pub max_iterations: u64,
}

impl Default for LogisticRegressionSpace {
    /// linfa's defaults: `alpha = 1`, 100 iterations.
    fn default() -> Self {
        LogisticRegressionSpace { alpha: 1.0, max_iterations: 100 }
    }
}

impl Estimator for LogisticRegressionSpace {
    type Data = ClassificationDataset;

    fn fit_predict(&self, fold: &Fold<'_, ClassificationDataset>) -> Result<Predictions> {
        let model = MultiLogisticRegression::<f64>::default()
            .alpha(self.alpha)
            .max_iterations(self.max_iterations)
            .fit(fold.train)
            .map_err(|e| Error::model(fold.index, e))?;
        let seen = model.predict_probabilities(fold.valid);
        let mut probs = Array2::<f64>::zeros((fold.valid.nrows(), fold.n_classes.max(seen.ncols())));
        for (j, &class) in model.classes().iter().enumerate() {
            if class >= probs.ncols() {
                return Err(Error::model(fold.index, ModelMessage(format!("unknown class {class}"))));
            }
            probs.column_mut(class).assign(&seen.column(j));
        }
        Ok(Predictions::Probabilities(probs))
    }
}

/// Search space of `linfa_elasticnet::ElasticNet` (regression).
///
/// Parameters: `penalty`, `l1_ratio`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct ElasticNetSpace {
    /// Overall penalty (`alpha` elsewhere).
    #[param(1e-4..=1e1, log)]
    pub penalty: f64,
    /// Share of the penalty that is L1 (`0`: ridge, `1`: lasso).
    #[param(0.0..=1.0)]
    pub l1_ratio: f64,
}

impl Default for ElasticNetSpace {
    /// linfa's defaults: penalty 1, `l1_ratio = 0.5`.
    fn default() -> Self {
        ElasticNetSpace { penalty: 1.0, l1_ratio: 0.5 }
    }
}

impl Estimator for ElasticNetSpace {
    type Data = RegressionDataset;

    fn fit_predict(&self, fold: &Fold<'_, RegressionDataset>) -> Result<Array1<f64>> {
        let model = ElasticNet::<f64>::params()
            .penalty(self.penalty)
            .l1_ratio(self.l1_ratio)
            .fit(fold.train)
            .map_err(|e| Error::model(fold.index, e))?;
        Ok(predict(&model, fold.valid))
    }
}

/// How k-means picks its first centroids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, SearchSpace)]
pub enum KMeansInitMethod {
    /// k-means++.
    #[default]
    KMeansPlusPlus,
    /// Random samples.
    Random,
}

/// Search space of `linfa_clustering::KMeans`, scored by silhouette on the validation fold.
/// Scale the features (`CrossValidationBuilder::standardize`).
///
/// Parameters: `n_clusters`, `n_runs`, `init`.
#[derive(Debug, Clone, PartialEq, SearchSpace)]
pub struct KMeansSpace {
    /// Number of clusters.
    #[param(2..=10)]
    pub n_clusters: usize,
    /// Restarts; the run with the lowest inertia is kept.
    #[param(1..=10)]
    pub n_runs: usize,
    /// Initialization.
    pub init: KMeansInitMethod,
}

impl Default for KMeansSpace {
    /// linfa's defaults (10 runs, k-means++) with 2 clusters (linfa has no default count).
    fn default() -> Self {
        KMeansSpace { n_clusters: 2, n_runs: 10, init: KMeansInitMethod::KMeansPlusPlus }
    }
}

impl Estimator for KMeansSpace {
    type Data = Array2<f64>;

    fn fit_predict(&self, fold: &Fold<'_, Array2<f64>>) -> Result<Array1<usize>> {
        if self.n_clusters > fold.train.nrows() {
            return Err(Error::InvalidConfig {
                what: "n_clusters",
                reason: format!("{} clusters for {} training samples", self.n_clusters, fold.train.nrows()),
            });
        }
        let init = match self.init {
            KMeansInitMethod::KMeansPlusPlus => KMeansInit::KMeansPlusPlus,
            KMeansInitMethod::Random => KMeansInit::Random,
        };
        let model = KMeans::params_with_rng(self.n_clusters, Xoshiro256Plus::seed_from_u64(fold.seed))
            .n_runs(self.n_runs)
            .init_method(init)
            .fit(&DatasetBase::from(fold.train.view()))
            .map_err(|e| Error::model(fold.index, e))?;
        Ok(predict(&model, fold.valid))
    }
}
