//! Asynchronous successive halving (ASHA).

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::history::History;
use crate::trial_record::{Direction, FrozenTrial, TrialState};

use super::Pruner;

/// Asynchronous successive halving: a trial that reaches a rung must be in the top
/// `1 / reduction_factor` of the trials that reached that rung before it, or it stops.
///
/// Rung `r` sits at step `min_resource * reduction_factor^(min_early_stopping_rate + r)`.
/// Steps count from 0 ([`crate::Trial::report`]), so a trial is first judged at the report of
/// step `min_resource` (with rate 0), that is after `min_resource + 1` epochs, and never
/// before: with `min_resource(1)` and `reduction_factor(3)`, rungs are at steps 1, 3, 9, …
/// The decision is Optuna's `SuccessiveHalvingPruner`: with `n` values at a rung (the
/// trial's own included), the trial is promoted when its value is among the best
/// `max(n / reduction_factor, 1)` of them; with no more than `bootstrap_count` values it is
/// stopped. Optuna records rung values in trial attributes; here a trial's value at a rung
/// is its value at the first reported step at or after the rung's step, read from the
/// intermediate values of every trial (any state), so the pruner keeps no state in the
/// storage. This matches Optuna when the loop asks [`crate::Trial::should_prune`] after each
/// report, the usual pattern; a rung is judged once, at the report that reaches it.
///
/// With `min_resource` left on auto, it is estimated once, as Optuna does, from the first
/// completed trial seen: its last step divided by 100 (at least 1); until a trial
/// completes, nothing is pruned.
///
/// Reference: Li et al., "A System for Massively Parallel Hyperparameter Tuning"
/// (MLSys 2020).
///
/// ```
/// use bo_core::pruner::SuccessiveHalvingPruner;
/// let pruner = SuccessiveHalvingPruner::builder().min_resource(1).reduction_factor(3).build()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SuccessiveHalvingPruner {
    min_resource: Option<u64>,
    estimated_min_resource: OnceLock<u64>,
    rungs: Rungs,
}

/// Builder of [`SuccessiveHalvingPruner`]; validates in
/// [`SuccessiveHalvingPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct SuccessiveHalvingPrunerBuilder {
    min_resource: Option<u64>,
    reduction_factor: u64,
    min_early_stopping_rate: u32,
    bootstrap_count: usize,
}

impl Default for SuccessiveHalvingPrunerBuilder {
    fn default() -> Self {
        SuccessiveHalvingPrunerBuilder {
            min_resource: None,
            reduction_factor: 4,
            min_early_stopping_rate: 0,
            bootstrap_count: 0,
        }
    }
}

impl SuccessiveHalvingPrunerBuilder {
    /// Step of the first rung (at least 1): no trial is judged before it reports this step,
    /// its `min_resource + 1`-th report (steps count from 0). Default: auto, estimated from the
    /// first completed trial (its last step / 100, at least 1).
    pub fn min_resource(mut self, steps: u64) -> Self {
        self.min_resource = Some(steps);
        self
    }

    /// Ratio between the steps of successive rungs, and the fraction `1 / reduction_factor`
    /// of trials promoted at each rung; at least 2. Default: `4`.
    pub fn reduction_factor(mut self, factor: u64) -> Self {
        self.reduction_factor = factor;
        self
    }

    /// Shifts the first rung to step `min_resource * reduction_factor^rate`. Default: `0`.
    pub fn min_early_stopping_rate(mut self, rate: u32) -> Self {
        self.min_early_stopping_rate = rate;
        self
    }

    /// Values a rung needs (the trial's included) before anything is promoted from it: a
    /// trial reaching a rung with no more values than this stops. Needs a fixed
    /// `min_resource`. Default: `0`.
    pub fn bootstrap_count(mut self, count: usize) -> Self {
        self.bootstrap_count = count;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<SuccessiveHalvingPruner> {
        if self.min_resource == Some(0) {
            return Err(Error::InvalidConfig { what: "min_resource", reason: "must be >= 1, got 0".into() });
        }
        if self.bootstrap_count > 0 && self.min_resource.is_none() {
            return Err(Error::InvalidConfig {
                what: "bootstrap_count",
                reason: format!("{} > 0 needs a fixed min_resource, not auto", self.bootstrap_count),
            });
        }
        let rungs = Rungs::new(self.reduction_factor, self.min_early_stopping_rate, self.bootstrap_count)?;
        Ok(SuccessiveHalvingPruner { min_resource: self.min_resource, estimated_min_resource: OnceLock::new(), rungs })
    }
}

impl SuccessiveHalvingPruner {
    /// A builder with Optuna's defaults.
    pub fn builder() -> SuccessiveHalvingPrunerBuilder {
        SuccessiveHalvingPrunerBuilder::default()
    }

    fn min_resource(&self, history: &History) -> Option<u64> {
        if let Some(m) = self.min_resource {
            return Some(m);
        }
        if let Some(m) = self.estimated_min_resource.get() {
            return Some(*m);
        }
        let last = history.completed().filter_map(FrozenTrial::last_step).max()?;
        Some(*self.estimated_min_resource.get_or_init(|| (last / 100).max(1)))
    }
}

impl Pruner for SuccessiveHalvingPruner {
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool {
        if trial.intermediate_values.is_empty() {
            return false;
        }
        let Some(min_resource) = self.min_resource(history) else { return false };
        let others = history.trials().iter().map(|t| t.as_ref()).filter(|t| t.number != trial.number);
        self.rungs.should_prune(min_resource, history.direction(), others, trial)
    }
}

/// The rung logic shared by [`SuccessiveHalvingPruner`] and the Hyperband brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rungs {
    reduction_factor: u64,
    min_early_stopping_rate: u32,
    bootstrap_count: usize,
}

impl Default for Rungs {
    fn default() -> Self {
        Rungs { reduction_factor: 4, min_early_stopping_rate: 0, bootstrap_count: 0 }
    }
}

impl Rungs {
    pub(super) fn new(reduction_factor: u64, min_early_stopping_rate: u32, bootstrap_count: usize) -> Result<Self> {
        if reduction_factor < 2 {
            return Err(Error::InvalidConfig {
                what: "reduction_factor",
                reason: format!("must be >= 2, got {reduction_factor}"),
            });
        }
        Ok(Rungs { reduction_factor, min_early_stopping_rate, bootstrap_count })
    }

    /// Step of rung `rung`, or `None` past `u64`.
    fn step(&self, min_resource: u64, rung: u32) -> Option<u64> {
        let exp = self.min_early_stopping_rate.checked_add(rung)?;
        self.reduction_factor.checked_pow(exp)?.checked_mul(min_resource)
    }

    /// Decides for `trial` against `others` (the trials it competes with).
    pub(super) fn should_prune<'a>(
        &self,
        min_resource: u64,
        direction: Direction,
        others: impl Iterator<Item = &'a FrozenTrial>,
        trial: &FrozenTrial,
    ) -> bool {
        let Some((&step, &value)) = trial.intermediate_values.iter().next_back() else { return false };
        let previous = trial.intermediate_values.keys().rev().nth(1).copied();
        let others: Vec<&FrozenTrial> = others.collect();
        for rung in 0.. {
            let Some(rung_step) = self.step(min_resource, rung) else { return false };
            if step < rung_step {
                return false;
            }
            if previous.is_some_and(|p| p >= rung_step) {
                // Reached (and judged) at an earlier report.
                continue;
            }
            if value.is_nan() {
                return true;
            }
            let mut competing: Vec<f64> = others
                .iter()
                .filter_map(|t| rung_value(t, rung_step))
                .filter(|v| !v.is_nan())
                .collect();
            competing.push(value);
            if competing.len() <= self.bootstrap_count {
                return true;
            }
            if !self.is_promotable(value, competing, direction) {
                return true;
            }
        }
        false
    }

    fn is_promotable(&self, value: f64, mut competing: Vec<f64>, direction: Direction) -> bool {
        let k = (competing.len() as u64 / self.reduction_factor) as usize;
        let idx = k.saturating_sub(1);
        competing.sort_by(f64::total_cmp);
        match direction {
            Direction::Maximize => value >= competing[competing.len() - 1 - idx],
            Direction::Minimize => value <= competing[idx],
        }
    }
}

/// A trial's value at the rung of `rung_step`: its value at the first reported step at or
/// after it. Waiting trials have none.
fn rung_value(t: &FrozenTrial, rung_step: u64) -> Option<f64> {
    if t.state == TrialState::Waiting {
        return None;
    }
    t.intermediate_values.range(rung_step..).next().map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pruner::percentile::tests::curve;
    use crate::Study;

    fn sha(min_resource: u64, rf: u64) -> SuccessiveHalvingPruner {
        SuccessiveHalvingPruner::builder().min_resource(min_resource).reduction_factor(rf).build().unwrap()
    }

    #[test]
    fn first_trials_at_a_rung_must_be_the_best_so_far() {
        // fewer than reduction_factor values: promoted only when the best
        let p = sha(1, 4);
        let h = History::new(Direction::Minimize, vec![curve(0, TrialState::Running, &[0.0, 5.0])]);
        assert!(p.should_prune(&h, &curve(1, TrialState::Running, &[0.0, 6.0])));
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[0.0, 4.0])));
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[0.0, 5.0])));
        // step 0 is below the first rung (step 1)
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[100.0])));
    }

    #[test]
    fn asha_promotes_the_top_fraction_at_each_rung() {
        // rungs at steps 1, 2, 4 (min_resource 1, reduction factor 2)
        let p = sha(1, 2);
        let others: Vec<FrozenTrial> = (0..7)
            .map(|i| curve(i, TrialState::Complete, &[0.0, i as f64, i as f64, i as f64, i as f64]))
            .collect();
        let h = History::new(Direction::Minimize, others);
        // rung 0: 8 values, top 4 kept: the 4th best is 3
        assert!(!p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, 3.0])));
        assert!(p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, 3.5])));
        // rung 1 (step 2): the value at step 2 must also be in the top half
        assert!(!p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, 3.0, 2.0])));
        assert!(p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, 3.0, 3.5])));
        // between rungs nothing is judged, even a bad value
        assert!(!p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, 3.0, 2.0, 100.0])));
        // a NaN value at a rung stops the trial
        assert!(p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, f64::NAN])));
    }

    #[test]
    fn asha_reads_rung_values_from_the_first_step_at_or_after_the_rung() {
        let p = sha(2, 2);
        let mut a = curve(0, TrialState::Pruned, &[]);
        a.intermediate_values.insert(3, 1.0);
        let h = History::new(Direction::Minimize, vec![a]);
        // competitor's rung-0 (step 2) value is 1.0, read at step 3
        assert!(p.should_prune(&h, &curve(1, TrialState::Running, &[0.0, 0.0, 1.5])));
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[0.0, 0.0, 0.5])));
    }

    #[test]
    fn asha_handles_maximize() {
        let p = sha(1, 2);
        let others: Vec<FrozenTrial> = (0..3).map(|i| curve(i, TrialState::Running, &[0.0, i as f64])).collect();
        let h = History::new(Direction::Maximize, others);
        // 4 values, top 2: the 2nd best is 1
        assert!(!p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, 1.0])));
        assert!(p.should_prune(&h, &curve(9, TrialState::Running, &[0.0, 0.5])));
    }

    #[test]
    fn min_early_stopping_rate_moves_the_first_rung() {
        let p = SuccessiveHalvingPruner::builder()
            .min_resource(1)
            .reduction_factor(2)
            .min_early_stopping_rate(2)
            .build()
            .unwrap();
        let h = History::new(Direction::Minimize, vec![curve(0, TrialState::Complete, &[0.0; 6])]);
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[9.0, 9.0, 9.0])));
        assert!(p.should_prune(&h, &curve(1, TrialState::Running, &[9.0, 9.0, 9.0, 9.0, 9.0])));
    }

    #[test]
    fn bootstrap_count_stops_trials_until_enough_values() {
        let p = SuccessiveHalvingPruner::builder().min_resource(1).bootstrap_count(2).build().unwrap();
        let h = History::new(Direction::Minimize, vec![curve(0, TrialState::Running, &[0.0, 9.0])]);
        assert!(p.should_prune(&h, &curve(1, TrialState::Running, &[0.0, 1.0])));
        let h = History::new(
            Direction::Minimize,
            vec![curve(0, TrialState::Running, &[0.0, 9.0]), curve(2, TrialState::Running, &[0.0, 8.0])],
        );
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[0.0, 1.0])));
    }

    #[test]
    fn auto_min_resource_waits_for_a_completed_trial_and_is_estimated_once() {
        let p = SuccessiveHalvingPruner::default();
        let h = History::new(Direction::Minimize, vec![curve(0, TrialState::Running, &[0.0; 300])]);
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[9.0; 300])));
        let done = curve(0, TrialState::Complete, &vec![0.0; 301]);
        let h = History::new(Direction::Minimize, vec![done]);
        // last step 300 -> min_resource 3: rung 0 at step 3
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[9.0; 3])));
        assert!(p.should_prune(&h, &curve(1, TrialState::Running, &[9.0; 4])));
        let longer = curve(0, TrialState::Complete, &vec![0.0; 1001]);
        let h = History::new(Direction::Minimize, vec![longer]);
        assert!(p.should_prune(&h, &curve(1, TrialState::Running, &[9.0; 4])));
    }

    #[test]
    fn successive_halving_builder_rejects_bad_values() {
        assert!(SuccessiveHalvingPruner::builder().reduction_factor(1).build().is_err());
        assert!(SuccessiveHalvingPruner::builder().min_resource(0).build().is_err());
        assert!(SuccessiveHalvingPruner::builder().bootstrap_count(1).build().is_err());
        assert!(SuccessiveHalvingPruner::builder().min_resource(1).bootstrap_count(1).build().is_ok());
    }

    #[test]
    fn successive_halving_prunes_bad_curves_in_a_study() {
        let pruner = SuccessiveHalvingPruner::builder().min_resource(1).reduction_factor(2).build().unwrap();
        let study = Study::builder().pruner(pruner).seed(3).build().unwrap();
        let xs: Vec<f64> = std::iter::once(0.1).chain((0..15).map(|i| if i % 2 == 0 { 0.05 } else { 0.9 })).collect();
        crate::pruner::test_support::run_decaying_curves(&study, &xs, 9);
        let trials = study.trials().unwrap();
        for t in &trials {
            let x = t.params["x"].as_f64().unwrap();
            if x < 0.5 {
                assert_eq!(t.state, TrialState::Complete, "trial {} x={x}", t.number);
            } else {
                assert_eq!(t.state, TrialState::Pruned, "trial {} x={x}", t.number);
            }
        }
    }
}
