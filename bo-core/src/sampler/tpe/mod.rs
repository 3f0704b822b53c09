//! Tree-structured Parzen Estimator (TPE), the default sampler.

mod observations;
mod parzen;
mod sampler;

pub use sampler::TpeSampler;
pub use sampler::TpeSamplerBuilder;
