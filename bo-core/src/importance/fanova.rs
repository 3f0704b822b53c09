//! Functional ANOVA of a fitted forest (Hutter et al. 2014): the share of a tree's variance,
//! over the uniform measure on the search space, that each single feature explains.

use super::forest::{FeatureKind, Node, Rule, Tree};

/// The region of one leaf: per feature, an interval of `[0, 1]` or a set of choices.
#[derive(Debug, Clone)]
enum Extent {
    Interval(f64, f64),
    Choices(Vec<bool>),
}

impl Extent {
    /// The uniform measure of the extent (a fraction of the feature's domain).
    fn fraction(&self) -> f64 {
        match self {
            Extent::Interval(lo, hi) => (hi - lo).max(0.0),
            Extent::Choices(set) => set.iter().filter(|&&b| b).count() as f64 / set.len().max(1) as f64,
        }
    }
}

struct Leaf {
    value: f64,
    extents: Vec<Extent>,
}

fn leaves(tree: &Tree, kinds: &[FeatureKind]) -> Vec<Leaf> {
    let root: Vec<Extent> = kinds
        .iter()
        .map(|k| match k {
            FeatureKind::Continuous => Extent::Interval(0.0, 1.0),
            FeatureKind::Categorical(n) => Extent::Choices(vec![true; *n]),
        })
        .collect();
    let mut out = Vec::new();
    let mut stack = vec![(0usize, root)];
    while let Some((i, ext)) = stack.pop() {
        match &tree.nodes[i] {
            Node::Leaf { value } => out.push(Leaf { value: *value, extents: ext }),
            Node::Split { feature, rule, left, right, .. } => {
                let cur = ext[*feature].clone();
                let (mut l, mut r) = (ext.clone(), ext);
                match (rule, &cur) {
                    (Rule::AtMost(t), Extent::Interval(lo, hi)) => {
                        l[*feature] = Extent::Interval(*lo, t.clamp(*lo, *hi));
                        r[*feature] = Extent::Interval(t.clamp(*lo, *hi), *hi);
                    }
                    (Rule::InSet(set), Extent::Choices(cur)) => {
                        l[*feature] = Extent::Choices(cur.iter().zip(set).map(|(&c, &s)| c && s).collect());
                        r[*feature] = Extent::Choices(cur.iter().zip(set).map(|(&c, &s)| c && !s).collect());
                    }
                    _ => {}
                }
                stack.push((*left, l));
                stack.push((*right, r));
            }
        }
    }
    out
}

/// Per feature, `Var(f_j) / Var(f)` for one tree, where `f_j` is the tree's prediction
/// averaged over every other feature. `None` when the tree is constant.
pub(crate) fn tree_importances(tree: &Tree, kinds: &[FeatureKind]) -> Option<Vec<f64>> {
    let leaves = leaves(tree, kinds);
    let d = kinds.len();
    let fracs: Vec<Vec<f64>> = leaves.iter().map(|l| l.extents.iter().map(Extent::fraction).collect()).collect();
    let weight: Vec<f64> = fracs.iter().map(|f| f.iter().product()).collect();
    let mean: f64 = leaves.iter().zip(&weight).map(|(l, w)| l.value * w).sum();
    let total: f64 = leaves.iter().zip(&weight).map(|(l, w)| w * (l.value - mean).powi(2)).sum();
    if total.is_nan() || total <= 1e-14 * mean.abs().max(1.0).powi(2) {
        return None;
    }
    let mut out = Vec::with_capacity(d);
    for (j, kind) in kinds.iter().enumerate() {
        // Leaf value times the measure of its region in every other feature.
        let others: Vec<f64> = leaves
            .iter()
            .zip(&fracs)
            .map(|(l, f)| l.value * f.iter().enumerate().filter(|(k, _)| *k != j).map(|(_, x)| x).product::<f64>())
            .collect();
        let var = match kind {
            FeatureKind::Continuous => {
                let mut cuts: Vec<f64> = vec![0.0, 1.0];
                for l in &leaves {
                    if let Extent::Interval(lo, hi) = l.extents[j] {
                        cuts.push(lo);
                        cuts.push(hi);
                    }
                }
                cuts.sort_by(f64::total_cmp);
                cuts.dedup();
                let pos = |x: f64| cuts.partition_point(|&c| c < x);
                // Difference array over the atoms between consecutive cuts.
                let mut diff = vec![0.0; cuts.len()];
                for (l, o) in leaves.iter().zip(&others) {
                    if let Extent::Interval(lo, hi) = l.extents[j] {
                        diff[pos(lo)] += o;
                        diff[pos(hi)] -= o;
                    }
                }
                let mut acc = 0.0;
                let mut var = 0.0;
                for a in 0..cuts.len() - 1 {
                    acc += diff[a];
                    var += (cuts[a + 1] - cuts[a]) * (acc - mean).powi(2);
                }
                var
            }
            FeatureKind::Categorical(n) => {
                let mut marginal = vec![0.0; *n];
                for (l, o) in leaves.iter().zip(&others) {
                    if let Extent::Choices(set) = &l.extents[j] {
                        for (m, _) in marginal.iter_mut().zip(set).filter(|(_, s)| **s) {
                            *m += o;
                        }
                    }
                }
                marginal.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (*n).max(1) as f64
            }
        };
        out.push((var / total).clamp(0.0, 1.0));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(feature: usize, rule: Rule, left: usize, right: usize) -> Node {
        Node::Split { feature, rule, left, right, gain: 1.0 }
    }

    #[test]
    fn an_additive_tree_splits_its_variance_between_features() {
        // f(x0, x1) = a(x0) + b(x1) with a in {0, 2} (split at 0.5) and b in {0, 1} (split
        // at 0.25): Var(a) = 1, Var(b) = 0.75 * 0.25 = 0.1875, no interaction.
        let tree = Tree {
            nodes: vec![
                split(0, Rule::AtMost(0.5), 1, 2),
                split(1, Rule::AtMost(0.25), 3, 4),
                split(1, Rule::AtMost(0.25), 5, 6),
                Node::Leaf { value: 0.0 },
                Node::Leaf { value: 1.0 },
                Node::Leaf { value: 2.0 },
                Node::Leaf { value: 3.0 },
            ],
        };
        let imp = tree_importances(&tree, &[FeatureKind::Continuous, FeatureKind::Continuous]).unwrap();
        let total = 1.0 + 0.1875;
        assert!((imp[0] - 1.0 / total).abs() < 1e-12, "{imp:?}");
        assert!((imp[1] - 0.1875 / total).abs() < 1e-12, "{imp:?}");
    }

    #[test]
    fn a_pure_interaction_has_no_main_effects() {
        // XOR of a categorical and a continuous feature: each marginal is flat.
        let tree = Tree {
            nodes: vec![
                split(0, Rule::InSet(vec![true, false]), 1, 2),
                split(1, Rule::AtMost(0.5), 3, 4),
                split(1, Rule::AtMost(0.5), 5, 6),
                Node::Leaf { value: 0.0 },
                Node::Leaf { value: 1.0 },
                Node::Leaf { value: 1.0 },
                Node::Leaf { value: 0.0 },
            ],
        };
        let imp = tree_importances(&tree, &[FeatureKind::Categorical(2), FeatureKind::Continuous]).unwrap();
        assert!(imp.iter().all(|v| v.abs() < 1e-12), "{imp:?}");
    }

    #[test]
    fn a_constant_tree_has_no_importances() {
        let tree = Tree { nodes: vec![Node::Leaf { value: 4.0 }] };
        assert!(tree_importances(&tree, &[FeatureKind::Continuous]).is_none());
    }
}
