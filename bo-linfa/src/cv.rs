//! [`CrossValidation`]: k-fold objectives that report each fold and stop when pruned.

use std::panic::{AssertUnwindSafe, catch_unwind};

use bo_core::{Direction, Trial, TrialRng};
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2};

use crate::data::{ClassificationDataset, CvData, RegressionDataset, apply_scaling, column_scaling};
use crate::error::{Error, ModelPanic, Result};
use crate::estimator::{Estimator, Fold};
use crate::folds::{k_fold, stratified_k_fold};
use crate::metric::{Metric, Predictions, Task};

/// Name of the user attribute that holds a trial's per-fold scores.
pub const FOLD_SCORES_ATTR: &str = "cv_fold_scores";

/// Fold index given to a fit outside cross-validation ([`CrossValidation::evaluate`]).
pub const HOLDOUT_FOLD: usize = usize::MAX;

/// k-fold cross-validation of a model inside a trial.
///
/// For each fold it fits on the other folds, scores the fold with the [`Metric`], reports the
/// running mean score as the intermediate value of step `fold` (`trial.report(fold,
/// mean_so_far)`; folds count from 0, so the first report is step 0, as every adapter counts,
/// see `bo_core::Trial::report`), and asks the study's pruner whether to go on: a
/// configuration that is clearly worse than the others stops after a fold or two with
/// `bo_core::Error::Pruned` (in [`Error::Core`], see [`Error::is_pruned`]), which ends the
/// trial as PRUNED. Otherwise the result is the mean score over the `k` folds. The per-fold
/// scores are stored as the trial's user attribute [`FOLD_SCORES_ATTR`].
///
/// The folds depend only on the data and the seed, never on the trial, so every trial is
/// scored on the same folds and the pruner compares like with like. Classification folds are
/// stratified by default. The study must optimize in the metric's direction:
/// `Study::builder().direction(cv.direction())`; a study set the other way is
/// [`Error::DirectionMismatch`] at the first trial.
///
/// ```
/// use bo_core::{Optimize, Study};
/// use bo_linfa::{CrossValidation, Metric, linfa_models::DecisionTreeSpace};
///
/// let data = linfa_datasets::iris();
/// let cv = CrossValidation::builder().folds(3).metric(Metric::Accuracy).seed(1).build()?;
/// let study = Study::builder().direction(cv.direction()).seed(7).build()?;
/// study.optimize_with(Optimize::trials(5).progress_bar(false), cv.objective::<DecisionTreeSpace>(&data))?;
/// assert!(study.best_value()? > 0.8);
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    folds: usize,
    metric: Metric,
    stratify: bool,
    shuffle: bool,
    seed: u64,
    standardize: bool,
}

/// Builder of [`CrossValidation`]; validates in [`CrossValidationBuilder::build`].
#[derive(Debug, Clone)]
pub struct CrossValidationBuilder {
    cv: CrossValidation,
}

impl Default for CrossValidationBuilder {
    fn default() -> Self {
        CrossValidationBuilder {
            cv: CrossValidation {
                folds: 5,
                metric: Metric::Accuracy,
                stratify: true,
                shuffle: true,
                seed: 0,
                standardize: false,
            },
        }
    }
}

impl CrossValidationBuilder {
    /// Number of folds `k`, at least 2. Default: `5`.
    pub fn folds(mut self, k: usize) -> Self {
        self.cv.folds = k;
        self
    }

    /// The score of a fold. Default: `Metric::Accuracy`.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.cv.metric = metric;
        self
    }

    /// Stratified folds for classification (each fold keeps the class proportions); no effect
    /// on regression or clustering. Default: `true`.
    pub fn stratify(mut self, yes: bool) -> Self {
        self.cv.stratify = yes;
        self
    }

    /// Shuffle the samples (with [`CrossValidationBuilder::seed`]) before splitting; without
    /// it folds are consecutive blocks. Default: `true`.
    pub fn shuffle(mut self, yes: bool) -> Self {
        self.cv.shuffle = yes;
        self
    }

    /// Seed of the shuffle and of the models' own randomness (forests, k-means): fold `i`
    /// gets a seed derived from it. Default: `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.cv.seed = seed;
        self
    }

    /// Standardize features per fold: mean and deviation come from the training part only and
    /// are applied to both parts (no leakage). Distance- and margin-based models (SVM, k-NN,
    /// logistic regression, k-means) need scaled features. Default: `false`.
    pub fn standardize(mut self, yes: bool) -> Self {
        self.cv.standardize = yes;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<CrossValidation> {
        if self.cv.folds < 2 {
            return Err(Error::InvalidConfig { what: "folds", reason: format!("needs at least 2, got {}", self.cv.folds) });
        }
        Ok(self.cv)
    }
}

impl CrossValidation {
    /// A builder: 5 stratified, shuffled folds scored by accuracy.
    pub fn builder() -> CrossValidationBuilder {
        CrossValidationBuilder::default()
    }

    /// Number of folds.
    pub fn folds(&self) -> usize {
        self.folds
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The metric's direction: the direction of a study that optimizes this score.
    pub fn direction(&self) -> Direction {
        self.metric.direction()
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Validation indices of each fold of `data` (stratified for classification when set).
    pub fn split<D: CvData>(&self, data: &D) -> Result<Vec<Vec<usize>>> {
        data.validate()?;
        let n = data.records().nrows();
        let shuffle = self.shuffle.then_some(self.seed);
        match data.labels() {
            Some(labels) if self.stratify => stratified_k_fold(&labels, self.folds, shuffle),
            _ => k_fold(n, self.folds, shuffle),
        }
    }

    /// Cross-validates a classifier given as a closure: `fit_predict` gets each [`Fold`]
    /// (training dataset, validation records) and returns its [`Predictions`].
    ///
    /// ```
    /// use bo_core::{Float, Trial};
    /// use bo_linfa::{CrossValidation, Predictions};
    /// use linfa::prelude::*;
    /// use linfa_trees::DecisionTree;
    ///
    /// let data = linfa_datasets::iris();
    /// let cv = CrossValidation::builder().folds(3).build()?;
    /// let objective = |trial: &mut Trial| -> anyhow::Result<f64> {
    ///     let depth = trial.suggest_int("max_depth", 1..=8)? as usize;
    ///     Ok(cv.classify(trial, &data, |fold| {
    ///         let tree = DecisionTree::params().max_depth(Some(depth)).fit(fold.train)?;
    ///         Ok::<_, linfa::Error>(Predictions::Labels(tree.predict(fold.valid)))
    ///     })?)
    /// };
    /// let accuracy = objective(&mut Trial::fixed([("max_depth".to_string(), 3i64.into())].into()))?;
    /// assert!(accuracy > 0.9);
    /// # Ok::<(), anyhow::Error>(())
    /// ```
    pub fn classify<F, E>(&self, trial: &Trial, data: &ClassificationDataset, fit_predict: F) -> Result<f64>
    where
        F: FnMut(&Fold<'_, ClassificationDataset>) -> std::result::Result<Predictions, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.run(trial, data, fit_predict)
    }

    /// Cross-validates a regressor given as a closure that returns the predicted values of a
    /// fold's validation records.
    pub fn regress<F, E>(&self, trial: &Trial, data: &RegressionDataset, fit_predict: F) -> Result<f64>
    where
        F: FnMut(&Fold<'_, RegressionDataset>) -> std::result::Result<Array1<f64>, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.run(trial, data, fit_predict)
    }

    /// Cross-validates a clustering given as a closure that fits on the training records and
    /// returns the cluster of each validation record; scored by [`Metric::Silhouette`] on the
    /// validation records.
    pub fn cluster<F, E>(&self, trial: &Trial, records: &Array2<f64>, fit_predict: F) -> Result<f64>
    where
        F: FnMut(&Fold<'_, Array2<f64>>) -> std::result::Result<Array1<usize>, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.run(trial, records, fit_predict)
    }

    /// Cross-validates any linfa classifier: `params` is fitted on each fold's training part
    /// (`Fit`) and predicts labels for the validation part (`Predict`).
    ///
    /// ```
    /// use bo_core::{Params, Trial};
    /// use bo_linfa::CrossValidation;
    /// use linfa_trees::DecisionTree;
    ///
    /// let data = linfa_datasets::iris();
    /// let cv = CrossValidation::builder().folds(3).build()?;
    /// let accuracy = cv.classify_linfa(&Trial::fixed(Params::new()), &data, &DecisionTree::params().max_depth(Some(3)))?;
    /// assert!(accuracy > 0.9);
    /// # Ok::<(), bo_linfa::Error>(())
    /// ```
    pub fn classify_linfa<P, E>(&self, trial: &Trial, data: &ClassificationDataset, params: &P) -> Result<f64>
    where
        P: Fit<Array2<f64>, Array1<usize>, E>,
        P::Object: PredictInplace<Array2<f64>, Array1<usize>>,
        E: std::error::Error + From<linfa::Error> + Send + Sync + 'static,
    {
        self.run(trial, data, |fold| {
            let model = params.fit(fold.train)?;
            Ok::<_, E>(Predictions::Labels(predict(&model, fold.valid)))
        })
    }

    /// Cross-validates any linfa regressor (`Fit` on the training part, `Predict` on the
    /// validation part).
    pub fn regress_linfa<P, E>(&self, trial: &Trial, data: &RegressionDataset, params: &P) -> Result<f64>
    where
        P: Fit<Array2<f64>, Array1<f64>, E>,
        P::Object: PredictInplace<Array2<f64>, Array1<f64>>,
        E: std::error::Error + From<linfa::Error> + Send + Sync + 'static,
    {
        self.run(trial, data, |fold| {
            let model = params.fit(fold.train)?;
            Ok::<_, E>(predict(&model, fold.valid))
        })
    }

    /// Cross-validates the configuration `model` of a ready search space.
    pub fn estimate<M: Estimator>(&self, trial: &Trial, data: &M::Data, model: &M) -> Result<f64> {
        self.run(trial, data, |fold| model.fit_predict(fold))
    }

    /// The objective that tunes model `M` over its search space on `data`: each trial suggests
    /// a configuration (`trial.suggest::<M>()`) and cross-validates it. Pass it to
    /// `Study::optimize`.
    pub fn objective<'a, M: Estimator>(&'a self, data: &'a M::Data) -> impl Fn(&mut Trial) -> Result<f64> + Sync + 'a {
        move |trial: &mut Trial| {
            let model: M = trial.suggest()?;
            self.estimate(trial, data, &model)
        }
    }

    /// Fits `model` on all of `train` and scores it on `test` with the metric (a held-out
    /// score: no folds, no reports). Standardization, when set, is fitted on `train`.
    pub fn evaluate<M: Estimator>(&self, model: &M, train: &M::Data, test: &M::Data) -> Result<f64> {
        self.evaluate_with(train, test, |fold| model.fit_predict(fold))
    }

    /// [`CrossValidation::evaluate`] with a closure, as for [`CrossValidation::classify`].
    pub fn evaluate_with<D, F, E>(&self, train: &D, test: &D, mut fit_predict: F) -> Result<f64>
    where
        D: CvData,
        F: FnMut(&Fold<'_, D>) -> std::result::Result<D::Output, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.check_task(D::TASK)?;
        train.validate()?;
        test.validate()?;
        if train.records().ncols() != test.records().ncols() {
            return Err(Error::PredictionShape {
                reason: format!("train has {} features, test {}", train.records().ncols(), test.records().ncols()),
            });
        }
        let n_classes = train.n_classes().max(test.n_classes());
        let (train, test) = self.scaled(train.select(&all(train)), test.select(&all(test)));
        let fold =
            Fold { index: HOLDOUT_FOLD, train: &train, valid: test.records(), n_classes, seed: fold_seed(self.seed, u64::MAX) };
        let output = call(&mut fit_predict, &fold)?;
        D::score(self.metric, &test, &output)
    }

    fn check_task(&self, task: Task) -> Result<()> {
        if self.metric.task() == task {
            Ok(())
        } else {
            Err(Error::MetricTask { metric: self.metric, task: task.as_str() })
        }
    }

    /// The trial's study must optimize in the metric's direction (a fixed trial has none).
    fn check_direction(&self, trial: &Trial) -> Result<()> {
        match trial.direction() {
            Some(study) if study != self.metric.direction() => Err(Error::DirectionMismatch { metric: self.metric, study }),
            _ => Ok(()),
        }
    }

    fn scaled<D: CvData>(&self, train: D, valid: D) -> (D, D) {
        if !self.standardize {
            return (train, valid);
        }
        let (mean, std) = column_scaling(train.records());
        let tr = apply_scaling(train.records(), &mean, &std);
        let va = apply_scaling(valid.records(), &mean, &std);
        (train.with_records(tr), valid.with_records(va))
    }

    /// The cross-validation loop every public entry point shares.
    fn run<D, F, E>(&self, trial: &Trial, data: &D, mut fit_predict: F) -> Result<f64>
    where
        D: CvData,
        F: FnMut(&Fold<'_, D>) -> std::result::Result<D::Output, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.check_task(D::TASK)?;
        self.check_direction(trial)?;
        let folds = self.split(data)?;
        let n_classes = data.n_classes();
        let n = data.records().nrows();
        let mut in_valid = vec![false; n];
        let mut scores = Vec::with_capacity(folds.len());
        for (index, valid_idx) in folds.iter().enumerate() {
            in_valid.iter_mut().for_each(|v| *v = false);
            valid_idx.iter().for_each(|&i| in_valid[i] = true);
            let train_idx: Vec<usize> = (0..n).filter(|&i| !in_valid[i]).collect();
            let (train, valid) = self.scaled(data.select(&train_idx), data.select(valid_idx));
            let fold = Fold { index, train: &train, valid: valid.records(), n_classes, seed: fold_seed(self.seed, index as u64) };
            let output = call(&mut fit_predict, &fold)?;
            let score = D::score(self.metric, &valid, &output)?;
            if !score.is_finite() {
                return Err(Error::NonFiniteScore { fold: index, metric: self.metric, value: score });
            }
            scores.push(score);
            let mean = scores.iter().sum::<f64>() / scores.len() as f64;
            trial.report(index as u64, mean)?;
            if index + 1 < folds.len() && trial.should_prune()? {
                tracing::debug!(trial = trial.number(), fold = index, mean, "pruned after fold");
                trial.set_user_attr(FOLD_SCORES_ATTR, &scores)?;
                return Err(bo_core::Pruned.into());
            }
        }
        trial.set_user_attr(FOLD_SCORES_ATTR, &scores)?;
        Ok(scores.iter().sum::<f64>() / scores.len() as f64)
    }
}

fn all<D: CvData>(d: &D) -> Vec<usize> {
    (0..d.records().nrows()).collect()
}

/// The seed of fold `index`: a hash of the study-level seed and the fold.
fn fold_seed(seed: u64, index: u64) -> u64 {
    TrialRng::for_trial(seed, index).next_u64()
}

/// Runs a model's closure on a fold; an error or a panic becomes [`Error::Model`].
fn call<D, O, F, E>(f: &mut F, fold: &Fold<'_, D>) -> Result<O>
where
    F: FnMut(&Fold<'_, D>) -> std::result::Result<O, E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match catch_unwind(AssertUnwindSafe(|| f(fold))) {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(e)) => {
            let e: Box<dyn std::error::Error + Send + Sync> = e.into();
            // A model that hands back our own error (a ready space) keeps it as is.
            match e.downcast::<Error>() {
                Ok(ours) => Err(*ours),
                Err(other) => Err(Error::Model { fold: fold.index, source: other }),
            }
        }
        Err(panic) => {
            let msg = if let Some(s) = panic.downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = panic.downcast_ref::<String>() {
                s.clone()
            } else {
                "non-string panic payload".to_string()
            };
            Err(Error::model(fold.index, ModelPanic(msg)))
        }
    }
}

/// Predicts with a linfa model into a fresh target array.
pub(crate) fn predict<M, T>(model: &M, records: &Array2<f64>) -> T
where
    M: PredictInplace<Array2<f64>, T>,
{
    let mut y = model.default_target(records);
    model.predict_inplace(records, &mut y);
    y
}
