//! The observations TPE learns from: trials ranked by loss and split into the good
//! ("below") and the rest ("above"), kept in an incremental per-sampler cache so that an ask
//! reads each finished trial's parameters once, not once per ask.

use std::sync::Arc;

use crate::history::History;
use crate::space::Distribution;
use crate::trial_record::{Direction, FrozenTrial, TrialState};

/// Optuna's default gamma: the number of "below" trials among `n` finished ones.
pub(super) fn default_gamma(n: usize) -> usize {
    n.div_ceil(10).min(25)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Complete,
    Pruned,
    Running,
    Other,
}

/// One trial as the split sees it, with its ranking key.
#[derive(Debug)]
struct Entry {
    trial: Arc<FrozenTrial>,
    /// The trial's number (kept here: the split compares it often).
    number: u64,
    class: Class,
    /// Complete: the loss (`sign * value`). Pruned: minus the last step (1 without steps).
    key1: f64,
    /// Pruned: the loss of the last intermediate value (`inf` for NaN, 0 without steps).
    key2: f64,
}

impl Entry {
    fn new(trial: &Arc<FrozenTrial>, direction: Direction) -> Entry {
        let sign = direction.sign();
        let (class, key1, key2) = match trial.state {
            TrialState::Complete => (Class::Complete, sign * trial.value.unwrap_or(f64::NAN), 0.0),
            TrialState::Pruned => match trial.intermediate_values.iter().next_back() {
                Some((step, v)) => {
                    let loss = if v.is_nan() { f64::INFINITY } else { sign * v };
                    (Class::Pruned, -(*step as f64), loss)
                }
                None => (Class::Pruned, 1.0, 0.0),
            },
            TrialState::Running => (Class::Running, 0.0, 0.0),
            TrialState::Failed | TrialState::Waiting => (Class::Other, 0.0, 0.0),
        };
        Entry { trial: trial.clone(), number: trial.number, class, key1, key2 }
    }

    fn cmp_rank(&self, other: &Entry) -> std::cmp::Ordering {
        self.class
            .cmp(&other.class)
            .then(self.key1.total_cmp(&other.key1))
            .then(self.key2.total_cmp(&other.key2))
            .then(self.number.cmp(&other.number))
    }
}

/// Internal values of one parameter over the cached trials (NaN where a trial lacks it or
/// has it with another distribution), with the trials kept sorted by value so that a split
/// hands each group's order to the bandwidth rule without sorting per ask.
#[derive(Debug)]
struct Column {
    name: String,
    dist: Distribution,
    values: Vec<f64>,
    /// Indices of the non-NaN values, ordered by (value, index).
    sorted: Vec<u32>,
}

/// A key that orders like `f64::total_cmp`.
pub(super) fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

impl Column {
    fn new(name: &str, dist: &Distribution, values: Vec<f64>) -> Column {
        let mut sorted: Vec<u32> = (0..values.len() as u32).filter(|&i| !values[i as usize].is_nan()).collect();
        sorted.sort_unstable_by_key(|&i| (order_key(values[i as usize]), i));
        Column { name: name.to_string(), dist: dist.clone(), values, sorted }
    }

    fn position(&self, value: f64, i: u32) -> usize {
        let key = (order_key(value), i);
        self.sorted.partition_point(|&j| (order_key(self.values[j as usize]), j) < key)
    }

    /// Sets the value of trial `i` (appending when `i` is the next index).
    fn set(&mut self, i: usize, value: f64) {
        if i == self.values.len() {
            self.values.push(f64::NAN);
        }
        let old = self.values[i];
        if old.to_bits() == value.to_bits() {
            return;
        }
        if !old.is_nan() {
            let at = self.position(old, i as u32);
            self.sorted.remove(at);
        }
        self.values[i] = value;
        if !value.is_nan() {
            let at = self.position(value, i as u32);
            self.sorted.insert(at, i as u32);
        }
    }
}

fn value_of(trial: &FrozenTrial, name: &str, dist: &Distribution) -> f64 {
    match (trial.distributions.get(name), trial.params.get(name)) {
        (Some(d), Some(v)) if d == dist => dist.to_internal(v).unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// Observations of both groups, `[dim][i]`, oldest trial first, and for each dimension the
/// positions `i` ordered by value (`*_order[dim]`).
#[derive(Debug, Default)]
pub(super) struct Split {
    pub(super) below: Vec<Vec<f64>>,
    pub(super) above: Vec<Vec<f64>>,
    pub(super) below_order: Vec<Vec<u32>>,
    pub(super) above_order: Vec<Vec<u32>>,
}

/// Trials seen so far by one sampler, in history order, with their parameter columns.
///
/// Trials are recognized by their `Arc` (a study replaces a trial's record whenever it
/// changes, and the cache holds the old one, so an address is never reused while cached):
/// a sync only reads the trials that changed since the last ask.
#[derive(Debug, Default)]
pub(super) struct ObservationCache {
    direction: Option<Direction>,
    entries: Vec<Entry>,
    columns: Vec<Column>,
    /// Scratch: rank order of the finished trials.
    ranked: Vec<usize>,
    /// Scratch: the group of every cached trial.
    group: Vec<u8>,
    /// Scratch: each trial's position within its group.
    slot: Vec<u32>,
    /// Scratch of `split_into`: the trials of each group (below, above) in history order.
    members: [Vec<u32>; 2],
}

fn clear_rows<T>(rows: &mut Vec<Vec<T>>, n: usize) {
    rows.truncate(n);
    rows.resize_with(n, Vec::new);
    rows.iter_mut().for_each(Vec::clear);
}

impl ObservationCache {
    fn sync(&mut self, history: &History) {
        let trials = history.trials();
        let direction = history.direction();
        if self.direction != Some(direction) || self.entries.len() > trials.len() {
            self.entries.clear();
            self.columns.clear();
            self.direction = Some(direction);
        }
        for (i, t) in trials.iter().enumerate() {
            if let Some(e) = self.entries.get(i) {
                if Arc::ptr_eq(&e.trial, t) {
                    continue;
                }
            }
            let entry = Entry::new(t, direction);
            if i < self.entries.len() {
                self.entries[i] = entry;
            } else {
                self.entries.push(entry);
            }
            for c in &mut self.columns {
                let v = value_of(t, &c.name, &c.dist);
                c.set(i, v);
            }
        }
    }

    fn column(&mut self, name: &str, dist: &Distribution) -> usize {
        if let Some(i) = self.columns.iter().position(|c| c.name == name && c.dist == *dist) {
            return i;
        }
        let values = self.entries.iter().map(|e| value_of(&e.trial, name, dist)).collect();
        self.columns.push(Column::new(name, dist, values));
        self.columns.len() - 1
    }

    /// Splits the history's finished trials (all but the current one) into the best
    /// `gamma(n)` and the rest, as Optuna does: complete trials by loss, then pruned ones by
    /// (later last step, better last value); with `constant_liar`, running trials join the
    /// rest. Only trials holding every parameter of `space` contribute observations.
    #[cfg(test)]
    pub(super) fn split(&mut self, history: &History, space: &[(&str, &Distribution)], constant_liar: bool) -> Split {
        let mut out = Split::default();
        self.split_into(history, space, constant_liar, &mut out);
        out
    }

    /// [`ObservationCache::split`] into reused buffers.
    pub(super) fn split_into(
        &mut self,
        history: &History,
        space: &[(&str, &Distribution)],
        constant_liar: bool,
        out: &mut Split,
    ) {
        self.sync(history);
        let cols: Vec<usize> = space.iter().map(|(n, d)| self.column(n, d)).collect();
        let current = history.current_number();
        let n_entries = self.entries.len();
        let mut ranked = std::mem::take(&mut self.ranked);
        ranked.clear();
        ranked.extend((0..n_entries).filter(|&i| {
            let e = &self.entries[i];
            matches!(e.class, Class::Complete | Class::Pruned) && Some(e.number) != current
        }));
        let n_below = default_gamma(ranked.len());
        if n_below > 0 && n_below < ranked.len() {
            let entries = &self.entries;
            ranked.select_nth_unstable_by(n_below - 1, |&a, &b| entries[a].cmp_rank(&entries[b]));
        }
        // 0: left out, 1: below, 2: above.
        let mut group = std::mem::take(&mut self.group);
        group.clear();
        group.resize(n_entries, 0u8);
        for &i in &ranked[..n_below] {
            group[i] = 1;
        }
        for &i in &ranked[n_below..] {
            group[i] = 2;
        }
        if constant_liar {
            for (slot, e) in group.iter_mut().zip(&self.entries) {
                if e.class == Class::Running && Some(e.number) != current {
                    *slot = 2;
                }
            }
        }
        clear_rows(&mut out.below, cols.len());
        clear_rows(&mut out.above, cols.len());
        clear_rows(&mut out.below_order, cols.len());
        clear_rows(&mut out.above_order, cols.len());
        // Only trials holding every parameter contribute; `slot[i]` is trial i's position
        // within its group's columns.
        let mut slot = std::mem::take(&mut self.slot);
        slot.clear();
        slot.resize(n_entries, u32::MAX);
        let mut members = std::mem::take(&mut self.members);
        for m in members.iter_mut() {
            m.clear();
        }
        for (i, g) in group.iter_mut().enumerate() {
            let list = match *g {
                1 => &mut members[0],
                2 => &mut members[1],
                _ => continue,
            };
            if !cols.iter().all(|&c| !self.columns[c].values[i].is_nan()) {
                *g = 0;
                continue;
            }
            slot[i] = list.len() as u32;
            list.push(i as u32);
        }
        // Column by column: one gather per column and group.
        for (d, &c) in cols.iter().enumerate() {
            let values = &self.columns[c].values;
            out.below[d].extend(members[0].iter().map(|&i| values[i as usize]));
            out.above[d].extend(members[1].iter().map(|&i| values[i as usize]));
        }
        self.members = members;
        // Each column's sorted order restricted to each group. Branch-free (the group of the
        // next trial in sorted order is a coin flip for the branch predictor): every slot is
        // written to both outputs, and only its own group's cursor moves on; one spare slot
        // at the end takes the writes past the last member.
        let n_below = out.below.first().map_or(0, Vec::len);
        let n_above = out.above.first().map_or(0, Vec::len);
        for (d, &c) in cols.iter().enumerate() {
            let (below, above) = (&mut out.below_order[d], &mut out.above_order[d]);
            below.resize(n_below + 1, 0);
            above.resize(n_above + 1, 0);
            let (mut b, mut a) = (0usize, 0usize);
            for &i in &self.columns[c].sorted {
                let (g, s) = (group[i as usize], slot[i as usize]);
                below[b.min(n_below)] = s;
                above[a.min(n_above)] = s;
                b += usize::from(g == 1);
                a += usize::from(g == 2);
            }
            debug_assert_eq!((b, a), (n_below, n_above));
            below.truncate(n_below);
            above.truncate(n_above);
        }
        self.slot = slot;
        self.group = group;
        self.ranked = ranked;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Float, ParamValue};
    use crate::trial_record::Outcome;

    fn trial(number: u64, x: f64, outcome: Option<Outcome>, steps: &[(u64, f64)]) -> FrozenTrial {
        let mut t = FrozenTrial::new_running(number, number);
        t.params.insert("x".into(), ParamValue::Float(x));
        t.distributions.insert("x".into(), Float::new(0.0, 100.0).into());
        for (s, v) in steps {
            t.intermediate_values.insert(*s, *v);
        }
        if let Some(o) = outcome {
            t.apply_outcome(&o);
        }
        t
    }

    #[test]
    fn gamma_is_a_tenth_capped_at_25() {
        assert_eq!(default_gamma(0), 0);
        assert_eq!(default_gamma(1), 1);
        assert_eq!(default_gamma(10), 1);
        assert_eq!(default_gamma(11), 2);
        assert_eq!(default_gamma(1000), 25);
    }

    #[test]
    fn pruned_trials_rank_after_complete_ones_by_step_then_value() {
        let mut trials = Vec::new();
        // 12 complete (losses 50..61), then pruned ones: a late step beats an early one.
        for i in 0..12 {
            trials.push(trial(i, 50.0 + i as f64, Some(Outcome::Complete(50.0 + i as f64)), &[]));
        }
        trials.push(trial(12, 1.0, Some(Outcome::Pruned(Some(0.1))), &[(1, 0.1)]));
        trials.push(trial(13, 2.0, Some(Outcome::Pruned(Some(9.0))), &[(1, 5.0), (5, 9.0)]));
        trials.push(trial(14, 3.0, None, &[]));
        let h = History::new(Direction::Minimize, trials).with_current(Some(14));
        let d: Distribution = Float::new(0.0, 100.0).into();
        let mut cache = ObservationCache::default();
        // 14 finished trials: gamma = 2, both complete.
        let s = cache.split(&h, &[("x", &d)], false);
        assert_eq!(s.below[0], vec![50.0, 51.0]);
        assert_eq!(s.above[0].len(), 12);
        // Make every complete trial but one pruned-looking worse: with 21+ trials gamma = 3,
        // the third slot goes to the pruned trial with the later step (number 13).
        let mut more: Vec<FrozenTrial> = h.trials().iter().map(|t| (**t).clone()).collect();
        for i in 15..22 {
            more.push(trial(i, 90.0, Some(Outcome::Pruned(None)), &[]));
        }
        let mut ranked = more.clone();
        ranked.retain(|t| t.state != TrialState::Complete || t.number < 2);
        let h2 = History::new(Direction::Minimize, ranked).with_current(Some(14));
        let s = cache.split(&h2, &[("x", &d)], false);
        // 2 complete + 9 pruned = 11 finished: gamma 2 -> the two complete ones.
        assert_eq!(s.below[0], vec![50.0, 51.0]);
        let only_pruned: Vec<FrozenTrial> = more.into_iter().filter(|t| t.state == TrialState::Pruned).collect();
        let h3 = History::new(Direction::Minimize, only_pruned);
        let s = cache.split(&h3, &[("x", &d)], false);
        // 9 pruned: gamma 1 -> the one that reached step 5.
        assert_eq!(s.below[0], vec![2.0]);
        assert_eq!(s.above[0].len(), 8);
    }

    #[test]
    fn running_trials_join_the_above_group_only_with_constant_liar() {
        let mut trials: Vec<FrozenTrial> =
            (0..10).map(|i| trial(i, i as f64, Some(Outcome::Complete(i as f64)), &[])).collect();
        trials.push(trial(10, 42.0, None, &[]));
        trials.push(trial(11, 43.0, None, &[]));
        let h = History::new(Direction::Maximize, trials).with_current(Some(11));
        let d: Distribution = Float::new(0.0, 100.0).into();
        let mut cache = ObservationCache::default();
        let s = cache.split(&h, &[("x", &d)], false);
        assert_eq!(s.below[0], vec![9.0]);
        assert_eq!(s.above[0].len(), 9);
        let s = cache.split(&h, &[("x", &d)], true);
        assert_eq!(s.above[0].len(), 10);
        assert_eq!(*s.above[0].last().unwrap(), 42.0);
    }
}
