//! The median pruner: the percentile pruner at the 50th percentile.

use crate::error::Result;
use crate::history::History;
use crate::trial_record::FrozenTrial;

use super::Pruner;
use super::percentile::{PercentilePruner, PercentilePrunerBuilder};

/// Prunes a trial whose best intermediate value so far is worse than the median of the
/// completed trials' values at the same step: [`PercentilePruner`] with percentile 50, as
/// Optuna's `MedianPruner`. Steps count from 0 ([`crate::Trial::report`]): with
/// `n_warmup_steps(w)` the first `w` reports (steps `0..w`) are never pruned and the first
/// check is at step `w`; with the default `0`, the first report (step 0) is judged.
///
/// ```
/// use bo_core::pruner::MedianPruner;
/// let pruner = MedianPruner::builder().n_startup_trials(5).n_warmup_steps(10).build()?;
/// let default = MedianPruner::default();
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MedianPruner {
    inner: PercentilePruner,
}

/// Builder of [`MedianPruner`]; validates in [`MedianPrunerBuilder::build`].
///
/// A [`PercentilePrunerBuilder`] fixed at the 50th percentile: same settings, same checks.
#[derive(Debug, Clone)]
pub struct MedianPrunerBuilder {
    inner: PercentilePrunerBuilder,
}

impl Default for MedianPrunerBuilder {
    fn default() -> Self {
        MedianPrunerBuilder { inner: PercentilePruner::builder().percentile(50.0) }
    }
}

impl MedianPrunerBuilder {
    /// Completed trials needed before anything is pruned. Default: `5`.
    pub fn n_startup_trials(self, n: usize) -> Self {
        MedianPrunerBuilder { inner: self.inner.n_startup_trials(n) }
    }

    /// Reports exempt from pruning: steps `0..n` (steps count from 0) are never pruned, the
    /// first check is at step `n`, the `n + 1`-th report. Default: `0` (from the first report).
    pub fn n_warmup_steps(self, n: u64) -> Self {
        MedianPrunerBuilder { inner: self.inner.n_warmup_steps(n) }
    }

    /// Steps between pruning checks, counted from the warmup; at least 1. Default: `1`.
    pub fn interval_steps(self, n: u64) -> Self {
        MedianPrunerBuilder { inner: self.inner.interval_steps(n) }
    }

    /// Completed trials that must have reported the current step to judge; at least 1.
    /// Default: `1`.
    pub fn n_min_trials(self, n: usize) -> Self {
        MedianPrunerBuilder { inner: self.inner.n_min_trials(n) }
    }

    /// Validates and builds.
    pub fn build(self) -> Result<MedianPruner> {
        Ok(MedianPruner { inner: self.inner.build()? })
    }
}

impl MedianPruner {
    /// A builder with Optuna's defaults.
    pub fn builder() -> MedianPrunerBuilder {
        MedianPrunerBuilder::default()
    }
}

impl Default for MedianPruner {
    fn default() -> Self {
        MedianPruner { inner: PercentilePruner::from_parts(50.0, 5, 0, 1, 1) }
    }
}

impl Pruner for MedianPruner {
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool {
        self.inner.should_prune(history, trial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pruner::percentile::tests::curve;
    use crate::trial_record::{Direction, TrialState};
    use crate::Study;

    #[test]
    fn median_pruner_prunes_above_the_median_and_keeps_below() {
        let trials: Vec<FrozenTrial> =
            (0..5).map(|i| curve(i, TrialState::Complete, &[i as f64, i as f64])).collect();
        let h = History::new(Direction::Minimize, trials);
        let p = MedianPruner::default();
        assert!(p.should_prune(&h, &curve(7, TrialState::Running, &[2.5])));
        assert!(!p.should_prune(&h, &curve(7, TrialState::Running, &[1.5])));
        let h = History::new(Direction::Maximize, h.trials().iter().map(|t| (**t).clone()).collect());
        assert!(!p.should_prune(&h, &curve(7, TrialState::Running, &[2.5])));
        assert!(p.should_prune(&h, &curve(7, TrialState::Running, &[1.5])));
    }

    #[test]
    fn median_pruner_waits_for_warmup() {
        let trials: Vec<FrozenTrial> =
            (0..5).map(|i| curve(i, TrialState::Complete, &[i as f64, i as f64, i as f64])).collect();
        let h = History::new(Direction::Minimize, trials);
        let p = MedianPruner::builder().n_warmup_steps(2).build().unwrap();
        assert!(!p.should_prune(&h, &curve(7, TrialState::Running, &[9.0, 9.0])));
        assert!(p.should_prune(&h, &curve(7, TrialState::Running, &[9.0, 9.0, 9.0])));
    }

    #[test]
    fn median_pruner_builder_rejects_zero_interval() {
        assert!(MedianPruner::builder().interval_steps(0).build().is_err());
        assert!(MedianPruner::builder().n_min_trials(0).build().is_err());
        assert_eq!(MedianPruner::builder().build().unwrap(), MedianPruner::default());
    }

    #[test]
    fn median_pruner_prunes_bad_curves_in_a_study() {
        let study = Study::builder().pruner(MedianPruner::default()).seed(1).build().unwrap();
        let xs: Vec<f64> = (0..20).map(|i| if i % 2 == 0 { 0.1 } else { 0.9 }).collect();
        crate::pruner::test_support::run_decaying_curves(&study, &xs, 10);
        for t in study.trials().unwrap() {
            let x = t.params["x"].as_f64().unwrap();
            if x < 0.5 || t.number < 5 {
                assert_eq!(t.state, TrialState::Complete, "trial {} x={x}", t.number);
            } else {
                assert_eq!(t.state, TrialState::Pruned, "trial {} x={x}", t.number);
                assert_eq!(t.last_step(), Some(0));
            }
        }
    }
}
