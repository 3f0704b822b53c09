//! The data a cross-validation splits: linfa datasets of class labels or real targets, or
//! bare records for clustering.

use linfa::DatasetBase;
use ndarray::{Array1, Array2, Axis, Ix1};

use crate::error::{Error, Result};
use crate::metric::{Metric, Predictions, Task};

/// A linfa dataset for classification: `f64` records, class labels `0..n_classes`.
/// `linfa_datasets::iris()` and `winequality()` are of this type.
pub type ClassificationDataset = linfa::Dataset<f64, usize, Ix1>;

/// A linfa dataset for regression: `f64` records and targets.
/// `linfa_datasets::diabetes()` is of this type.
pub type RegressionDataset = linfa::Dataset<f64, f64, Ix1>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ClassificationDataset {}
    impl Sealed for super::RegressionDataset {}
    impl Sealed for ndarray::Array2<f64> {}
}

/// Data that [`crate::CrossValidation`] can split into folds: [`ClassificationDataset`]
/// (stratified folds, scored on labels or probabilities), [`RegressionDataset`], or an
/// `Array2<f64>` of records for clustering. Sealed: the three types above are all.
///
/// Dataset weights and feature names are not carried into the folds.
pub trait CvData: sealed::Sealed + Sized + Sync {
    /// What a model predicts for a fold's validation records: [`Predictions`] for
    /// classification, `Array1<f64>` for regression, `Array1<usize>` cluster ids for
    /// clustering.
    type Output;
    /// The task, which decides the metrics that apply.
    const TASK: Task;

    /// The records, one sample per row.
    fn records(&self) -> &Array2<f64>;

    /// Number of classes (`max label + 1`); `0` when there are no labels.
    fn n_classes(&self) -> usize {
        0
    }

    /// Class labels, for stratified folds; `None` when there are none.
    fn labels(&self) -> Option<Vec<usize>> {
        None
    }

    /// Checks the shape and values: non-empty, lengths agree, everything finite.
    fn validate(&self) -> Result<()>;

    /// The samples at `indices`, in that order.
    fn select(&self, indices: &[usize]) -> Self;

    /// The same targets with other records.
    fn with_records(self, records: Array2<f64>) -> Self;

    /// Scores `output` (predicted for `valid`'s records) against `valid`.
    fn score(metric: Metric, valid: &Self, output: &Self::Output) -> Result<f64>;
}

fn validate_records(records: &Array2<f64>) -> Result<()> {
    if records.nrows() == 0 || records.ncols() == 0 {
        return Err(Error::EmptyDataset { samples: records.nrows(), features: records.ncols() });
    }
    if let Some((row, _)) = records.rows().into_iter().enumerate().find(|(_, r)| r.iter().any(|v| !v.is_finite())) {
        return Err(Error::NonFiniteData { what: "feature", row });
    }
    Ok(())
}

fn validate_lengths(records: &Array2<f64>, targets: usize) -> Result<()> {
    if records.nrows() != targets {
        return Err(Error::LengthMismatch { records: records.nrows(), targets });
    }
    validate_records(records)
}

impl CvData for ClassificationDataset {
    type Output = Predictions;
    const TASK: Task = Task::Classification;

    fn records(&self) -> &Array2<f64> {
        &self.records
    }

    fn n_classes(&self) -> usize {
        self.targets.iter().max().map_or(0, |m| m + 1)
    }

    fn labels(&self) -> Option<Vec<usize>> {
        Some(self.targets.to_vec())
    }

    fn validate(&self) -> Result<()> {
        validate_lengths(&self.records, self.targets.len())
    }

    fn select(&self, indices: &[usize]) -> Self {
        DatasetBase::new(self.records.select(Axis(0), indices), self.targets.select(Axis(0), indices))
    }

    fn with_records(self, records: Array2<f64>) -> Self {
        DatasetBase::new(records, self.targets)
    }

    fn score(metric: Metric, valid: &Self, output: &Predictions) -> Result<f64> {
        metric.score_classification(&valid.targets.to_vec(), output)
    }
}

impl CvData for RegressionDataset {
    type Output = Array1<f64>;
    const TASK: Task = Task::Regression;

    fn records(&self) -> &Array2<f64> {
        &self.records
    }

    fn validate(&self) -> Result<()> {
        validate_lengths(&self.records, self.targets.len())?;
        match self.targets.iter().position(|t| !t.is_finite()) {
            Some(row) => Err(Error::NonFiniteData { what: "target", row }),
            None => Ok(()),
        }
    }

    fn select(&self, indices: &[usize]) -> Self {
        DatasetBase::new(self.records.select(Axis(0), indices), self.targets.select(Axis(0), indices))
    }

    fn with_records(self, records: Array2<f64>) -> Self {
        DatasetBase::new(records, self.targets)
    }

    fn score(metric: Metric, valid: &Self, output: &Array1<f64>) -> Result<f64> {
        metric.score_regression(&valid.targets.to_vec(), &output.to_vec())
    }
}

impl CvData for Array2<f64> {
    type Output = Array1<usize>;
    const TASK: Task = Task::Clustering;

    fn records(&self) -> &Array2<f64> {
        self
    }

    fn validate(&self) -> Result<()> {
        validate_records(self)
    }

    fn select(&self, indices: &[usize]) -> Self {
        Array2::select(self, Axis(0), indices)
    }

    fn with_records(self, records: Array2<f64>) -> Self {
        records
    }

    fn score(metric: Metric, valid: &Self, output: &Array1<usize>) -> Result<f64> {
        metric.score_clustering(valid.view(), &output.to_vec())
    }
}

/// Per-column mean and standard deviation of `records` (a zero deviation counts as one).
pub(crate) fn column_scaling(records: &Array2<f64>) -> (Array1<f64>, Array1<f64>) {
    let n = records.nrows().max(1) as f64;
    let mean = records.sum_axis(Axis(0)) / n;
    let mut std = Array1::zeros(records.ncols());
    for (j, col) in records.columns().into_iter().enumerate() {
        let v = col.iter().map(|x| (x - mean[j]).powi(2)).sum::<f64>() / n;
        std[j] = if v > 0.0 { v.sqrt() } else { 1.0 };
    }
    (mean, std)
}

/// `(records - mean) / std`, column-wise.
pub(crate) fn apply_scaling(records: &Array2<f64>, mean: &Array1<f64>, std: &Array1<f64>) -> Array2<f64> {
    (records - mean) / std
}
