//! Helpers shared by the samplers' unit tests.

use crate::error::Result;
use crate::sampler::Sampler;
use crate::space::Float;
use crate::study::{Optimize, Study};
use crate::trial::Trial;

/// The minimum of [`branin`] (reached at three points).
pub(crate) const BRANIN_MIN: f64 = 0.397_887_357_729_738;

/// A seeded in-memory study with `sampler`.
pub(crate) fn study(sampler: impl Sampler + 'static, seed: u64) -> Study {
    Study::builder().sampler(sampler).seed(seed).build().unwrap()
}

/// Runs `n` trials of `f` without a progress bar.
pub(crate) fn run<F>(study: &Study, n: u64, f: F)
where
    F: Fn(&mut Trial) -> Result<f64> + Sync,
{
    study.optimize_with(Optimize::trials(n).progress_bar(false), f).unwrap();
}

/// Branin-Hoo on `x` in [-5, 10], `y` in [0, 15].
pub(crate) fn branin(t: &mut Trial) -> Result<f64> {
    use std::f64::consts::PI;
    let x = t.suggest_float("x", Float::new(-5.0, 10.0))?;
    let y = t.suggest_float("y", Float::new(0.0, 15.0))?;
    let b = 5.1 / (4.0 * PI * PI);
    let c = 5.0 / PI;
    let r = 1.0 / (8.0 * PI);
    Ok((y - b * x * x + c * x - 6.0).powi(2) + 10.0 * (1.0 - r) * x.cos() + 10.0)
}
