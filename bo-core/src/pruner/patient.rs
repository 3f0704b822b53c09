//! The patient pruner: tolerate a plateau for a while, then defer to another pruner.

use std::fmt;

use crate::error::{Error, Result};
use crate::history::History;
use crate::trial_record::{Direction, FrozenTrial};

use super::Pruner;

/// Prunes a trial whose intermediate values have not improved by more than `min_delta` for
/// `patience` steps, and only if the wrapped pruner (when there is one) also says so, as
/// Optuna's `PatientPruner`.
///
/// It counts reports, not step numbers (steps count from 0, [`crate::Trial::report`]): with
/// `n` reported values, nothing happens while `n <= patience + 1`. Otherwise the best
/// of the last `patience + 1` values is compared with the best of the earlier ones (NaN
/// ignored): minimizing, the trial is stuck when `best_before + min_delta < best_after`.
///
/// ```
/// use bo_core::pruner::{MedianPruner, PatientPruner};
/// let pruner = PatientPruner::builder()
///     .wrapped_pruner(MedianPruner::default())
///     .patience(3)
///     .build()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
pub struct PatientPruner {
    wrapped: Option<Box<dyn Pruner>>,
    patience: usize,
    min_delta: f64,
}

impl fmt::Debug for PatientPruner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientPruner")
            .field("wrapped", &self.wrapped.as_ref().map(|_| "dyn Pruner"))
            .field("patience", &self.patience)
            .field("min_delta", &self.min_delta)
            .finish()
    }
}

/// Builder of [`PatientPruner`]; validates in [`PatientPrunerBuilder::build`].
#[derive(Default)]
pub struct PatientPrunerBuilder {
    wrapped: Option<Box<dyn Pruner>>,
    patience: Option<usize>,
    min_delta: f64,
}

impl fmt::Debug for PatientPrunerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientPrunerBuilder")
            .field("wrapped", &self.wrapped.as_ref().map(|_| "dyn Pruner"))
            .field("patience", &self.patience)
            .field("min_delta", &self.min_delta)
            .finish()
    }
}

impl PatientPrunerBuilder {
    /// The pruner asked once the trial is stuck. Default: none (a stuck trial is pruned).
    pub fn wrapped_pruner(mut self, pruner: impl Pruner + 'static) -> Self {
        self.wrapped = Some(Box::new(pruner));
        self
    }

    /// Steps without improvement to tolerate. Required (no default).
    pub fn patience(mut self, steps: usize) -> Self {
        self.patience = Some(steps);
        self
    }

    /// Smallest change that counts as an improvement; `>= 0`. Default: `0.0`.
    pub fn min_delta(mut self, delta: f64) -> Self {
        self.min_delta = delta;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<PatientPruner> {
        let patience =
            self.patience.ok_or_else(|| Error::InvalidConfig { what: "patience", reason: "must be set".into() })?;
        if !(self.min_delta >= 0.0 && self.min_delta.is_finite()) {
            return Err(Error::InvalidConfig {
                what: "min_delta",
                reason: format!("must be finite and >= 0, got {}", self.min_delta),
            });
        }
        Ok(PatientPruner { wrapped: self.wrapped, patience, min_delta: self.min_delta })
    }
}

impl PatientPruner {
    /// A builder; `patience` must be set.
    pub fn builder() -> PatientPrunerBuilder {
        PatientPrunerBuilder::default()
    }

    fn is_stuck(&self, direction: Direction, trial: &FrozenTrial) -> bool {
        let values: Vec<f64> = trial.intermediate_values.values().copied().collect();
        if values.len() <= self.patience + 1 {
            return false;
        }
        let (before, after) = values.split_at(values.len() - self.patience - 1);
        let best = |xs: &[f64]| {
            xs.iter().copied().filter(|v| !v.is_nan()).fold(f64::NAN, |b, v| {
                if b.is_nan() || direction.is_better(v, b) { v } else { b }
            })
        };
        let (b, a) = (best(before), best(after));
        match direction {
            Direction::Minimize => b + self.min_delta < a,
            Direction::Maximize => b - self.min_delta > a,
        }
    }
}

impl Pruner for PatientPruner {
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool {
        if !self.is_stuck(history.direction(), trial) {
            return false;
        }
        match &self.wrapped {
            Some(p) => p.should_prune(history, trial),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pruner::percentile::tests::curve;
    use crate::pruner::{NopPruner, ThresholdPruner};
    use crate::trial_record::TrialState;
    use crate::{Float, Optimize, Pruned, Study, Trial};

    fn patient(patience: usize, min_delta: f64) -> PatientPruner {
        PatientPruner::builder().patience(patience).min_delta(min_delta).build().unwrap()
    }

    #[test]
    fn patient_pruner_waits_patience_steps_without_improvement() {
        let h = History::new(Direction::Minimize, vec![]);
        let p = patient(2, 0.0);
        // best before the window is 1.0; the window [1.1, 1.2, 1.3] never beats it
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[1.0, 1.1, 1.2, 1.3])));
        // too few values to judge
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[1.0, 1.1, 1.2])));
        // an improvement inside the window keeps it
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[1.0, 1.1, 0.9, 1.3])));
        // a plateau (equal values) is not "worse": kept, as in Optuna
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[1.0, 1.0, 1.0, 1.0])));
    }

    #[test]
    fn patient_pruner_applies_min_delta() {
        let h = History::new(Direction::Minimize, vec![]);
        assert!(!patient(1, 0.5).should_prune(&h, &curve(0, TrialState::Running, &[1.0, 1.2, 1.4])));
        assert!(patient(1, 0.1).should_prune(&h, &curve(0, TrialState::Running, &[1.0, 1.2, 1.4])));
    }

    #[test]
    fn patient_pruner_handles_maximize() {
        let h = History::new(Direction::Maximize, vec![]);
        let p = patient(1, 0.0);
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[0.9, 0.8, 0.7])));
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[0.9, 0.8, 0.95])));
    }

    #[test]
    fn patient_pruner_defers_to_the_wrapped_pruner() {
        let h = History::new(Direction::Minimize, vec![]);
        let stuck = curve(0, TrialState::Running, &[1.0, 2.0, 3.0]);
        let nop = PatientPruner::builder().wrapped_pruner(NopPruner).patience(1).build().unwrap();
        assert!(!nop.should_prune(&h, &stuck));
        let threshold = ThresholdPruner::builder().upper(2.5).build().unwrap();
        let p = PatientPruner::builder().wrapped_pruner(threshold).patience(1).build().unwrap();
        assert!(p.should_prune(&h, &stuck));
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[1.0, 2.0, 2.2])));
    }

    #[test]
    fn patient_pruner_ignores_nan_and_rejects_bad_config() {
        let h = History::new(Direction::Minimize, vec![]);
        let p = patient(1, 0.0);
        assert!(!p.should_prune(&h, &curve(0, TrialState::Running, &[f64::NAN, 1.0, 2.0])));
        assert!(p.should_prune(&h, &curve(0, TrialState::Running, &[1.0, f64::NAN, 2.0])));
        assert!(PatientPruner::builder().build().is_err());
        assert!(PatientPruner::builder().patience(1).min_delta(-1.0).build().is_err());
        assert!(PatientPruner::builder().patience(1).min_delta(f64::NAN).build().is_err());
    }

    #[test]
    fn patient_pruner_stops_plateaued_curves_in_a_study() {
        let study = Study::builder().pruner(patient(2, 0.0)).seed(4).build().unwrap();
        for i in 0..6 {
            study.enqueue([("x", if i % 2 == 0 { 1.0 } else { 0.0 })]).unwrap();
        }
        study
            .optimize_with(Optimize::trials(6).progress_bar(false), |trial: &mut Trial| {
                let x = trial.suggest_float("x", Float::new(0.0, 1.0))?;
                let mut loss = 0.0;
                for step in 0..12u64 {
                    // x = 1 keeps improving; x = 0 stops improving after step 3 and drifts up
                    loss = if x > 0.5 { 1.0 / (step as f64 + 1.0) } else { (step as f64 - 3.0).abs() };
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
                // values 3,2,1,0,1,2,3: at step 6 the last 3 (1,2,3) do not beat 0
                assert_eq!(t.last_step(), Some(6));
            }
        }
    }
}
