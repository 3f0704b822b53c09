//! Pruners: stopping hopeless trials early.
//!
//! Steps are whatever the training loop reports (epochs, batches, folds, boosting rounds),
//! under one rule, the same in every adapter: the step is what the caller passes to
//! [`crate::Trial::report`], counted from 0, the index of the epoch (fold, round) that just
//! ended. So the first report is step 0; `n_warmup_steps(w)` exempts the first `w` reports
//! (steps `0..w`) and the first check is at step `w`; a rung at step `r` of
//! [`SuccessiveHalvingPruner`] / [`HyperbandPruner`] is judged at the report of step `r`, that
//! is after `r + 1` epochs; `max_resource` is the number of steps of a full trial (last step
//! + 1). bo-linfa reports fold `k` as step `k`; bo-burn reports Burn's epoch `e` (counted from
//! 1) as step `e - 1`; bo-tch and hand-written loops pass their 0-based epoch index.

use crate::history::History;
use crate::trial_record::FrozenTrial;

mod hyperband;
mod median;
mod nop;
mod patient;
mod percentile;
mod successive_halving;
mod threshold;

pub use hyperband::{HyperbandPruner, HyperbandPrunerBuilder};
pub use median::{MedianPruner, MedianPrunerBuilder};
pub use nop::NopPruner;
pub use patient::{PatientPruner, PatientPrunerBuilder};
pub use percentile::{PercentilePruner, PercentilePrunerBuilder};
pub use successive_halving::{SuccessiveHalvingPruner, SuccessiveHalvingPrunerBuilder};
pub use threshold::{ThresholdPruner, ThresholdPrunerBuilder};

/// Decides whether a running trial should stop.
///
/// Called from [`crate::Trial::should_prune`] in any worker thread (hence `Send + Sync`),
/// with a fresh history of the study and the running trial (its intermediate values so far).
/// Must not panic on any curve: empty, one step, NaN values.
///
/// ```
/// use bo_core::{FrozenTrial, History, Pruner};
/// /// Prunes any trial whose last value is above 10.
/// struct Above10;
/// impl Pruner for Above10 {
///     fn should_prune(&self, _h: &History, t: &FrozenTrial) -> bool {
///         t.intermediate_values.values().next_back().is_some_and(|v| *v > 10.0)
///     }
/// }
/// ```
pub trait Pruner: Send + Sync {
    /// Whether `trial` should stop now.
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool;
}

impl<P: Pruner + ?Sized> Pruner for std::sync::Arc<P> {
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool {
        (**self).should_prune(history, trial)
    }
}

impl<P: Pruner + ?Sized> Pruner for Box<P> {
    fn should_prune(&self, history: &History, trial: &FrozenTrial) -> bool {
        (**self).should_prune(history, trial)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::{Float, Optimize, Pruned, Study, Trial};

    /// Runs one trial per value of `xs` (enqueued in order) with the loss curve
    /// `x + 1 / (step + 1)` over `steps` steps, stopping a trial when the pruner says so.
    pub(crate) fn run_decaying_curves(study: &Study, xs: &[f64], steps: u64) {
        for x in xs {
            study.enqueue([("x", *x)]).unwrap();
        }
        study
            .optimize_with(Optimize::trials(xs.len() as u64).progress_bar(false), |trial: &mut Trial| {
                let x = trial.suggest_float("x", Float::new(0.0, 1.0))?;
                let mut loss = 0.0;
                for step in 0..steps {
                    loss = x + 1.0 / (step as f64 + 1.0);
                    trial.report(step, loss)?;
                    if trial.should_prune()? {
                        return Err(Pruned.into());
                    }
                }
                Ok::<_, crate::Error>(loss)
            })
            .unwrap();
    }
}
