//! The threshold pruner: stop a trial whose metric leaves a fixed band.

use crate::error::{Error, Result};
use crate::history::History;
use crate::trial_record::FrozenTrial;

use super::Pruner;
use super::percentile::is_first_in_interval_step;

/// Prunes a trial whose latest intermediate value is below `lower`, above `upper`, or NaN,
/// as Optuna's `ThresholdPruner`. Checks follow the same warmup and interval rules as
/// [`super::PercentilePruner`]: steps count from 0, and `n_warmup_steps(w)` exempts steps
/// `0..w`. Other trials play no part.
///
/// ```
/// use bo_core::pruner::ThresholdPruner;
/// // a loss that blows up past 10 is hopeless
/// let pruner = ThresholdPruner::builder().upper(10.0).n_warmup_steps(2).build()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdPruner {
    lower: f64,
    upper: f64,
    n_warmup_steps: u64,
    interval_steps: u64,
}

/// Builder of [`ThresholdPruner`]; validates in [`ThresholdPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct ThresholdPrunerBuilder {
    lower: Option<f64>,
    upper: Option<f64>,
    n_warmup_steps: u64,
    interval_steps: u64,
}

impl ThresholdPrunerBuilder {
    /// Values below this are pruned. Default: none (at least one bound must be set).
    pub fn lower(mut self, lower: f64) -> Self {
        self.lower = Some(lower);
        self
    }

    /// Values above this are pruned. Default: none (at least one bound must be set).
    pub fn upper(mut self, upper: f64) -> Self {
        self.upper = Some(upper);
        self
    }

    /// Reports exempt from pruning: steps `0..n` (steps count from 0) are never pruned, the
    /// first check is at step `n`, the `n + 1`-th report. Default: `0` (from the first report).
    pub fn n_warmup_steps(mut self, n: u64) -> Self {
        self.n_warmup_steps = n;
        self
    }

    /// Steps between checks, counted from the warmup; at least 1. Default: `1`.
    pub fn interval_steps(mut self, n: u64) -> Self {
        self.interval_steps = n;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<ThresholdPruner> {
        if self.lower.is_none() && self.upper.is_none() {
            return Err(Error::InvalidConfig { what: "threshold", reason: "set lower, upper or both".into() });
        }
        for (what, bound) in [("lower", self.lower), ("upper", self.upper)] {
            if bound.is_some_and(f64::is_nan) {
                return Err(Error::InvalidConfig { what, reason: "must not be NaN".into() });
            }
        }
        let lower = self.lower.unwrap_or(f64::NEG_INFINITY);
        let upper = self.upper.unwrap_or(f64::INFINITY);
        if lower > upper {
            return Err(Error::InvalidConfig {
                what: "lower",
                reason: format!("must be <= upper ({upper}), got {lower}"),
            });
        }
        if self.interval_steps < 1 {
            return Err(Error::InvalidConfig { what: "interval_steps", reason: "must be >= 1, got 0".into() });
        }
        Ok(ThresholdPruner { lower, upper, n_warmup_steps: self.n_warmup_steps, interval_steps: self.interval_steps })
    }
}

impl ThresholdPruner {
    /// A builder; set `lower`, `upper` or both.
    pub fn builder() -> ThresholdPrunerBuilder {
        ThresholdPrunerBuilder { lower: None, upper: None, n_warmup_steps: 0, interval_steps: 1 }
    }
}

impl Pruner for ThresholdPruner {
    fn should_prune(&self, _history: &History, trial: &FrozenTrial) -> bool {
        let Some((&step, &value)) = trial.intermediate_values.iter().next_back() else { return false };
        if step < self.n_warmup_steps {
            return false;
        }
        if !is_first_in_interval_step(step, trial, self.n_warmup_steps, self.interval_steps) {
            return false;
        }
        value.is_nan() || value < self.lower || value > self.upper
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pruner::percentile::tests::curve;
    use crate::trial_record::{Direction, TrialState};
    use crate::{Float, Optimize, Pruned, Study, Trial};

    fn empty() -> History {
        History::new(Direction::Minimize, vec![])
    }

    #[test]
    fn threshold_pruner_prunes_outside_the_bounds_and_on_nan() {
        let p = ThresholdPruner::builder().lower(0.0).upper(1.0).build().unwrap();
        let h = empty();
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[0.5])));
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[1.0])));
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[0.0])));
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[1.5])));
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[-0.5])));
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[f64::NAN])));
        // only the latest value counts
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[5.0, 0.5])));
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[])));
        let upper_only = ThresholdPruner::builder().upper(1.0).build().unwrap();
        assert!(!upper_only.should_prune(&h, &curve(0, TrialState::Running, &[-1e300])));
    }

    #[test]
    fn threshold_pruner_respects_warmup_and_interval() {
        let p = ThresholdPruner::builder().upper(1.0).n_warmup_steps(2).interval_steps(3).build().unwrap();
        let h = empty();
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[9.0, 9.0])));
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[9.0, 9.0, 9.0])));
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[9.0; 4])));
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[9.0; 6])));
    }

    #[test]
    fn threshold_pruner_builder_rejects_bad_values() {
        assert!(ThresholdPruner::builder().build().is_err());
        assert!(ThresholdPruner::builder().lower(2.0).upper(1.0).build().is_err());
        assert!(ThresholdPruner::builder().lower(f64::NAN).build().is_err());
        assert!(ThresholdPruner::builder().upper(1.0).interval_steps(0).build().is_err());
    }

    #[test]
    fn threshold_pruner_prunes_diverging_curves_in_a_study() {
        let study =
            Study::builder().pruner(ThresholdPruner::builder().upper(5.0).build().unwrap()).seed(2).build().unwrap();
        for i in 0..10 {
            study.enqueue([("x", if i % 2 == 0 { 0.5 } else { 2.0 })]).unwrap();
        }
        study
            .optimize_with(Optimize::trials(10).progress_bar(false), |trial: &mut Trial| {
                let x = trial.suggest_float("x", Float::new(0.0, 3.0))?;
                let mut loss = 0.0;
                for step in 0..10 {
                    loss = x.powi(step as i32);
                    trial.report(step, loss)?;
                    if trial.should_prune()? {
                        return Err(Pruned.into());
                    }
                }
                Ok::<_, crate::Error>(loss)
            })
            .unwrap();
        for t in study.trials().unwrap() {
            if t.number % 2 == 0 {
                assert_eq!(t.state, TrialState::Complete);
            } else {
                assert_eq!(t.state, TrialState::Pruned);
                // 2^3 = 8 is the first value above 5
                assert_eq!(t.last_step(), Some(3));
            }
        }
    }
}
