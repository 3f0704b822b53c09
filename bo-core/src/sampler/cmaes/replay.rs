//! The CMA-ES state of a study, replayed from its trial records.
//!
//! Samplers write nothing to the storage, so the state is a pure function of the finished
//! trials, which every process sharing a study reads alike:
//!
//! - **startup**: trial `n` is a startup trial (sampled independently) while fewer than
//!   `n_startup_trials` trials numbered below `n` are complete (or pruned, when pruned trials
//!   are considered), or none numbered below `n` is complete or pruned (the space is not
//!   known yet). `B` is the first number past the startup.
//! - **stream**: the finished trials numbered `>= B` that hold every parameter of the space
//!   (with the same distribution), in number order.
//! - **generations**: the stream is cut into generations; a generation closes when it holds
//!   `popsize` complete trials (pruned ones count when `consider_pruned_trials`), which then
//!   update the distribution (Optuna tells only complete trials too). Failed and pruned trials
//!   take no part; running ones are not in the stream yet, so nothing waits for them.
//! - **stall guard**: a generation that collects `STALL_FACTOR * popsize` failed or pruned
//!   trials before `popsize` complete ones closes without update and restarts the search
//!   around the best point so far (otherwise a distribution whose every trial fails would
//!   be sampled forever).
//!
//! The replay keeps the state at generation boundaries (checkpoints, keyed by the first trial
//! number they have not seen) and advances incrementally. In a sequential study trials finish
//! in number order, so each ask folds one trial in. With parallel workers a trial may finish
//! after later-numbered ones; the replay then rewinds to the checkpoint before it and replays
//! the generations after it.

use crate::history::History;
use crate::rng::TrialRng;
use crate::space::Distribution;
use crate::trial_record::{Direction, FrozenTrial, TrialState};

use super::cma::Cma;
use super::sampler::RestartStrategy;

/// Failed or pruned trials, in units of the population size, after which a generation that
/// did not fill up restarts the search.
pub(super) const STALL_FACTOR: usize = 10;
/// Largest population the IPOP restarts grow to.
pub(super) const MAX_POPSIZE: usize = 1 << 16;
/// Checkpoints kept besides the first (older ones are recomputed when needed).
const KEPT_CHECKPOINTS: usize = 32;

/// The settings the replay depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Settings {
    pub(super) sigma0: f64,
    pub(super) popsize: Option<usize>,
    pub(super) n_startup_trials: u64,
    pub(super) restart: RestartStrategy,
    pub(super) inc_popsize: usize,
    pub(super) consider_pruned_trials: bool,
}

/// Population size for `n` dimensions: `4 + floor(3 ln n)`.
pub(super) fn default_popsize(n: usize) -> usize {
    4 + (3.0 * (n.max(1) as f64).ln()).floor() as usize
}

/// A finished trial of the stream.
#[derive(Debug)]
struct Entry {
    number: u64,
    /// The loss that ranks it (`None`: failed, or pruned and not considered).
    loss: Option<f64>,
    /// Its point in the unit cube (empty when `loss` is `None`).
    x: Box<[f64]>,
}

/// The state before the generation that starts at trial number `from`.
#[derive(Debug, Clone)]
struct Checkpoint {
    from: u64,
    cma: Cma,
    restarts: u32,
    /// Updates of the distribution so far, over all restarts.
    updates: u64,
    /// The best ranked point among the trials numbered below `from`.
    best: Option<(f64, Box<[f64]>)>,
}

/// Where the search stands (for tests).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Status {
    pub(super) updates: u64,
    pub(super) restarts: u32,
    pub(super) popsize: usize,
    pub(super) sigma: f64,
    pub(super) mean: Vec<f64>,
}

/// The replayed CMA-ES state of one study over one search space.
#[derive(Debug)]
pub(super) struct Replay {
    settings: Settings,
    direction: Option<Direction>,
    space: Vec<(String, Distribution)>,
    /// Storage id and number of the first trial (another study's history resets the replay).
    first: Option<(u64, u64)>,
    /// Trials of the history looked at so far.
    scanned: usize,
    /// Positions of scanned trials that had not finished.
    pending: Vec<usize>,
    /// The smallest numbers of complete trials, at most `n_startup_trials` of them.
    first_completes: Vec<u64>,
    /// The smallest number of a complete or pruned trial.
    first_finished: Option<u64>,
    /// The finished trials holding the space, by number (startup ones included).
    entries: Vec<Entry>,
    checkpoints: Vec<Checkpoint>,
}

impl Replay {
    pub(super) fn new(settings: Settings) -> Replay {
        Replay {
            settings,
            direction: None,
            space: Vec::new(),
            first: None,
            scanned: 0,
            pending: Vec::new(),
            first_completes: Vec::new(),
            first_finished: None,
            entries: Vec::new(),
            checkpoints: Vec::new(),
        }
    }

    /// First trial number past the startup, once known.
    fn boundary(&self) -> Option<u64> {
        let after_finished = self.first_finished? + 1;
        let k = usize::try_from(self.settings.n_startup_trials).unwrap_or(usize::MAX);
        let after_startup = if k == 0 { 0 } else { *self.first_completes.get(k - 1)? + 1 };
        Some(after_finished.max(after_startup))
    }

    /// Brings the state up to date with `history` over `space` (non-empty, float and int
    /// parameters in a fixed order).
    pub(super) fn sync(&mut self, history: &History, space: &[(&str, &Distribution)]) {
        let trials = history.trials();
        let first = trials.first().map(|t| (t.id, t.number));
        let same_space = self.space.len() == space.len()
            && self.space.iter().zip(space).all(|((a, da), (b, db))| a == b && da == *db);
        if self.direction != Some(history.direction())
            || !same_space
            || trials.len() < self.scanned
            || (self.scanned > 0 && first != self.first)
        {
            *self = Replay::new(self.settings);
            self.direction = Some(history.direction());
            self.space = space.iter().map(|(n, d)| (n.to_string(), (*d).clone())).collect();
        }
        self.first = first;
        let before = self.boundary();
        let mut inserted = Vec::new();
        let pending = std::mem::take(&mut self.pending);
        for i in pending.into_iter().chain(self.scanned..trials.len()) {
            let t = &trials[i];
            if t.state.is_finished() {
                self.fold(t, &mut inserted);
            } else {
                self.pending.push(i);
            }
        }
        self.scanned = trials.len();
        let Some(boundary) = self.boundary() else { return };
        // The earliest trial whose arrival changes the walk: a new trial of the stream, or
        // the start of the stream when the startup ended earlier than known.
        let mut dirty = inserted.into_iter().filter(|&n| n >= boundary).min();
        if before != Some(boundary) {
            dirty = Some(boundary);
        }
        if let Some(d) = dirty {
            self.replay_from(d, boundary);
        }
    }

    /// The distribution trial `number` samples from; `None` while it is a startup trial.
    pub(super) fn current(&self, number: Option<u64>) -> Option<&Cma> {
        let b = self.boundary()?;
        if number.is_some_and(|n| n < b) {
            return None;
        }
        self.checkpoints.last().map(|c| &c.cma)
    }

    /// Where the search stands.
    #[cfg(test)]
    pub(super) fn status(&self) -> Option<Status> {
        let c = self.checkpoints.last()?;
        Some(Status {
            updates: c.updates,
            restarts: c.restarts,
            popsize: c.cma.popsize(),
            sigma: c.cma.sigma(),
            mean: c.cma.mean().to_vec(),
        })
    }

    fn fold(&mut self, t: &FrozenTrial, inserted: &mut Vec<u64>) {
        // Pruned trials ranked by their last value count as complete ones (Optuna too).
        let counts_as_complete = t.state == TrialState::Complete
            || (t.state == TrialState::Pruned
                && self.settings.consider_pruned_trials
                && !t.intermediate_values.is_empty());
        match t.state {
            _ if counts_as_complete => {
                let k = usize::try_from(self.settings.n_startup_trials).unwrap_or(usize::MAX);
                let at = self.first_completes.partition_point(|&n| n < t.number);
                if at < k && self.first_completes.get(at) != Some(&t.number) {
                    self.first_completes.insert(at, t.number);
                    self.first_completes.truncate(k);
                }
                self.first_finished = Some(self.first_finished.map_or(t.number, |n| n.min(t.number)));
            }
            TrialState::Pruned => {
                self.first_finished = Some(self.first_finished.map_or(t.number, |n| n.min(t.number)));
            }
            _ => {}
        }
        let Some(x) = self.point(t) else { return };
        let sign = self.direction.unwrap_or_default().sign();
        let loss = match t.state {
            TrialState::Complete => t.value.map(|v| sign * v),
            TrialState::Pruned if self.settings.consider_pruned_trials => {
                t.intermediate_values.values().next_back().map(|v| sign * v)
            }
            _ => None,
        }
        .filter(|l| l.is_finite());
        let entry = Entry { number: t.number, x: if loss.is_some() { x } else { Box::new([]) }, loss };
        let at = self.entries.partition_point(|e| e.number < t.number);
        if self.entries.get(at).is_some_and(|e| e.number == t.number) {
            self.entries[at] = entry;
        } else {
            self.entries.insert(at, entry);
        }
        inserted.push(t.number);
    }

    /// The trial's point in the unit cube, if it holds every parameter of the space.
    fn point(&self, t: &FrozenTrial) -> Option<Box<[f64]>> {
        self.space
            .iter()
            .map(|(name, d)| {
                if t.distributions.get(name) != Some(d) {
                    return None;
                }
                let v = d.to_internal(t.params.get(name)?)?;
                Some(d.to_unit(v))
            })
            .collect()
    }

    fn initial(&self, from: u64) -> Checkpoint {
        let n = self.space.len();
        let popsize = self.settings.popsize.unwrap_or_else(|| default_popsize(n));
        Checkpoint { from, cma: Cma::new(vec![0.5; n], self.settings.sigma0, popsize), restarts: 0, updates: 0, best: None }
    }

    /// Drops the checkpoints that depend on trial `dirty` and walks on from the last one left.
    fn replay_from(&mut self, dirty: u64, boundary: u64) {
        while self.checkpoints.last().is_some_and(|c| c.from > dirty) {
            self.checkpoints.pop();
        }
        if self.checkpoints.first().is_some_and(|c| c.from != boundary) {
            self.checkpoints.clear();
        }
        if self.checkpoints.is_empty() {
            let cp = self.initial(boundary);
            self.checkpoints.push(cp);
        }
        while let Some(next) = self.close_generation() {
            self.checkpoints.push(next);
            if self.checkpoints.len() > KEPT_CHECKPOINTS + 1 {
                self.checkpoints.remove(1);
            }
        }
    }

    /// The state after the open generation, if it has enough trials to close.
    fn close_generation(&self) -> Option<Checkpoint> {
        let cp = self.checkpoints.last()?;
        let lambda = cp.cma.popsize();
        let start = self.entries.partition_point(|e| e.number < cp.from);
        let mut counted: Vec<usize> = Vec::with_capacity(lambda);
        let mut idle = 0;
        let mut best: Option<(f64, usize)> = None;
        let mut end = None;
        for (i, e) in self.entries.iter().enumerate().skip(start) {
            match e.loss {
                Some(l) => {
                    counted.push(i);
                    if best.is_none_or(|(b, _)| l < b) {
                        best = Some((l, i));
                    }
                }
                None => idle += 1,
            }
            if counted.len() == lambda || idle >= STALL_FACTOR * lambda {
                end = Some(i);
                break;
            }
        }
        let last = end?;
        let s = &self.settings;
        let best = match (best, &cp.best) {
            (Some((l, i)), old) if old.as_ref().is_none_or(|(b, _)| l < *b) => Some((l, self.entries[i].x.clone())),
            (_, old) => old.clone(),
        };
        let from = self.entries[last].number + 1;
        let mut next = Checkpoint { from, cma: cp.cma.clone(), restarts: cp.restarts, updates: cp.updates, best };
        if counted.len() < lambda {
            // Stalled: restart around the best point so far, with the same population.
            let mean = match &next.best {
                Some((_, x)) => x.to_vec(),
                None => random_mean(self.space.len(), next.restarts, from, &[]),
            };
            tracing::debug!(trial = last, restarts = next.restarts + 1, "cma-es: generation stalled on failed trials, restarting");
            next.cma = Cma::new(mean, s.sigma0, lambda);
            next.restarts += 1;
            return Some(next);
        }
        let solutions: Vec<(&[f64], f64)> =
            counted.iter().map(|&i| (&*self.entries[i].x, self.entries[i].loss.unwrap_or(f64::INFINITY))).collect();
        next.cma.tell(&solutions);
        next.updates += 1;
        if s.restart == RestartStrategy::Ipop && next.cma.should_stop() {
            let losses: Vec<f64> = solutions.iter().map(|s| s.1).collect();
            let popsize = lambda.saturating_mul(s.inc_popsize).min(MAX_POPSIZE);
            tracing::debug!(trial = last, popsize, "cma-es: converged, IPOP restart");
            next.cma = Cma::new(random_mean(self.space.len(), next.restarts, from, &losses), s.sigma0, popsize);
            next.restarts += 1;
        }
        Some(next)
    }
}

/// A uniform point of the unit cube drawn from a generator seeded by the restart's
/// circumstances (so that every process replaying the study draws the same one).
fn random_mean(n: usize, restarts: u32, from: u64, losses: &[f64]) -> Vec<f64> {
    let mut h = 0xC2B2_AE3D_27D4_EB4F_u64 ^ ((restarts as u64) << 32) ^ from;
    for l in losses {
        h = (h ^ l.to_bits()).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    let mut rng = TrialRng::seed_from_u64(h);
    (0..n).map(|_| rng.uniform()).collect()
}
