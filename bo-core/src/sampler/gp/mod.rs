//! Gaussian-process Bayesian optimization (see [`GpSampler`]).

// Dense numerical loops index several arrays at once.
#![allow(clippy::needless_range_loop)]

mod acquisition;
mod lbfgs;
mod model;
mod optimize;
mod sampler;
mod scale;
mod surrogate;

pub use acquisition::Acquisition;
pub use scale::OutputTransform;
pub use sampler::{GpSampler, GpSamplerBuilder, InitialDesign, PendingStrategy};
pub use surrogate::{Surrogate, SurrogateCurve};
