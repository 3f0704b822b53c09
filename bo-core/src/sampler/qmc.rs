//! Quasi-Monte Carlo sampling with a Sobol sequence.

use crate::error::Result;
use crate::history::History;
use crate::rng::TrialRng;
use crate::space::{Distribution, Distributions, ParamValue, Params};

use super::Sampler;
use super::random::uniform_internal;
use super::sobol::{SOBOL_DIMS, sobol};

/// Samples the study's search space with a Sobol sequence: trial `n` takes point `n`, so a
/// run of trials covers the space far more evenly than random search. A good initial design
/// and a strong baseline for low-dimensional spaces.
///
/// The space is the intersection space of the finished trials ([`History::intersection_space`]),
/// its dimensions in parameter-name order, each point coordinate in `[0, 1)` mapped through
/// [`Distribution::from_unit`]. The first trial (no finished trial yet) and parameters
/// outside that space are sampled uniformly at random, as Optuna's `QMCSampler` does.
/// Direction numbers cover 101 dimensions; further ones are uniform random.
///
/// With `scramble(true)` the sequence gets a nested (Owen-style) scramble seeded by `seed`,
/// which keeps its stratification and removes the structure of the plain sequence (whose
/// point 0 is the lower corner). The seed is the sampler's own, not the study's: the point
/// of trial `n` must not depend on which worker runs it, so every worker building the
/// sampler with the same seed walks the same sequence.
///
/// Reference: Sobol', "On the distribution of points in a cube" (1967); Joe & Kuo (2008);
/// Owen, "Randomly permuted (t,m,s)-nets and (t,s)-sequences" (1995).
///
/// ```
/// use bo_core::sampler::QmcSampler;
/// let sampler = QmcSampler::builder().scramble(true).seed(7).build()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QmcSampler {
    seed: u64,
    scramble: bool,
}

/// Builder of [`QmcSampler`]; [`QmcSamplerBuilder::build`] accepts every setting.
#[derive(Debug, Clone, Copy, Default)]
pub struct QmcSamplerBuilder {
    seed: u64,
    scramble: bool,
}

impl QmcSamplerBuilder {
    /// Seed of the scramble (independent of the study's seed). Default: `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether to scramble the sequence. Default: `false` (as Optuna).
    pub fn scramble(mut self, scramble: bool) -> Self {
        self.scramble = scramble;
        self
    }

    /// Builds (no setting can be invalid; `Result` for uniformity with other builders).
    pub fn build(self) -> Result<QmcSampler> {
        Ok(QmcSampler { seed: self.seed, scramble: self.scramble })
    }
}

impl QmcSampler {
    /// A builder with the defaults.
    pub fn builder() -> QmcSamplerBuilder {
        QmcSamplerBuilder::default()
    }

    /// Coordinate `dim` of point `index`, in `[0, 1)`.
    fn coordinate(&self, index: u64, dim: usize, rng: &mut TrialRng) -> f64 {
        if dim < SOBOL_DIMS {
            sobol(index, dim, self.scramble.then_some(self.seed))
        } else {
            rng.uniform()
        }
    }
}

impl Sampler for QmcSampler {
    fn relative_space(&self, history: &History) -> Distributions {
        history.intersection_space().iter().filter(|(_, d)| !d.is_single()).map(|(n, d)| (n.clone(), d.clone())).collect()
    }

    fn sample_relative(&self, history: &History, space: &Distributions, rng: &mut TrialRng) -> Result<Params> {
        let index = history.current_number().unwrap_or(history.trials().len() as u64);
        Ok(space
            .iter()
            .enumerate()
            .map(|(dim, (name, d))| {
                let u = self.coordinate(index, dim, rng);
                (name.clone(), d.to_external(d.from_unit(u)))
            })
            .collect())
    }

    fn sample_independent(&self, _h: &History, _name: &str, d: &Distribution, rng: &mut TrialRng) -> Result<ParamValue> {
        Ok(d.to_external(uniform_internal(d, rng)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Float, Int};
    use crate::trial_record::{Direction, FrozenTrial, TrialState};
    use crate::{Optimize, Study, Trial};

    #[test]
    fn qmc_maps_point_n_to_trial_n_over_the_intersection_space() {
        let mut done = FrozenTrial::new_running(0, 0);
        done.state = TrialState::Complete;
        done.value = Some(1.0);
        for (name, d, v) in [
            ("a", Distribution::from(Float::new(0.0, 1.0)), ParamValue::Float(0.2)),
            ("b", Distribution::from(Int::new(0, 3)), ParamValue::Int(1)),
        ] {
            done.distributions.insert(name.into(), d);
            done.params.insert(name.into(), v);
        }
        let h = History::new(Direction::Minimize, vec![done]).with_current(Some(2));
        let s = QmcSampler::default();
        let space = s.relative_space(&h);
        assert_eq!(space.keys().collect::<Vec<_>>(), ["a", "b"]);
        let p = s.sample_relative(&h, &space, &mut TrialRng::seed_from_u64(0)).unwrap();
        // point 2 is (0.75, 0.25): a = 0.75; b spans [-0.5, 3.5], 0.25 -> 0.5, rounded to 1
        assert_eq!(p["a"], ParamValue::Float(0.75));
        assert_eq!(p["b"], ParamValue::Int(1));
        let h3 = h.clone().with_current(Some(3));
        let p3 = s.sample_relative(&h3, &space, &mut TrialRng::seed_from_u64(0)).unwrap();
        assert_eq!(p3["a"], ParamValue::Float(0.25));
        assert_eq!(p3["b"], ParamValue::Int(3));
    }

    #[test]
    fn qmc_finds_a_good_point_of_a_quadratic_within_64_trials() {
        // 64 points on [-1, 1]^2 leave about 1/16 of area each: a typical nearest squared
        // distance to the optimum is 1 / (16 pi) ~ 0.02; the net structure bounds the worst.
        for (scramble, seed) in [(false, 0), (true, 11), (true, 12), (true, 13)] {
            let sampler = QmcSampler::builder().scramble(scramble).seed(seed).build().unwrap();
            let study = Study::builder().sampler(sampler).seed(5).build().unwrap();
            study
                .optimize_with(Optimize::trials(64).progress_bar(false), |t: &mut Trial| {
                    let x = t.suggest_float("x", Float::new(-1.0, 1.0))?;
                    let y = t.suggest_float("y", Float::new(-1.0, 1.0))?;
                    Ok::<_, crate::Error>((x - 0.3).powi(2) + (y + 0.2).powi(2))
                })
                .unwrap();
            let best = study.best_value().unwrap();
            eprintln!("scramble {scramble} seed {seed}: best {best}");
            assert!(best < 0.05, "scramble {scramble} seed {seed}: {best}");
        }
    }

    #[test]
    fn qmc_sampler_is_deterministic_for_a_seed() {
        let run = |seed: u64| {
            let sampler = QmcSampler::builder().scramble(true).seed(seed).build().unwrap();
            let study = Study::builder().sampler(sampler).seed(1).build().unwrap();
            study
                .optimize_with(Optimize::trials(8).progress_bar(false), |t: &mut Trial| {
                    t.suggest_float("x", Float::new(0.0, 1.0))
                })
                .unwrap();
            study.trials().unwrap().iter().map(|t| t.value.unwrap()).collect::<Vec<f64>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
