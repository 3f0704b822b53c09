//! Which hyperparameters matter: importance of each parameter for the objective.
//!
//! Both evaluators fit the same random forest (64 bagged regression trees by default, seeded)
//! to the completed trials, parameters encoded as in the search space (floats and ints scaled
//! to `[0, 1]`, log ranges in log space, categoricals as categories split by subsets):
//!
//! - [`FanovaEvaluator`] (the default): functional ANOVA over each tree, the fraction of the
//!   objective's variance that each single parameter explains, averaged over trees
//!   (Hutter et al., "An Efficient Approach for Assessing Hyperparameter Importance", ICML
//!   2014; Optuna's `FanovaImportanceEvaluator`).
//! - [`MeanDecreaseImpurityEvaluator`]: the decrease of squared error the splits on each
//!   parameter bring (Breiman 2001; Optuna's `MeanDecreaseImpurityImportanceEvaluator`).
//!   Cheaper: no pass over the leaves.
//!
//! Importances are normalized to sum to 1 and sorted, most important first.
//!
//! ```
//! use bo_core::importance::{param_importances, FanovaEvaluator};
//! use bo_core::{Float, Optimize, Study, Trial};
//!
//! let study = Study::builder().name("demo").seed(1).build()?;
//! study.optimize_with(Optimize::trials(40).progress_bar(false), |t: &mut Trial| {
//!     let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
//!     let y = t.suggest_float("y", Float::new(-5.0, 5.0))?;
//!     Ok::<_, bo_core::Error>(x * x + 0.01 * y)
//! })?;
//! let imp = param_importances(&study.history()?, &FanovaEvaluator::default())?;
//! assert_eq!(imp.importances[0].param, "x");
//! # Ok::<(), bo_core::Error>(())
//! ```

mod fanova;
mod forest;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::history::History;
use crate::space::{Distribution, Distributions};
use crate::trial_record::FrozenTrial;
use forest::{Dataset, FeatureKind, ForestOptions, fit_forest};

/// Importance of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamImportance {
    /// Parameter name.
    pub param: String,
    /// Share of the total importance, in `[0, 1]`.
    pub importance: f64,
}

/// Importances of a study's parameters, most important first; they sum to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamImportances {
    /// Name of the evaluator that computed them (`fanova`, `mdi`).
    pub evaluator: String,
    /// Number of completed trials the forest was fitted to.
    pub n_trials: usize,
    /// One entry per parameter, sorted by decreasing importance (ties by name).
    pub importances: Vec<ParamImportance>,
}

impl ParamImportances {
    /// The importance of `param`, if it was evaluated.
    pub fn get(&self, param: &str) -> Option<f64> {
        self.importances.iter().find(|p| p.param == param).map(|p| p.importance)
    }
}

/// Computes parameter importances from encoded trials.
///
/// Called by [`param_importances`] (and the `bo importance` command) with the completed
/// trials of a study, encoded; it returns one raw, non-negative score per column, which the
/// caller normalizes to sum to 1 (all zero: equal shares). Implementations must be
/// deterministic for given data and settings, and must not panic on any data (one row,
/// constant targets). Evaluators hold only settings, so they are `Send + Sync`.
///
/// ```
/// use bo_core::importance::{EncodedTrials, ImportanceEvaluator};
///
/// /// |correlation| of each column with the objective.
/// struct Correlation;
/// impl ImportanceEvaluator for Correlation {
///     fn name(&self) -> &'static str { "correlation" }
///     fn raw_importances(&self, data: &EncodedTrials) -> Vec<f64> {
///         let y = data.targets();
///         (0..data.params().len())
///             .map(|j| {
///                 let x: Vec<f64> = (0..y.len()).map(|i| data.row(i)[j]).collect();
///                 let (mx, my) = (mean(&x), mean(y));
///                 let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
///                 let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
///                 let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
///                 if vx > 0.0 && vy > 0.0 { (cov / (vx * vy).sqrt()).abs() } else { 0.0 }
///             })
///             .collect()
///     }
/// }
/// fn mean(v: &[f64]) -> f64 { v.iter().sum::<f64>() / v.len() as f64 }
/// ```
pub trait ImportanceEvaluator: Send + Sync {
    /// Short name shown in tables and reports.
    fn name(&self) -> &'static str;
    /// Raw (not yet normalized) importance of each column of `data`, in column order.
    fn raw_importances(&self, data: &EncodedTrials) -> Vec<f64>;
}

/// Completed trials encoded for an [`ImportanceEvaluator`]: one column per parameter.
#[derive(Debug, Clone)]
pub struct EncodedTrials {
    params: Vec<String>,
    data: Dataset,
}

impl EncodedTrials {
    /// Encodes the completed trials of `history` that hold every parameter of `params`
    /// (`None`: the parameters every completed trial has with one distribution, minus
    /// those with a single admissible value). A trial whose stored value lies outside its
    /// distribution is left out.
    ///
    /// [`Error::NoCompletedTrials`] when no completed trial qualifies;
    /// [`Error::UnknownParam`] when a named parameter is in no completed trial.
    pub fn new(history: &History, params: Option<&[String]>) -> Result<Self> {
        let completed: Vec<&FrozenTrial> = history.completed().filter(|t| t.value.is_some_and(f64::is_finite)).collect();
        if completed.is_empty() {
            return Err(Error::NoCompletedTrials);
        }
        let space: Distributions = match params {
            None => {
                let mut space = completed[0].distributions.clone();
                for t in &completed[1..] {
                    space.retain(|name, d| t.distributions.get(name) == Some(d));
                }
                space.retain(|_, d| !d.is_single());
                space
            }
            Some(names) => {
                let mut space = Distributions::new();
                for name in names {
                    let d = completed
                        .iter()
                        .find_map(|t| t.distributions.get(name))
                        .ok_or_else(|| Error::UnknownParam { name: name.clone() })?;
                    space.insert(name.clone(), d.clone());
                }
                space
            }
        };
        let encode = |t: &FrozenTrial| -> Option<Vec<f64>> {
            space
                .iter()
                .map(|(n, d)| {
                    if t.distributions.get(n) != Some(d) {
                        return None;
                    }
                    // `None` too for a stored value outside its distribution.
                    let v = t.internal(n)?;
                    Some(if d.is_categorical() { v } else { d.to_unit(v) }).filter(|v| v.is_finite())
                })
                .collect()
        };
        let (rows, x): (Vec<&FrozenTrial>, Vec<Vec<f64>>) =
            completed.into_iter().filter_map(|t| Some((t, encode(t)?))).unzip();
        if rows.is_empty() {
            return Err(Error::NoCompletedTrials);
        }
        let kinds: Vec<FeatureKind> = space
            .values()
            .map(|d| match d {
                Distribution::Categorical(c) => FeatureKind::Categorical(c.choices().len()),
                _ => FeatureKind::Continuous,
            })
            .collect();
        // Standardized targets: forest sums stay well conditioned for any scale.
        let y: Vec<f64> = rows.iter().map(|t| t.value.unwrap_or(0.0)).collect();
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
        let y = y.iter().map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 }).collect();
        Ok(EncodedTrials { params: space.into_keys().collect(), data: Dataset { kinds, x, y } })
    }

    /// Parameter names, in column order.
    pub fn params(&self) -> &[String] {
        &self.params
    }

    /// Number of encoded trials (rows).
    pub fn n_trials(&self) -> usize {
        self.data.y.len()
    }

    /// Row `i`: per column, the value scaled to `[0, 1]` (log ranges in log space), or the
    /// choice index for a categorical column.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data.x[i]
    }

    /// The objective values of the rows, standardized (zero mean, unit variance; all zero
    /// when constant).
    pub fn targets(&self) -> &[f64] {
        &self.data.y
    }

    /// The number of choices of column `j` when it is categorical.
    pub fn n_choices(&self, j: usize) -> Option<usize> {
        match self.data.kinds.get(j)? {
            FeatureKind::Categorical(n) => Some(*n),
            FeatureKind::Continuous => None,
        }
    }
}

/// Importances of the parameters every completed trial has, by `evaluator`.
pub fn param_importances(history: &History, evaluator: &dyn ImportanceEvaluator) -> Result<ParamImportances> {
    let data = EncodedTrials::new(history, None)?;
    Ok(importances_of(&data, evaluator))
}

/// Importances of the named `params`, from the completed trials that hold all of them.
pub fn param_importances_of(
    history: &History,
    params: &[String],
    evaluator: &dyn ImportanceEvaluator,
) -> Result<ParamImportances> {
    let data = EncodedTrials::new(history, Some(params))?;
    Ok(importances_of(&data, evaluator))
}

fn importances_of(data: &EncodedTrials, evaluator: &dyn ImportanceEvaluator) -> ParamImportances {
    let raw = if data.params.is_empty() { Vec::new() } else { evaluator.raw_importances(data) };
    let raw: Vec<f64> = raw.into_iter().map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
    let total: f64 = raw.iter().sum();
    let n = data.params.len();
    let mut importances: Vec<ParamImportance> = data
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = raw.get(i).copied().unwrap_or(0.0);
            ParamImportance { param: p.clone(), importance: if total > 0.0 { v / total } else { 1.0 / n as f64 } }
        })
        .collect();
    importances.sort_by(|a, b| b.importance.total_cmp(&a.importance).then_with(|| a.param.cmp(&b.param)));
    ParamImportances { evaluator: evaluator.name().to_string(), n_trials: data.n_trials(), importances }
}

/// Random-forest settings shared by the forest-based evaluators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ForestSettings {
    n_trees: usize,
    max_depth: usize,
    min_samples_split: usize,
    min_samples_leaf: usize,
    seed: u64,
}

impl Default for ForestSettings {
    fn default() -> Self {
        let d = DEFAULT_FOREST;
        ForestSettings {
            n_trees: d.n_trees,
            max_depth: d.max_depth,
            min_samples_split: d.min_samples_split,
            min_samples_leaf: d.min_samples_leaf,
            seed: d.seed,
        }
    }
}

impl ForestSettings {
    fn validate(self) -> Result<ForestOptions> {
        let check = |what: &'static str, v: usize| {
            if v == 0 { Err(Error::InvalidConfig { what, reason: "must be >= 1".into() }) } else { Ok(()) }
        };
        check("n_trees", self.n_trees)?;
        check("max_depth", self.max_depth)?;
        check("min_samples_leaf", self.min_samples_leaf)?;
        if self.min_samples_split < 2 {
            return Err(Error::InvalidConfig {
                what: "min_samples_split",
                reason: format!("must be >= 2, got {}", self.min_samples_split),
            });
        }
        Ok(ForestOptions {
            n_trees: self.n_trees,
            max_depth: self.max_depth,
            min_samples_split: self.min_samples_split,
            min_samples_leaf: self.min_samples_leaf,
            seed: self.seed,
        })
    }
}

macro_rules! forest_builder_setters {
    () => {
        /// Number of trees. Default: `64`.
        pub fn n_trees(mut self, n: usize) -> Self {
            self.settings.n_trees = n;
            self
        }
        /// Maximum depth of a tree. Default: `64`.
        pub fn max_depth(mut self, n: usize) -> Self {
            self.settings.max_depth = n;
            self
        }
        /// Fewest samples a node needs to be split (at least 2). Default: `2`.
        pub fn min_samples_split(mut self, n: usize) -> Self {
            self.settings.min_samples_split = n;
            self
        }
        /// Fewest samples in a leaf. Default: `1`.
        pub fn min_samples_leaf(mut self, n: usize) -> Self {
            self.settings.min_samples_leaf = n;
            self
        }
        /// Seed of the bootstrap samples and feature orders. Default: `0`.
        pub fn seed(mut self, seed: u64) -> Self {
            self.settings.seed = seed;
            self
        }
    };
}

/// fANOVA importance: the fraction of the objective's variance each parameter explains
/// alone, over the uniform measure of the search space, averaged over a random forest.
///
/// `FanovaEvaluator::builder().n_trees(32).seed(7).build()?`; `FanovaEvaluator::default()`
/// for Optuna's settings (64 trees, depth 64, seed 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanovaEvaluator {
    forest: ForestOptions,
}

/// Builder of [`FanovaEvaluator`]; settings are checked in [`FanovaEvaluatorBuilder::build`].
#[derive(Debug, Clone, Default)]
pub struct FanovaEvaluatorBuilder {
    settings: ForestSettings,
}

impl FanovaEvaluatorBuilder {
    forest_builder_setters!();
    /// The evaluator; [`Error::InvalidConfig`] for a zero count or `min_samples_split < 2`.
    pub fn build(self) -> Result<FanovaEvaluator> {
        Ok(FanovaEvaluator { forest: self.settings.validate()? })
    }
}

impl FanovaEvaluator {
    /// A builder with the default settings.
    pub fn builder() -> FanovaEvaluatorBuilder {
        FanovaEvaluatorBuilder::default()
    }
}

impl Default for FanovaEvaluator {
    fn default() -> Self {
        FanovaEvaluator { forest: DEFAULT_FOREST }
    }
}

const DEFAULT_FOREST: ForestOptions =
    ForestOptions { n_trees: 64, max_depth: 64, min_samples_split: 2, min_samples_leaf: 1, seed: 0 };

impl ImportanceEvaluator for FanovaEvaluator {
    fn name(&self) -> &'static str {
        "fanova"
    }
    fn raw_importances(&self, data: &EncodedTrials) -> Vec<f64> {
        let trees = fit_forest(&data.data, &self.forest);
        let d = data.params.len();
        let mut sum = vec![0.0; d];
        let mut counted = 0usize;
        for tree in &trees {
            if let Some(imp) = fanova::tree_importances(tree, &data.data.kinds) {
                for (s, v) in sum.iter_mut().zip(imp) {
                    *s += v;
                }
                counted += 1;
            }
        }
        if counted > 0 {
            sum.iter_mut().for_each(|s| *s /= counted as f64);
        }
        sum
    }
}

/// Mean decrease in impurity: the share of the squared-error decrease that splits on each
/// parameter bring, normalized per tree and averaged over a random forest (scikit-learn's
/// `feature_importances_`).
///
/// Cheaper than [`FanovaEvaluator`] but biased towards parameters with many distinct values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeanDecreaseImpurityEvaluator {
    forest: ForestOptions,
}

/// Builder of [`MeanDecreaseImpurityEvaluator`].
#[derive(Debug, Clone, Default)]
pub struct MeanDecreaseImpurityEvaluatorBuilder {
    settings: ForestSettings,
}

impl MeanDecreaseImpurityEvaluatorBuilder {
    forest_builder_setters!();
    /// The evaluator; [`Error::InvalidConfig`] for a zero count or `min_samples_split < 2`.
    pub fn build(self) -> Result<MeanDecreaseImpurityEvaluator> {
        Ok(MeanDecreaseImpurityEvaluator { forest: self.settings.validate()? })
    }
}

impl MeanDecreaseImpurityEvaluator {
    /// A builder with the default settings.
    pub fn builder() -> MeanDecreaseImpurityEvaluatorBuilder {
        MeanDecreaseImpurityEvaluatorBuilder::default()
    }
}

impl Default for MeanDecreaseImpurityEvaluator {
    fn default() -> Self {
        MeanDecreaseImpurityEvaluator { forest: DEFAULT_FOREST }
    }
}

impl ImportanceEvaluator for MeanDecreaseImpurityEvaluator {
    fn name(&self) -> &'static str {
        "mdi"
    }
    fn raw_importances(&self, data: &EncodedTrials) -> Vec<f64> {
        let trees = fit_forest(&data.data, &self.forest);
        let d = data.params.len();
        let mut sum = vec![0.0; d];
        for tree in &trees {
            let mut per = vec![0.0; d];
            for node in &tree.nodes {
                if let forest::Node::Split { feature, gain, .. } = node {
                    per[*feature] += gain;
                }
            }
            let total: f64 = per.iter().sum();
            if total > 0.0 {
                for (s, v) in sum.iter_mut().zip(per) {
                    *s += v / total;
                }
            }
        }
        sum.iter().map(|s| s / trees.len().max(1) as f64).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Direction, Float, InMemoryStorage, Int, Optimize, RandomSampler, Study, Trial};

    /// A random-search study where `x` (log) drives the objective, the categorical `opt`
    /// shifts it, and `noise` (int) and `unused` (float) do nothing.
    fn synthetic_study(n: u64) -> Study {
        let study = Study::builder()
            .name("synthetic")
            .storage(InMemoryStorage::new())
            .sampler(RandomSampler)
            .seed(11)
            .build()
            .unwrap();
        study
            .optimize_with(Optimize::trials(n).progress_bar(false), |t: &mut Trial| {
                let x = t.suggest_float("x", Float::log(1e-4, 1.0))?;
                let opt = t.suggest_categorical("opt", &["sgd", "adam", "rmsprop"])?;
                let _noise = t.suggest_int("noise", 1..=8)?;
                let _unused = t.suggest_float("unused", Float::new(0.0, 1.0))?;
                let shift = match opt {
                    "sgd" => 1.5,
                    _ => 0.0,
                };
                Ok::<_, Error>((x.log10() + 2.0).powi(2) + shift)
            })
            .unwrap();
        study
    }

    #[test]
    fn fanova_ranks_parameters_that_matter_first() {
        let h = synthetic_study(120).history().unwrap();
        let imp = param_importances(&h, &FanovaEvaluator::default()).unwrap();
        assert_eq!(imp.evaluator, "fanova");
        assert_eq!(imp.n_trials, 120);
        let names: Vec<&str> = imp.importances.iter().map(|p| p.param.as_str()).collect();
        assert_eq!(&names[..2], ["x", "opt"], "{imp:?}");
        assert!(imp.get("x").unwrap() > 0.5, "{imp:?}");
        assert!(imp.get("noise").unwrap() < 0.05 && imp.get("unused").unwrap() < 0.05, "{imp:?}");
        let total: f64 = imp.importances.iter().map(|p| p.importance).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn mean_decrease_impurity_ranks_parameters_that_matter_first() {
        let h = synthetic_study(120).history().unwrap();
        let imp = param_importances(&h, &MeanDecreaseImpurityEvaluator::default()).unwrap();
        assert_eq!(imp.evaluator, "mdi");
        let names: Vec<&str> = imp.importances.iter().map(|p| p.param.as_str()).collect();
        assert_eq!(&names[..2], ["x", "opt"], "{imp:?}");
        assert!(imp.get("x").unwrap() > imp.get("noise").unwrap() + imp.get("unused").unwrap(), "{imp:?}");
    }

    #[test]
    fn importances_are_deterministic_for_a_seed() {
        let h = synthetic_study(40).history().unwrap();
        let a = param_importances(&h, &FanovaEvaluator::builder().n_trees(8).seed(5).build().unwrap()).unwrap();
        let b = param_importances(&h, &FanovaEvaluator::builder().n_trees(8).seed(5).build().unwrap()).unwrap();
        let c = param_importances(&h, &FanovaEvaluator::builder().n_trees(8).seed(6).build().unwrap()).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn named_params_restrict_the_evaluation() {
        let h = synthetic_study(30).history().unwrap();
        let imp = param_importances_of(&h, &["unused".into(), "x".into()], &FanovaEvaluator::default()).unwrap();
        assert_eq!(imp.importances.len(), 2);
        assert_eq!(imp.importances[0].param, "x");
        let err = param_importances_of(&h, &["lr".into()], &FanovaEvaluator::default()).unwrap_err();
        assert!(matches!(err, Error::UnknownParam { ref name } if name == "lr"), "{err}");
    }

    #[test]
    fn a_study_without_completed_trials_is_an_error() {
        let h = History::new(Direction::Minimize, Vec::new());
        assert!(matches!(param_importances(&h, &FanovaEvaluator::default()), Err(Error::NoCompletedTrials)));
    }

    #[test]
    fn constant_objectives_share_importance_equally() {
        let study = Study::builder().name("flat").seed(2).build().unwrap();
        study
            .optimize_with(Optimize::trials(10).progress_bar(false), |t: &mut Trial| {
                t.suggest_float("a", Float::new(0.0, 1.0))?;
                t.suggest_int("b", Int::new(0, 3))?;
                t.suggest_categorical("c", &[true, false])?;
                Ok::<_, Error>(1.0)
            })
            .unwrap();
        let imp = param_importances(&study.history().unwrap(), &FanovaEvaluator::default()).unwrap();
        assert!(imp.importances.iter().all(|p| (p.importance - 1.0 / 3.0).abs() < 1e-12), "{imp:?}");
    }

    #[test]
    fn seeded_importances_of_a_fixed_history_keep_their_values() {
        let spec: Vec<(Option<f64>, u64)> =
            (0..12).map(|i| (Some((i as f64 - 4.0).powi(2) + if i % 2 == 0 { 3.0 } else { 0.0 }), 0)).collect();
        let h = crate::plot::tests::study_from(Direction::Maximize, &spec);
        let fanova = FanovaEvaluator::builder().n_trees(4).seed(1).build().unwrap();
        let mdi = MeanDecreaseImpurityEvaluator::builder().n_trees(4).seed(1).build().unwrap();
        let cases: [(&dyn ImportanceEvaluator, [f64; 2]); 2] =
            [(&fanova, [0.9931803783914692, 0.006819621608530854]), (&mdi, [0.9578800712537973, 0.04211992874620276])];
        for (evaluator, expected) in cases {
            let imp = param_importances(&h, evaluator).unwrap();
            assert_eq!(imp.n_trials, 11, "trial 11 holds x = 11, outside [0, 10]: left out");
            assert_eq!(imp.importances[0].param, "x");
            assert!((imp.get("x").unwrap() - expected[0]).abs() < 1e-12, "{imp:?}");
            assert!((imp.get("opt").unwrap() - expected[1]).abs() < 1e-12, "{imp:?}");
        }
    }

    // Compile-time check: evaluators and results can cross threads.
    const _: fn() = || {
        fn check<T: Send + Sync>() {}
        check::<FanovaEvaluator>();
        check::<MeanDecreaseImpurityEvaluator>();
        check::<ParamImportances>();
        check::<EncodedTrials>();
    };

    #[test]
    fn builders_reject_degenerate_forests() {
        assert!(matches!(FanovaEvaluator::builder().n_trees(0).build(), Err(Error::InvalidConfig { .. })));
        assert!(matches!(
            MeanDecreaseImpurityEvaluator::builder().min_samples_split(1).build(),
            Err(Error::InvalidConfig { .. })
        ));
    }
}
