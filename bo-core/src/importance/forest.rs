//! A small random forest regressor (bagged CART trees) with native categorical splits.
//!
//! Continuous features live in `[0, 1]` (the search space's unit scaling, log ranges in log
//! space); a categorical feature holds the index of its choice. Splits on a continuous feature
//! send `x <= threshold` left; splits on a categorical feature send a subset of choices left,
//! found by ordering the choices present in the node by their mean target (Breiman's rule,
//! exact for squared error).

use crate::rng::TrialRng;

/// What a feature column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeatureKind {
    /// A value in `[0, 1]`.
    Continuous,
    /// A choice index in `0..n`.
    Categorical(usize),
}

/// Training data: `x[i][j]` is feature `j` of sample `i`.
#[derive(Debug, Clone)]
pub(crate) struct Dataset {
    pub(crate) kinds: Vec<FeatureKind>,
    pub(crate) x: Vec<Vec<f64>>,
    pub(crate) y: Vec<f64>,
}

/// How the trees grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ForestOptions {
    pub(crate) n_trees: usize,
    pub(crate) max_depth: usize,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    pub(crate) seed: u64,
}

/// Which samples go left at a split node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    /// Continuous: `x <= threshold`.
    AtMost(f64),
    /// Categorical: the choice is in the set (`set[c]`).
    InSet(Vec<bool>),
}

impl Rule {
    fn goes_left(&self, x: f64) -> bool {
        match self {
            Rule::AtMost(t) => x <= *t,
            Rule::InSet(set) => set.get(x as usize).copied().unwrap_or(false),
        }
    }
}

/// One node of a tree; children are indices into [`Tree::nodes`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// A prediction.
    Leaf { value: f64 },
    /// A split; `gain` is the decrease of the sum of squared errors it brings.
    Split { feature: usize, rule: Rule, left: usize, right: usize, gain: f64 },
}

/// A regression tree; node 0 is the root.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
}

impl Tree {
    /// The prediction for one sample.
    #[cfg(test)]
    pub(crate) fn predict(&self, x: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Leaf { value } => return *value,
                Node::Split { feature, rule, left, right, .. } => {
                    i = if rule.goes_left(x[*feature]) { *left } else { *right };
                }
            }
        }
    }
}

/// Fits `options.n_trees` trees, each on a bootstrap sample drawn from its own stream of
/// `options.seed`, considering every feature at every split (scikit-learn's regressor
/// defaults, which Optuna's importance evaluators use).
pub(crate) fn fit_forest(data: &Dataset, options: &ForestOptions) -> Vec<Tree> {
    let n = data.y.len();
    (0..options.n_trees)
        .map(|t| {
            let mut rng = TrialRng::for_trial(options.seed, t as u64);
            let mut sample: Vec<usize> = (0..n).map(|_| rng.below(n as u64) as usize).collect();
            let mut builder = TreeBuilder { data, options, rng, nodes: Vec::new() };
            builder.grow(&mut sample, 0);
            Tree { nodes: builder.nodes }
        })
        .collect()
}

struct TreeBuilder<'a> {
    data: &'a Dataset,
    options: &'a ForestOptions,
    rng: TrialRng,
    nodes: Vec<Node>,
}

/// Best split found so far for a node.
struct Candidate {
    feature: usize,
    rule: Rule,
    gain: f64,
}

/// Sum of squared errors of `n` values with sum `s` and sum of squares `ss`.
fn sse(n: f64, s: f64, ss: f64) -> f64 {
    if n <= 0.0 { 0.0 } else { (ss - s * s / n).max(0.0) }
}

impl TreeBuilder<'_> {
    /// Grows the subtree of the samples `idx` (indices into the data set) and returns its
    /// node index.
    fn grow(&mut self, idx: &mut [usize], depth: usize) -> usize {
        let y = &self.data.y;
        let n = idx.len();
        let (s, ss) = idx.iter().fold((0.0, 0.0), |(s, ss), &i| (s + y[i], ss + y[i] * y[i]));
        let mean = s / n.max(1) as f64;
        let node = self.nodes.len();
        self.nodes.push(Node::Leaf { value: mean });
        let parent = sse(n as f64, s, ss);
        let pure = parent <= 1e-12 * ss.max(1e-300);
        if n < self.options.min_samples_split.max(2) || depth >= self.options.max_depth || pure {
            return node;
        }
        let Some(best) = self.best_split(idx, parent) else { return node };
        let mut l = 0;
        for k in 0..n {
            if best.rule.goes_left(self.data.x[idx[k]][best.feature]) {
                idx.swap(l, k);
                l += 1;
            }
        }
        let (li, ri) = idx.split_at_mut(l);
        let left = self.grow(li, depth + 1);
        let right = self.grow(ri, depth + 1);
        self.nodes[node] = Node::Split { feature: best.feature, rule: best.rule, left, right, gain: best.gain };
        node
    }

    /// The split of `idx` with the largest decrease of squared error, features visited in a
    /// random order (ties go to the first visited, as in scikit-learn).
    fn best_split(&mut self, idx: &[usize], parent: f64) -> Option<Candidate> {
        let d = self.data.kinds.len();
        let mut order: Vec<usize> = (0..d).collect();
        for i in (1..d).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let mut best: Option<Candidate> = None;
        let min_gain = parent * 1e-12;
        for f in order {
            let found = match self.data.kinds[f] {
                FeatureKind::Continuous => self.continuous_split(idx, f, parent),
                FeatureKind::Categorical(k) => self.categorical_split(idx, f, k, parent),
            };
            if let Some(c) = found {
                if c.gain > min_gain && best.as_ref().is_none_or(|b| c.gain > b.gain) {
                    best = Some(c);
                }
            }
        }
        best
    }

    fn continuous_split(&self, idx: &[usize], f: usize, parent: f64) -> Option<Candidate> {
        let mut pts: Vec<(f64, f64)> = idx.iter().map(|&i| (self.data.x[i][f], self.data.y[i])).collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = pts.len();
        let min_leaf = self.options.min_samples_leaf.max(1);
        let (ts, tss) = pts.iter().fold((0.0, 0.0), |(s, ss), p| (s + p.1, ss + p.1 * p.1));
        let (mut ls, mut lss) = (0.0, 0.0);
        let mut best: Option<(f64, f64)> = None;
        for i in 1..n {
            let yv = pts[i - 1].1;
            ls += yv;
            lss += yv * yv;
            if i < min_leaf || n - i < min_leaf || pts[i - 1].0 >= pts[i].0 {
                continue;
            }
            let child = sse(i as f64, ls, lss) + sse((n - i) as f64, ts - ls, tss - lss);
            let gain = parent - child;
            if best.is_none_or(|(g, _)| gain > g) {
                best = Some((gain, 0.5 * (pts[i - 1].0 + pts[i].0)));
            }
        }
        best.map(|(gain, t)| Candidate { feature: f, rule: Rule::AtMost(t), gain })
    }

    fn categorical_split(&self, idx: &[usize], f: usize, k: usize, parent: f64) -> Option<Candidate> {
        // Per-choice count, sum, sum of squares.
        let mut stats = vec![(0usize, 0.0f64, 0.0f64); k];
        for &i in idx {
            let c = (self.data.x[i][f] as usize).min(k.saturating_sub(1));
            let yv = self.data.y[i];
            stats[c].0 += 1;
            stats[c].1 += yv;
            stats[c].2 += yv * yv;
        }
        let mut present: Vec<usize> = (0..k).filter(|&c| stats[c].0 > 0).collect();
        if present.len() < 2 {
            return None;
        }
        present.sort_by(|&a, &b| {
            let ma = stats[a].1 / stats[a].0 as f64;
            let mb = stats[b].1 / stats[b].0 as f64;
            ma.total_cmp(&mb).then(a.cmp(&b))
        });
        let n = idx.len();
        let min_leaf = self.options.min_samples_leaf.max(1);
        let (ts, tss) = stats.iter().fold((0.0, 0.0), |(s, ss), c| (s + c.1, ss + c.2));
        let (mut ln, mut ls, mut lss) = (0usize, 0.0, 0.0);
        let mut best: Option<(f64, usize, usize)> = None;
        for (p, &c) in present.iter().enumerate().take(present.len() - 1) {
            ln += stats[c].0;
            ls += stats[c].1;
            lss += stats[c].2;
            if ln < min_leaf || n - ln < min_leaf {
                continue;
            }
            let child = sse(ln as f64, ls, lss) + sse((n - ln) as f64, ts - ls, tss - lss);
            let gain = parent - child;
            if best.is_none_or(|(g, _, _)| gain > g) {
                best = Some((gain, p + 1, ln));
            }
        }
        let (gain, cut, ln) = best?;
        let mut set = vec![false; k];
        for &c in &present[..cut] {
            set[c] = true;
        }
        // Choices no sample of this node holds go with the larger side.
        if ln * 2 >= n {
            for c in 0..k {
                if stats[c].0 == 0 {
                    set[c] = true;
                }
            }
        }
        Some(Candidate { feature: f, rule: Rule::InSet(set), gain })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(n_trees: usize) -> ForestOptions {
        ForestOptions { n_trees, max_depth: 64, min_samples_split: 2, min_samples_leaf: 1, seed: 3 }
    }

    #[test]
    fn a_deep_tree_fits_its_training_points() {
        let x: Vec<Vec<f64>> = (0..20).map(|i| vec![i as f64 / 19.0, (i % 3) as f64]).collect();
        let y: Vec<f64> = x.iter().map(|r| (r[0] * 6.0).sin() + r[1]).collect();
        let data = Dataset { kinds: vec![FeatureKind::Continuous, FeatureKind::Categorical(3)], x, y };
        let opts = options(1);
        // Without bootstrap duplicates every point would be exact; with them, points drawn
        // at least once are.
        let tree = &fit_forest(&data, &opts)[0];
        let mut rng = TrialRng::for_trial(opts.seed, 0);
        let drawn: Vec<usize> = (0..20).map(|_| rng.below(20) as usize).collect();
        for &i in &drawn {
            assert!((tree.predict(&data.x[i]) - data.y[i]).abs() < 1e-12, "sample {i}");
        }
    }

    #[test]
    fn categorical_splits_group_choices_by_mean() {
        // Choices 0 and 2 have low targets, 1 and 3 high ones: one split separates them.
        let x: Vec<Vec<f64>> = (0..40).map(|i| vec![(i % 4) as f64]).collect();
        let y: Vec<f64> = x.iter().map(|r| if r[0] as usize % 2 == 1 { 10.0 } else { 0.0 }).collect();
        let data = Dataset { kinds: vec![FeatureKind::Categorical(4)], x, y };
        let tree = &fit_forest(&data, &options(1))[0];
        match &tree.nodes[0] {
            Node::Split { rule: Rule::InSet(set), .. } => {
                assert_eq!(set[0], set[2]);
                assert_eq!(set[1], set[3]);
                assert_ne!(set[0], set[1]);
            }
            other => panic!("root is {other:?}"),
        }
        assert_eq!(tree.nodes.len(), 3, "two pure leaves under the root");
    }

    #[test]
    fn min_samples_leaf_and_max_depth_limit_growth() {
        let x: Vec<Vec<f64>> = (0..32).map(|i| vec![i as f64 / 31.0]).collect();
        let y: Vec<f64> = x.iter().map(|r| r[0] * r[0]).collect();
        let data = Dataset { kinds: vec![FeatureKind::Continuous], x, y };
        let mut opts = options(1);
        opts.max_depth = 1;
        assert_eq!(fit_forest(&data, &opts)[0].nodes.len(), 3);
        opts.max_depth = 64;
        opts.min_samples_leaf = 16;
        let tree = &fit_forest(&data, &opts)[0];
        assert!(tree.nodes.len() <= 3, "{} nodes", tree.nodes.len());
    }

    #[test]
    fn forests_are_deterministic_for_a_seed() {
        let x: Vec<Vec<f64>> = (0..30).map(|i| vec![(i * 7 % 30) as f64 / 29.0, (i % 5) as f64 / 4.0]).collect();
        let y: Vec<f64> = x.iter().map(|r| r[0] - 2.0 * r[1]).collect();
        let data = Dataset { kinds: vec![FeatureKind::Continuous; 2], x, y };
        assert_eq!(fit_forest(&data, &options(4)), fit_forest(&data, &options(4)));
        let mut other = options(4);
        other.seed = 4;
        assert_ne!(fit_forest(&data, &options(4)), fit_forest(&data, &other));
    }
}
