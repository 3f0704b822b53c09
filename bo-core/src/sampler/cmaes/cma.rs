//! The CMA-ES distribution and its update, on the unit cube `[0, 1]^n`.
//!
//! Hansen's standard CMA-ES ("The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772,
//! 2016) with the settings of the `cmaes` library's `CMA` class that Optuna drives: weights
//! with negative values for the worse half (active covariance update, eq. 49-53), cumulative
//! step-size adaptation, rank-one and rank-mu updates, `h_sigma` stalling of the rank-one path,
//! bounds handled by resampling (then clipping), and `cmaes`' termination criteria for restarts.

use std::sync::Arc;

use crate::rng::TrialRng;

use super::eigen::symmetric_eigen;

/// Floor of the covariance eigenvalues and guard of the negative-weight normalization.
const EPS: f64 = 1e-8;
/// Largest step size.
const SIGMA_MAX: f64 = 1e32;
/// Range of recent best and worst values below which the search has converged.
const TOL_FUN: f64 = 1e-12;
/// Step size times the largest axis above which the search diverges.
const TOL_X_UP: f64 = 1e4;
/// Condition number of the covariance beyond which the search stops.
const TOL_CONDITION: f64 = 1e14;

/// The constants of CMA-ES for a dimension and population size (tutorial, table 1).
#[derive(Debug)]
pub(super) struct Strategy {
    n: usize,
    lambda: usize,
    mu: usize,
    mu_eff: f64,
    /// Recombination weights: positive for the best `mu`, negative for the rest.
    weights: Vec<f64>,
    weight_sum: f64,
    c1: f64,
    cmu: f64,
    c_sigma: f64,
    d_sigma: f64,
    cc: f64,
    /// Expected norm of an `n`-dimensional standard normal vector.
    chi_n: f64,
    /// Generations of best/worst values kept for the flat-fitness criterion.
    funhist_term: usize,
}

impl Strategy {
    /// The constants for dimension `n >= 1` and population size `lambda >= 2`.
    pub(super) fn new(n: usize, lambda: usize) -> Strategy {
        let nf = n as f64;
        let mu = lambda / 2;
        let prime: Vec<f64> = (0..lambda).map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - ((i + 1) as f64).ln()).collect();
        let eff = |w: &[f64]| {
            let s: f64 = w.iter().sum();
            let s2: f64 = w.iter().map(|x| x * x).sum();
            s * s / s2
        };
        let mu_eff = eff(&prime[..mu]);
        let mu_eff_minus = eff(&prime[mu..]);
        let alpha_cov = 2.0;
        let c1 = alpha_cov / ((nf + 1.3).powi(2) + mu_eff);
        let cmu = (1.0 - c1 - 1e-8)
            .min(alpha_cov * (mu_eff - 2.0 + 1.0 / mu_eff) / ((nf + 2.0).powi(2) + alpha_cov * mu_eff / 2.0))
            .max(0.0);
        // With cmu = 0 (populations of 2 or 3) the first and last bounds are infinite.
        let min_alpha = (1.0 + c1 / cmu)
            .min(1.0 + 2.0 * mu_eff_minus / (mu_eff + 2.0))
            .min((1.0 - c1 - cmu) / (nf * cmu));
        let positive: f64 = prime.iter().filter(|w| **w > 0.0).sum();
        let negative: f64 = prime.iter().filter(|w| **w < 0.0).map(|w| -w).sum();
        let weights: Vec<f64> =
            prime.iter().map(|&w| if w >= 0.0 { w / positive } else { min_alpha / negative * w }).collect();
        let c_sigma = (mu_eff + 2.0) / (nf + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let cc = (4.0 + mu_eff / nf) / (nf + 4.0 + 2.0 * mu_eff / nf);
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        let funhist_term = 10 + (30.0 * nf / lambda as f64).ceil() as usize;
        Strategy {
            n,
            lambda,
            mu,
            mu_eff,
            weight_sum: weights.iter().sum(),
            weights,
            c1,
            cmu,
            c_sigma,
            d_sigma,
            cc,
            chi_n,
            funhist_term,
        }
    }
}

/// One CMA-ES search distribution `N(mean, sigma^2 C)` on `[0, 1]^n` and its evolution paths.
#[derive(Debug, Clone)]
pub(super) struct Cma {
    s: Arc<Strategy>,
    mean: Vec<f64>,
    sigma: f64,
    /// Covariance, row-major.
    c: Vec<f64>,
    /// Eigenvectors of `c` (columns, row-major) and the square roots of its eigenvalues.
    b: Vec<f64>,
    d: Vec<f64>,
    p_sigma: Vec<f64>,
    pc: Vec<f64>,
    generation: u64,
    /// Best and worst value of the last `funhist_term` generations.
    funhist: Vec<f64>,
    tol_x: f64,
}

impl Cma {
    /// A distribution centred at `mean` with step size `sigma` (`> 0`), identity covariance
    /// and population size `lambda` (`>= 2`).
    pub(super) fn new(mean: Vec<f64>, sigma: f64, lambda: usize) -> Cma {
        let n = mean.len();
        let s = Arc::new(Strategy::new(n, lambda));
        let mut c = vec![0.0; n * n];
        for i in 0..n {
            c[i * n + i] = 1.0;
        }
        Cma {
            funhist: vec![f64::NAN; 2 * s.funhist_term],
            s,
            mean,
            sigma,
            b: c.clone(),
            c,
            d: vec![1.0; n],
            p_sigma: vec![0.0; n],
            pc: vec![0.0; n],
            generation: 0,
            tol_x: 1e-12 * sigma,
        }
    }

    /// Population size.
    pub(super) fn popsize(&self) -> usize {
        self.s.lambda
    }

    #[cfg(test)]
    /// Number of updates so far.
    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    #[cfg(test)]
    /// Step size.
    pub(super) fn sigma(&self) -> f64 {
        self.sigma
    }

    #[cfg(test)]
    /// Mean of the distribution.
    pub(super) fn mean(&self) -> &[f64] {
        &self.mean
    }

    fn draw(&self, rng: &mut TrialRng, z: &mut [f64], x: &mut [f64]) {
        let n = self.s.n;
        for (zi, di) in z.iter_mut().zip(&self.d) {
            *zi = rng.normal() * di;
        }
        for ((xi, row), m) in x.iter_mut().zip(self.b.chunks_exact(n)).zip(&self.mean) {
            let y: f64 = row.iter().zip(z.iter()).map(|(b, z)| b * z).sum();
            *xi = m + self.sigma * y;
        }
    }

    /// A candidate inside `[0, 1]^n`: drawn again up to `10 n` times while outside, then
    /// one more draw clipped onto the cube (the `cmaes` library's repair with Optuna's
    /// resampling budget).
    pub(super) fn sample(&self, rng: &mut TrialRng) -> Vec<f64> {
        let n = self.s.n;
        let mut z = vec![0.0; n];
        let mut x = vec![0.0; n];
        for _ in 0..10 * n {
            self.draw(rng, &mut z, &mut x);
            if x.iter().all(|v| (0.0..=1.0).contains(v)) {
                return x;
            }
        }
        self.draw(rng, &mut z, &mut x);
        for v in &mut x {
            *v = if v.is_nan() { 0.5 } else { v.clamp(0.0, 1.0) };
        }
        x
    }

    /// `C^{-1/2} v`.
    fn inv_sqrt_times(&self, v: &[f64], out: &mut [f64]) {
        let n = self.s.n;
        let mut t = vec![0.0; n];
        for (k, tk) in t.iter_mut().enumerate() {
            let s: f64 = (0..n).map(|i| self.b[i * n + k] * v[i]).sum();
            *tk = s / self.d[k];
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o = (0..n).map(|k| self.b[i * n + k] * t[k]).sum();
        }
    }

    /// Updates the distribution from one generation: `popsize` points with their losses
    /// (lower is better; ties keep the given order).
    pub(super) fn tell(&mut self, solutions: &[(&[f64], f64)]) {
        let s = self.s.clone();
        let n = s.n;
        debug_assert_eq!(solutions.len(), s.lambda);
        let mut order: Vec<usize> = (0..solutions.len()).collect();
        order.sort_by(|&a, &b| solutions[a].1.total_cmp(&solutions[b].1));
        self.generation += 1;
        let slot = 2 * (self.generation as usize % s.funhist_term);
        self.funhist[slot] = solutions[order[0]].1;
        self.funhist[slot + 1] = solutions[order[order.len() - 1]].1;

        // Steps y_k = (x_k - m) / sigma, best first.
        let ys: Vec<Vec<f64>> = order
            .iter()
            .map(|&k| solutions[k].0.iter().zip(&self.mean).map(|(x, m)| (x - m) / self.sigma).collect())
            .collect();
        let mut y_w = vec![0.0; n];
        for (y, w) in ys.iter().zip(&s.weights).take(s.mu) {
            for (a, v) in y_w.iter_mut().zip(y) {
                *a += w * v;
            }
        }
        for (m, v) in self.mean.iter_mut().zip(&y_w) {
            *m += self.sigma * v;
        }

        // Cumulative step-size adaptation.
        let mut c_y = vec![0.0; n];
        self.inv_sqrt_times(&y_w, &mut c_y);
        let k_sigma = (s.c_sigma * (2.0 - s.c_sigma) * s.mu_eff).sqrt();
        for (p, v) in self.p_sigma.iter_mut().zip(&c_y) {
            *p = (1.0 - s.c_sigma) * *p + k_sigma * v;
        }
        let norm_p_sigma = self.p_sigma.iter().map(|v| v * v).sum::<f64>().sqrt();
        self.sigma *= ((s.c_sigma / s.d_sigma) * (norm_p_sigma / s.chi_n - 1.0)).exp();
        self.sigma = self.sigma.min(SIGMA_MAX);

        // Covariance: rank-one path (stalled while p_sigma is long) and rank-mu update.
        let left = norm_p_sigma / (1.0 - (1.0 - s.c_sigma).powf(2.0 * (self.generation + 1) as f64)).sqrt();
        let h_sigma = if left < (1.4 + 2.0 / (n as f64 + 1.0)) * s.chi_n { 1.0 } else { 0.0 };
        let k_c = h_sigma * (s.cc * (2.0 - s.cc) * s.mu_eff).sqrt();
        for (p, v) in self.pc.iter_mut().zip(&y_w) {
            *p = (1.0 - s.cc) * *p + k_c * v;
        }
        let mut w_io = s.weights.clone();
        for (w, y) in w_io.iter_mut().zip(&ys) {
            if *w < 0.0 {
                self.inv_sqrt_times(y, &mut c_y);
                let norm2: f64 = c_y.iter().map(|v| v * v).sum();
                *w *= n as f64 / (norm2 + EPS);
            }
        }
        let delta_h_sigma = (1.0 - h_sigma) * s.cc * (2.0 - s.cc);
        let keep = 1.0 + s.c1 * delta_h_sigma - s.c1 - s.cmu * s.weight_sum;
        for i in 0..n {
            for j in 0..n {
                let rank_mu: f64 = w_io.iter().zip(&ys).map(|(w, y)| w * y[i] * y[j]).sum();
                let v = keep * self.c[i * n + j] + s.c1 * self.pc[i] * self.pc[j] + s.cmu * rank_mu;
                self.c[i * n + j] = v;
            }
        }
        self.decompose();
    }

    /// Eigendecomposition of `C` (eigenvalues floored at `EPS`), and `C` rebuilt from it so
    /// that it stays symmetric positive definite.
    fn decompose(&mut self) {
        let n = self.s.n;
        let (values, vectors) = symmetric_eigen(&self.c, n);
        self.d = values.iter().map(|&v| if v < 0.0 { EPS.sqrt() } else { v.sqrt() }).collect();
        self.b = vectors;
        for i in 0..n {
            for j in 0..n {
                self.c[i * n + j] = (0..n).map(|k| self.b[i * n + k] * self.d[k] * self.d[k] * self.b[j * n + k]).sum();
            }
        }
    }

    /// Whether the search has converged or stalled (the `cmaes` library's criteria): flat
    /// best and worst values over recent generations, a vanished step, a diverging step, a
    /// step too small to move the mean along a coordinate or a principal axis, or an
    /// ill-conditioned covariance.
    pub(super) fn should_stop(&self) -> bool {
        let s = &self.s;
        let n = s.n;
        let diag: Vec<f64> = (0..n).map(|i| self.c[i * n + i]).collect();
        if self.generation as usize > s.funhist_term {
            let (lo, hi) = self.funhist.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            if hi - lo < TOL_FUN {
                return true;
            }
        }
        if diag.iter().all(|c| self.sigma * c < self.tol_x) && self.pc.iter().all(|p| self.sigma * p < self.tol_x) {
            return true;
        }
        let d_max = self.d.iter().copied().fold(0.0, f64::max);
        let d_min = self.d.iter().copied().fold(f64::INFINITY, f64::min);
        if self.sigma * d_max > TOL_X_UP {
            return true;
        }
        if self.mean.iter().zip(&diag).any(|(m, c)| *m == m + 0.2 * self.sigma * c.sqrt()) {
            return true;
        }
        let axis = self.generation as usize % n;
        if (0..n).all(|i| self.mean[i] == self.mean[i] + 0.1 * self.sigma * self.d[axis] * self.b[i * n + axis]) {
            return true;
        }
        d_max / d_min > TOL_CONDITION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_constants_match_the_tutorial() {
        // n = 10: lambda = 4 + floor(3 ln 10) = 10, mu = 5.
        let s = Strategy::new(10, 10);
        assert_eq!((s.mu, s.lambda), (5, 10));
        let positive: f64 = s.weights[..5].iter().sum();
        assert!((positive - 1.0).abs() < 1e-15);
        assert!(s.weights[..5].windows(2).all(|w| w[0] > w[1]) && s.weights[5..].iter().all(|w| *w <= 0.0));
        // mu_eff = 1 / sum w_i^2 over the positive weights.
        let inv: f64 = 1.0 / s.weights[..5].iter().map(|w| w * w).sum::<f64>();
        assert!((s.mu_eff - inv).abs() < 1e-12, "{} vs {inv}", s.mu_eff);
        assert!((s.mu_eff - 3.167_299_281_410_702_6).abs() < 1e-12, "{}", s.mu_eff);
        // The `cmaes` library's weights for n = 10 (negative ones scaled by its alpha bound).
        let expected = [
            0.456_272_65, 0.270_753_1, 0.162_231_12, 0.085_233_55, 0.025_509_59, -0.085_320_86, -0.236_476_6,
            -0.367_413_66, -0.482_908_33, -0.586_221_83,
        ];
        for (w, e) in s.weights.iter().zip(expected) {
            assert!((w - e).abs() < 1e-8, "{:?}", s.weights);
        }
        assert!((s.cmu - 0.020_154_282_761_208_38).abs() < 1e-12, "{}", s.cmu);
        assert!((s.c1 - 2.0 / (11.3f64.powi(2) + s.mu_eff)).abs() < 1e-15);
        assert!((s.c_sigma - (s.mu_eff + 2.0) / (15.0 + s.mu_eff)).abs() < 1e-15);
        assert!((s.chi_n - 3.084_726_565_169_012_3).abs() < 1e-12, "{}", s.chi_n);
        assert!(s.c1 + s.cmu <= 1.0);
        // Small populations keep finite, usable constants.
        for lambda in [2, 3, 4] {
            let s = Strategy::new(1, lambda);
            assert!(s.weights.iter().all(|w| w.is_finite()) && s.cmu >= 0.0, "lambda {lambda}: {s:?}");
        }
    }

    fn run_sphere(n: usize, target: &[f64], gens: usize, seed: u64) -> Cma {
        let lambda = 4 + (3.0 * (n as f64).ln()).floor() as usize;
        let mut cma = Cma::new(vec![0.5; n], 1.0 / 6.0, lambda);
        let mut rng = TrialRng::seed_from_u64(seed);
        for _ in 0..gens {
            let xs: Vec<Vec<f64>> = (0..lambda).map(|_| cma.sample(&mut rng)).collect();
            let sols: Vec<(&[f64], f64)> = xs
                .iter()
                .map(|x| (x.as_slice(), x.iter().zip(target).map(|(a, b)| (a - b).powi(2)).sum::<f64>()))
                .collect();
            cma.tell(&sols);
        }
        cma
    }

    #[test]
    fn cma_converges_on_a_shifted_sphere_and_then_wants_to_stop() {
        let target = [0.3, 0.7, 0.55, 0.2, 0.9];
        let cma = run_sphere(5, &target, 150, 1);
        let dist: f64 = cma.mean().iter().zip(&target).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
        assert!(dist < 1e-6, "mean {:?} is {dist} away", cma.mean());
        assert!(cma.sigma() < 1e-5, "sigma {}", cma.sigma());
        assert_eq!(cma.generation(), 150);
        // Linear convergence continues until the flat-fitness criterion fires.
        let cma = run_sphere(5, &target, 600, 1);
        assert!(cma.should_stop());
        assert!(!run_sphere(5, &target, 5, 1).should_stop());
    }

    #[test]
    fn cma_learns_the_scaling_of_an_ill_conditioned_ellipsoid() {
        let n = 4;
        let mut cma = Cma::new(vec![0.5; n], 1.0 / 6.0, 8);
        let mut rng = TrialRng::seed_from_u64(5);
        let scale = [1.0, 10.0, 100.0, 1000.0];
        for _ in 0..300 {
            let xs: Vec<Vec<f64>> = (0..8).map(|_| cma.sample(&mut rng)).collect();
            let sols: Vec<(&[f64], f64)> = xs
                .iter()
                .map(|x| (x.as_slice(), x.iter().zip(&scale).map(|(v, s)| s * s * (v - 0.4).powi(2)).sum::<f64>()))
                .collect();
            cma.tell(&sols);
        }
        // The learned axes follow the scaling: C_ii grows as 1 / scale_i^2.
        let c = |i: usize| cma.c[i * n + i];
        let ratio = c(0) / c(3);
        assert!(ratio > 1e4 && ratio < 1e8, "C_00 / C_33 = {ratio}");
        assert!(cma.mean().iter().all(|m| (m - 0.4).abs() < 1e-3), "{:?}", cma.mean());
    }

    #[test]
    fn one_update_matches_the_cmaes_library() {
        // Seven fixed points on a scaled sphere, told to `cmaes.CMA(mean=[0.5]*3,
        // sigma=1/6, population_size=7)`; its mean, sigma and C afterwards (cmaes 0.13.1).
        let xs = [
            [0.852_810_469_193_532_8, 0.580_031_441_673_444_7, 0.695_747_596_821_147_8],
            [0.948_178_639_840_291_6, 0.873_511_598_029_993_5, 0.304_544_424_024_717_8],
            [0.690_017_683_505_117_9, 0.469_728_558_340_460_4, 0.479_356_229_641_288_43],
            [0.582_119_700_387_674_5, 0.528_808_714_232_175_6, 0.790_854_701_392_595_1],
            [0.652_207_545_029_398_7, 0.524_335_003_298_565_6, 0.588_772_646_549_085_1],
            [0.566_734_865_474_853_4, 0.798_815_814_631_521_2, 0.458_968_347_246_839_8],
            [0.562_613_540_330_180_3, 0.329_180_852_139_665_5, 0.0],
        ];
        let f = |x: &[f64; 3]| (x[0] - 0.3).powi(2) + 10.0 * (x[1] - 0.6).powi(2) + 100.0 * (x[2] - 0.2).powi(2);
        let mut cma = Cma::new(vec![0.5; 3], 1.0 / 6.0, 7);
        let sols: Vec<(&[f64], f64)> = xs.iter().map(|x| (x.as_slice(), f(x))).collect();
        cma.tell(&sols);
        let mean = [0.788_918_728_388_930_5, 0.705_041_325_841_120_6, 0.234_134_448_979_771_31];
        let c = [
            1.118_980_545_412_999, 0.147_946_093_797_345_77, -0.230_739_659_363_054_52,
            0.147_946_093_797_345_77, 1.225_046_652_906_003_6, -0.065_770_485_272_164_77,
            -0.230_739_659_363_054_52, -0.065_770_485_272_164_77, 1.029_268_090_913_460_4,
        ];
        for (a, b) in cma.mean().iter().zip(mean) {
            assert!((a - b).abs() < 1e-14, "mean {:?}", cma.mean());
        }
        assert!((cma.sigma() - 0.225_217_137_414_372_35).abs() < 1e-14, "sigma {}", cma.sigma());
        for (a, b) in cma.c.iter().zip(c) {
            assert!((a - b).abs() < 1e-13, "C {:?}", cma.c);
        }
    }

    #[test]
    fn samples_stay_inside_the_unit_cube() {
        // A mean on the boundary with a wide step: many draws fall outside and are redrawn
        // or clipped.
        let cma = Cma::new(vec![0.0, 1.0, 0.5], 2.0, 6);
        let mut rng = TrialRng::seed_from_u64(9);
        for _ in 0..500 {
            let x = cma.sample(&mut rng);
            assert!(x.iter().all(|v| (0.0..=1.0).contains(v)), "{x:?}");
        }
    }
}
