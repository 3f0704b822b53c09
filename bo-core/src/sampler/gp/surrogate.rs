//! [`Surrogate`]: a fitted GP and its acquisition at the current state of a study, for
//! inspection and plots ([`SurrogateCurve`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::space::{Distribution, Params};

use super::acquisition::Acquisition;
use super::model::Posterior;
use super::optimize::EncodedSpace;
use super::scale::Scale;

/// A fitted surrogate at the current state of a study, for inspection and plotting.
#[derive(Debug, Clone)]
pub struct Surrogate {
    space: EncodedSpace,
    posterior: Arc<Posterior>,
    acquisition: Acquisition,
    /// Observed best in model units.
    best: f64,
    /// Model units to objective units.
    scale: Scale,
    /// Encoded point of the best observed trial.
    incumbent: Vec<f64>,
}

/// The GP posterior and the acquisition along one parameter, the others held at the best
/// trial's values: the classic Bayesian-optimization picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurrogateCurve {
    /// The parameter varied.
    pub param: String,
    /// Its values (internal representation: numbers, or category indices).
    pub x: Vec<f64>,
    /// Posterior mean of the objective, in the objective's own units and direction (with a
    /// power transform of the outputs, the image of the model's mean: the posterior median).
    pub mean: Vec<f64>,
    /// Posterior standard deviation in the objective's units (with a power transform of
    /// the outputs, half the width of the image of mean ± one standard deviation).
    pub std: Vec<f64>,
    /// The acquisition function's value (as the sampler maximizes it).
    pub acquisition: Vec<f64>,
    /// Observed trials: (parameter value, objective value).
    pub observed: Vec<(f64, f64)>,
    /// Whether the parameter is on a log scale.
    pub log_scale: bool,
}

impl Surrogate {
    /// The surrogate of `posterior` over `space`; `best` (model units) and `incumbent` (an
    /// encoded point) are those of the best observed trial.
    pub(super) fn new(
        space: EncodedSpace,
        posterior: Arc<Posterior>,
        acquisition: Acquisition,
        best: f64,
        scale: Scale,
        incumbent: Vec<f64>,
    ) -> Self {
        Surrogate { space, posterior, acquisition, best, scale, incumbent }
    }

    /// Posterior mean and standard deviation of the objective (its own units) at `params`.
    /// `None` if a parameter of the surrogate's space is missing or out of its range.
    pub fn predict(&self, params: &Params) -> Option<(f64, f64)> {
        let x: Option<Vec<f64>> = self
            .space
            .names
            .iter()
            .zip(&self.space.dists)
            .map(|(n, d)| {
                let v = d.to_internal(params.get(n)?)?;
                Some(if d.is_categorical() { v } else { d.to_unit(v) })
            })
            .collect();
        let (mut m, mut v) = (Vec::new(), Vec::new());
        self.space_predict(&x?, &mut m, &mut v);
        Some(self.scale.objective_band(m[0], v[0].sqrt()))
    }

    fn space_predict(&self, points: &[f64], m: &mut Vec<f64>, v: &mut Vec<f64>) {
        self.posterior.predict_batch(points, m, v);
    }

    /// The posterior along parameter `name` over `points` evenly spaced values (in the
    /// parameter's own scale), other parameters at the best trial's values. `None` if the
    /// surrogate does not model `name`.
    pub fn curve(&self, name: &str, points: usize, observed: &[(f64, f64)]) -> Option<SurrogateCurve> {
        let j = self.space.names.iter().position(|n| n == name)?;
        let d = &self.space.dists[j];
        let points = points.max(2);
        let us: Vec<f64> = match d {
            Distribution::Categorical(c) => (0..c.choices().len()).map(|i| i as f64).collect(),
            _ => (0..points).map(|i| i as f64 / (points - 1) as f64).collect(),
        };
        let mut grid = Vec::with_capacity(us.len() * self.space.dim());
        for &u in &us {
            let mut p = self.incumbent.clone();
            p[j] = u;
            grid.extend(p);
        }
        let (mut m, mut v) = (Vec::new(), Vec::new());
        self.space_predict(&grid, &mut m, &mut v);
        let x = us.iter().map(|&u| if d.is_categorical() { u } else { d.unit_to_value_unsnapped(u) }).collect();
        let (mean, std) = m.iter().zip(&v).map(|(&mu, &var)| self.scale.objective_band(mu, var.sqrt())).unzip();
        Some(SurrogateCurve {
            param: name.to_string(),
            x,
            mean,
            std,
            acquisition: m.iter().zip(&v).map(|(mu, s)| self.acquisition.value(*mu, *s, self.best)).collect(),
            observed: observed.to_vec(),
            log_scale: d.is_log(),
        })
    }

    /// The parameters the surrogate models, in its dimension order.
    pub fn params(&self) -> &[String] {
        &self.space.names
    }
}
