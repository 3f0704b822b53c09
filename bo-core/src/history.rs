//! [`History`]: the snapshot of a study that samplers and pruners decide from.

use std::sync::Arc;

use crate::space::{Distribution, Distributions};
use crate::trial_record::{Direction, FrozenTrial, TrialState};

/// A consistent snapshot of a study's trials, in trial-number order.
///
/// Built by the study from incremental storage reads and shared (`Arc`) between the calls
/// of one ask, so taking it costs no copy of the trials. `current` is the number of the
/// trial being sampled or pruned, if any.
#[derive(Debug, Clone)]
pub struct History {
    direction: Direction,
    trials: Arc<Vec<Arc<FrozenTrial>>>,
    intersection: Arc<Distributions>,
    all_distributions: Arc<Distributions>,
    current: Option<u64>,
}

impl History {
    /// A history over `trials` (any order; they are sorted by number). Computes the search
    /// spaces from scratch: studies keep them incrementally instead.
    pub fn new(direction: Direction, trials: Vec<FrozenTrial>) -> Self {
        let mut trials: Vec<Arc<FrozenTrial>> = trials.into_iter().map(Arc::new).collect();
        trials.sort_by_key(|t| t.number);
        let mut spaces = SearchSpaces::default();
        for t in &trials {
            spaces.observe(t);
        }
        History::from_parts(direction, Arc::new(trials), spaces.intersection(), spaces.all(), None)
    }

    pub(crate) fn from_parts(
        direction: Direction,
        trials: Arc<Vec<Arc<FrozenTrial>>>,
        intersection: Arc<Distributions>,
        all_distributions: Arc<Distributions>,
        current: Option<u64>,
    ) -> Self {
        History { direction, trials, intersection, all_distributions, current }
    }

    /// This history, seen from trial `number` (which samplers then leave out).
    pub fn with_current(mut self, number: Option<u64>) -> Self {
        self.current = number;
        self
    }

    /// Optimization direction of the study.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// All trials (every state), ordered by number.
    pub fn trials(&self) -> &[Arc<FrozenTrial>] {
        &self.trials
    }

    /// Trials in `state`.
    pub fn with_state(&self, state: TrialState) -> impl Iterator<Item = &FrozenTrial> + '_ {
        self.trials.iter().map(|t| t.as_ref()).filter(move |t| t.state == state)
    }

    /// Completed trials.
    pub fn completed(&self) -> impl Iterator<Item = &FrozenTrial> + '_ {
        self.with_state(TrialState::Complete)
    }

    /// Number of the trial being decided for, if any.
    pub fn current_number(&self) -> Option<u64> {
        self.current
    }

    /// The best completed trial.
    pub fn best(&self) -> Option<&FrozenTrial> {
        let mut best: Option<&FrozenTrial> = None;
        for t in self.completed() {
            let (Some(v), b) = (t.value, best) else { continue };
            if b.is_none_or(|b| self.direction.is_better(v, b.value.unwrap_or(f64::NAN))) {
                best = Some(t);
            }
        }
        best
    }

    /// Parameters present, with the same distribution, in every completed or pruned trial
    /// (the space a joint sampler can model).
    pub fn intersection_space(&self) -> &Distributions {
        &self.intersection
    }

    /// Every parameter seen in any trial with its distribution.
    pub fn distribution(&self, name: &str) -> Option<&Distribution> {
        self.all_distributions.get(name)
    }
}

/// Incrementally maintained search spaces of a study.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchSpaces {
    intersection: Option<Distributions>,
    all: Distributions,
    intersection_arc: Option<Arc<Distributions>>,
    all_arc: Option<Arc<Distributions>>,
}

impl SearchSpaces {
    /// Folds one trial in. Finished (complete or pruned) trials narrow the intersection;
    /// every trial widens the union.
    pub(crate) fn observe(&mut self, t: &FrozenTrial) {
        for (name, d) in &t.distributions {
            if !self.all.contains_key(name) {
                self.all.insert(name.clone(), d.clone());
                self.all_arc = None;
            }
        }
        if matches!(t.state, TrialState::Complete | TrialState::Pruned) {
            match &mut self.intersection {
                None => self.intersection = Some(t.distributions.clone()),
                Some(space) => {
                    let before = space.len();
                    space.retain(|name, d| t.distributions.get(name) == Some(d));
                    if space.len() == before {
                        return;
                    }
                }
            }
            self.intersection_arc = None;
        }
    }

    pub(crate) fn intersection(&mut self) -> Arc<Distributions> {
        self.intersection_arc
            .get_or_insert_with(|| Arc::new(self.intersection.clone().unwrap_or_default()))
            .clone()
    }

    pub(crate) fn all(&mut self) -> Arc<Distributions> {
        self.all_arc.get_or_insert_with(|| Arc::new(self.all.clone())).clone()
    }
}

/// Per-study cache of trials, fed by incremental reads.
///
/// The trial list is shared with the histories handed out; it is updated in place when no
/// history holds it any more (the sequential case), so an `ask` costs no copy of the trials.
#[derive(Debug, Default)]
pub(crate) struct TrialCache {
    pub(crate) cursor: crate::storage::Cursor,
    trials: Arc<Vec<Arc<FrozenTrial>>>,
    spaces: SearchSpaces,
    /// How many cached trials are WAITING (enqueued, not yet claimed).
    waiting: usize,
}

impl TrialCache {
    /// Merges changed trials read from the storage. Returns `false` if the changes left a
    /// gap in the trial numbers (then the caller re-reads everything).
    pub(crate) fn merge(&mut self, changed: Vec<FrozenTrial>) -> bool {
        if changed.is_empty() {
            return true;
        }
        let trials = Arc::make_mut(&mut self.trials);
        for t in changed {
            let n = t.number as usize;
            let newly_finished = t.state.is_finished() && trials.get(n).is_none_or(|old| !old.state.is_finished());
            if newly_finished || !t.state.is_finished() {
                // Running trials add their distributions to the union; finished ones are
                // folded into the intersection exactly once.
                self.spaces.observe(&t);
            }
            let was_waiting = trials.get(n).is_some_and(|old| old.state == TrialState::Waiting);
            self.waiting = self.waiting + usize::from(t.state == TrialState::Waiting) - usize::from(was_waiting);
            match n.cmp(&trials.len()) {
                std::cmp::Ordering::Less => trials[n] = Arc::new(t),
                std::cmp::Ordering::Equal => trials.push(Arc::new(t)),
                std::cmp::Ordering::Greater => return false,
            }
        }
        true
    }

    /// Whether an enqueued trial waits to be claimed.
    pub(crate) fn has_waiting(&self) -> bool {
        self.waiting > 0
    }

    /// Forgets everything (the next read starts from the beginning).
    pub(crate) fn reset(&mut self) {
        *self = TrialCache::default();
    }

    /// A snapshot history (shares the trial records).
    pub(crate) fn history(&mut self, direction: Direction, current: Option<u64>) -> History {
        History::from_parts(direction, self.trials.clone(), self.spaces.intersection(), self.spaces.all(), current)
    }
}
