//! CMA-ES: the covariance matrix adaptation evolution strategy, for continuous spaces with
//! many trials.

mod cma;
mod eigen;
mod replay;
mod sampler;

pub use sampler::CmaEsSampler;
pub use sampler::CmaEsSamplerBuilder;
pub use sampler::RestartStrategy;
