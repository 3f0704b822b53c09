//! From objective values to the GP's training targets and back: standardization, and
//! optionally a Yeo-Johnson power transform between two standardizations (as HEBO does).
//!
//! Objective values are often skewed: a Rosenbrock valley is a few units deep in a landscape
//! of thousands, a loss has a long tail of diverged runs. A stationary GP fitted to such
//! values spends its flexibility on the tail and models the region that matters, near the
//! optimum, as flat. A power transform with its exponent chosen by maximum likelihood
//! (the transformed values as normal as a power can make them) evens the spread out; the
//! transform is monotone, so the best trial stays the best and expected improvement keeps
//! its meaning in the transformed units.
//!
//! Reference: Yeo and Johnson, "A new family of power transformations to improve normality
//! or symmetry" (Biometrika, 2000); Cowen-Rivers et al., "HEBO: Pushing the Limits of
//! Sample-Efficient Hyperparameter Optimisation" (JAIR, 2022).

use serde::{Deserialize, Serialize};

/// How the GP turns objective values into its training targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutputTransform {
    /// Standardize (zero mean, unit variance), as Optuna's GPSampler does.
    Standardize,
    /// Standardize, apply the Yeo-Johnson power transform whose exponent makes the values
    /// most normal, standardize again. Far better on skewed objectives (Rosenbrock's
    /// valley, losses with diverged runs), no worse elsewhere. The default.
    #[default]
    YeoJohnson,
}

/// Below this many observations the exponent is not fitted (the identity is used).
const MIN_POINTS_FOR_POWER: usize = 3;

/// The exponent is searched in this interval (the identity is 1).
const LAMBDA_RANGE: (f64, f64) = (-3.0, 5.0);

/// Golden-section steps: the bracket shrinks to about 1e-3.
const LAMBDA_STEPS: usize = 20;

/// A fitted map between scores (objective values times the direction's sign, so larger is
/// better) and model targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    /// Objective value = `sign * score`.
    sign: f64,
    mean: f64,
    sd: f64,
    /// The power transform's exponent and the second standardization, if any.
    power: Option<Power>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Power {
    lambda: f64,
    mean: f64,
    sd: f64,
}

impl Scale {
    /// Fits the map to `scores` (larger is better) of an objective with `sign` (`1` to
    /// maximize, `-1` to minimize) and returns it with the targets.
    pub(crate) fn fit(scores: &[f64], sign: f64, transform: OutputTransform) -> (Scale, Vec<f64>) {
        let (mean, sd) = mean_sd(scores);
        let mut y: Vec<f64> = scores.iter().map(|v| (v - mean) / sd).collect();
        let mut power = None;
        if transform == OutputTransform::YeoJohnson && y.len() >= MIN_POINTS_FOR_POWER {
            let lambda = fit_lambda(&y);
            for v in y.iter_mut() {
                *v = yeo_johnson(*v, lambda);
            }
            let (m2, sd2) = mean_sd(&y);
            for v in y.iter_mut() {
                *v = (*v - m2) / sd2;
            }
            power = Some(Power { lambda, mean: m2, sd: sd2 });
        }
        (Scale { sign, mean, sd, power }, y)
    }

    /// The objective value of model target `z`.
    pub(crate) fn objective(&self, z: f64) -> f64 {
        let standardized = match self.power {
            Some(p) => inverse_yeo_johnson(z * p.sd + p.mean, p.lambda),
            None => z,
        };
        self.sign * (standardized * self.sd + self.mean)
    }

    /// The posterior at a point in objective units: the image of the mean `m` (the
    /// posterior median, as the map is monotone) and half the width of the image of
    /// `m ± sd` (exactly `sd` times the scale without a power transform).
    pub(crate) fn objective_band(&self, m: f64, sd: f64) -> (f64, f64) {
        let centre = self.objective(m);
        let half = 0.5 * (self.objective(m + sd) - self.objective(m - sd)).abs();
        (centre, half)
    }
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt().max(1e-10);
    (mean, sd)
}

/// The Yeo-Johnson transform: a Box-Cox power on `y + 1` for `y >= 0`, its mirror image
/// (exponent `2 - lambda`) on `1 - y` for `y < 0`. Monotone increasing; `lambda = 1` is
/// the identity.
pub(crate) fn yeo_johnson(y: f64, lambda: f64) -> f64 {
    if y >= 0.0 {
        if lambda.abs() < 1e-10 { y.ln_1p() } else { ((y + 1.0).powf(lambda) - 1.0) / lambda }
    } else {
        let mu = 2.0 - lambda;
        if mu.abs() < 1e-10 { -(-y).ln_1p() } else { -((1.0 - y).powf(mu) - 1.0) / mu }
    }
}

/// Inverse images are kept within this many standard deviations of the mean.
const MAX_STANDARDIZED: f64 = 1e6;

/// The inverse of [`yeo_johnson`]. Outside the transform's image (a posterior band beyond
/// every observation can reach there) and beyond [`MAX_STANDARDIZED`], that bound: a
/// value a million standard deviations out means "far off", and stays finite.
pub(crate) fn inverse_yeo_johnson(t: f64, lambda: f64) -> f64 {
    let y = if t >= 0.0 {
        if lambda.abs() < 1e-10 { t.exp_m1() } else { (lambda * t + 1.0).max(0.0).powf(1.0 / lambda) - 1.0 }
    } else {
        let mu = 2.0 - lambda;
        if mu.abs() < 1e-10 { -(-t).exp_m1() } else { 1.0 - (1.0 - mu * t).max(0.0).powf(1.0 / mu) }
    };
    if y.is_nan() { y } else { y.clamp(-MAX_STANDARDIZED, MAX_STANDARDIZED) }
}

/// The exponent maximizing the profile log-likelihood of normality,
/// `-n/2 ln var(T(y)) + (lambda - 1) sum sign(y) ln(1 + |y|)`, by golden-section search
/// (the likelihood is unimodal in practice).
fn fit_lambda(y: &[f64]) -> f64 {
    let n = y.len() as f64;
    let jacobian: f64 = y.iter().map(|v| v.signum() * v.abs().ln_1p()).sum();
    let log_likelihood = |lambda: f64| {
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for &v in y {
            let t = yeo_johnson(v, lambda);
            sum += t;
            sum_sq += t * t;
        }
        let mean = sum / n;
        let var = (sum_sq / n - mean * mean).max(1e-300);
        -0.5 * n * var.ln() + (lambda - 1.0) * jacobian
    };
    let golden = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = LAMBDA_RANGE;
    let mut c = b - golden * (b - a);
    let mut d = a + golden * (b - a);
    let (mut fc, mut fd) = (log_likelihood(c), log_likelihood(d));
    for _ in 0..LAMBDA_STEPS {
        if fc > fd {
            (b, d, fd) = (d, c, fc);
            c = b - golden * (b - a);
            fc = log_likelihood(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + golden * (b - a);
            fd = log_likelihood(d);
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yeo_johnson_matches_hand_computed_values_and_inverts() {
        // lambda = 0.5: y = 3 -> (4^0.5 - 1) / 0.5 = 2; y = -3 -> -(4^1.5 - 1) / 1.5 = -14/3.
        assert!((yeo_johnson(3.0, 0.5) - 2.0).abs() < 1e-15);
        assert!((yeo_johnson(-3.0, 0.5) + 14.0 / 3.0).abs() < 1e-14);
        // lambda = 0 and 2: logarithms on either side.
        assert!((yeo_johnson(std::f64::consts::E - 1.0, 0.0) - 1.0).abs() < 1e-15);
        assert!((yeo_johnson(1.0 - std::f64::consts::E, 2.0) + 1.0).abs() < 1e-15);
        for lambda in [-2.0, 0.0, 0.5, 1.0, 2.0, 3.5] {
            assert_eq!(yeo_johnson(0.7, 1.0), 0.7, "lambda = 1 is the identity");
            for y in [-20.0, -1.5, -0.1, 0.0, 0.3, 4.0, 50.0] {
                let back = inverse_yeo_johnson(yeo_johnson(y, lambda), lambda);
                assert!((back - y).abs() <= 1e-9 * y.abs().max(1.0), "lambda {lambda}, y {y}: {back}");
            }
        }
    }

    #[test]
    fn the_fitted_power_undoes_an_exponential_skew() {
        // Scores -exp(u) for u evenly in [0, 6]: a long lower tail, which the fitted power
        // (lambda > 1 compresses the negative side) mostly evens out.
        let scores: Vec<f64> = (0..200).map(|i| -(6.0 * i as f64 / 199.0).exp()).collect();
        let (scale, y) = Scale::fit(&scores, -1.0, OutputTransform::YeoJohnson);
        let skew = |v: &[f64]| {
            let (m, s) = mean_sd(v);
            v.iter().map(|x| ((x - m) / s).powi(3)).sum::<f64>() / v.len() as f64
        };
        let (_, plain) = Scale::fit(&scores, -1.0, OutputTransform::Standardize);
        assert!(skew(&plain) < -1.7, "the raw scores are skewed: {}", skew(&plain));
        assert!(skew(&y).abs() < skew(&plain).abs() / 3.0, "the transformed ones much less: {}", skew(&y));
        // scipy.stats.yeojohnson on the same standardized scores: lambda = 2.8886.
        let lambda = scale.power.map(|p| p.lambda).unwrap_or(1.0);
        assert!((lambda - 2.8886).abs() < 0.01, "lambda {lambda}");
        // Monotone: the order of the scores is kept, and the targets map back exactly.
        assert!(y.windows(2).all(|w| w[0] > w[1]));
        for (s, t) in scores.iter().zip(&y) {
            let value = scale.objective(*t);
            assert!((value - (-s)).abs() <= 1e-8 * s.abs(), "{value} vs {}", -s);
        }
    }

    #[test]
    fn standardize_is_linear_and_its_band_is_exact() {
        let scores = [1.0, 2.0, 4.0, 7.0];
        let (scale, y) = Scale::fit(&scores, 1.0, OutputTransform::Standardize);
        let (mean, sd) = mean_sd(&scores);
        for (s, t) in scores.iter().zip(&y) {
            assert!((t - (s - mean) / sd).abs() < 1e-15);
        }
        let (m, half) = scale.objective_band(0.5, 0.2);
        assert!((m - (0.5 * sd + mean)).abs() < 1e-12 && (half - 0.2 * sd).abs() < 1e-12);
        // Too few points for a power: plain standardization.
        let (two, _) = Scale::fit(&[1.0, 3.0], -1.0, OutputTransform::YeoJohnson);
        assert!(two.power.is_none());
    }
}
