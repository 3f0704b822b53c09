//! Hyperband: several asynchronous successive-halving brackets side by side.

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::history::History;
use crate::rng::{GOLDEN_GAMMA, mix64};
use crate::trial_record::FrozenTrial;

use super::Pruner;
use super::successive_halving::Rungs;

/// Hyperband over asynchronous successive halving, as Optuna's `HyperbandPruner`.
///
/// The pruner runs `n` brackets, `n = floor(log_rf(max_resource / min_resource)) + 1`.
/// Bracket `b` is a successive-halving pruner with `min_early_stopping_rate = b`: bracket 0
/// stops trials earliest, the last bracket lets them run longest. Each trial belongs to one
/// bracket, drawn by a deterministic hash of its number with probability proportional to the
/// bracket's budget `ceil(n * rf^s / (s + 1))`, `s = n - 1 - b` (Hyperband's trial counts),
/// and is only compared with trials of its own bracket. Optuna hashes the study name with
/// the trial number; here only the number is hashed, so every study with the same settings
/// assigns trial `k` to the same bracket.
///
/// With `max_resource` on auto, it is set once, from the first completed trial seen, to its
/// last step + 1; until a trial completes, nothing is pruned.
///
/// Steps count from 0 ([`crate::Trial::report`]): a trial of `E` epochs reports steps
/// `0..E`, so its `max_resource` is `E`; bracket `b`'s first rung is at step
/// `min_resource * reduction_factor^b`, judged at that report (after that many epochs + 1).
///
/// Reference: Li et al., "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
/// Optimization" (JMLR 2018).
///
/// ```
/// use bo_core::pruner::HyperbandPruner;
/// let pruner = HyperbandPruner::builder().min_resource(1).max_resource(81).build()?;
/// assert_eq!(pruner.n_brackets(), Some(5));
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HyperbandPruner {
    min_resource: u64,
    max_resource: Option<u64>,
    reduction_factor: u64,
    bootstrap_count: usize,
    brackets: OnceLock<Brackets>,
}

#[derive(Debug, Clone)]
struct Brackets {
    budgets: Vec<u64>,
    total: u64,
    rungs: Vec<Rungs>,
}

/// Builder of [`HyperbandPruner`]; validates in [`HyperbandPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct HyperbandPrunerBuilder {
    min_resource: u64,
    max_resource: Option<u64>,
    reduction_factor: u64,
    bootstrap_count: usize,
}

impl Default for HyperbandPrunerBuilder {
    fn default() -> Self {
        HyperbandPrunerBuilder { min_resource: 1, max_resource: None, reduction_factor: 3, bootstrap_count: 0 }
    }
}

impl HyperbandPrunerBuilder {
    /// Step of bracket 0's first rung (at least 1): judged at the report of this step, the
    /// `min_resource + 1`-th (steps count from 0). Default: `1`.
    pub fn min_resource(mut self, steps: u64) -> Self {
        self.min_resource = steps;
        self
    }

    /// Steps of a full trial, i.e. its last step + 1 (`E` for a loop `for epoch in 0..E`); at
    /// least `min_resource`. Default: auto (the last step of the first completed trial, plus
    /// one).
    pub fn max_resource(mut self, steps: u64) -> Self {
        self.max_resource = Some(steps);
        self
    }

    /// Reduction factor of every bracket; at least 2. Default: `3`.
    pub fn reduction_factor(mut self, factor: u64) -> Self {
        self.reduction_factor = factor;
        self
    }

    /// Bootstrap count of every bracket (see [`super::SuccessiveHalvingPruner`]). Default: `0`.
    pub fn bootstrap_count(mut self, count: usize) -> Self {
        self.bootstrap_count = count;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<HyperbandPruner> {
        if self.min_resource == 0 {
            return Err(Error::InvalidConfig { what: "min_resource", reason: "must be >= 1, got 0".into() });
        }
        Rungs::new(self.reduction_factor, 0, self.bootstrap_count)?;
        if let Some(max) = self.max_resource {
            if max < self.min_resource {
                return Err(Error::InvalidConfig {
                    what: "max_resource",
                    reason: format!("must be >= min_resource ({}), got {max}", self.min_resource),
                });
            }
        }
        let pruner = HyperbandPruner {
            min_resource: self.min_resource,
            max_resource: self.max_resource,
            reduction_factor: self.reduction_factor,
            bootstrap_count: self.bootstrap_count,
            brackets: OnceLock::new(),
        };
        if let Some(max) = self.max_resource {
            pruner.brackets.get_or_init(|| pruner.make_brackets(max));
        }
        Ok(pruner)
    }
}

impl Default for HyperbandPruner {
    fn default() -> Self {
        HyperbandPruner {
            min_resource: 1,
            max_resource: None,
            reduction_factor: 3,
            bootstrap_count: 0,
            brackets: OnceLock::new(),
        }
    }
}

impl HyperbandPruner {
    /// A builder with Optuna's defaults.
    pub fn builder() -> HyperbandPrunerBuilder {
        HyperbandPrunerBuilder::default()
    }

    /// Number of brackets, once `max_resource` is known.
    pub fn n_brackets(&self) -> Option<usize> {
        self.brackets.get().map(|b| b.budgets.len())
    }

    /// The bracket of trial `number`, once `max_resource` is known.
    pub fn bracket_of(&self, number: u64) -> Option<usize> {
        self.brackets.get().map(|b| b.bracket_of(number))
    }

    fn make_brackets(&self, max_resource: u64) -> Brackets {
        let rf = self.reduction_factor;
        // n = floor(log_rf(max / min)) + 1, in integers.
        let mut n: u32 = 1;
        while rf
            .checked_pow(n)
            .and_then(|p| p.checked_mul(self.min_resource))
            .is_some_and(|steps| steps <= max_resource)
        {
            n += 1;
        }
        let budgets: Vec<u64> = (0..n)
            .map(|b| {
                let s = n - 1 - b;
                let top = (n as u64).saturating_mul(rf.saturating_pow(s));
                top.div_ceil(s as u64 + 1)
            })
            .collect();
        let total = budgets.iter().fold(0u64, |a, b| a.saturating_add(*b));
        let rungs = (0..n)
            .map(|b| Rungs::new(rf, b, self.bootstrap_count).unwrap_or_default())
            .collect();
        Brackets { budgets, total, rungs }
    }

    fn brackets(&self, history: &History) -> Option<&Brackets> {
        if let Some(b) = self.brackets.get() {
            return Some(b);
        }
        let max = match self.max_resource {
            Some(m) => m,
            None => history.completed().filter_map(FrozenTrial::last_step).max()?.saturating_add(1),
        };
        Some(self.brackets.get_or_init(|| self.make_brackets(max)))
    }
}

impl Brackets {
    fn bracket_of(&self, number: u64) -> usize {
        let mut n = mix(number) % self.total.max(1);
        for (b, budget) in self.budgets.iter().enumerate() {
            if n < *budget {
                return b;
            }
            n -= budget;
        }
        self.budgets.len() - 1
    }
}

/// A bijective 64-bit mix (splitmix64's first draw from `x`): consecutive numbers spread
/// evenly.
fn mix(x: u64) -> u64 {
    mix64(x.wrapping_add(GOLDEN_GAMMA))
}

impl Pruner for HyperbandPruner {
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool {
        if trial.intermediate_values.is_empty() {
            return false;
        }
        let Some(brackets) = self.brackets(history) else { return false };
        let bracket = brackets.bracket_of(trial.number);
        let others = history
            .trials()
            .iter()
            .map(|t| t.as_ref())
            .filter(|t| t.number != trial.number && brackets.bracket_of(t.number) == bracket);
        brackets.rungs[bracket].should_prune(self.min_resource, history.direction(), others, trial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pruner::percentile::tests::curve;
    use crate::trial_record::{Direction, TrialState};
    use crate::Study;

    fn hb(max: u64) -> HyperbandPruner {
        HyperbandPruner::builder().max_resource(max).build().unwrap()
    }

    #[test]
    fn hyperband_brackets_and_budgets_follow_optuna() {
        let p = hb(100);
        let b = p.brackets.get().unwrap();
        assert_eq!(b.budgets, vec![81, 34, 15, 8, 5]);
        assert_eq!(hb(81).n_brackets(), Some(5));
        assert_eq!(hb(80).n_brackets(), Some(4));
        assert_eq!(hb(1).n_brackets(), Some(1));
    }

    #[test]
    fn hyperband_bracket_assignment_is_deterministic_and_proportional_to_budgets() {
        let a = hb(100);
        let b = hb(100);
        let mut counts = [0usize; 5];
        for n in 0..14_300u64 {
            let x = a.bracket_of(n).unwrap();
            assert_eq!(Some(x), b.bracket_of(n));
            counts[x] += 1;
        }
        for (count, budget) in counts.iter().zip([81.0, 34.0, 15.0, 8.0, 5.0]) {
            let expected = 14_300.0 * budget / 143.0;
            assert!((*count as f64 - expected).abs() < 0.15 * expected, "{counts:?}");
        }
    }

    fn numbers_in(p: &HyperbandPruner, bracket: usize, k: usize) -> Vec<u64> {
        (0..).filter(|n| p.bracket_of(*n) == Some(bracket)).take(k).collect()
    }

    #[test]
    fn hyperband_compares_trials_only_within_their_bracket() {
        let p = hb(100);
        let same = numbers_in(&p, 0, 3);
        let other = numbers_in(&p, 1, 1)[0];
        // bracket 0: first rung at step 1
        let good_same = curve(same[0], TrialState::Complete, &[0.0, 1.0]);
        let h = History::new(Direction::Minimize, vec![good_same]);
        assert!(p.should_prune(&h, &curve(same[1], TrialState::Running, &[0.0, 2.0])));
        let good_other = curve(other, TrialState::Complete, &[0.0, 1.0, 1.0, 1.0]);
        let h = History::new(Direction::Minimize, vec![good_other]);
        assert!(!p.should_prune(&h, &curve(same[1], TrialState::Running, &[0.0, 2.0])));
        // bracket 1 has its first rung at step 3
        let h = History::new(Direction::Minimize, vec![curve(same[0], TrialState::Complete, &[0.0; 4])]);
        let other2 = numbers_in(&p, 1, 2)[1];
        let h2 = History::new(
            Direction::Minimize,
            h.trials().iter().map(|t| (**t).clone()).chain([curve(other, TrialState::Complete, &[0.0; 4])]).collect(),
        );
        assert!(!p.should_prune(&h2, &curve(other2, TrialState::Running, &[9.0, 9.0, 9.0])));
        assert!(p.should_prune(&h2, &curve(other2, TrialState::Running, &[9.0, 9.0, 9.0, 9.0])));
        assert!(!p.should_prune(&h, &curve(other2, TrialState::Running, &[9.0, 9.0, 9.0, 9.0])));
    }

    #[test]
    fn hyperband_auto_max_resource_waits_for_a_completed_trial() {
        let p = HyperbandPruner::default();
        let h = History::new(Direction::Minimize, vec![curve(0, TrialState::Running, &[0.0; 20])]);
        assert!(!p.should_prune(&h, &curve(1, TrialState::Running, &[9.0; 20])));
        assert_eq!(p.n_brackets(), None);
        let h = History::new(Direction::Minimize, vec![curve(0, TrialState::Complete, &[0.0; 27])]);
        p.should_prune(&h, &curve(1, TrialState::Running, &[9.0]));
        // max_resource 27 with reduction factor 3: 4 brackets
        assert_eq!(p.n_brackets(), Some(4));
    }

    #[test]
    fn hyperband_builder_rejects_bad_values() {
        assert!(HyperbandPruner::builder().min_resource(0).build().is_err());
        assert!(HyperbandPruner::builder().reduction_factor(1).build().is_err());
        assert!(HyperbandPruner::builder().min_resource(10).max_resource(5).build().is_err());
    }

    #[test]
    fn hyperband_prunes_bad_curves_in_a_study() {
        let pruner = HyperbandPruner::builder().min_resource(1).max_resource(9).build().unwrap();
        let brackets: Vec<usize> = (0..40).map(|n| pruner.bracket_of(n).unwrap()).collect();
        let study = Study::builder().pruner(pruner).seed(5).build().unwrap();
        let xs: Vec<f64> = (0..40).map(|i| if i % 2 == 0 { 0.05 } else { 0.9 }).collect();
        crate::pruner::test_support::run_decaying_curves(&study, &xs, 10);
        let trials = study.trials().unwrap();
        let mut pruned = 0;
        for t in &trials {
            let n = t.number as usize;
            if xs[n] < 0.5 {
                assert_eq!(t.state, TrialState::Complete, "trial {n}");
                continue;
            }
            // earlier trials of the same bracket
            let good = (0..n).filter(|m| brackets[*m] == brackets[n] && xs[*m] < 0.5).count();
            let bad = (0..n).filter(|m| brackets[*m] == brackets[n] && xs[*m] > 0.5).count();
            if good >= ((good + bad + 1) / 3).max(1) {
                assert_eq!(t.state, TrialState::Pruned, "trial {n}");
                pruned += 1;
            }
        }
        assert!(pruned >= 10, "{pruned}");
    }
}
