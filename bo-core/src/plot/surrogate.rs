//! The surrogate picture of model-based samplers: posterior mean ± uncertainty along one
//! parameter, the acquisition function underneath, the observations as dots.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A one-parameter slice through a surrogate model (e.g. a Gaussian process), with the
/// acquisition function along the same slice. Filled by the sampler that owns the model;
/// validated by [`SurrogateSlice::validate`] before it is drawn.
///
/// ```
/// use bo_core::plot::SurrogateSlice;
/// let x: Vec<f64> = (0..=20).map(|i| i as f64 / 20.0).collect();
/// let s = SurrogateSlice {
///     param: "x".into(),
///     mean: x.iter().map(|v| (v - 0.3).powi(2)).collect(),
///     std: x.iter().map(|v| 0.05 + 0.1 * v).collect(),
///     acquisition: x.iter().map(|v| (-(v - 0.3f64).powi(2) * 20.0).exp()).collect(),
///     acquisition_name: "EI".into(),
///     observed: vec![(0.1, 0.04), (0.9, 0.36)],
///     log_scale: false,
///     x,
/// };
/// s.validate()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurrogateSlice {
    /// Name of the parameter along the slice.
    pub param: String,
    /// Parameter values, ascending (positive when `log_scale`).
    pub x: Vec<f64>,
    /// Posterior mean of the objective at each `x`.
    pub mean: Vec<f64>,
    /// Posterior standard deviation at each `x` (`>= 0`); the band drawn is `mean ± 2 std`.
    pub std: Vec<f64>,
    /// Acquisition function at each `x` (higher is more promising).
    pub acquisition: Vec<f64>,
    /// Name of the acquisition function (`LogEI`, `UCB`, …), shown on its axis.
    #[serde(default)]
    pub acquisition_name: String,
    /// Observed `(x, objective)` pairs.
    pub observed: Vec<(f64, f64)>,
    /// Whether the parameter axis is logarithmic.
    pub log_scale: bool,
}

impl SurrogateSlice {
    /// Checks that the curves have one finite value per `x`, that `x` is ascending (and
    /// positive on a log scale) and that `std >= 0`: [`Error::InvalidConfig`] otherwise.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::InvalidConfig { what: "surrogate slice", reason });
        let n = self.x.len();
        if n < 2 {
            return bad(format!("needs at least 2 x values, got {n}"));
        }
        for (name, v) in [("mean", &self.mean), ("std", &self.std), ("acquisition", &self.acquisition)] {
            if v.len() != n {
                return bad(format!("`{name}` has {} values for {n} x values", v.len()));
            }
        }
        let all = self.x.iter().chain(&self.mean).chain(&self.std).chain(&self.acquisition);
        if let Some(v) = all.chain(self.observed.iter().flat_map(|(a, b)| [a, b])).find(|v| !v.is_finite()) {
            return bad(format!("value {v} is not finite"));
        }
        if self.x.windows(2).any(|w| w[0] >= w[1]) {
            return bad("x must be strictly ascending".into());
        }
        if let Some(s) = self.std.iter().find(|s| **s < 0.0) {
            return bad(format!("std {s} is negative"));
        }
        if self.log_scale && (self.x[0] <= 0.0 || self.observed.iter().any(|(x, _)| *x <= 0.0)) {
            return bad("x must be > 0 on a log scale".into());
        }
        Ok(())
    }

    /// The `x` where the acquisition function is highest (the next proposal).
    pub fn best_acquisition(&self) -> Option<f64> {
        let i = (0..self.acquisition.len()).max_by(|&a, &b| self.acquisition[a].total_cmp(&self.acquisition[b]))?;
        self.x.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice() -> SurrogateSlice {
        SurrogateSlice {
            param: "lr".into(),
            x: vec![1e-3, 1e-2, 1e-1],
            mean: vec![0.5, 0.2, 0.4],
            std: vec![0.1, 0.05, 0.2],
            acquisition: vec![0.1, 0.7, 0.3],
            acquisition_name: "LogEI".into(),
            observed: vec![(1e-2, 0.21)],
            log_scale: true,
        }
    }

    #[test]
    fn a_consistent_slice_validates() {
        slice().validate().unwrap();
        assert_eq!(slice().best_acquisition(), Some(1e-2));
    }

    #[test]
    fn inconsistent_slices_are_rejected() {
        let mut s = slice();
        s.std.pop();
        assert!(s.validate().unwrap_err().to_string().contains("`std` has 2 values for 3 x values"));
        let mut s = slice();
        s.x[1] = 1e-3;
        assert!(s.validate().is_err());
        let mut s = slice();
        s.mean[0] = f64::NAN;
        assert!(s.validate().is_err());
        let mut s = slice();
        s.x[0] = 0.0;
        assert!(s.validate().is_err());
    }
}

/// The GP surrogate of a study along parameter `param` (the other parameters at the best
/// trial's values), with the acquisition and the observed trials: a [`GpSampler`] with
/// default settings is fitted to the completed trials of the history.
/// Errors: [`Error::UnknownParam`] if the GP does not model `param` (not in every completed
/// trial, or single-valued), [`Error::NoCompletedTrials`] with fewer than two completed trials.
///
/// [`GpSampler`]: crate::GpSampler
#[cfg(feature = "gp")]
pub fn surrogate_slice(history: &crate::History, param: &str, points: usize) -> Result<SurrogateSlice> {
    use crate::trial_record::TrialState;
    let surrogate = crate::GpSampler::default().surrogate(history).ok_or(Error::NoCompletedTrials)?;
    let observed: Vec<(f64, f64)> = history
        .with_state(TrialState::Complete)
        .filter_map(|t| Some((t.internal(param)?, t.value?)))
        .collect();
    let curve = surrogate.curve(param, points, &observed).ok_or_else(|| Error::UnknownParam { name: param.to_string() })?;
    Ok(SurrogateSlice {
        param: curve.param,
        x: curve.x,
        mean: curve.mean,
        std: curve.std,
        acquisition: curve.acquisition,
        acquisition_name: "LogEI".to_string(),
        observed: curve.observed,
        log_scale: curve.log_scale,
    })
}

#[cfg(all(test, feature = "gp", feature = "plot"))]
mod gp_tests {
    use super::*;
    use crate::plot::{Figure, ImageFormat};
    use crate::{Float, GpSampler, Optimize, Study, Trial};

    #[test]
    fn a_gp_study_renders_its_surrogate_picture() {
        let study = Study::builder().sampler(GpSampler::default()).seed(2).build().unwrap();
        study
            .optimize_with(Optimize::trials(15).progress_bar(false), |t: &mut Trial| {
                let x = t.suggest_float("x", Float::new(-2.0, 2.0))?;
                Ok::<_, Error>((x - 0.5).powi(2))
            })
            .unwrap();
        let history = study.history().unwrap();
        let slice = surrogate_slice(&history, "x", 60).unwrap();
        slice.validate().unwrap();
        assert_eq!(slice.observed.len(), 15);
        let best = (0..60).min_by(|&a, &b| slice.mean[a].total_cmp(&slice.mean[b])).unwrap();
        assert!((slice.x[best] - 0.5).abs() < 0.2, "mean minimum at {}", slice.x[best]);
        let svg = String::from_utf8(Figure::from(slice).render(ImageFormat::Svg).unwrap()).unwrap();
        assert!(svg.contains("<svg") && svg.contains("LogEI"));
        assert!(matches!(surrogate_slice(&history, "nope", 10), Err(Error::UnknownParam { .. })));
    }
}
