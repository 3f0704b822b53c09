//! Acquisition functions: how much a candidate is worth evaluating, from the GP posterior.

use serde::{Deserialize, Serialize};

use crate::math::{erfc, erfcx, log_ndtr, ndtr};

const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
const SQRT_2: f64 = std::f64::consts::SQRT_2;
/// Added to the posterior variance before dividing by it (Optuna's stabilizing noise).
const STABILIZING_NOISE: f64 = 1e-12;

/// The acquisition function the GP sampler maximizes. All are stated for *maximization* of
/// the (standardized, direction-adjusted) objective; the sampler handles the direction.
///
/// ```
/// use bo_core::sampler::Acquisition;
/// // Expected improvement over 0 of N(0, 1): phi(0) = 0.3989...
/// assert!((Acquisition::Ei.value(0.0, 1.0, 0.0) - 0.398_942_28).abs() < 1e-8);
/// // Log-EI is its logarithm, accurate far into the tail where EI underflows.
/// assert!((Acquisition::LogEi.value(0.0, 1.0, 0.0) - 0.398_942_28f64.ln()).abs() < 1e-8);
/// assert!(Acquisition::LogEi.value(-40.0, 1.0, 0.0).is_finite());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Acquisition {
    /// Logarithm of expected improvement, computed stably in the tails (Ament et al.,
    /// "Unexpected Improvements to Expected Improvement", NeurIPS 2023). The default.
    #[default]
    LogEi,
    /// Expected improvement `E[max(f - best, 0)]` (Jones et al. 1998).
    Ei,
    /// Probability of improvement `P(f > best)` (Kushner 1964).
    Pi,
    /// Upper confidence bound `mean + sqrt(beta) * sd` (Srinivas et al. 2010).
    Ucb {
        /// Exploration weight (> 0).
        beta: f64,
    },
    /// Posterior variance alone: pure exploration, ignores the objective's values.
    MaxVariance,
}

/// `log(z Phi(z) + phi(z))`, the log of the standard normal's expected improvement over
/// `-z`, with `d/dz` of it.
fn log_h(z: f64) -> (f64, f64, f64) {
    // Returns (log h, Phi/h, phi/h).
    if z > -1.0 {
        let cdf = 0.5 * erfc(-z / SQRT_2);
        let pdf = FRAC_1_SQRT_2PI * (-0.5 * z * z).exp();
        let h = z * cdf + pdf;
        (h.ln(), cdf / h, pdf / h)
    } else {
        // h = exp(-z^2/2) (z r + c) with r = erfcx(-z / sqrt 2) / 2, c = 1/sqrt(2 pi):
        // no underflow however negative z gets.
        let r = 0.5 * erfcx(-z / SQRT_2);
        let scaled = z * r + FRAC_1_SQRT_2PI;
        let scaled = if scaled > 0.0 { scaled } else { FRAC_1_SQRT_2PI / (z * z) };
        (-0.5 * z * z + scaled.ln(), r / scaled, FRAC_1_SQRT_2PI / scaled)
    }
}

impl Acquisition {
    /// The acquisition value of a posterior `N(mean, var)` against the incumbent `best`.
    pub fn value(&self, mean: f64, var: f64, best: f64) -> f64 {
        self.value_and_grad(mean, var, best).0
    }

    /// The value and its derivatives with respect to `mean` and `var`.
    pub(crate) fn value_and_grad(&self, mean: f64, var: f64, best: f64) -> (f64, f64, f64) {
        let var = var.max(0.0) + STABILIZING_NOISE;
        let sd = var.sqrt();
        let z = (mean - best) / sd;
        match *self {
            Acquisition::LogEi => {
                let (lh, cdf_over_h, pdf_over_h) = log_h(z);
                // log EI = log sd + log h(z); d/d sd = phi(z) / (h sd).
                (sd.ln() + lh, cdf_over_h / sd, pdf_over_h / sd / (2.0 * sd))
            }
            Acquisition::Ei => {
                let cdf = ndtr(z);
                let pdf = FRAC_1_SQRT_2PI * (-0.5 * z * z).exp();
                let ei = sd * (z * cdf + pdf);
                (ei, cdf, pdf / (2.0 * sd))
            }
            Acquisition::Pi => {
                let cdf = ndtr(z);
                let pdf = FRAC_1_SQRT_2PI * (-0.5 * z * z).exp();
                (cdf, pdf / sd, -pdf * z / (2.0 * var))
            }
            Acquisition::Ucb { beta } => {
                let b = beta.sqrt();
                (mean + b * sd, 1.0, b / (2.0 * sd))
            }
            Acquisition::MaxVariance => (var, 0.0, 1.0),
        }
    }

    /// A monotone transform of the value that the optimizer maximizes: the logarithm for PI
    /// (so that its gradient does not vanish far from the incumbent), the value otherwise.
    pub(crate) fn search_value_and_grad(&self, mean: f64, var: f64, best: f64) -> (f64, f64, f64) {
        if let Acquisition::Pi = self {
            let var = var.max(0.0) + STABILIZING_NOISE;
            let sd = var.sqrt();
            let z = (mean - best) / sd;
            let log_cdf = log_ndtr(z);
            // d log Phi / dz = phi / Phi = exp(log phi - log Phi)
            let ratio = (-0.5 * z * z - 0.918_938_533_204_672_8 - log_cdf).exp();
            return (log_cdf, ratio / sd, -ratio * z / (2.0 * var));
        }
        self.value_and_grad(mean, var, best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal_cdf(z: f64) -> f64 {
        0.5 * erfc(-z / SQRT_2)
    }

    #[test]
    fn values_match_hand_computed_formulas() {
        let (mean, var, best) = (1.3, 0.25, 1.0);
        let sd: f64 = 0.5;
        let z: f64 = (mean - best) / sd; // 0.6
        let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let cdf = normal_cdf(z);
        // Reference values of Phi(0.6) and phi(0.6) from tables.
        assert!((cdf - 0.725_746_882_249_926_5).abs() < 1e-12);
        assert!((pdf - 0.333_224_602_891_799_6).abs() < 1e-12);
        let ei = (mean - best) * cdf + sd * pdf;
        assert!((Acquisition::Ei.value(mean, var, best) - ei).abs() < 1e-10);
        assert!((Acquisition::LogEi.value(mean, var, best) - ei.ln()).abs() < 1e-10);
        assert!((Acquisition::Pi.value(mean, var, best) - cdf).abs() < 1e-10);
        assert!((Acquisition::Ucb { beta: 4.0 }.value(mean, var, best) - (1.3 + 2.0 * 0.5)).abs() < 1e-10);
        assert!((Acquisition::MaxVariance.value(mean, var, best) - 0.25).abs() < 1e-10);
    }

    #[test]
    fn log_ei_is_accurate_far_in_the_lower_tail() {
        // For z -> -inf, h(z) ~ phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6).
        for z in [-5.0f64, -12.0, -30.0, -100.0] {
            let series = 1.0 - 3.0 / z.powi(2) + 15.0 / z.powi(4) - 105.0 / z.powi(6) + 945.0 / z.powi(8);
            let expected = -0.5 * z * z - 0.5 * (2.0 * std::f64::consts::PI).ln() - 2.0 * z.abs().ln() + series.ln();
            let got = Acquisition::LogEi.value(z, 1.0, 0.0);
            let tol = if z > -10.0 { 1e-3 } else { 1e-8 };
            assert!((got - expected).abs() < tol * expected.abs(), "z={z}: {got} vs {expected}");
        }
        // Continuous across the branch switch at z = -1.
        let a = Acquisition::LogEi.value(-1.0 - 1e-9, 1.0, 0.0);
        let b = Acquisition::LogEi.value(-1.0 + 1e-9, 1.0, 0.0);
        assert!((a - b).abs() < 1e-7);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let acqs = [Acquisition::LogEi, Acquisition::Ei, Acquisition::Pi, Acquisition::Ucb { beta: 2.0 }, Acquisition::MaxVariance];
        for acq in acqs {
            for &(mean, var) in &[(0.2, 0.3), (-3.0, 0.04), (-20.0, 0.5), (1.5, 2.0)] {
                let h = 1e-7;
                let (_, dm, dv) = acq.search_value_and_grad(mean, var, 0.5);
                let fd_m = (acq.search_value_and_grad(mean + h, var, 0.5).0 - acq.search_value_and_grad(mean - h, var, 0.5).0) / (2.0 * h);
                let fd_v = (acq.search_value_and_grad(mean, var + h, 0.5).0 - acq.search_value_and_grad(mean, var - h, 0.5).0) / (2.0 * h);
                assert!((dm - fd_m).abs() < 1e-4 * fd_m.abs().max(1.0), "{acq:?} {mean} {var}: dmean {dm} vs {fd_m}");
                assert!((dv - fd_v).abs() < 1e-4 * fd_v.abs().max(1.0), "{acq:?} {mean} {var}: dvar {dv} vs {fd_v}");
            }
        }
    }
}
