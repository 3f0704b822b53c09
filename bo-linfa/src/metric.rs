//! Scores of a fold: [`Metric`], [`Predictions`] and the metric functions.
//!
//! The functions follow scikit-learn's definitions (noted on each), so a value here can be
//! checked against `sklearn.metrics`.

use std::fmt;

use bo_core::Direction;
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a model is asked to do, as a metric sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Task {
    /// Class labels `0..n_classes`.
    Classification,
    /// Real-valued targets.
    Regression,
    /// No targets: cluster assignments.
    Clustering,
}

impl Task {
    /// Lowercase name, as in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
            Task::Clustering => "clustering",
        }
    }
}

/// A score for a fold; it knows whether higher is better ([`Metric::direction`]), so the
/// study's direction can be set from it: `Study::builder().direction(metric.direction())`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Metric {
    /// Fraction of correct labels ([`accuracy`]). Maximize.
    Accuracy,
    /// F1 of the positive class `1` in a binary problem ([`f1`]). Maximize.
    F1,
    /// Unweighted mean of the per-class F1 scores ([`f1_macro`]). Maximize.
    F1Macro,
    /// Area under the ROC curve: binary, or one-vs-rest macro average for more classes
    /// ([`roc_auc`], [`roc_auc_ovr`]). Needs probabilities. Maximize.
    RocAuc,
    /// Cross-entropy of the predicted class probabilities ([`log_loss`]). Needs
    /// probabilities. Minimize.
    LogLoss,
    /// Root mean squared error ([`rmse`]). Minimize.
    Rmse,
    /// Mean absolute error ([`mae`]). Minimize.
    Mae,
    /// Coefficient of determination ([`r2`]). Maximize.
    R2,
    /// Mean silhouette coefficient of a clustering ([`silhouette`]). Maximize.
    Silhouette,
}

impl Metric {
    /// Every metric, in declaration order.
    pub const ALL: [Metric; 9] = [
        Metric::Accuracy,
        Metric::F1,
        Metric::F1Macro,
        Metric::RocAuc,
        Metric::LogLoss,
        Metric::Rmse,
        Metric::Mae,
        Metric::R2,
        Metric::Silhouette,
    ];

    /// Whether a study should maximize or minimize this metric.
    pub fn direction(self) -> Direction {
        match self {
            Metric::LogLoss | Metric::Rmse | Metric::Mae => Direction::Minimize,
            Metric::Accuracy | Metric::F1 | Metric::F1Macro | Metric::RocAuc | Metric::R2 | Metric::Silhouette => {
                Direction::Maximize
            }
        }
    }

    /// The task this metric measures.
    pub fn task(self) -> Task {
        match self {
            Metric::Accuracy | Metric::F1 | Metric::F1Macro | Metric::RocAuc | Metric::LogLoss => Task::Classification,
            Metric::Rmse | Metric::Mae | Metric::R2 => Task::Regression,
            Metric::Silhouette => Task::Clustering,
        }
    }

    /// Whether it needs class probabilities rather than labels.
    pub fn needs_probabilities(self) -> bool {
        matches!(self, Metric::RocAuc | Metric::LogLoss)
    }

    /// Snake-case name: `"accuracy"`, `"f1_macro"`, `"roc_auc"`, `"log_loss"`, `"rmse"`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::F1 => "f1",
            Metric::F1Macro => "f1_macro",
            Metric::RocAuc => "roc_auc",
            Metric::LogLoss => "log_loss",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::R2 => "r2",
            Metric::Silhouette => "silhouette",
        }
    }

    /// Parses [`Metric::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    fn check_task(self, task: Task) -> Result<()> {
        if self.task() == task {
            Ok(())
        } else {
            Err(Error::MetricTask { metric: self, task: task.as_str() })
        }
    }

    /// Scores classification predictions against the true labels.
    pub fn score_classification(self, y_true: &[usize], predictions: &Predictions) -> Result<f64> {
        self.check_task(Task::Classification)?;
        if predictions.len() != y_true.len() {
            return Err(Error::PredictionShape {
                reason: format!("{} predictions for {} samples", predictions.len(), y_true.len()),
            });
        }
        match (self, predictions) {
            (Metric::Accuracy, p) => accuracy(y_true, p.labels().as_slice().unwrap_or(&[])),
            (Metric::F1, p) => f1(y_true, p.labels().as_slice().unwrap_or(&[])),
            (Metric::F1Macro, p) => f1_macro(y_true, p.labels().as_slice().unwrap_or(&[])),
            (Metric::RocAuc | Metric::LogLoss, Predictions::Labels(_)) => Err(Error::NeedsProbabilities { metric: self }),
            (Metric::RocAuc, Predictions::Probabilities(p)) if p.ncols() == 2 => {
                roc_auc(y_true, &p.column(1).to_vec())
            }
            (Metric::RocAuc, Predictions::Probabilities(p)) => roc_auc_ovr(y_true, p.view()),
            (Metric::LogLoss, Predictions::Probabilities(p)) => log_loss(y_true, p.view()),
            _ => Err(Error::MetricTask { metric: self, task: Task::Classification.as_str() }),
        }
    }

    /// Scores regression predictions against the true values.
    pub fn score_regression(self, y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
        self.check_task(Task::Regression)?;
        match self {
            Metric::Rmse => rmse(y_true, y_pred),
            Metric::Mae => mae(y_true, y_pred),
            _ => r2(y_true, y_pred),
        }
    }

    /// Scores a clustering of `records` (one label per row).
    pub fn score_clustering(self, records: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
        self.check_task(Task::Clustering)?;
        silhouette(records, labels)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a classifier predicted for a fold's samples.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Hard labels, one per sample.
    Labels(Array1<usize>),
    /// Class probabilities, one row per sample, column `c` for class `c` (columns for classes
    /// the model never saw are zero). Labels are the row-wise argmax.
    Probabilities(Array2<f64>),
}

impl Predictions {
    /// Binary probabilities from the probability of the positive class `1`.
    pub fn binary(p_positive: &Array1<f64>) -> Self {
        let mut p = Array2::zeros((p_positive.len(), 2));
        for (i, &v) in p_positive.iter().enumerate() {
            p[[i, 0]] = 1.0 - v;
            p[[i, 1]] = v;
        }
        Predictions::Probabilities(p)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Predictions::Labels(l) => l.len(),
            Predictions::Probabilities(p) => p.nrows(),
        }
    }

    /// True when there is no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The labels: as given, or the most probable class (the first on ties).
    pub fn labels(&self) -> Array1<usize> {
        match self {
            Predictions::Labels(l) => l.as_standard_layout().into_owned(),
            Predictions::Probabilities(p) => p
                .rows()
                .into_iter()
                .map(|row| {
                    let mut best = 0;
                    for (j, &v) in row.iter().enumerate() {
                        if v > row[best] {
                            best = j;
                        }
                    }
                    best
                })
                .collect(),
        }
    }
}

impl From<Array1<usize>> for Predictions {
    fn from(labels: Array1<usize>) -> Self {
        Predictions::Labels(labels)
    }
}

impl From<Vec<usize>> for Predictions {
    fn from(labels: Vec<usize>) -> Self {
        Predictions::Labels(Array1::from(labels))
    }
}

impl From<Array2<f64>> for Predictions {
    fn from(probabilities: Array2<f64>) -> Self {
        Predictions::Probabilities(probabilities)
    }
}

fn check_lengths(truth: usize, pred: usize) -> Result<()> {
    if truth == 0 {
        return Err(Error::EmptyDataset { samples: 0, features: 0 });
    }
    if truth != pred {
        return Err(Error::PredictionShape { reason: format!("{pred} predictions for {truth} samples") });
    }
    Ok(())
}

/// Fraction of samples whose predicted label is the true one (`sklearn.metrics.accuracy_score`).
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len())?;
    let correct = y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count();
    Ok(correct as f64 / y_true.len() as f64)
}

/// Per-class counts (true positives, false positives, false negatives) of class `c`.
fn counts(y_true: &[usize], y_pred: &[usize], c: usize) -> (usize, usize, usize) {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (&t, &p) in y_true.iter().zip(y_pred) {
        match (t == c, p == c) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    (tp, fp, fn_)
}

fn f1_of(tp: usize, fp: usize, fn_: usize) -> f64 {
    let denom = 2 * tp + fp + fn_;
    if denom == 0 { 0.0 } else { 2.0 * tp as f64 / denom as f64 }
}

/// F1 score of the positive class `1` in a binary problem: `2 tp / (2 tp + fp + fn)`, and `0`
/// when there is no positive at all (`sklearn.metrics.f1_score`, `zero_division=0`). A label
/// above `1` is [`Error::UndefinedMetric`] (use [`f1_macro`] for more classes).
pub fn f1(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len())?;
    if let Some(&l) = y_true.iter().chain(y_pred).find(|&&l| l > 1) {
        return Err(Error::UndefinedMetric {
            metric: Metric::F1,
            reason: format!("label {l} in a binary metric; use f1_macro"),
        });
    }
    let (tp, fp, fn_) = counts(y_true, y_pred, 1);
    Ok(f1_of(tp, fp, fn_))
}

/// Unweighted mean of the per-class F1 scores over the labels present in `y_true` or
/// `y_pred` (`sklearn.metrics.f1_score(average="macro", zero_division=0)`).
pub fn f1_macro(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len())?;
    let mut labels: Vec<usize> = y_true.iter().chain(y_pred).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let sum: f64 = labels.iter().map(|&c| {
        let (tp, fp, fn_) = counts(y_true, y_pred, c);
        f1_of(tp, fp, fn_)
    }).sum();
    Ok(sum / labels.len() as f64)
}

/// Binary ROC AUC of `scores` (higher means class `1`), computed as the Mann-Whitney
/// statistic with ties counted half (`sklearn.metrics.roc_auc_score`). Labels must be `0`/`1`
/// and both present, else [`Error::UndefinedMetric`].
pub fn roc_auc(y_true: &[usize], scores: &[f64]) -> Result<f64> {
    check_lengths(y_true.len(), scores.len())?;
    if let Some(&l) = y_true.iter().find(|&&l| l > 1) {
        return Err(Error::UndefinedMetric { metric: Metric::RocAuc, reason: format!("label {l} in a binary metric") });
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::PredictionShape { reason: format!("score {} at row {i} is not finite", scores[i]) });
    }
    binary_auc(y_true.iter().map(|&l| l == 1), scores)
}

fn binary_auc(positive: impl Iterator<Item = bool>, scores: &[f64]) -> Result<f64> {
    let mut order: Vec<(f64, bool)> = scores.iter().copied().zip(positive).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n_pos = order.iter().filter(|x| x.1).count();
    let n_neg = order.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(Error::UndefinedMetric {
            metric: Metric::RocAuc,
            reason: "only one class present in the true labels".into(),
        });
    }
    // Sum of the (average, 1-based) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && order[j + 1].0 == order[i].0 {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += avg_rank * order[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// One-vs-rest ROC AUC, macro-averaged over the classes present in `y_true`
/// (`sklearn.metrics.roc_auc_score(multi_class="ovr", average="macro")` when every class is
/// present). Column `c` of `probabilities` is the score of class `c`.
pub fn roc_auc_ovr(y_true: &[usize], probabilities: ArrayView2<'_, f64>) -> Result<f64> {
    check_lengths(y_true.len(), probabilities.nrows())?;
    check_label_columns(y_true, probabilities.ncols())?;
    let mut present: Vec<usize> = y_true.to_vec();
    present.sort_unstable();
    present.dedup();
    if present.len() < 2 {
        return Err(Error::UndefinedMetric {
            metric: Metric::RocAuc,
            reason: "only one class present in the true labels".into(),
        });
    }
    let mut sum = 0.0;
    for &c in &present {
        let scores = probabilities.column(c).to_vec();
        if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
            return Err(Error::PredictionShape { reason: format!("probability at row {i} is not finite") });
        }
        sum += binary_auc(y_true.iter().map(|&l| l == c), &scores)?;
    }
    Ok(sum / present.len() as f64)
}

fn check_label_columns(y_true: &[usize], ncols: usize) -> Result<()> {
    match y_true.iter().find(|&&l| l >= ncols) {
        Some(l) => Err(Error::PredictionShape { reason: format!("label {l} but only {ncols} probability columns") }),
        None => Ok(()),
    }
}

/// Mean negative log-likelihood of the true classes, probabilities clipped to
/// `[1e-15, 1 - 1e-15]` (`sklearn.metrics.log_loss`, for rows that sum to one).
pub fn log_loss(y_true: &[usize], probabilities: ArrayView2<'_, f64>) -> Result<f64> {
    check_lengths(y_true.len(), probabilities.nrows())?;
    check_label_columns(y_true, probabilities.ncols())?;
    const EPS: f64 = 1e-15;
    let mut sum = 0.0;
    for (i, &c) in y_true.iter().enumerate() {
        let p = probabilities[[i, c]];
        if p.is_nan() {
            return Err(Error::PredictionShape { reason: format!("probability at row {i} is NaN") });
        }
        sum -= p.clamp(EPS, 1.0 - EPS).ln();
    }
    Ok(sum / y_true.len() as f64)
}

/// Root mean squared error (`sklearn.metrics.root_mean_squared_error`).
pub fn rmse(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len())?;
    let mse = y_true.iter().zip(y_pred).map(|(t, p)| (t - p).powi(2)).sum::<f64>() / y_true.len() as f64;
    Ok(mse.sqrt())
}

/// Mean absolute error (`sklearn.metrics.mean_absolute_error`).
pub fn mae(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len())?;
    Ok(y_true.iter().zip(y_pred).map(|(t, p)| (t - p).abs()).sum::<f64>() / y_true.len() as f64)
}

/// Coefficient of determination `1 - SS_res / SS_tot` (`sklearn.metrics.r2_score`): with
/// constant truth it is `1` for a perfect prediction and `0` otherwise.
pub fn r2(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len())?;
    let mean = y_true.iter().sum::<f64>() / y_true.len() as f64;
    let ss_tot: f64 = y_true.iter().map(|t| (t - mean).powi(2)).sum();
    let ss_res: f64 = y_true.iter().zip(y_pred).map(|(t, p)| (t - p).powi(2)).sum();
    if ss_tot == 0.0 {
        return Ok(if ss_res == 0.0 { 1.0 } else { 0.0 });
    }
    Ok(1.0 - ss_res / ss_tot)
}

/// Mean silhouette coefficient with Euclidean distances (`sklearn.metrics.silhouette_score`):
/// per sample `(b - a) / max(a, b)`, `a` the mean distance to its own cluster, `b` the
/// smallest mean distance to another cluster, `0` for a sample alone in its cluster. Needs
/// between 2 and `n - 1` distinct labels, else [`Error::UndefinedMetric`].
pub fn silhouette(records: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    let n = records.nrows();
    check_lengths(n, labels.len())?;
    let mut ids: Vec<usize> = labels.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 || ids.len() > n - 1 {
        return Err(Error::UndefinedMetric {
            metric: Metric::Silhouette,
            reason: format!("{} clusters for {n} samples (needs 2..={})", ids.len(), n.saturating_sub(1)),
        });
    }
    let index = |l: usize| ids.binary_search(&l).unwrap_or(0);
    let cluster: Vec<usize> = labels.iter().map(|&l| index(l)).collect();
    let mut sizes = vec![0usize; ids.len()];
    for &c in &cluster {
        sizes[c] += 1;
    }
    let mut total = 0.0;
    let mut dist_sum = vec![0.0; ids.len()];
    for i in 0..n {
        dist_sum.iter_mut().for_each(|d| *d = 0.0);
        let xi = records.row(i);
        for j in 0..n {
            if i != j {
                let d = xi.iter().zip(records.row(j)).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
                dist_sum[cluster[j]] += d;
            }
        }
        let own = cluster[i];
        if sizes[own] <= 1 {
            continue;
        }
        let a = dist_sum[own] / (sizes[own] - 1) as f64;
        let b = (0..ids.len())
            .filter(|&c| c != own)
            .map(|c| dist_sum[c] / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 {
            total += (b - a) / m;
        }
    }
    Ok(total / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn accuracy_counts_matching_labels() {
        assert!(close(accuracy(&[0, 1, 2, 1], &[0, 2, 2, 1]).unwrap(), 0.75));
    }

    #[test]
    fn f1_matches_hand_computed_value() {
        // tp = 2 (rows 1, 3), fp = 1 (row 0), fn = 1 (row 4): 2*2 / (4 + 1 + 1) = 2/3.
        let t = [0, 1, 0, 1, 1];
        let p = [1, 1, 0, 1, 0];
        assert!(close(f1(&t, &p).unwrap(), 2.0 / 3.0));
        assert!(close(f1(&[0, 0], &[0, 0]).unwrap(), 0.0));
        assert!(matches!(f1(&[0, 2], &[0, 1]), Err(Error::UndefinedMetric { .. })));
    }

    #[test]
    fn f1_macro_averages_per_class_scores() {
        // class 0: tp 1, fp 0, fn 1 -> 2/3; class 1: tp 1, fp 1, fn 0 -> 2/3;
        // class 2: tp 1, fp 0, fn 0 -> 1. Mean 7/9.
        let t = [0, 0, 1, 2];
        let p = [0, 1, 1, 2];
        assert!(close(f1_macro(&t, &p).unwrap(), 7.0 / 9.0));
    }

    #[test]
    fn roc_auc_matches_hand_computed_value_with_ties() {
        // sklearn's doc example: y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8] -> 0.75.
        assert!(close(roc_auc(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]).unwrap(), 0.75));
        // A tie between a positive and a negative counts half: pairs (p, n) = 4, wins 3.5.
        assert!(close(roc_auc(&[0, 0, 1, 1], &[0.1, 0.5, 0.5, 0.8]).unwrap(), 0.875));
        assert!(matches!(roc_auc(&[1, 1], &[0.2, 0.3]), Err(Error::UndefinedMetric { .. })));
    }

    #[test]
    fn roc_auc_ovr_averages_one_vs_rest_curves() {
        let p = array![[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.2, 0.3]];
        let t = [0, 1, 2, 2];
        // Class 0 scores [0.8, 0.2, 0.3, 0.5], positive row 0: wins 3/3 = 1.
        // Class 1 scores [0.1, 0.7, 0.3, 0.2], positive row 1: 1.
        // Class 2 scores [0.1, 0.1, 0.4, 0.3], positives rows 2, 3: all 4 pairs won: 1.
        assert!(close(roc_auc_ovr(&t, p.view()).unwrap(), 1.0));
        let t = [0, 1, 2, 0];
        let p2 = array![[0.8, 0.1, 0.5], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.2, 0.3]];
        // Class 0: positives 0.8, 0.5 beat negatives 0.2, 0.3 -> 1. Class 1: 0.7 beats
        // 0.1, 0.3, 0.2 -> 1. Class 2: positive 0.4 beats 0.1 and 0.3 but not 0.5 -> 2/3.
        assert!(close(roc_auc_ovr(&t, p2.view()).unwrap(), (1.0 + 1.0 + 2.0 / 3.0) / 3.0));
    }

    #[test]
    fn log_loss_matches_hand_computed_value() {
        let p = array![[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]];
        let expected = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln()) / 3.0;
        assert!(close(log_loss(&[0, 1, 1], p.view()).unwrap(), expected));
        // A zero probability of the true class is clipped, not infinite.
        let p = array![[1.0, 0.0]];
        assert!(close(log_loss(&[1], p.view()).unwrap(), -(1e-15f64).ln()));
        assert!(matches!(log_loss(&[2], p.view()), Err(Error::PredictionShape { .. })));
    }

    #[test]
    fn regression_metrics_match_hand_computed_values() {
        let t = [3.0, -0.5, 2.0, 7.0];
        let p = [2.5, 0.0, 2.0, 8.0];
        // Errors 0.5, -0.5, 0, -1: MSE 1.5/4 = 0.375.
        assert!(close(rmse(&t, &p).unwrap(), 0.375f64.sqrt()));
        assert!(close(mae(&t, &p).unwrap(), 0.5));
        // sklearn's doc example: r2 = 0.948...; SS_tot = 29.1875, SS_res = 1.5.
        assert!(close(r2(&t, &p).unwrap(), 1.0 - 1.5 / 29.1875));
        assert!(close(r2(&[1.0, 1.0], &[1.0, 1.0]).unwrap(), 1.0));
        assert!(close(r2(&[1.0, 1.0], &[1.0, 2.0]).unwrap(), 0.0));
    }

    #[test]
    fn silhouette_matches_hand_computed_value() {
        // Points on a line: 0, 1 (cluster 0) and 4 (cluster 1).
        // Point 0: a = 1, b = 4 -> 3/4. Point 1: a = 1, b = 3 -> 2/3. Point 4: alone -> 0.
        let x = array![[0.0], [1.0], [4.0]];
        let s = silhouette(x.view(), &[0, 0, 1]).unwrap();
        assert!(close(s, (0.75 + 2.0 / 3.0) / 3.0));
        assert!(matches!(silhouette(x.view(), &[0, 0, 0]), Err(Error::UndefinedMetric { .. })));
    }

    #[test]
    fn metric_functions_reject_mismatched_or_empty_input() {
        assert!(matches!(accuracy(&[], &[]), Err(Error::EmptyDataset { .. })));
        assert!(matches!(accuracy(&[0, 1], &[0]), Err(Error::PredictionShape { .. })));
        assert!(matches!(rmse(&[1.0], &[1.0, 2.0]), Err(Error::PredictionShape { .. })));
        let labels = Predictions::Labels(array![0, 1]);
        assert!(matches!(
            Metric::RocAuc.score_classification(&[0, 1], &labels),
            Err(Error::NeedsProbabilities { metric: Metric::RocAuc })
        ));
        assert!(matches!(Metric::Rmse.score_classification(&[0, 1], &labels), Err(Error::MetricTask { .. })));
    }

    #[test]
    fn directions_follow_the_metric() {
        assert_eq!(Metric::Accuracy.direction(), Direction::Maximize);
        assert_eq!(Metric::RocAuc.direction(), Direction::Maximize);
        assert_eq!(Metric::R2.direction(), Direction::Maximize);
        assert_eq!(Metric::LogLoss.direction(), Direction::Minimize);
        assert_eq!(Metric::Rmse.direction(), Direction::Minimize);
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.as_str()), Some(m));
        }
    }

    #[test]
    fn probabilities_give_argmax_labels() {
        let p = Predictions::Probabilities(array![[0.2, 0.8], [0.6, 0.4]]);
        assert_eq!(p.labels(), array![1, 0]);
        assert_eq!(Predictions::binary(&array![0.9, 0.1]).labels(), array![1, 0]);
    }
}
