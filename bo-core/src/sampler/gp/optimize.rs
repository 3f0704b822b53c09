//! The encoded search space and the acquisition optimizer: a scrambled Sobol sweep, then
//! local refinement of the most promising candidates (projected L-BFGS on continuous
//! dimensions in lengthscale-scaled coordinates, grid search on discrete and categorical
//! ones, alternating until nothing improves), as Optuna's GPSampler does.

use crate::rng::TrialRng;
use crate::sampler::sobol::{SOBOL_DIMS, sobol};
use crate::space::{Distribution, Distributions, Params};
use crate::trial_record::FrozenTrial;

use super::acquisition::Acquisition;
use super::lbfgs;
use super::model::Posterior;

/// Discrete dimensions with at most this many values are searched exhaustively; larger
/// ones are optimized as continuous and then snapped, with a neighbour check.
const EXHAUSTIVE_LIMIT: u64 = 16;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DimKind {
    Continuous,
    Discrete { cardinality: u64 },
    Categorical { choices: usize },
}

/// The relative search space in the GP's coordinates: numeric parameters in `[0, 1]`
/// through [`Distribution::to_unit`] (log scale for log parameters, half a step of padding
/// for stepped ones), categorical parameters as their choice index.
#[derive(Debug, Clone)]
pub(crate) struct EncodedSpace {
    pub(crate) names: Vec<String>,
    pub(crate) dists: Vec<Distribution>,
    pub(crate) kinds: Vec<DimKind>,
    pub(crate) categorical: Vec<bool>,
}

impl EncodedSpace {
    pub(crate) fn new(space: &Distributions) -> Self {
        let mut names = Vec::new();
        let mut dists = Vec::new();
        let mut kinds = Vec::new();
        for (name, d) in space {
            let kind = match (d, d.cardinality()) {
                (Distribution::Categorical(c), _) => DimKind::Categorical { choices: c.choices().len() },
                (_, Some(cardinality)) => DimKind::Discrete { cardinality },
                (_, None) => DimKind::Continuous,
            };
            names.push(name.clone());
            dists.push(d.clone());
            kinds.push(kind);
        }
        let categorical = kinds.iter().map(|k| matches!(k, DimKind::Categorical { .. })).collect();
        EncodedSpace { names, dists, kinds, categorical }
    }

    pub(crate) fn dim(&self) -> usize {
        self.names.len()
    }

    /// The encoded point of a trial, if it has every parameter of the space.
    pub(crate) fn encode(&self, trial: &FrozenTrial) -> Option<Vec<f64>> {
        self.names
            .iter()
            .zip(&self.dists)
            .map(|(name, d)| {
                let x = trial.internal(name).or_else(|| trial.params.get(name).and_then(|v| d.to_internal(v)))?;
                Some(if d.is_categorical() { x } else { d.to_unit(x) })
            })
            .collect()
    }

    /// Parameter values of an encoded point.
    pub(crate) fn decode(&self, x: &[f64]) -> Params {
        self.names
            .iter()
            .zip(&self.dists)
            .zip(x)
            .map(|((name, d), &v)| {
                let internal = if d.is_categorical() { v } else { d.from_unit(v) };
                (name.clone(), d.to_external(internal))
            })
            .collect()
    }

    /// Moves coordinate `j` of a unit-cube value onto the admissible set.
    pub(crate) fn snap(&self, j: usize, u: f64) -> f64 {
        match self.kinds[j] {
            DimKind::Continuous => u.clamp(0.0, 1.0),
            DimKind::Discrete { .. } => self.dists[j].to_unit(self.dists[j].from_unit(u)),
            DimKind::Categorical { choices } => ((u * choices as f64).floor()).clamp(0.0, (choices - 1) as f64),
        }
    }

    /// Every admissible encoded value of a small discrete or categorical dimension.
    fn values(&self, j: usize) -> Vec<f64> {
        match self.kinds[j] {
            DimKind::Categorical { choices } => (0..choices).map(|c| c as f64).collect(),
            DimKind::Discrete { cardinality } => {
                let mut out: Vec<f64> = match &self.dists[j] {
                    // Integers (log-scaled ones are not evenly spaced in the unit interval):
                    // walk them.
                    Distribution::Int(i) => {
                        (0..cardinality).map(|k| self.dists[j].to_unit((i.low() + k as i64 * i.step()) as f64)).collect()
                    }
                    // Stepped floats: grid point k sits at the centre of the k-th cell.
                    _ => (0..cardinality).map(|k| self.snap(j, (k as f64 + 0.5) / cardinality as f64)).collect(),
                };
                out.dedup();
                out
            }
            DimKind::Continuous => Vec::new(),
        }
    }

    /// The encoded values one grid step below and above `u` on a discrete dimension.
    fn neighbours(&self, j: usize, u: f64) -> [Option<f64>; 2] {
        let d = &self.dists[j];
        let v = d.from_unit(u);
        let step = match d {
            Distribution::Int(i) => i.step() as f64,
            Distribution::Float(f) => f.step().unwrap_or(0.0),
            Distribution::Categorical(_) => 0.0,
        };
        let near = |w: f64| d.contains(w).then(|| d.to_unit(w));
        [near(v - step), near(v + step)]
    }
}

/// What the optimizer maximizes: the acquisition of the posterior at an encoded point.
pub(crate) struct Problem<'a> {
    pub(crate) posterior: &'a Posterior,
    pub(crate) acquisition: Acquisition,
    pub(crate) best: f64,
    pub(crate) space: &'a EncodedSpace,
}

impl Problem<'_> {
    /// Search values of many points (row-major), appended to `out`: posterior predictions in
    /// batches of a few hundred points, which is far cheaper than one point at a time.
    fn batch_values(&self, points: &[f64], out: &mut Vec<f64>) {
        const CHUNK: usize = 512;
        let d = self.space.dim().max(1);
        let (mut means, mut vars) = (Vec::new(), Vec::new());
        for chunk in points.chunks(CHUNK * d) {
            self.posterior.predict_batch(chunk, &mut means, &mut vars);
            out.extend(means.iter().zip(&vars).map(|(m, v)| self.acquisition.search_value_and_grad(*m, *v, self.best).0));
        }
    }

    fn value(&self, x: &[f64]) -> f64 {
        let d = x.len();
        let (mut dm, mut dv) = (vec![0.0; d], vec![0.0; d]);
        self.value_and_grad(x, &mut dm, &mut dv)
    }

    /// Search value at `x`; the gradient with respect to `x` goes into `grad`.
    fn value_and_grad(&self, x: &[f64], grad: &mut [f64], scratch: &mut [f64]) -> f64 {
        let (mean, var) = self.posterior.predict_with_grad(x, grad, scratch);
        let (a, da_dm, da_dv) = self.acquisition.search_value_and_grad(mean, var, self.best);
        for (g, dv) in grad.iter_mut().zip(scratch.iter()) {
            *g = da_dm * *g + da_dv * dv;
        }
        a
    }
}

/// Finds a point of high acquisition: `n_sweep` scrambled Sobol points, then local search
/// from the best one, the warm starts (e.g. the best observed point) and candidates drawn
/// with probability proportional to `exp(acquisition)` (Optuna's roulette), `n_local` starts
/// in all. Returns the encoded point.
///
/// `base` holds `n_sweep` scrambled Sobol points (see [`sobol_points`]); each call moves
/// them by its own random shift modulo 1 (a Cranley-Patterson rotation), which keeps their
/// even spread and gives every trial fresh candidates without regenerating the sequence.
pub(crate) fn maximize(problem: &Problem<'_>, warm_starts: &[Vec<f64>], base: &[f64], n_local: usize, rng: &mut TrialRng) -> Vec<f64> {
    let space = problem.space;
    let d = space.dim();
    let n_sweep = base.len() / d.max(1);
    let shift: Vec<f64> = (0..d).map(|_| rng.uniform()).collect();
    let mut candidates = Vec::with_capacity(n_sweep * d);
    for point in base.chunks_exact(d.max(1)).take(n_sweep) {
        for j in 0..d {
            let u = (point[j] + shift[j]).fract();
            candidates.push(space.snap(j, u));
        }
    }
    let mut values = Vec::with_capacity(n_sweep);
    problem.batch_values(&candidates, &mut values);
    let mut starts: Vec<Vec<f64>> = warm_starts.iter().take(n_local).cloned().collect();
    if n_sweep > 0 {
        let finite = |v: f64| if v.is_finite() { v } else { f64::NEG_INFINITY };
        let best = (0..n_sweep).max_by(|&a, &b| finite(values[a]).total_cmp(&finite(values[b]))).unwrap_or(0);
        starts.push(candidates[best * d..(best + 1) * d].to_vec());
        let top = finite(values[best]);
        let mut weights: Vec<f64> = values.iter().map(|&v| if v.is_finite() && top.is_finite() { (v - top).exp() } else { 0.0 }).collect();
        weights[best] = 0.0;
        while starts.len() < n_local {
            if weights.iter().sum::<f64>() <= 0.0 {
                break;
            }
            let c = rng.weighted_index(&weights);
            weights[c] = 0.0;
            starts.push(candidates[c * d..(c + 1) * d].to_vec());
        }
    }
    let mut best_x = starts.first().cloned().unwrap_or_else(|| vec![0.5; d]);
    let mut best_v = f64::NEG_INFINITY;
    for start in starts {
        let (x, v) = local_search(problem, start);
        if v > best_v {
            best_v = v;
            best_x = x;
        }
    }
    best_x
}

/// The best value of a large discrete dimension `j` with the other coordinates of `x`
/// held: a coarse-to-fine search over its sorted `grid` (33 evenly spread values, then the
/// window around the best, until a window of at most 64 values is tried whole), each level
/// scored in one batch. Like Optuna's discrete line search, it can jump across the grid,
/// where gradient steps and neighbour moves stay in the nearest local optimum.
fn grid_line_search(problem: &Problem<'_>, x: &[f64], j: usize, grid: &[f64]) -> f64 {
    const SPREAD: usize = 32;
    let (mut lo, mut hi) = (0usize, grid.len().saturating_sub(1));
    let (mut best_i, mut best_v) = (0usize, f64::NEG_INFINITY);
    let (mut points, mut values) = (Vec::new(), Vec::new());
    loop {
        let span = hi - lo;
        let indices: Vec<usize> =
            if span <= 2 * SPREAD { (lo..=hi).collect() } else { (0..=SPREAD).map(|k| lo + k * span / SPREAD).collect() };
        points.clear();
        for &i in &indices {
            points.extend_from_slice(x);
            let at = points.len() - x.len() + j;
            points[at] = grid[i];
        }
        values.clear();
        problem.batch_values(&points, &mut values);
        for (&i, &a) in indices.iter().zip(&values) {
            if a > best_v {
                (best_i, best_v) = (i, a);
            }
        }
        if span <= 2 * SPREAD {
            return grid[best_i];
        }
        let step = span / SPREAD;
        lo = best_i.saturating_sub(step);
        hi = (best_i + step).min(grid.len() - 1);
    }
}

/// `n` scrambled Sobol points in `[0, 1)^d`, row-major (dimensions past the direction
/// numbers' reach drawn from a generator seeded by `seed`).
pub(crate) fn sobol_points(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut rng = TrialRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n * d);
    for i in 0..n {
        for j in 0..d {
            out.push(if j < SOBOL_DIMS { sobol(i as u64, j, Some(seed)) } else { rng.uniform() });
        }
    }
    out
}

/// Improves `x` until no move helps: gradient steps on the continuous (and large discrete)
/// coordinates, then exhaustive or neighbour search on each discrete coordinate.
fn local_search(problem: &Problem<'_>, mut x: Vec<f64>) -> (Vec<f64>, f64) {
    const TOL: f64 = 1e-4;
    let space = problem.space;
    let d = space.dim();
    for j in 0..d {
        x[j] = space.snap(j, x[j]);
    }
    let mut fx = problem.value(&x);
    let ils = &problem.posterior.params().inv_sq_lengthscales;
    let gradient_dims: Vec<usize> = (0..d)
        .filter(|&j| match space.kinds[j] {
            DimKind::Continuous => true,
            DimKind::Discrete { cardinality } => cardinality > EXHAUSTIVE_LIMIT,
            DimKind::Categorical { .. } => false,
        })
        .collect();
    let scale: Vec<f64> = gradient_dims.iter().map(|&j| ils[j].sqrt().max(1e-6)).collect();
    // Grids of the large discrete dimensions, built when first searched.
    let mut grids: Vec<Option<Vec<f64>>> = vec![None; d];
    for _round in 0..20 {
        let mut improved = false;
        if !gradient_dims.is_empty() {
            // Optimize in coordinates z_j = x_j * sqrt(ils_j): unit lengthscale everywhere.
            let z0: Vec<f64> = gradient_dims.iter().zip(&scale).map(|(&j, s)| x[j] * s).collect();
            let lo = vec![0.0; z0.len()];
            let hi: Vec<f64> = scale.clone();
            let mut point = x.clone();
            let (mut grad, mut scratch) = (vec![0.0; d], vec![0.0; d]);
            let settings = lbfgs::Settings { gtol: 1e-2, ftol: 1e-9, max_iter: 200, memory: 10, max_backtracks: 10 };
            let m = lbfgs::minimize(
                |z, g| {
                    for ((&j, s), zi) in gradient_dims.iter().zip(&scale).zip(z) {
                        point[j] = zi / s;
                    }
                    let v = problem.value_and_grad(&point, &mut grad, &mut scratch);
                    for ((&j, s), gi) in gradient_dims.iter().zip(&scale).zip(g.iter_mut()) {
                        *gi = -grad[j] / s;
                    }
                    -v
                },
                &z0,
                &lo,
                &hi,
                settings,
            );
            let mut candidate = x.clone();
            for ((&j, s), zi) in gradient_dims.iter().zip(&scale).zip(&m.x) {
                candidate[j] = space.snap(j, zi / s);
            }
            let v = problem.value(&candidate);
            if v > fx {
                improved = v > fx + TOL;
                x = candidate;
                fx = v;
            }
        }
        for j in 0..d {
            let options: Vec<f64> = match space.kinds[j] {
                DimKind::Continuous => continue,
                DimKind::Discrete { cardinality } if cardinality > EXHAUSTIVE_LIMIT => {
                    let grid = grids[j].get_or_insert_with(|| space.values(j));
                    let mut options: Vec<f64> = space.neighbours(j, x[j]).into_iter().flatten().collect();
                    options.push(grid_line_search(problem, &x, j, grid));
                    options
                }
                _ => space.values(j),
            };
            let mut trial = x.clone();
            for u in options {
                if u == x[j] {
                    continue;
                }
                trial[j] = u;
                let v = problem.value(&trial);
                if v > fx + TOL {
                    fx = v;
                    x[j] = u;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    (x, fx)
}

#[cfg(test)]
mod tests {
    use super::super::model::KernelParams;
    use super::*;
    use crate::space::{Distributions, Int};

    #[test]
    fn the_grid_line_search_jumps_to_the_far_peak_of_a_large_discrete_dimension() {
        let dists: Distributions = [("n".to_string(), Distribution::from(Int::new(0, 999)))].into_iter().collect();
        let space = EncodedSpace::new(&dists);
        let unit = |v: f64| space.dists[0].to_unit(v);
        // Observed: 100 mediocre, 500 bad, 900 best; lengthscale 0.05 (about 50 values).
        let params = KernelParams { inv_sq_lengthscales: vec![400.0], scale: 1.0, noise: 1e-6 };
        let posterior = Posterior::new(vec![unit(100.0), unit(500.0), unit(900.0)], &[0.0, -2.0, 2.0], 1, vec![false], params)
            .expect("a well-conditioned kernel matrix");
        let problem = Problem { posterior: &posterior, acquisition: Acquisition::LogEi, best: 2.0, space: &space };
        let grid = space.values(0);
        assert_eq!(grid.len(), 1000);
        let found = space.dists[0].from_unit(grid_line_search(&problem, &[unit(100.0)], 0, &grid));
        assert!((found - 900.0).abs() <= 60.0, "the search from 100 ends at {found}, not near the best observation");
        // Coarse to fine, not exhaustive: within 0.1% (in EI) of the best of all 1000 values.
        let at = |v: f64| problem.value(&[unit(v)]);
        let best_anywhere = (0..1000).map(|v| at(v as f64)).fold(f64::NEG_INFINITY, f64::max);
        assert!(at(found) >= best_anywhere - 1e-3, "log EI {} vs {best_anywhere}", at(found));
        // A neighbour move from 100 goes to 99 or 101: only the line search crosses the grid.
        let neighbours: Vec<f64> = space.neighbours(0, unit(100.0)).into_iter().flatten().map(|u| space.dists[0].from_unit(u)).collect();
        assert_eq!(neighbours, vec![99.0, 101.0]);
    }
}
