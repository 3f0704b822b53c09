//! Sampler and pruner names of the harness (`init`'s `sampler`, `pruner` and their
//! `*_options`), mapped to bo-core types through [`bo_core::config`], the one place that
//! turns a name and options into a sampler or pruner.

use anyhow::Result;
use bo_core::config::{PrunerConfig, SamplerConfig};
use bo_core::{Pruner, Sampler};
use serde_json::Value;

/// The sampler the harness calls `name`, configured from `options` (a JSON object of
/// keyword arguments, e.g. `{"n_startup_trials": 20}`; `null` or `{}` for the defaults).
/// `seed` is the study's seed, used by samplers that keep their own sequence (QMC).
///
/// The harness's names (`random`, `tpe`, `tpe-indep`, `qmc`, `gp`, `cmaes`) and their options
/// are those of [`bo_core::config::SamplerConfig`]. The study's seed drives every other draw
/// (samplers own no random state).
/// Errors: an unsupported name, or an option the sampler does not take.
///
/// ```
/// assert!(bo_cli::make_sampler("random", &serde_json::json!({}), 0).is_ok());
/// assert!(bo_cli::make_sampler("random", &serde_json::json!({"n_startup_trials": 3}), 0).is_err());
/// assert!(bo_cli::make_sampler("tpe", &serde_json::json!({"n_startup_trials": 3}), 0).is_ok());
/// assert!(bo_cli::make_sampler("gp", &serde_json::json!({"acquisition": "ucb", "beta": 3.0}), 0).is_ok());
/// assert!(bo_cli::make_sampler("gp", &serde_json::json!({"acquisition": "thompson"}), 0).is_err());
/// assert!(bo_cli::make_sampler("gp", &serde_json::json!({"output_transform": "standardize"}), 0).is_ok());
/// assert!(bo_cli::make_sampler("gp", &serde_json::json!({"output_transform": "log"}), 0).is_err());
/// assert!(bo_cli::make_sampler("cmaes", &serde_json::json!({"restart_strategy": "ipop", "popsize": 8}), 0).is_ok());
/// assert!(bo_cli::make_sampler("cmaes", &serde_json::json!({"restart_strategy": "bipop"}), 0).is_err());
/// assert!(bo_cli::make_sampler("simulated-annealing", &serde_json::Value::Null, 0).is_err());
/// ```
pub fn make_sampler(name: &str, options: &Value, seed: u64) -> Result<Box<dyn Sampler>> {
    Ok(SamplerConfig::from_name(name, options)?.with_default_seed(seed).build()?)
}

/// The pruner the harness calls `name`, configured from `options` (a JSON object of keyword
/// arguments; `null` or `{}` for the defaults). `n_steps` is the budget's maximum number of
/// steps per trial, if the harness sent one.
///
/// The harness's names and their Optuna settings: `none` (`NopPruner`), `median`
/// (`MedianPruner()`: 5 startup trials, no warm-up), `sha` (`SuccessiveHalvingPruner()`:
/// min resource automatic, reduction factor 4), `hyperband` (`HyperbandPruner(min_resource=1,
/// max_resource=n_steps, reduction_factor=3)`); `options` override these.
/// Errors: an unsupported name, or an option the pruner does not take.
///
/// ```
/// assert!(bo_cli::make_pruner("none", &serde_json::Value::Null, Some(100)).is_ok());
/// assert!(bo_cli::make_pruner("median", &serde_json::json!({"n_warmup_steps": 10}), Some(100)).is_ok());
/// assert!(bo_cli::make_pruner("median", &serde_json::json!({"warmup": 10}), Some(100)).is_err());
/// assert!(bo_cli::make_pruner("wavelet", &serde_json::Value::Null, None).is_err());
/// ```
pub fn make_pruner(name: &str, options: &Value, n_steps: Option<u64>) -> Result<Box<dyn Pruner>> {
    Ok(PrunerConfig::from_name(name, options)?.with_default_max_resource(n_steps).build()?)
}
