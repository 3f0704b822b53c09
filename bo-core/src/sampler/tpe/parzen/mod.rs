//! The Parzen estimator of TPE: a weighted mixture of product kernels (truncated normals for
//! numbers, discretized ones for ints and stepped floats, smoothed one-hots for categoricals),
//! one kernel per observation plus a prior kernel, as in Optuna's `_ParzenEstimator`.

use crate::math::{LN_SQRT_2PI, UpperTailTable, exp_fast, log_gauss_mass, ndtri, truncnorm_ppf};
use crate::rng::TrialRng;
use crate::space::Distribution;

mod continuous;

/// Kernel arrays are padded to a multiple of this (the widest vector of `f32`, AVX-512's).
const LANES: usize = 16;

/// Smallest bandwidth when the magic clip is off (Optuna's `EPS`).
const EPS: f64 = 1e-12;

/// Settings shared by every estimator of one sampler.
#[derive(Debug, Clone, Copy)]
pub(super) struct ParzenSettings {
    pub(super) prior_weight: f64,
    pub(super) consider_magic_clip: bool,
    pub(super) consider_endpoints: bool,
}

#[derive(Debug)]
enum Kind {
    /// Truncated normal in value space (or log space when `log`).
    Continuous { log: bool },
    /// Truncated normal discretized on a `step` grid (an int log range: step 1 in log space).
    Discrete { step: f64, log: bool, dlow: f64, dhigh: f64 },
    /// One-hot smoothed by the prior: `base + 1` on the observed choice, `base` elsewhere.
    Categorical { n_choices: usize, observed: Vec<u32>, log_hit: f64, log_miss: f64, base: f64 },
}

/// One dimension of the mixture: a kernel per observation, then the prior kernel.
#[derive(Debug, Default)]
struct Dim {
    kind: Kind,
    /// Truncation bounds in the kernel space (log space for log ranges, widened by half a
    /// step for discrete ones).
    low: f64,
    high: f64,
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    inv_sigmas: Vec<f64>,
    /// Single-precision copies for the bulk scoring of continuous dimensions:
    /// `neg_scaled_mus[k] = -mus[k] * half_inv[k]`, `half_inv[k] = inv_sigmas[k] / sqrt 2`.
    neg_scaled_mus: Vec<f32>,
    half_inv: Vec<f32>,
    /// Per kernel `(Phi(a), 1 - Phi(b))` of its truncation bounds in standard units, when
    /// `a <= 0 <= b` (NaN otherwise): sampling reuses them instead of evaluating the CDF.
    tails: Vec<(f64, f64)>,
    /// `low`, `high` of the distribution (value space), for clamping samples.
    dlow: f64,
    dhigh: f64,
    /// Scratch of the bandwidth rule.
    sorted: Vec<f64>,
}

/// A mixture over `n + 1` kernels built from `n` observations.
///
/// Rebuilt in place ([`Parzen::rebuild`]) so that a sampler reuses its buffers from one ask to
/// the next instead of allocating (and page-faulting) a few hundred kilobytes each time.
#[derive(Debug, Default)]
pub(super) struct Parzen {
    weights: Vec<f64>,
    /// `ln weight - ln normalizer` of every kernel (everything that does not depend on x).
    log_const: Vec<f64>,
    dims: Vec<Dim>,
    /// `log_const` in single precision, for the all-continuous fast path of `log_pdf`.
    log_const32: Vec<f32>,
    /// Scratch of `rebuild` and `log_pdf`.
    acc32: Vec<f32>,
    points32: Vec<f32>,
    prod: Vec<f64>,
    folded: Vec<f64>,
    acc: Vec<f64>,
}

/// Optuna's default weights: ones below 25 observations, else a ramp from `1/n` to 1 over
/// the oldest `n - 25` and ones for the newest 25.
#[cfg(test)]
pub(super) fn default_weights(n: usize) -> Vec<f64> {
    let mut w = Vec::with_capacity(n);
    default_weights_into(n, &mut w);
    w
}

/// [`default_weights`] into a reused buffer.
fn default_weights_into(n: usize, w: &mut Vec<f64>) {
    w.clear();
    if n < 25 {
        w.resize(n, 1.0);
        return;
    }
    let ramp = n - 25;
    let start = 1.0 / n as f64;
    for i in 0..ramp {
        let v = if ramp == 1 { start } else { start + (1.0 - start) * i as f64 / (ramp - 1) as f64 };
        w.push(v);
    }
    w.resize(n, 1.0);
}

impl Parzen {
    /// Builds the estimator. `columns[d][i]` is observation `i` of dimension `d` in internal
    /// representation (all columns the same length, oldest trial first).
    #[cfg(test)]
    pub(super) fn new(dists: &[&Distribution], columns: &[Vec<f64>], s: &ParzenSettings) -> Parzen {
        let orders: Vec<Vec<u32>> = columns.iter().map(|c| sorted_order(c)).collect();
        let mut p = Parzen::default();
        p.rebuild(dists, columns, &orders, s, true);
        p
    }

    /// Rebuilds the estimator over new observations, reusing this one's buffers.
    /// `orders[d]` lists the observations of dimension `d` by increasing value. `sampled`:
    /// whether [`Parzen::sample`] will draw from it (it then keeps each kernel's tail masses;
    /// TPE draws from `l(x)` only, and `g(x)` with a thousand kernels per dimension skips
    /// writing them).
    pub(super) fn rebuild(
        &mut self,
        dists: &[&Distribution],
        columns: &[Vec<f64>],
        orders: &[Vec<u32>],
        s: &ParzenSettings,
        sampled: bool,
    ) {
        let n = columns.first().map_or(0, Vec::len);
        let weights = &mut self.weights;
        default_weights_into(n, weights);
        weights.push(if n == 0 { 1.0 } else { s.prior_weight });
        let total: f64 = weights.iter().sum();
        for w in weights.iter_mut() {
            *w /= total;
        }
        let n_kernels = n + 1;
        self.dims.truncate(dists.len());
        self.dims.resize_with(dists.len(), Dim::default);
        for ((dim, d), (obs, order)) in self.dims.iter_mut().zip(dists).zip(columns.iter().zip(orders)) {
            dim.rebuild(d, obs, order, s);
        }

        // ln normalizer of kernel k: sum over numeric dims of ln(mass) (+ ln(sigma sqrt(2 pi))
        // for continuous ones), as one running product per kernel and one ln at the end.
        let table = UpperTailTable::get();
        let mut n_cont = 0usize;
        let prod = &mut self.prod;
        prod.clear();
        prod.resize(n_kernels, 1.0);
        let folded = &mut self.folded;
        folded.clear();
        folded.resize(n_kernels, 0.0);
        for dim in self.dims.iter_mut() {
            let continuous = matches!(dim.kind, Kind::Continuous { .. });
            if matches!(dim.kind, Kind::Categorical { .. }) {
                continue;
            }
            n_cont += continuous as usize;
            dim.tails.clear();
            for k in 0..n_kernels {
                let (mu, inv) = (dim.mus[k], dim.inv_sigmas[k]);
                let a = (dim.low - mu) * inv;
                let b = (dim.high - mu) * inv;
                let mut f = if a <= 0.0 && b >= 0.0 {
                    // Phi(a) and 1 - Phi(b), kept for sampling from this kernel.
                    let tails = (table.upper_tail(-a), table.upper_tail(b));
                    if sampled {
                        dim.tails.push(tails);
                    }
                    1.0 - (tails.0 + tails.1)
                } else {
                    if sampled {
                        dim.tails.push((f64::NAN, f64::NAN));
                    }
                    log_gauss_mass(a, b).exp()
                };
                if continuous {
                    f *= dim.sigmas[k];
                }
                // Kernels are centred inside their range, so f > 0; keep ln finite regardless.
                let f = f.max(f64::MIN_POSITIVE);
                let p = prod[k] * f;
                if (1e-200..=1e200).contains(&p) {
                    prod[k] = p;
                } else {
                    folded[k] += prod[k].ln() + f.ln();
                    prod[k] = 1.0;
                }
            }
        }
        self.log_const.clear();
        self.log_const.extend(
            (0..n_kernels).map(|k| (self.weights[k] / prod[k]).ln() - n_cont as f64 * LN_SQRT_2PI - folded[k]),
        );
        self.log_const32.clear();
        self.log_const32.extend(self.log_const.iter().map(|&v| v as f32));
        self.log_const32.resize(n_kernels.next_multiple_of(LANES), f32::NEG_INFINITY);
    }

    /// Draws `count` points; `out[d][c]` is candidate `c` of dimension `d`, internal
    /// representation on the distribution's grid.
    pub(super) fn sample(&self, rng: &mut TrialRng, count: usize) -> Vec<Vec<f64>> {
        let active: Vec<usize> = (0..count).map(|_| rng.weighted_index(&self.weights)).collect();
        self.dims
            .iter()
            .map(|dim| active.iter().map(|&k| dim.sample(k, rng)).collect())
            .collect()
    }

    /// `out[c] = ln p(candidate c)` (up to the Jacobian of log ranges, which cancels in TPE's
    /// ratio).
    pub(super) fn log_pdf(&mut self, candidates: &[Vec<f64>], out: &mut [f64]) {
        if self.dims.iter().all(|d| matches!(d.kind, Kind::Continuous { .. })) {
            return self.log_pdf_continuous(candidates, out);
        }
        let n_kernels = self.log_const.len();
        let mut acc = std::mem::take(&mut self.acc);
        acc.clear();
        acc.resize(n_kernels, 0.0);
        for (c, slot) in out.iter_mut().enumerate() {
            acc.copy_from_slice(&self.log_const);
            for (dim, col) in self.dims.iter().zip(candidates) {
                dim.add_log_kernel(col[c], &mut acc);
            }
            *slot = log_sum_exp(&mut acc);
        }
        self.acc = acc;
    }
}

/// `ln sum exp(v)`, overwriting `v`. Four-lane max and sum so that the loops vectorize.
fn log_sum_exp(v: &mut [f64]) -> f64 {
    let mut lanes = [f64::NEG_INFINITY; 4];
    let mut chunks = v.chunks_exact(4);
    for ch in chunks.by_ref() {
        for (l, &x) in lanes.iter_mut().zip(ch) {
            *l = l.max(x);
        }
    }
    let max = chunks.remainder().iter().chain(&lanes).copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    for x in v.iter_mut() {
        *x = exp_fast(*x - max);
    }
    let mut sums = [0.0f64; 4];
    let mut chunks = v.chunks_exact(4);
    for ch in chunks.by_ref() {
        for (s, &x) in sums.iter_mut().zip(ch) {
            *s += x;
        }
    }
    let sum = (sums[0] + sums[1]) + (sums[2] + sums[3]) + chunks.remainder().iter().sum::<f64>();
    max + sum.ln()
}

impl Default for Kind {
    fn default() -> Self {
        Kind::Continuous { log: false }
    }
}

impl Dim {
    /// Rebuilds this dimension over new observations, reusing its buffers.
    fn rebuild(&mut self, d: &Distribution, obs: &[f64], order: &[u32], s: &ParzenSettings) {
        let mut observed = match std::mem::take(&mut self.kind) {
            Kind::Categorical { observed, .. } => observed,
            _ => Vec::new(),
        };
        let (dlow, dhigh, step, log) = match d {
            Distribution::Categorical(c) => {
                let n_choices = c.choices().len();
                let n_kernels = obs.len() + 1;
                let base = s.prior_weight / n_kernels as f64;
                let row = n_choices as f64 * base + 1.0;
                observed.clear();
                observed.extend(obs.iter().map(|&x| x as u32));
                self.kind = Kind::Categorical {
                    n_choices,
                    observed,
                    log_hit: ((base + 1.0) / row).ln(),
                    log_miss: (base / row).ln(),
                    base,
                };
                self.low = 0.0;
                self.high = 0.0;
                self.mus.clear();
                self.sigmas.clear();
                self.inv_sigmas.clear();
                self.dlow = 0.0;
                self.dhigh = n_choices as f64 - 1.0;
                return;
            }
            Distribution::Float(f) => (f.low(), f.high(), f.step(), f.is_log()),
            Distribution::Int(i) => (i.low() as f64, i.high() as f64, Some(i.step() as f64), i.is_log()),
        };
        let (mut low, mut high) = (dlow, dhigh);
        if let Some(st) = step {
            low -= st / 2.0;
            high += st / 2.0;
        }
        let mus = &mut self.mus;
        mus.clear();
        mus.extend_from_slice(obs);
        if log {
            low = low.ln();
            high = high.ln();
            for m in mus.iter_mut() {
                *m = m.ln();
            }
        }
        self.kind = match step {
            Some(step) => Kind::Discrete { step, log, dlow, dhigh },
            None => Kind::Continuous { log },
        };
        let range = high - low;
        // Optuna 5.0 uses the neighbour rule in every mode (its multivariate Scott rule is gone).
        let sigmas = &mut self.sigmas;
        univariate_sigmas_into(mus, order, low, high, s.consider_endpoints, sigmas, &mut self.sorted);
        let max_sigma = range;
        let min_sigma = if s.consider_magic_clip { range / (100.0f64).min(1.0 + (obs.len() + 1) as f64) } else { EPS };
        for sg in sigmas.iter_mut() {
            *sg = sg.clamp(min_sigma.min(max_sigma), max_sigma).max(f64::MIN_POSITIVE);
        }
        mus.push(0.5 * (low + high));
        sigmas.push(range.max(f64::MIN_POSITIVE));
        self.inv_sigmas.clear();
        self.inv_sigmas.extend(sigmas.iter().map(|s| 1.0 / s));
        // Padded with zeros to whole lanes for the blocked scoring (padding kernels have a
        // log constant of -inf, so they add nothing).
        let padded = sigmas.len().next_multiple_of(LANES);
        self.half_inv.clear();
        self.half_inv.extend(self.inv_sigmas.iter().map(|i| (i * std::f64::consts::FRAC_1_SQRT_2) as f32));
        self.half_inv.resize(padded, 0.0);
        self.neg_scaled_mus.clear();
        self.neg_scaled_mus
            .extend(mus.iter().zip(&self.inv_sigmas).map(|(m, i)| (-m * i * std::f64::consts::FRAC_1_SQRT_2) as f32));
        self.neg_scaled_mus.resize(padded, 0.0);
        self.low = low;
        self.high = high;
        self.dlow = dlow;
        self.dhigh = dhigh;
    }

    fn sample(&self, k: usize, rng: &mut TrialRng) -> f64 {
        let u = rng.uniform();
        match &self.kind {
            Kind::Categorical { n_choices, observed, base, .. } => {
                let n = *n_choices;
                let Some(&hit) = observed.get(k) else {
                    // The prior kernel is uniform.
                    return ((u * n as f64) as usize).min(n - 1) as f64;
                };
                let hit = hit as usize;
                let mut r = u * (n as f64 * base + 1.0);
                for j in 0..n {
                    let w = base + if j == hit { 1.0 } else { 0.0 };
                    if r < w {
                        return j as f64;
                    }
                    r -= w;
                }
                hit as f64
            }
            // Separate arms for log and linear ranges: with one arm and `if log`, the
            // compiler computes `exp` for every draw and picks afterwards.
            Kind::Continuous { log: false } => self.truncated(k, u).clamp(self.dlow, self.dhigh),
            Kind::Continuous { log: true } => self.truncated(k, u).exp().clamp(self.dlow, self.dhigh),
            Kind::Discrete { step, log: false, dlow, dhigh } => {
                let v = self.truncated(k, u);
                (dlow + ((v - dlow) / step).round() * step).clamp(*dlow, *dhigh)
            }
            Kind::Discrete { step, log: true, dlow, dhigh } => {
                let v = self.truncated(k, u).exp();
                (dlow + ((v - dlow) / step).round() * step).clamp(*dlow, *dhigh)
            }
        }
    }

    /// The `u`-quantile of kernel `k` (kernel space).
    fn truncated(&self, k: usize, u: f64) -> f64 {
        let (mu, sigma) = (self.mus[k], self.sigmas[k]);
        let a = (self.low - mu) / sigma;
        let b = (self.high - mu) / sigma;
        let z = match self.tails.get(k) {
            Some(&(pa, tail_b)) if !pa.is_nan() && a < b => {
                let pb = 1.0 - tail_b;
                let z = ndtri(pa + u * (pb - pa));
                if z.is_nan() { a } else { z.clamp(a, b) }
            }
            _ => truncnorm_ppf(u, a, b),
        };
        (mu + sigma * z).clamp(self.low, self.high)
    }

    /// A value in kernel space (log for log ranges).
    fn transform(&self, x: f64) -> f64 {
        match self.kind {
            Kind::Continuous { log: true } => x.ln(),
            _ => x,
        }
    }

    /// Adds `ln kernel_k(x)` (without the per-kernel normalizer) to `acc[k]` for every
    /// kernel `k`.
    fn add_log_kernel(&self, x: f64, acc: &mut [f64]) {
        let slots = acc.iter_mut();
        match &self.kind {
            Kind::Continuous { .. } => {
                let t = self.transform(x);
                for ((a, mu), inv) in slots.zip(&self.mus).zip(&self.inv_sigmas) {
                    let z = (t - mu) * inv;
                    *a -= 0.5 * z * z;
                }
            }
            Kind::Discrete { step, log, .. } => {
                let (lo, hi) = if *log {
                    ((x - step / 2.0).ln(), (x + step / 2.0).ln())
                } else {
                    (x - step / 2.0, x + step / 2.0)
                };
                let (lo, hi) = (lo.max(self.low), hi.min(self.high));
                for ((a, mu), inv) in slots.zip(&self.mus).zip(&self.inv_sigmas) {
                    *a += log_gauss_mass((lo - mu) * inv, (hi - mu) * inv);
                }
            }
            Kind::Categorical { n_choices, observed, log_hit, log_miss, .. } => {
                let idx = x as u32;
                let n_obs = observed.len();
                let mut slots = slots;
                for (a, &o) in slots.by_ref().take(n_obs).zip(observed) {
                    *a += if o == idx { *log_hit } else { *log_miss };
                }
                if let Some(a) = slots.next() {
                    *a -= (*n_choices as f64).ln();
                }
            }
        }
    }
}

/// Optuna 5.0's bandwidths: the larger gap to a sorted neighbour (the range's ends counted
/// as neighbours, the prior's centre not), the outermost observations using their inner gap
/// unless `consider_endpoints`.
#[cfg(test)]
fn univariate_sigmas(mus: &[f64], order: &[u32], low: f64, high: f64, consider_endpoints: bool) -> Vec<f64> {
    let (mut sigmas, mut sorted) = (Vec::new(), Vec::new());
    univariate_sigmas_into(mus, order, low, high, consider_endpoints, &mut sigmas, &mut sorted);
    sigmas
}

/// [`univariate_sigmas`] into reused buffers (`sorted` is scratch).
fn univariate_sigmas_into(
    mus: &[f64],
    order: &[u32],
    low: f64,
    high: f64,
    consider_endpoints: bool,
    sigmas: &mut Vec<f64>,
    sorted: &mut Vec<f64>,
) {
    let n = mus.len();
    debug_assert_eq!(order.len(), n);
    // [low, sorted mus..., high]
    sorted.clear();
    sorted.push(low);
    sorted.extend(order.iter().map(|&k| mus[k as usize]));
    sorted.push(high);
    sigmas.clear();
    sigmas.resize(n, 0.0);
    for (pos, w) in sorted.windows(3).enumerate() {
        sigmas[order[pos] as usize] = (w[1] - w[0]).max(w[2] - w[1]);
    }
    if !consider_endpoints && n >= 2 {
        sigmas[order[0] as usize] = sorted[2] - sorted[1];
        sigmas[order[n - 1] as usize] = sorted[n] - sorted[n - 1];
    }
}

/// Positions of `values` by increasing value, ties by position (what the observation cache
/// keeps incrementally).
#[cfg(test)]
fn sorted_order(values: &[f64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_unstable_by_key(|&i| (super::observations::order_key(values[i as usize]), i));
    order
}

#[cfg(test)]
mod tests {
    use super::continuous::exp_fast32;
    use super::*;
    use crate::space::{Categorical, Float, Int, ParamValue};

    fn settings(multivariate: bool) -> ParzenSettings {
        let _ = multivariate;
        ParzenSettings { prior_weight: 1.0, consider_magic_clip: true, consider_endpoints: false }
    }

    #[test]
    fn default_weights_ramp_up_to_the_newest_25() {
        assert_eq!(default_weights(3), vec![1.0; 3]);
        let w = default_weights(30);
        assert_eq!(w.len(), 30);
        assert!((w[0] - 1.0 / 30.0).abs() < 1e-15);
        assert!((w[4] - 1.0).abs() < 1e-15);
        assert!(w[..5].windows(2).all(|p| p[0] < p[1]));
        assert!(w[5..].iter().all(|&x| x == 1.0));
    }

    #[test]
    fn univariate_sigmas_follow_the_neighbour_rule() {
        // Observations 0.1, 0.3, 0.9 on [0, 1] (Optuna 5.0: the prior is not a neighbour).
        let mus = [0.9, 0.1, 0.3];
        let s = univariate_sigmas(&mus, &sorted_order(&mus), 0.0, 1.0, false);
        // sorted: 0 | 0.1 0.3 0.9 | 1; 0.1 (the first) takes its inner gap 0.2, 0.3 max(0.2, 0.6),
        // 0.9 (the last) its inner gap 0.6.
        let want = [0.6, 0.2, 0.6];
        for (a, b) in s.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{s:?}");
        }
    }

    #[test]
    fn single_precision_exp_matches_the_standard_exp() {
        for i in 0..=870 {
            let x = -(i as f32) / 10.0;
            let (a, b) = (exp_fast32(x) as f64, (x as f64).exp());
            assert!((a - b).abs() <= 1e-6 * b, "exp({x}): {a} vs {b}");
        }
    }

    #[test]
    fn single_precision_scores_match_double_precision() {
        let d = Distribution::from(Float::new(-5.0, 5.0));
        let l = Distribution::from(Float::log(1e-4, 1.0));
        let cols = vec![(0..300).map(|i| -5.0 + (i * 37 % 300) as f64 / 30.0).collect::<Vec<_>>(),
            (0..300).map(|i| 1e-4f64 * 10f64.powf((i * 53 % 300) as f64 / 75.0)).collect::<Vec<_>>()];
        let mut p = Parzen::new(&[&d, &l], &cols, &settings(true));
        let cands = vec![vec![-4.9, 0.0, 3.3, 5.0], vec![1e-4, 0.01, 0.5, 1.0]];
        let mut fast = [0.0; 4];
        p.log_pdf(&cands, &mut fast);
        let n = p.log_const.len();
        for c in 0..4 {
            let mut acc = p.log_const.clone();
            for (dim, col) in p.dims.iter().zip(&cands) {
                dim.add_log_kernel(col[c], &mut acc);
            }
            let exact = log_sum_exp(&mut acc);
            assert_eq!(acc.len(), n);
            assert!((fast[c] - exact).abs() < 1e-4 * exact.abs().max(1.0), "{} vs {exact}", fast[c]);
        }
    }

    #[test]
    fn continuous_density_integrates_to_one() {
        let d: Distribution = Float::new(-2.0, 3.0).into();
        let mut p = Parzen::new(&[&d], &[vec![-1.9, 0.5, 2.9, 1.0]], &settings(false));
        let n = 20000;
        let h = 5.0 / n as f64;
        let xs: Vec<f64> = (0..n).map(|i| -2.0 + (i as f64 + 0.5) * h).collect();
        let mut out = vec![0.0; n];
        p.log_pdf(&[xs], &mut out);
        let total: f64 = out.iter().map(|l| l.exp() * h).sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
    }

    #[test]
    fn multivariate_density_integrates_to_one() {
        let a: Distribution = Float::new(0.0, 1.0).into();
        let b: Distribution = Float::log(0.5, 2.0).into();
        let mut p = Parzen::new(&[&a, &b], &[vec![0.1, 0.5, 0.95], vec![0.6, 1.0, 1.9]], &settings(true));
        let n = 400;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let (lo, hi) = (0.5f64.ln(), 2.0f64.ln());
        for i in 0..n {
            for j in 0..n {
                xs.push((i as f64 + 0.5) / n as f64);
                ys.push((lo + (hi - lo) * (j as f64 + 0.5) / n as f64).exp());
            }
        }
        let mut out = vec![0.0; xs.len()];
        p.log_pdf(&[xs, ys], &mut out);
        // The density is in log space for the log range (no Jacobian).
        let cell = (hi - lo) / (n * n) as f64;
        let total: f64 = out.iter().map(|l| l.exp() * cell).sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
    }

    #[test]
    fn discrete_and_categorical_masses_sum_to_one() {
        let d: Distribution = Int::new(0, 10).into();
        let c: Distribution = Categorical::new(vec![ParamValue::Int(1), ParamValue::Int(2), ParamValue::Int(3)]).into();
        let mut p = Parzen::new(&[&d, &c], &[vec![0.0, 3.0, 10.0], vec![0.0, 2.0, 2.0]], &settings(true));
        let mut xs = (Vec::new(), Vec::new());
        for i in 0..=10 {
            for j in 0..3 {
                xs.0.push(i as f64);
                xs.1.push(j as f64);
            }
        }
        let mut out = vec![0.0; xs.0.len()];
        p.log_pdf(&[xs.0, xs.1], &mut out);
        let total: f64 = out.iter().map(|l| l.exp()).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        let l: Distribution = Int::log(1, 100).into();
        let mut p = Parzen::new(&[&l], &[vec![1.0, 7.0, 80.0]], &settings(false));
        let xs: Vec<f64> = (1..=100).map(|i| i as f64).collect();
        let mut out = vec![0.0; 100];
        p.log_pdf(&[xs], &mut out);
        let total: f64 = out.iter().map(|l| l.exp()).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn samples_lie_on_the_distribution() {
        let dists: Vec<Distribution> = vec![
            Float::log(1e-4, 1.0).into(),
            Float::stepped(0.0, 1.0, 0.25).into(),
            Int::log(1, 1000).into(),
            Int::stepped(-10, 10, 5).into(),
            Categorical::new(vec![ParamValue::Bool(true), ParamValue::Bool(false)]).into(),
        ];
        let refs: Vec<&Distribution> = dists.iter().collect();
        let cols = vec![vec![1e-3, 0.5], vec![0.25, 1.0], vec![3.0, 999.0], vec![-10.0, 5.0], vec![1.0, 1.0]];
        let mut rng = TrialRng::seed_from_u64(5);
        for multivariate in [true, false] {
            let p = Parzen::new(&refs, &cols, &settings(multivariate));
            let s = p.sample(&mut rng, 500);
            for (d, col) in dists.iter().zip(&s) {
                assert!(col.iter().all(|&x| d.contains(x)), "{d}: {col:?}");
            }
        }
    }
}
