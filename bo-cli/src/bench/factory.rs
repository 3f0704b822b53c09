//! Sampler and pruner names of the harness (`init`'s `sampler`, `pruner` and their
//! `*_options`), mapped to bo-core types. The one place to add a sampler or pruner.

use anyhow::{Result, bail};
use bo_core::{NopPruner, Pruner, RandomSampler, Sampler};
use serde_json::Value;

/// The sampler the harness calls `name`, configured from `options` (a JSON object of
/// keyword arguments, e.g. `{"n_startup_trials": 20}`; `null` or `{}` for the defaults).
///
/// The harness's names and their Optuna meaning: `random` (`RandomSampler`), `tpe`
/// (multivariate TPE, Optuna 5's default), `tpe-indep` (univariate TPE), `qmc` (scrambled
/// Sobol), `gp`, `cmaes`. The study's seed drives every draw (samplers own no random state).
/// Errors: an unsupported name, or an option the sampler does not take.
///
/// ```
/// assert!(bo_cli::make_sampler("random", &serde_json::json!({})).is_ok());
/// assert!(bo_cli::make_sampler("random", &serde_json::json!({"n_startup_trials": 3})).is_err());
/// assert!(bo_cli::make_sampler("simulated-annealing", &serde_json::Value::Null).is_err());
/// ```
pub fn make_sampler(name: &str, options: &Value) -> Result<Box<dyn Sampler>> {
    let options = option_map(name, options)?;
    match name {
        "random" => {
            no_options(name, options)?;
            Ok(Box::new(RandomSampler::new()))
        }
        _ => bail!("unsupported sampler `{name}` (this build supports: random)"),
    }
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
/// assert!(bo_cli::make_pruner("wavelet", &serde_json::Value::Null, None).is_err());
/// ```
pub fn make_pruner(name: &str, options: &Value, n_steps: Option<u64>) -> Result<Box<dyn Pruner>> {
    let options = option_map(name, options)?;
    let _ = n_steps;
    match name {
        "none" => {
            no_options(name, options)?;
            Ok(Box::new(NopPruner))
        }
        _ => bail!("unsupported pruner `{name}` (this build supports: none)"),
    }
}

type Options<'a> = Option<&'a serde_json::Map<String, Value>>;

fn option_map<'a>(name: &str, options: &'a Value) -> Result<Options<'a>> {
    match options {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m)),
        other => bail!("options of `{name}` must be a JSON object, got {other}"),
    }
}

fn no_options(name: &str, options: Options<'_>) -> Result<()> {
    if let Some(key) = options.and_then(|m| m.keys().next()) {
        bail!("`{name}` takes no option, got `{key}`");
    }
    Ok(())
}
