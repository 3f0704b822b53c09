//! Samplers: how the next configuration is chosen.
//!
//! A sampler proposes a *relative* (joint) sample over the space seen so far, and an
//! *independent* value for any parameter outside it, the define-by-run split Optuna uses.
//! Samplers own no random state; they draw from the [`TrialRng`] the study passes in, and
//! must be deterministic for a fixed history and generator.

use crate::error::Result;
use crate::history::History;
use crate::rng::TrialRng;
use crate::space::{Distribution, Distributions, ParamValue, Params};

mod cmaes;
#[cfg(feature = "gp")]
mod gp;
mod grid;
mod qmc;
mod random;
mod sobol;
mod tpe;
#[cfg(test)]
mod test_support;

pub use cmaes::{CmaEsSampler, CmaEsSamplerBuilder, RestartStrategy};
#[cfg(feature = "gp")]
pub use gp::{Acquisition, GpSampler, GpSamplerBuilder, InitialDesign, OutputTransform, PendingStrategy, Surrogate, SurrogateCurve};
pub use grid::{GridSampler, GridSamplerBuilder};
pub use qmc::{QmcSampler, QmcSamplerBuilder};
pub use random::RandomSampler;
pub use tpe::TpeSampler;
pub use tpe::TpeSamplerBuilder;

/// Chooses parameter values for new trials.
///
/// Called by the study from any worker thread (hence `Send + Sync`): `relative_space` and
/// `sample_relative` once per trial at its first suggestion, `sample_independent` for every
/// parameter the relative sample does not cover. The history excludes nothing: samplers skip
/// [`History::current_number`] themselves and decide how to treat RUNNING trials.
///
/// ```
/// use bo_core::{Distribution, History, ParamValue, Result, Sampler, TrialRng};
/// /// Always proposes the lower bound's neighbourhood (a toy).
/// struct Low;
/// impl Sampler for Low {
///     fn sample_independent(&self, _h: &History, _name: &str, d: &Distribution,
///                           rng: &mut TrialRng) -> Result<ParamValue> {
///         Ok(d.to_external(d.from_unit(0.1 * rng.uniform())))
///     }
/// }
/// ```
pub trait Sampler: Send + Sync {
    /// The space to sample jointly for the next trial. Default: none.
    fn relative_space(&self, _history: &History) -> Distributions {
        Distributions::new()
    }

    /// A joint sample over `space`. Default: nothing (all parameters independent).
    fn sample_relative(&self, _history: &History, _space: &Distributions, _rng: &mut TrialRng) -> Result<Params> {
        Ok(Params::new())
    }

    /// A value for one parameter outside the relative sample.
    fn sample_independent(
        &self,
        history: &History,
        name: &str,
        distribution: &Distribution,
        rng: &mut TrialRng,
    ) -> Result<ParamValue>;
}

impl<S: Sampler + ?Sized> Sampler for std::sync::Arc<S> {
    fn relative_space(&self, history: &History) -> Distributions {
        (**self).relative_space(history)
    }
    fn sample_relative(&self, history: &History, space: &Distributions, rng: &mut TrialRng) -> Result<Params> {
        (**self).sample_relative(history, space, rng)
    }
    fn sample_independent(&self, history: &History, name: &str, d: &Distribution, rng: &mut TrialRng) -> Result<ParamValue> {
        (**self).sample_independent(history, name, d, rng)
    }
}

impl<S: Sampler + ?Sized> Sampler for Box<S> {
    fn relative_space(&self, history: &History) -> Distributions {
        (**self).relative_space(history)
    }
    fn sample_relative(&self, history: &History, space: &Distributions, rng: &mut TrialRng) -> Result<Params> {
        (**self).sample_relative(history, space, rng)
    }
    fn sample_independent(&self, history: &History, name: &str, d: &Distribution, rng: &mut TrialRng) -> Result<ParamValue> {
        (**self).sample_independent(history, name, d, rng)
    }
}
