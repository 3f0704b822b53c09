//! The Gaussian-process surrogate: Matern 5/2 kernel with one lengthscale per dimension
//! (ARD), a Hamming distance on categorical dimensions, a fitted noise term, and
//! hyperparameters chosen by maximizing the marginal likelihood plus a prior.
//!
//! Inputs live in `[0, 1]^d` (see `encode`), outputs are standardized by the caller. The
//! kernel is `k(a, b) = scale * m(r2)` with `r2 = sum_j ils_j * dist_j(a_j, b_j)`, where
//! `ils_j` is the inverse squared lengthscale, `dist_j` the squared difference (numeric) or
//! the indicator `a_j != b_j` (categorical), and `m(r2) = (1 + sqrt(5 r2) + 5/3 r2) *
//! exp(-sqrt(5 r2))`. The prior is Optuna's GPSampler prior (a Gamma-like prior on each
//! `ils_j`, Gamma(2, 1) on the scale, Gamma(1.1, 30) on the noise).

use faer::{Mat, Par, Side};

use super::lbfgs;
use crate::math::exp_fast;

/// Smallest noise variance (standardized units): keeps the kernel matrix well conditioned.
pub(crate) const MIN_NOISE: f64 = 1e-6;

/// Kernel hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KernelParams {
    /// Inverse squared lengthscale of each dimension.
    pub(crate) inv_sq_lengthscales: Vec<f64>,
    /// Signal variance.
    pub(crate) scale: f64,
    /// Observation noise variance (>= `MIN_NOISE`).
    pub(crate) noise: f64,
}

impl KernelParams {
    /// The starting point used without a previous fit (Optuna's: all ones).
    pub(crate) fn default_for(d: usize) -> Self {
        KernelParams { inv_sq_lengthscales: vec![1.0; d], scale: 1.0, noise: 1.0 }
    }
}

/// Matern 5/2 as a function of the squared scaled distance.
#[inline]
pub(crate) fn matern52(r2: f64) -> f64 {
    let s = (5.0 * r2).sqrt();
    (1.0 + s + 5.0 / 3.0 * r2) * exp_fast(-s)
}

/// `d matern52 / d r2`.
#[inline]
pub(crate) fn matern52_grad(r2: f64) -> f64 {
    let s = (5.0 * r2).sqrt();
    -5.0 / 6.0 * (1.0 + s) * exp_fast(-s)
}

/// Squared scaled distance between two encoded points.
#[inline]
fn scaled_sq_dist(a: &[f64], b: &[f64], ils: &[f64], categorical: &[bool]) -> f64 {
    let mut r2 = 0.0;
    for j in 0..a.len() {
        let diff = if categorical[j] { f64::from(u8::from(a[j] != b[j])) } else { (a[j] - b[j]) * (a[j] - b[j]) };
        r2 += ils[j] * diff;
    }
    r2
}

/// Kernel matrix of the training inputs (noise not added), lower and upper halves.
fn kernel_matrix(x: &[f64], d: usize, params: &KernelParams, categorical: &[bool]) -> Mat<f64> {
    let n = x.len() / d.max(1);
    let mut k = Mat::<f64>::zeros(n, n);
    for i in 0..n {
        k[(i, i)] = params.scale;
        for j in 0..i {
            let r2 = scaled_sq_dist(&x[i * d..(i + 1) * d], &x[j * d..(j + 1) * d], &params.inv_sq_lengthscales, categorical);
            let v = params.scale * matern52(r2);
            k[(i, j)] = v;
            k[(j, i)] = v;
        }
    }
    k
}

/// Cholesky factor of `k + noise * I`, adding jitter when the matrix is numerically not
/// positive definite. `None` if even large jitter fails (non-finite inputs).
fn cholesky(k: Mat<f64>, noise: f64, exact_from: usize) -> Option<Mat<f64>> {
    cholesky_with_jitter(k, noise, exact_from).map(|(l, _)| l)
}

/// [`cholesky`], also returning the jitter it had to add to the diagonal.
fn cholesky_with_jitter(mut k: Mat<f64>, noise: f64, exact_from: usize) -> Option<(Mat<f64>, f64)> {
    let n = k.nrows();
    for i in 0..n {
        k[(i, i)] += if i < exact_from { noise } else { MIN_NOISE };
    }
    let mean_diag = (0..n).map(|i| k[(i, i)]).sum::<f64>() / n.max(1) as f64;
    let mut jitter = 0.0;
    for attempt in 0..8 {
        if attempt > 0 {
            let next = mean_diag * 1e-10 * 10f64.powi(attempt);
            for i in 0..n {
                k[(i, i)] += next - jitter;
            }
            jitter = next;
        }
        if let Ok(llt) = k.llt(Side::Lower) {
            return Some((llt.L().to_owned(), jitter));
        }
    }
    None
}

/// Kernel values between the points `a` (rows) and `b` (columns), row-major inputs.
fn cross_kernel(a: &[f64], b: &[f64], d: usize, params: &KernelParams, categorical: &[bool]) -> Mat<f64> {
    let (na, nb) = (a.len() / d.max(1), b.len() / d.max(1));
    Mat::from_fn(na, nb, |i, j| {
        let r2 = scaled_sq_dist(&a[i * d..(i + 1) * d], &b[j * d..(j + 1) * d], &params.inv_sq_lengthscales, categorical);
        params.scale * matern52(r2)
    })
}

/// Negative log marginal likelihood plus negative log prior, and its gradient with
/// respect to the raw (log) parameters `[log ils_1..d, log scale, log(noise - MIN_NOISE)]`.
struct Objective<'a> {
    x: &'a [f64],
    y: &'a [f64],
    d: usize,
    categorical: &'a [bool],
    deterministic: bool,
}

impl Objective<'_> {
    fn params(&self, raw: &[f64]) -> KernelParams {
        let d = self.d;
        KernelParams {
            inv_sq_lengthscales: raw[..d].iter().map(|v| v.exp()).collect(),
            scale: raw[d].exp(),
            noise: if self.deterministic { MIN_NOISE } else { raw[d + 1].exp() + MIN_NOISE },
        }
    }

    fn raw(&self, p: &KernelParams) -> Vec<f64> {
        let mut raw: Vec<f64> = p.inv_sq_lengthscales.iter().map(|v| v.ln()).collect();
        raw.push(p.scale.ln());
        raw.push((p.noise - 0.99 * MIN_NOISE).max(1e-12).ln());
        raw
    }

    fn loss_and_grad(&self, raw: &[f64], grad: &mut [f64]) -> f64 {
        let (d, n) = (self.d, self.y.len());
        let p = self.params(raw);
        let k = kernel_matrix(self.x, d, &p, self.categorical);
        let Some(l) = cholesky(k, p.noise, n) else {
            return f64::NAN;
        };
        // alpha = K^-1 y; W = K^-1 - alpha alpha^T.
        let mut alpha = Mat::<f64>::from_fn(n, 1, |i, _| self.y[i]);
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(l.as_ref(), alpha.as_mut(), Par::Seq);
        let data_fit: f64 = (0..n).map(|i| alpha[(i, 0)] * alpha[(i, 0)]).sum();
        faer::linalg::triangular_solve::solve_upper_triangular_in_place(l.transpose(), alpha.as_mut(), Par::Seq);
        let log_det: f64 = (0..n).map(|i| l[(i, i)].ln()).sum();
        let mut nll = 0.5 * data_fit + log_det + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
        // K^-1 from the factor: (L L^T)^-1.
        let mut kinv = Mat::<f64>::identity(n, n);
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(l.as_ref(), kinv.as_mut(), Par::Seq);
        faer::linalg::triangular_solve::solve_upper_triangular_in_place(l.transpose(), kinv.as_mut(), Par::Seq);

        grad.iter_mut().for_each(|g| *g = 0.0);
        let ils = &p.inv_sq_lengthscales;
        let mut trace_wm = 0.0; // tr(W M), M the unit-scale kernel matrix
        let mut trace_w = 0.0;
        for i in 0..n {
            let a = alpha[(i, 0)];
            let w_ii = kinv[(i, i)] - a * a;
            trace_w += w_ii;
            trace_wm += w_ii; // m(0) = 1
            let xi = &self.x[i * d..(i + 1) * d];
            for k in 0..i {
                let w = 2.0 * (kinv[(i, k)] - a * alpha[(k, 0)]); // both triangles
                let xk = &self.x[k * d..(k + 1) * d];
                let r2 = scaled_sq_dist(xi, xk, ils, self.categorical);
                let s = (5.0 * r2).sqrt();
                let e = exp_fast(-s);
                trace_wm += w * (1.0 + s + 5.0 / 3.0 * r2) * e;
                let dm = w * (-5.0 / 6.0) * (1.0 + s) * e;
                for j in 0..d {
                    let diff = if self.categorical[j] {
                        f64::from(u8::from(xi[j] != xk[j]))
                    } else {
                        (xi[j] - xk[j]) * (xi[j] - xk[j])
                    };
                    grad[j] += dm * diff;
                }
            }
        }
        // d nll / d raw = 0.5 tr(W dK/d raw).
        for j in 0..d {
            grad[j] *= 0.5 * p.scale * ils[j];
        }
        grad[d] = 0.5 * trace_wm * p.scale;
        if !self.deterministic {
            grad[d + 1] = 0.5 * trace_w * (p.noise - MIN_NOISE);
        }
        // Prior (negative log density, constants dropped).
        for j in 0..d {
            nll += 0.1 / ils[j] + 0.1 * ils[j];
            grad[j] += -0.1 / ils[j] + 0.1 * ils[j];
        }
        nll -= p.scale.ln() - p.scale;
        grad[d] -= 1.0 - p.scale;
        if !self.deterministic {
            nll -= 0.1 * p.noise.ln() - 30.0 * p.noise;
            grad[d + 1] -= (0.1 / p.noise - 30.0) * (p.noise - MIN_NOISE);
        }
        nll
    }
}

/// Fits the kernel hyperparameters to `(x, y)` (`y` standardized), starting from `init`
/// (the previous fit, for a warm start) and from the default, keeping the better optimum.
pub(crate) fn fit(
    x: &[f64],
    y: &[f64],
    d: usize,
    categorical: &[bool],
    deterministic: bool,
    init: Option<&KernelParams>,
) -> KernelParams {
    let objective = Objective { x, y, d, categorical, deterministic };
    let default = KernelParams::default_for(d);
    let mut starts = Vec::with_capacity(2);
    if let Some(p) = init.filter(|p| p.inv_sq_lengthscales.len() == d) {
        starts.push(p.clone());
    }
    // A second start from the default guards against a warm start stuck in a poor local
    // optimum while the data are few; later the warm start is reliable and half the cost.
    if starts.is_empty() || (y.len() <= 30 && starts.first() != Some(&default)) {
        starts.push(default.clone());
    }
    // Wide boxes on the log parameters keep the factorization away from overflow.
    let mut lo = vec![(1e-4f64).ln(); d];
    let mut hi = vec![(1e5f64).ln(); d];
    lo.extend([(1e-3f64).ln(), (1e-12f64).ln()]);
    hi.extend([(1e3f64).ln(), (1e1f64).ln()]);
    let settings = lbfgs::Settings { gtol: 1e-2, ftol: 1e-9, max_iter: 60, memory: 10, max_backtracks: 30 };
    let mut best: Option<(f64, Vec<f64>)> = None;
    for start in &starts {
        let x0: Vec<f64> = objective.raw(start).iter().zip(lo.iter().zip(&hi)).map(|(v, (l, h))| v.clamp(*l, *h)).collect();
        let m = lbfgs::minimize(|raw, g| objective.loss_and_grad(raw, g), &x0, &lo, &hi, settings);
        if m.f.is_finite() && best.as_ref().is_none_or(|(f, _)| m.f < *f) {
            best = Some((m.f, m.x));
        }
    }
    match best {
        Some((_, raw)) => objective.params(&raw),
        None => default,
    }
}

/// A GP conditioned on data with fixed hyperparameters: posterior mean and variance.
#[derive(Debug, Clone)]
pub(crate) struct Posterior {
    x: Vec<f64>,
    d: usize,
    categorical: Vec<bool>,
    params: KernelParams,
    /// Lower Cholesky factor of `K + noise I`.
    l: Mat<f64>,
    /// Jitter the factorization added to the diagonal (kept when the factor is extended).
    jitter: f64,
    /// Points from this index on are observed without noise (believed pending trials).
    exact_from: usize,
    /// `K^-1 y`.
    alpha: Vec<f64>,
    /// Training inputs with numeric coordinates multiplied by `sqrt(ils)`, so that the
    /// squared distance to a likewise scaled point is a plain sum of squares.
    scaled: Vec<f64>,
    sqrt_ils: Vec<f64>,
    any_categorical: bool,
}

impl Posterior {
    /// Conditions the GP on `(x, y)`. `None` if the kernel matrix cannot be factored.
    pub(crate) fn new(x: Vec<f64>, y: &[f64], d: usize, categorical: Vec<bool>, params: KernelParams) -> Option<Self> {
        let n = y.len();
        Self::with_exact_tail(x, y, d, categorical, params, n)
    }

    /// As [`Posterior::new`], the points from index `exact_from` on observed without noise
    /// (believed values of pending trials).
    fn with_exact_tail(x: Vec<f64>, y: &[f64], d: usize, categorical: Vec<bool>, params: KernelParams, exact_from: usize) -> Option<Self> {
        let k = kernel_matrix(&x, d, &params, &categorical);
        let (l, jitter) = cholesky_with_jitter(k, params.noise, exact_from)?;
        Some(Self::assemble(x, y, d, categorical, params, l, jitter, exact_from))
    }

    /// Builds the posterior around a finished factor `l` of the kernel matrix of `x`.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        x: Vec<f64>,
        y: &[f64],
        d: usize,
        categorical: Vec<bool>,
        params: KernelParams,
        l: Mat<f64>,
        jitter: f64,
        exact_from: usize,
    ) -> Self {
        let n = y.len();
        let mut a = Mat::<f64>::from_fn(n, 1, |i, _| y[i]);
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(l.as_ref(), a.as_mut(), Par::Seq);
        faer::linalg::triangular_solve::solve_upper_triangular_in_place(l.transpose(), a.as_mut(), Par::Seq);
        let alpha = (0..n).map(|i| a[(i, 0)]).collect();
        let sqrt_ils: Vec<f64> = params.inv_sq_lengthscales.iter().map(|v| v.sqrt()).collect();
        // Dimension-major (d rows of n): the distance loops then run over contiguous
        // training points and vectorize.
        let mut scaled = vec![0.0; n * d];
        for (i, row) in x.chunks_exact(d.max(1)).enumerate() {
            for j in 0..d {
                scaled[j * n + i] = row[j] * sqrt_ils[j];
            }
        }
        let any_categorical = categorical.iter().any(|c| *c);
        Posterior { x, d, categorical, params, l, jitter, exact_from, alpha, scaled, sqrt_ils, any_categorical }
    }

    /// The training inputs (row-major, `d` per row).
    pub(crate) fn inputs(&self) -> &[f64] {
        &self.x
    }

    /// This posterior with the points `extra` appended (observed without noise when
    /// `exact`) and every target replaced by `targets_all` (current points first), the
    /// hyperparameters kept. The Cholesky factor is extended block-wise in O(n^2 m) for m
    /// new points instead of refactored in O(n^3): the same factor up to rounding.
    /// `None` if the new block is not positive definite (the caller refactors).
    pub(crate) fn extended(&self, extra: &[f64], targets_all: &[f64], exact: bool) -> Option<Self> {
        let (n, d) = (self.n(), self.d);
        let m = extra.len() / d.max(1);
        if targets_all.len() != n + m || (!exact && self.exact_from < n) {
            return None;
        }
        // [L11 0; L21 L22] with L21^T = L11^-1 K12 and L22 L22^T = K22 + diag - L21 L21^T.
        let mut b = cross_kernel(&self.x, extra, d, &self.params, &self.categorical);
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(self.l.as_ref(), b.as_mut(), Par::Seq);
        let mut s = cross_kernel(extra, extra, d, &self.params, &self.categorical);
        let diag = if exact { MIN_NOISE } else { self.params.noise } + self.jitter;
        for i in 0..m {
            s[(i, i)] += diag;
        }
        s -= b.transpose() * &b;
        let l22 = s.llt(Side::Lower).ok()?.L().to_owned();
        let mut l = Mat::<f64>::zeros(n + m, n + m);
        l.as_mut().submatrix_mut(0, 0, n, n).copy_from(self.l.as_ref());
        l.as_mut().submatrix_mut(n, 0, m, n).copy_from(b.transpose());
        l.as_mut().submatrix_mut(n, n, m, m).copy_from(l22.as_ref());
        let mut x = self.x.clone();
        x.extend_from_slice(extra);
        let exact_from = if exact { self.exact_from.min(n) } else { n + m };
        Some(Self::assemble(x, targets_all, d, self.categorical.clone(), self.params.clone(), l, self.jitter, exact_from))
    }

    /// This posterior with new targets for the same inputs (a new standardization).
    pub(crate) fn retargeted(&self, targets: &[f64]) -> Self {
        Self::assemble(self.x.clone(), targets, self.d, self.categorical.clone(), self.params.clone(), self.l.clone(), self.jitter, self.exact_from)
    }

    /// The hyperparameters this posterior uses.
    pub(crate) fn params(&self) -> &KernelParams {
        &self.params
    }

    fn n(&self) -> usize {
        self.alpha.len()
    }

    /// Posterior means and variances (noise-free) of many points (row-major, `d` per row).
    pub(crate) fn predict_batch(&self, points: &[f64], means: &mut Vec<f64>, vars: &mut Vec<f64>) {
        let (n, d) = (self.n(), self.d);
        let m = points.len() / d.max(1);
        let ils = &self.params.inv_sq_lengthscales;
        let mut kc = Mat::<f64>::zeros(n, m);
        means.clear();
        let mut r2 = vec![0.0; n];
        for c in 0..m {
            let p = &points[c * d..(c + 1) * d];
            let col = kc.col_mut(c).try_as_col_major_mut().expect("a fresh matrix is column-major").as_slice_mut();
            let mut mean = 0.0;
            if self.any_categorical {
                for i in 0..n {
                    let v = self.params.scale * matern52(scaled_sq_dist(p, &self.x[i * d..(i + 1) * d], ils, &self.categorical));
                    col[i] = v;
                    mean += v * self.alpha[i];
                }
            } else {
                r2.iter_mut().for_each(|v| *v = 0.0);
                for (j, column) in self.scaled.chunks_exact(n.max(1)).enumerate() {
                    let q = p[j] * self.sqrt_ils[j];
                    for (acc, a) in r2.iter_mut().zip(column) {
                        *acc += (a - q) * (a - q);
                    }
                }
                for (v, r) in col.iter_mut().zip(&r2) {
                    *v = self.params.scale * matern52(*r);
                }
                mean = col.iter().zip(&self.alpha).map(|(v, a)| v * a).sum();
            }
            means.push(mean);
        }
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(self.l.as_ref(), kc.as_mut(), Par::Seq);
        vars.clear();
        for c in 0..m {
            let col = kc.col(c).try_as_col_major().expect("column-major").as_slice();
            let explained: f64 = col.iter().map(|v| v * v).sum();
            vars.push((self.params.scale - explained).max(0.0));
        }
    }

    /// Posterior mean and variance of one point with their gradients (zero along
    /// categorical dimensions).
    pub(crate) fn predict_with_grad(&self, point: &[f64], dmean: &mut [f64], dvar: &mut [f64]) -> (f64, f64) {
        let (n, d) = (self.n(), self.d);
        let ils = &self.params.inv_sq_lengthscales;
        let mut k = Mat::<f64>::zeros(n, 1);
        let mut dk_dr2 = vec![0.0; n];
        let mut mean = 0.0;
        for i in 0..n {
            let r2 = scaled_sq_dist(point, &self.x[i * d..(i + 1) * d], ils, &self.categorical);
            k[(i, 0)] = self.params.scale * matern52(r2);
            dk_dr2[i] = self.params.scale * matern52_grad(r2);
            mean += k[(i, 0)] * self.alpha[i];
        }
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(self.l.as_ref(), k.as_mut(), Par::Seq);
        let explained: f64 = (0..n).map(|i| k[(i, 0)] * k[(i, 0)]).sum();
        let var = (self.params.scale - explained).max(0.0);
        // w = K^-1 k
        faer::linalg::triangular_solve::solve_upper_triangular_in_place(self.l.transpose(), k.as_mut(), Par::Seq);
        dmean.iter_mut().for_each(|v| *v = 0.0);
        dvar.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            let xi = &self.x[i * d..(i + 1) * d];
            let (a, w) = (self.alpha[i] * dk_dr2[i], -2.0 * k[(i, 0)] * dk_dr2[i]);
            for j in 0..d {
                if !self.categorical[j] {
                    let dr2 = 2.0 * ils[j] * (point[j] - xi[j]);
                    dmean[j] += a * dr2;
                    dvar[j] += w * dr2;
                }
            }
        }
        (mean, var)
    }

    /// Extends the training set with `extra` points, observed without noise, keeping the
    /// hyperparameters (conditions on pending trials). `targets_all` holds the targets of
    /// the current points followed by those of the extra ones.
    pub(crate) fn with_extra(&self, extra: &[f64], targets_all: &[f64]) -> Option<Self> {
        if let Some(p) = self.extended(extra, targets_all, true) {
            return Some(p);
        }
        let n = self.n();
        let mut x = self.x.clone();
        x.extend_from_slice(extra);
        Posterior::with_exact_tail(x, targets_all, self.d, self.categorical.clone(), self.params.clone(), n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matern_gradient_matches_finite_differences() {
        for r2 in [1e-3, 0.1, 0.7, 3.0] {
            let h = 1e-6;
            let fd = (matern52(r2 + h) - matern52(r2 - h)) / (2.0 * h);
            assert!((fd - matern52_grad(r2)).abs() < 1e-6, "{r2}");
        }
        assert_eq!(matern52(0.0), 1.0);
    }

    #[test]
    fn posterior_matches_the_closed_form_on_two_points() {
        // Two observations, one dimension: mean and variance by hand (2x2 inverse).
        let params = KernelParams { inv_sq_lengthscales: vec![4.0], scale: 1.5, noise: 0.01 };
        let x = vec![0.2, 0.7];
        let y = [1.0, -0.5];
        let post = Posterior::new(x.clone(), &y, 1, vec![false], params.clone()).unwrap();
        let k = |a: f64, b: f64| 1.5 * matern52(4.0 * (a - b) * (a - b));
        let (k11, k12, k22) = (k(0.2, 0.2) + 0.01, k(0.2, 0.7), k(0.7, 0.7) + 0.01);
        let det = k11 * k22 - k12 * k12;
        let inv = [[k22 / det, -k12 / det], [-k12 / det, k11 / det]];
        let q = 0.45;
        let ks = [k(q, 0.2), k(q, 0.7)];
        let alpha = [inv[0][0] * y[0] + inv[0][1] * y[1], inv[1][0] * y[0] + inv[1][1] * y[1]];
        let mean = ks[0] * alpha[0] + ks[1] * alpha[1];
        let quad = ks[0] * (inv[0][0] * ks[0] + inv[0][1] * ks[1]) + ks[1] * (inv[1][0] * ks[0] + inv[1][1] * ks[1]);
        let var = 1.5 - quad;
        let (mut means, mut vars) = (Vec::new(), Vec::new());
        post.predict_batch(&[q], &mut means, &mut vars);
        assert!((means[0] - mean).abs() < 1e-12, "{} vs {mean}", means[0]);
        assert!((vars[0] - var).abs() < 1e-12, "{} vs {var}", vars[0]);
        let (mut dm, mut dv) = ([0.0], [0.0]);
        let (m1, v1) = post.predict_with_grad(&[q], &mut dm, &mut dv);
        assert!((m1 - mean).abs() < 1e-12 && (v1 - var).abs() < 1e-12);
        // Gradients against finite differences.
        let h = 1e-6;
        let (mut a, mut b) = ([0.0], [0.0]);
        let (mp, vp) = post.predict_with_grad(&[q + h], &mut a, &mut b);
        let (mm, vm) = post.predict_with_grad(&[q - h], &mut a, &mut b);
        assert!((dm[0] - (mp - mm) / (2.0 * h)).abs() < 1e-5);
        assert!((dv[0] - (vp - vm) / (2.0 * h)).abs() < 1e-5);
        // Near an observation the variance is about the noise level, far away the prior.
        post.predict_batch(&[0.2, 50.0], &mut means, &mut vars);
        assert!(vars[0] < 0.02 && (vars[1] - 1.5).abs() < 1e-9);
    }

    #[test]
    fn an_extended_posterior_predicts_like_a_refactored_one() {
        // 30 noisy points, then 7 more noisy ones and 3 exact (pending) ones appended.
        let d = 3;
        let mut rng = crate::rng::TrialRng::seed_from_u64(7);
        let x: Vec<f64> = (0..40 * d).map(|_| rng.uniform()).collect();
        let y: Vec<f64> = (0..40).map(|i| (x[i * d] * 6.0).sin() + x[i * d + 1] - x[i * d + 2] * x[i * d + 2]).collect();
        let categorical = vec![false, false, true];
        let params = KernelParams { inv_sq_lengthscales: vec![4.0, 1.5, 0.7], scale: 1.3, noise: 1e-3 };
        let base = Posterior::new(x[..30 * d].to_vec(), &y[..30], d, categorical.clone(), params.clone()).unwrap();
        let grown = base.extended(&x[30 * d..37 * d], &y[..37], false).unwrap();
        let full = Posterior::new(x[..37 * d].to_vec(), &y[..37], d, categorical.clone(), params.clone()).unwrap();
        let pending = grown.with_extra(&x[37 * d..], &y).unwrap();
        let full_pending = Posterior::with_exact_tail(x.clone(), &y, d, categorical, params, 37).unwrap();
        let probes: Vec<f64> = (0..20 * d).map(|_| rng.uniform()).collect();
        for (a, b) in [(&grown, &full), (&pending, &full_pending)] {
            let (mut ma, mut va, mut mb, mut vb) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            a.predict_batch(&probes, &mut ma, &mut va);
            b.predict_batch(&probes, &mut mb, &mut vb);
            for i in 0..20 {
                assert!((ma[i] - mb[i]).abs() < 1e-8 && (va[i] - vb[i]).abs() < 1e-8, "{i}: {} {} vs {} {}", ma[i], va[i], mb[i], vb[i]);
            }
        }
        // New targets for the same inputs (a new standardization) without refactoring.
        let shifted: Vec<f64> = y[..37].iter().map(|v| 2.0 * v - 1.0).collect();
        let (mut ma, mut va, mut mb, mut vb) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        grown.retargeted(&shifted).predict_batch(&probes, &mut ma, &mut va);
        let fresh = Posterior::new(x[..37 * d].to_vec(), &shifted, d, vec![false, false, true], grown.params().clone()).unwrap();
        fresh.predict_batch(&probes, &mut mb, &mut vb);
        assert!(ma.iter().zip(&mb).all(|(a, b)| (a - b).abs() < 1e-8));
    }

    #[test]
    fn likelihood_gradient_matches_finite_differences() {
        let x = vec![0.1, 0.9, 0.4, 0.3, 0.8, 0.2, 0.5, 0.5, 0.95, 0.05];
        let y = [0.3, -1.2, 0.8, 0.1, -0.4];
        let cats = [false, true];
        for deterministic in [false, true] {
            let obj = Objective { x: &x, y: &y, d: 2, categorical: &cats, deterministic };
            let raw = vec![0.3, -0.5, 0.2, -2.0];
            let mut g = vec![0.0; 4];
            obj.loss_and_grad(&raw, &mut g);
            for i in 0..(if deterministic { 3 } else { 4 }) {
                let h = 1e-6;
                let (mut a, mut b) = (raw.clone(), raw.clone());
                a[i] += h;
                b[i] -= h;
                let mut tmp = vec![0.0; 4];
                let fd = (obj.loss_and_grad(&a, &mut tmp) - obj.loss_and_grad(&b, &mut tmp)) / (2.0 * h);
                assert!((fd - g[i]).abs() < 1e-5 * fd.abs().max(1.0), "param {i}: fd {fd} vs {}", g[i]);
            }
        }
    }

    #[test]
    fn fit_finds_a_short_lengthscale_for_a_wiggly_dimension() {
        // y depends quickly on dim 0 and not at all on dim 1.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..30 {
            let a = (i as f64 * 0.618_033_988_7).fract();
            let b = (i as f64 * 0.414_213_562_3).fract();
            x.extend([a, b]);
            y.push((8.0 * a).sin());
        }
        let mean = y.iter().sum::<f64>() / 30.0;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 30.0).sqrt();
        let ys: Vec<f64> = y.iter().map(|v| (v - mean) / sd).collect();
        let p = fit(&x, &ys, 2, &[false, false], false, None);
        assert!(p.inv_sq_lengthscales[0] > 10.0 * p.inv_sq_lengthscales[1], "{p:?}");
        assert!(p.noise < 0.05, "{p:?}");
    }
}
