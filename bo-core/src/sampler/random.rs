//! Uniform random search: the baseline every sampler must beat.

use crate::error::Result;
use crate::history::History;
use crate::rng::TrialRng;
use crate::space::{Distribution, ParamValue};

use super::Sampler;

/// Samples every parameter uniformly (log-uniformly for log ranges) and independently.
///
/// Reference: Bergstra & Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 2012.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSampler;

impl RandomSampler {
    /// A random sampler (its randomness comes from the study's seed).
    pub fn new() -> Self {
        RandomSampler
    }
}

/// A uniform draw from `d` in internal representation.
pub(crate) fn uniform_internal(d: &Distribution, rng: &mut TrialRng) -> f64 {
    match d {
        Distribution::Categorical(c) => rng.below(c.choices().len() as u64) as f64,
        Distribution::Int(i) if !i.is_log() => {
            let n = ((i.high() - i.low()) / i.step()) as u64 + 1;
            (i.low() + rng.below(n) as i64 * i.step()) as f64
        }
        Distribution::Float(f) if f.step().is_some() => {
            let n = d.cardinality().unwrap_or(1);
            d.round_internal(f.low() + rng.below(n) as f64 * f.step().unwrap_or(0.0))
        }
        _ => d.from_unit(rng.uniform()),
    }
}

impl Sampler for RandomSampler {
    fn sample_independent(&self, _h: &History, _name: &str, d: &Distribution, rng: &mut TrialRng) -> Result<ParamValue> {
        Ok(d.to_external(uniform_internal(d, rng)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Float, Int};
    use crate::trial_record::Direction;

    #[test]
    fn random_samples_stay_in_bounds_and_cover_the_range() {
        let h = History::new(Direction::Minimize, vec![]);
        let d: Distribution = Int::new(1, 4).into();
        let mut rng = TrialRng::seed_from_u64(3);
        let mut seen = [false; 4];
        for _ in 0..200 {
            let v = RandomSampler.sample_independent(&h, "x", &d, &mut rng).unwrap().as_i64().unwrap();
            assert!((1..=4).contains(&v));
            seen[(v - 1) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        let f: Distribution = Float::log(1e-4, 1.0).into();
        let below_1e2 = (0..1000)
            .filter(|_| RandomSampler.sample_independent(&h, "x", &f, &mut rng).unwrap().as_f64().unwrap() < 1e-2)
            .count();
        // log-uniform: half of the draws below 1e-2
        assert!((400..600).contains(&below_1e2), "{below_1e2}");
    }
}
