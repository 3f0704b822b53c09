//! Grid search: every combination of listed values, each once.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::history::History;
use crate::rng::TrialRng;
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{FrozenTrial, TrialState};

use super::Sampler;

/// Tries every combination of the listed parameter values, as Optuna's `GridSampler`.
///
/// Each trial takes a grid point not yet used by any other trial of the study (finished or
/// running), drawn at random from those left; once every point has been started, points
/// still running are drawn again (so every point gets finished), and once every point has
/// finished, any point is drawn. Running more trials than the grid has points therefore
/// repeats points: the study does not stop by itself, so set `n_trials` to the grid size.
/// With parallel workers, a trial that has not suggested its parameters yet is not seen,
/// so two workers can occasionally take the same point.
///
/// The draw comes from a [`TrialRng`] of the sampler's `seed` and the trial number (not the
/// study's seed: all parameters of one trial must agree on the point, whichever order they
/// are asked in). Asking for a parameter that is not in the grid, or whose grid value lies
/// outside the asked distribution, is an error.
///
/// ```
/// use bo_core::sampler::GridSampler;
/// let sampler = GridSampler::builder()
///     .param("lr", [1e-3, 1e-2, 1e-1])
///     .param("layers", [1, 2, 3])
///     .build()?;
/// assert_eq!(sampler.len(), 9);
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GridSampler {
    names: Vec<String>,
    values: Vec<Vec<ParamValue>>,
    size: u64,
    seed: u64,
}

/// Builder of [`GridSampler`]; validates in [`GridSamplerBuilder::build`].
#[derive(Debug, Clone, Default)]
pub struct GridSamplerBuilder {
    grid: BTreeMap<String, Vec<ParamValue>>,
    seed: u64,
}

impl GridSamplerBuilder {
    /// The values of parameter `name` (replacing earlier ones). At least one parameter.
    pub fn param<V: Into<ParamValue>>(mut self, name: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.grid.insert(name.to_string(), values.into_iter().map(Into::into).collect());
        self
    }

    /// Seed of the order the grid is visited in. Default: `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates (non-empty value lists, finite floats, no value twice, at most 2^64 - 1
    /// points) and builds.
    pub fn build(self) -> Result<GridSampler> {
        if self.grid.is_empty() {
            return Err(Error::InvalidConfig { what: "grid", reason: "has no parameter".into() });
        }
        let mut size: u64 = 1;
        for (name, values) in &self.grid {
            if values.is_empty() {
                return Err(Error::InvalidConfig { what: "grid", reason: format!("no values for `{name}`") });
            }
            for (i, v) in values.iter().enumerate() {
                if matches!(v, ParamValue::Float(x) if !x.is_finite()) {
                    return Err(Error::InvalidConfig {
                        what: "grid",
                        reason: format!("value {v} of `{name}` is not finite"),
                    });
                }
                if values[..i].contains(v) {
                    return Err(Error::InvalidConfig { what: "grid", reason: format!("value {v} of `{name}` appears twice") });
                }
            }
            size = size.checked_mul(values.len() as u64).ok_or_else(|| Error::InvalidConfig {
                what: "grid",
                reason: "has more than 2^64 - 1 points".into(),
            })?;
        }
        let (names, values) = self.grid.into_iter().unzip();
        Ok(GridSampler { names, values, size, seed: self.seed })
    }
}

impl GridSampler {
    /// A builder; add parameters with [`GridSamplerBuilder::param`].
    pub fn builder() -> GridSamplerBuilder {
        GridSamplerBuilder::default()
    }

    /// A grid from a map of parameter name to values (seed 0).
    pub fn new(grid: BTreeMap<String, Vec<ParamValue>>) -> Result<Self> {
        GridSamplerBuilder { grid, seed: 0 }.build()
    }

    /// Number of grid points (combinations).
    pub fn len(&self) -> u64 {
        self.size
    }

    /// Always false: a built grid has at least one point.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The grid point a trial uses, if it holds a grid value for every parameter.
    fn index_of(&self, t: &FrozenTrial) -> Option<u64> {
        let mut index = 0u64;
        for (name, values) in self.names.iter().zip(&self.values) {
            let d = t.distributions.get(name)?;
            let x = t.internal(name)?;
            let j = values
                .iter()
                .position(|v| d.to_internal(v).is_some_and(|y| (x - y).abs() <= 1e-12 * x.abs().max(1.0)))?;
            index = index * values.len() as u64 + j as u64;
        }
        Some(index)
    }

    /// The grid point of the trial being sampled: a function of the history and the trial
    /// number only, so that every parameter of the trial agrees on it.
    fn point_for(&self, history: &History) -> u64 {
        let current = history.current_number();
        let number = current.unwrap_or(history.trials().len() as u64);
        let mut started = Vec::new();
        let mut finished = Vec::new();
        for t in history.trials().iter().filter(|t| Some(t.number) != current) {
            let Some(i) = self.index_of(t) else { continue };
            match t.state {
                TrialState::Running => started.push(i),
                s if s.is_finished() => finished.push(i),
                _ => {}
            }
        }
        finished.sort_unstable();
        finished.dedup();
        started.extend_from_slice(&finished);
        started.sort_unstable();
        started.dedup();
        let mut rng = TrialRng::for_trial(self.seed, number);
        for taken in [&started, &finished] {
            let left = self.size - taken.len() as u64;
            if left > 0 {
                return kth_outside(taken, rng.below(left));
            }
        }
        rng.below(self.size)
    }

    /// Decodes a grid index into the value index of parameter `k`.
    fn value_index(&self, mut index: u64, k: usize) -> usize {
        for values in self.values[k + 1..].iter().rev() {
            index /= values.len() as u64;
        }
        (index % self.values[k].len() as u64) as usize
    }
}

/// The `k`-th number (0-based) not in `taken` (sorted, distinct).
fn kth_outside(taken: &[u64], k: u64) -> u64 {
    let mut index = k;
    for t in taken {
        if *t <= index {
            index += 1;
        } else {
            break;
        }
    }
    index
}

impl Sampler for GridSampler {
    fn sample_independent(&self, history: &History, name: &str, d: &Distribution, _rng: &mut TrialRng) -> Result<ParamValue> {
        let Some(k) = self.names.iter().position(|n| n == name) else {
            return Err(Error::InvalidConfig { what: "grid", reason: format!("parameter `{name}` is not in the grid") });
        };
        let v = &self.values[k][self.value_index(self.point_for(history), k)];
        match d.to_internal(v) {
            Some(x) => Ok(d.to_external(x)),
            None => Err(Error::ValueOutOfDistribution {
                name: name.to_string(),
                value: v.to_string(),
                distribution: d.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::space::{Float, Int};
    use crate::trial_record::Direction;
    use crate::{Optimize, Study, Trial};

    fn grid(seed: u64) -> GridSampler {
        GridSampler::builder()
            .param("x", [0.0, 0.5, 1.0])
            .param("n", [1, 2])
            .param("c", ["a", "b"])
            .seed(seed)
            .build()
            .unwrap()
    }

    fn run(sampler: GridSampler, n_trials: u64) -> Vec<String> {
        let study = Study::builder().sampler(sampler).seed(9).build().unwrap();
        study
            .optimize_with(Optimize::trials(n_trials).progress_bar(false), |t: &mut Trial| {
                let x = t.suggest_float("x", Float::new(0.0, 1.0))?;
                let n = t.suggest_int("n", Int::new(0, 5))?;
                let c: String = t.suggest_categorical("c", &["a", "b", "z"])?.to_string();
                t.set_user_attr("point", format!("{x}/{n}/{c}"))?;
                Ok::<_, crate::Error>(x + n as f64)
            })
            .unwrap();
        let trials = study.trials().unwrap();
        assert!(trials.iter().all(|t| t.state == TrialState::Complete));
        trials.iter().map(|t| t.user_attrs["point"].as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn grid_sampler_visits_every_combination_exactly_once() {
        let points = run(grid(0), 12);
        let distinct: BTreeSet<&String> = points.iter().collect();
        assert_eq!(distinct.len(), 12, "{points:?}");
        let mut all = BTreeSet::new();
        for x in [0.0, 0.5, 1.0] {
            for n in [1, 2] {
                for c in ["a", "b"] {
                    all.insert(format!("{x}/{n}/{c}"));
                }
            }
        }
        assert_eq!(distinct, all.iter().collect());
    }

    #[test]
    fn grid_order_is_drawn_from_the_seed() {
        assert_eq!(run(grid(1), 12), run(grid(1), 12));
        assert_ne!(run(grid(1), 12), run(grid(2), 12));
    }

    #[test]
    fn grid_sampler_keeps_sampling_grid_points_after_exhaustion() {
        let sampler = GridSampler::builder().param("x", [0.0, 0.5, 1.0]).build().unwrap();
        let study = Study::builder().sampler(sampler).build().unwrap();
        study
            .optimize_with(Optimize::trials(9).progress_bar(false), |t: &mut Trial| {
                t.suggest_float("x", Float::new(0.0, 1.0))
            })
            .unwrap();
        let xs: Vec<f64> = study.trials().unwrap().iter().map(|t| t.params["x"].as_f64().unwrap()).collect();
        assert_eq!(xs[..3].iter().map(|x| (x * 2.0) as u8).collect::<BTreeSet<_>>().len(), 3);
        assert!(xs.iter().all(|x| [0.0, 0.5, 1.0].contains(x)), "{xs:?}");
    }

    #[test]
    fn grid_sampler_skips_points_of_running_trials() {
        let sampler = GridSampler::builder().param("n", [1, 2]).build().unwrap();
        let d: Distribution = Int::new(0, 5).into();
        for running in [1i64, 2] {
            let mut t = FrozenTrial::new_running(0, 0);
            t.distributions.insert("n".into(), d.clone());
            t.params.insert("n".into(), ParamValue::Int(running));
            for number in 1..20 {
                let h = History::new(Direction::Minimize, vec![t.clone()]).with_current(Some(number));
                let v = sampler.sample_independent(&h, "n", &d, &mut TrialRng::seed_from_u64(number)).unwrap();
                assert_eq!(v, ParamValue::Int(3 - running));
            }
        }
    }

    #[test]
    fn grid_sampler_rejects_unknown_names_and_values_outside_the_distribution() {
        let sampler = GridSampler::builder().param("x", [5.0]).build().unwrap();
        let h = History::new(Direction::Minimize, vec![]).with_current(Some(0));
        let mut rng = TrialRng::seed_from_u64(0);
        let d: Distribution = Float::new(0.0, 1.0).into();
        assert!(matches!(sampler.sample_independent(&h, "y", &d, &mut rng), Err(Error::InvalidConfig { .. })));
        assert!(matches!(
            sampler.sample_independent(&h, "x", &d, &mut rng),
            Err(Error::ValueOutOfDistribution { .. })
        ));
        let wide: Distribution = Float::new(0.0, 10.0).into();
        assert_eq!(sampler.sample_independent(&h, "x", &wide, &mut rng).unwrap(), ParamValue::Float(5.0));
    }

    #[test]
    fn grid_sampler_builder_rejects_bad_grids() {
        assert!(GridSampler::builder().build().is_err());
        assert!(GridSampler::builder().param::<f64>("x", []).build().is_err());
        assert!(GridSampler::builder().param("x", [f64::NAN]).build().is_err());
        assert!(GridSampler::builder().param("x", [1, 1]).build().is_err());
        let map = BTreeMap::from([("x".to_string(), vec![ParamValue::Int(1), ParamValue::Int(2)])]);
        assert_eq!(GridSampler::new(map).unwrap().len(), 2);
    }

    #[test]
    fn kth_outside_skips_taken_numbers() {
        assert_eq!(kth_outside(&[], 3), 3);
        assert_eq!(kth_outside(&[0, 1, 3], 0), 2);
        assert_eq!(kth_outside(&[0, 1, 3], 1), 4);
        assert_eq!(kth_outside(&[5], 4), 4);
    }
}
