//! The percentile pruner: stop a trial that is worse than most finished trials were at the
//! same step.

use crate::error::{Error, Result};
use crate::history::History;
use crate::trial_record::{Direction, FrozenTrial};

use super::Pruner;

/// Prunes a trial whose best intermediate value so far is worse than the given percentile of
/// the completed trials' intermediate values at the trial's current step.
///
/// Follows Optuna's `PercentilePruner`: nothing is pruned before `n_startup_trials` trials
/// have completed, before the trial reaches step `n_warmup_steps`, or between checks (one
/// every `interval_steps` steps past the warmup, postponed to the next reported step when a
/// check step is skipped). Steps count from 0 ([`crate::Trial::report`]): the first report
/// is step 0, so `n_warmup_steps(3)` lets three reports (steps 0, 1, 2) through unjudged. A trial whose values are all NaN is pruned. When fewer than
/// `n_min_trials` completed trials reported the current step, nothing is pruned.
///
/// ```
/// use bo_core::pruner::PercentilePruner;
/// let pruner = PercentilePruner::builder().percentile(25.0).n_warmup_steps(3).build()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PercentilePruner {
    percentile: f64,
    n_startup_trials: usize,
    n_warmup_steps: u64,
    interval_steps: u64,
    n_min_trials: usize,
}

/// Builder of [`PercentilePruner`]; validates in [`PercentilePrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct PercentilePrunerBuilder {
    percentile: Option<f64>,
    n_startup_trials: usize,
    n_warmup_steps: u64,
    interval_steps: u64,
    n_min_trials: usize,
}

impl Default for PercentilePrunerBuilder {
    fn default() -> Self {
        PercentilePrunerBuilder {
            percentile: None,
            n_startup_trials: 5,
            n_warmup_steps: 0,
            interval_steps: 1,
            n_min_trials: 1,
        }
    }
}

impl PercentilePrunerBuilder {
    /// Percentile in `[0, 100]`: with 25, trials outside the best quarter are pruned.
    /// Required (no default).
    pub fn percentile(mut self, percentile: f64) -> Self {
        self.percentile = Some(percentile);
        self
    }

    /// Completed trials needed before anything is pruned. Default: `5`.
    pub fn n_startup_trials(mut self, n: usize) -> Self {
        self.n_startup_trials = n;
        self
    }

    /// Reports exempt from pruning: steps `0..n` (steps count from 0) are never pruned, the
    /// first check is at step `n`, the `n + 1`-th report. Default: `0` (from the first report).
    pub fn n_warmup_steps(mut self, n: u64) -> Self {
        self.n_warmup_steps = n;
        self
    }

    /// Steps between pruning checks, counted from the warmup; at least 1. Default: `1`.
    pub fn interval_steps(mut self, n: u64) -> Self {
        self.interval_steps = n;
        self
    }

    /// Completed trials that must have reported the current step to judge; at least 1.
    /// Default: `1`.
    pub fn n_min_trials(mut self, n: usize) -> Self {
        self.n_min_trials = n;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<PercentilePruner> {
        let percentile = self
            .percentile
            .ok_or_else(|| Error::InvalidConfig { what: "percentile", reason: "must be set".into() })?;
        if !(0.0..=100.0).contains(&percentile) {
            return Err(Error::InvalidConfig {
                what: "percentile",
                reason: format!("must be in [0, 100], got {percentile}"),
            });
        }
        check_interval_and_min_trials(self.interval_steps, self.n_min_trials)?;
        Ok(PercentilePruner {
            percentile,
            n_startup_trials: self.n_startup_trials,
            n_warmup_steps: self.n_warmup_steps,
            interval_steps: self.interval_steps,
            n_min_trials: self.n_min_trials,
        })
    }
}

fn check_interval_and_min_trials(interval_steps: u64, n_min_trials: usize) -> Result<()> {
    if interval_steps < 1 {
        return Err(Error::InvalidConfig { what: "interval_steps", reason: "must be >= 1, got 0".into() });
    }
    if n_min_trials < 1 {
        return Err(Error::InvalidConfig { what: "n_min_trials", reason: "must be >= 1, got 0".into() });
    }
    Ok(())
}

impl PercentilePruner {
    /// A builder with Optuna's defaults (the percentile must be set).
    pub fn builder() -> PercentilePrunerBuilder {
        PercentilePrunerBuilder::default()
    }

    /// The percentile in `[0, 100]`.
    pub fn percentile(&self) -> f64 {
        self.percentile
    }

    pub(super) fn from_parts(
        percentile: f64,
        n_startup_trials: usize,
        n_warmup_steps: u64,
        interval_steps: u64,
        n_min_trials: usize,
    ) -> Self {
        PercentilePruner { percentile, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials }
    }
}

impl Pruner for PercentilePruner {
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool {
        let completed: Vec<&FrozenTrial> = history.completed().filter(|t| t.number != trial.number).collect();
        if completed.is_empty() || completed.len() < self.n_startup_trials {
            return false;
        }
        let Some(step) = trial.last_step() else { return false };
        if step < self.n_warmup_steps {
            return false;
        }
        if !is_first_in_interval_step(step, trial, self.n_warmup_steps, self.interval_steps) {
            return false;
        }
        let direction = history.direction();
        let best = best_intermediate_value(trial, direction);
        if best.is_nan() {
            return true;
        }
        let at_step: Vec<f64> = completed.iter().filter_map(|t| t.intermediate_values.get(&step).copied()).collect();
        if at_step.len() < self.n_min_trials {
            return false;
        }
        let q = match direction {
            Direction::Minimize => self.percentile,
            Direction::Maximize => 100.0 - self.percentile,
        };
        let p = nan_percentile(at_step, q);
        if p.is_nan() {
            return false;
        }
        match direction {
            Direction::Maximize => best < p,
            Direction::Minimize => best > p,
        }
    }
}

/// Whether `step` (the trial's last step) is the first reported step of its checking
/// interval: the previous report came before the latest check step at or below `step`.
pub(super) fn is_first_in_interval_step(step: u64, trial: &FrozenTrial, n_warmup_steps: u64, interval_steps: u64) -> bool {
    let interval = interval_steps.max(1);
    let nearest_check = (step - n_warmup_steps) / interval * interval + n_warmup_steps;
    let previous = trial.intermediate_values.keys().rev().find(|s| **s != step);
    previous.is_none_or(|p| *p < nearest_check)
}

/// The best of the trial's intermediate values, ignoring NaN (NaN when all are NaN).
fn best_intermediate_value(trial: &FrozenTrial, direction: Direction) -> f64 {
    let mut best = f64::NAN;
    for v in trial.intermediate_values.values().copied().filter(|v| !v.is_nan()) {
        if best.is_nan() || direction.is_better(v, best) {
            best = v;
        }
    }
    best
}

/// The `q`-th percentile (linear interpolation, as NumPy's `nanpercentile`) of the non-NaN
/// values; NaN when there are none.
fn nan_percentile(mut values: Vec<f64>, q: f64) -> f64 {
    values.retain(|v| !v.is_nan());
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = q / 100.0 * (values.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::trial_record::TrialState;

    /// A trial record with `values` at steps 0, 1, 2, …
    pub(crate) fn curve(number: u64, state: TrialState, values: &[f64]) -> FrozenTrial {
        let mut t = FrozenTrial::new_running(number, number);
        t.state = state;
        t.intermediate_values = values.iter().enumerate().map(|(s, v)| (s as u64, *v)).collect();
        if state == TrialState::Complete {
            t.value = values.last().copied();
        }
        t
    }

    fn five_completed() -> Vec<FrozenTrial> {
        (0..5).map(|i| curve(i, TrialState::Complete, &[10.0 + i as f64, 5.0 + i as f64, 1.0 + i as f64])).collect()
    }

    fn pruner(percentile: f64) -> PercentilePruner {
        PercentilePruner::builder().percentile(percentile).build().unwrap()
    }

    #[test]
    fn percentile_pruner_prunes_a_trial_worse_than_the_percentile_and_keeps_a_good_one() {
        let h = History::new(Direction::Minimize, five_completed());
        // step 1 values of completed trials: 5..9; 25th percentile = 6.
        assert!(pruner(25.0).should_prune(&h, &curve(9, TrialState::Running, &[20.0, 6.5])));
        assert!(!pruner(25.0).should_prune(&h, &curve(9, TrialState::Running, &[20.0, 5.5])));
        // the trial's best value over all its steps is what counts
        assert!(!pruner(25.0).should_prune(&h, &curve(9, TrialState::Running, &[4.0, 7.0])));
        // equal to the percentile is kept
        assert!(!pruner(25.0).should_prune(&h, &curve(9, TrialState::Running, &[20.0, 6.0])));
    }

    #[test]
    fn percentile_is_interpolated_like_numpy() {
        assert_eq!(nan_percentile(vec![1.0, 2.0, 3.0, 4.0], 50.0), 2.5);
        assert_eq!(nan_percentile(vec![4.0, f64::NAN, 1.0, 2.0, 3.0], 25.0), 1.75);
        assert_eq!(nan_percentile(vec![7.0], 90.0), 7.0);
        assert!(nan_percentile(vec![f64::NAN], 50.0).is_nan());
    }

    #[test]
    fn percentile_pruner_waits_for_startup_trials() {
        let mut trials = five_completed();
        trials.pop();
        let h = History::new(Direction::Minimize, trials);
        let bad = curve(9, TrialState::Running, &[100.0]);
        assert!(!pruner(50.0).should_prune(&h, &bad));
        let few = PercentilePruner::builder().percentile(50.0).n_startup_trials(4).build().unwrap();
        assert!(few.should_prune(&h, &bad));
    }

    #[test]
    fn percentile_pruner_ignores_running_and_pruned_trials_as_references() {
        let mut trials = five_completed();
        trials.push(curve(5, TrialState::Running, &[0.0, 0.0]));
        trials.push(curve(6, TrialState::Pruned, &[0.0]));
        let h = History::new(Direction::Minimize, trials);
        assert!(!pruner(50.0).should_prune(&h, &curve(9, TrialState::Running, &[12.0])));
    }

    #[test]
    fn percentile_pruner_waits_for_warmup_and_checks_at_intervals() {
        let h = History::new(Direction::Minimize, five_completed());
        let p = PercentilePruner::builder().percentile(50.0).n_warmup_steps(1).interval_steps(2).build().unwrap();
        assert!(!p.should_prune(&h, &curve(9, TrialState::Running, &[100.0])));
        assert!(p.should_prune(&h, &curve(9, TrialState::Running, &[100.0, 100.0])));
        // step 2 is not a check step (checks at 1, 3, 5, …)
        assert!(!p.should_prune(&h, &curve(9, TrialState::Running, &[100.0, 100.0, 100.0])));
        // a check step skipped by the loop is postponed to the next reported step
        let mut skipped = curve(9, TrialState::Running, &[100.0]);
        skipped.intermediate_values.insert(2, 100.0);
        assert!(p.should_prune(&h, &skipped));
    }

    #[test]
    fn percentile_pruner_handles_maximize() {
        let trials: Vec<FrozenTrial> =
            (0..5).map(|i| curve(i, TrialState::Complete, &[i as f64, 10.0 + i as f64])).collect();
        let h = History::new(Direction::Maximize, trials);
        // step 1 values 10..14; top-25% threshold for maximize is the 75th percentile = 13
        assert!(pruner(25.0).should_prune(&h, &curve(9, TrialState::Running, &[0.0, 12.5])));
        assert!(!pruner(25.0).should_prune(&h, &curve(9, TrialState::Running, &[0.0, 13.5])));
    }

    #[test]
    fn percentile_pruner_prunes_an_all_nan_trial_and_skips_steps_nobody_reported() {
        let h = History::new(Direction::Minimize, five_completed());
        assert!(pruner(50.0).should_prune(&h, &curve(9, TrialState::Running, &[f64::NAN, f64::NAN])));
        // a NaN last value with a good earlier value is judged on the best value
        assert!(!pruner(50.0).should_prune(&h, &curve(9, TrialState::Running, &[1.0, f64::NAN])));
        let beyond = curve(9, TrialState::Running, &[100.0, 100.0, 100.0, 100.0]);
        assert!(!pruner(50.0).should_prune(&h, &beyond));
        let need6 = PercentilePruner::builder().percentile(50.0).n_min_trials(6).build().unwrap();
        assert!(!need6.should_prune(&h, &curve(9, TrialState::Running, &[100.0])));
    }

    #[test]
    fn percentile_pruner_builder_rejects_bad_values() {
        assert!(PercentilePruner::builder().build().is_err());
        assert!(PercentilePruner::builder().percentile(101.0).build().is_err());
        assert!(PercentilePruner::builder().percentile(f64::NAN).build().is_err());
        assert!(PercentilePruner::builder().percentile(50.0).interval_steps(0).build().is_err());
        assert!(PercentilePruner::builder().percentile(50.0).n_min_trials(0).build().is_err());
    }

    #[test]
    fn empty_curve_and_empty_history_never_prune() {
        let h = History::new(Direction::Minimize, vec![]);
        assert!(!pruner(50.0).should_prune(&h, &curve(0, TrialState::Running, &[1.0])));
        let h = History::new(Direction::Minimize, five_completed());
        assert!(!pruner(50.0).should_prune(&h, &curve(9, TrialState::Running, &[])));
    }
}
