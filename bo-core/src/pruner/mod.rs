//! Pruners: stopping hopeless trials early.
//!
//! Steps are whatever the training loop reports: epochs, batches, folds, boosting rounds.

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
