//! The pruner that never prunes.

use crate::history::History;
use crate::trial_record::FrozenTrial;

use super::Pruner;

/// Never prunes: every trial runs to the end.
#[derive(Debug, Clone, Copy, Default)]
pub struct NopPruner;

impl Pruner for NopPruner {
    fn should_prune(&self, _history: &History, _trial: &FrozenTrial) -> bool {
        false
    }
}
