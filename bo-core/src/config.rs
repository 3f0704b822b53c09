//! Samplers and pruners as data: [`SamplerConfig`] and [`PrunerConfig`] are serde enums
//! tagged by `name`, with the keyword options of the sampler or pruner beside the tag, and
//! [`SamplerConfig::build`] / [`PrunerConfig::build`] make the object. Every program that
//! turns JSON into a sampler or pruner (`bo bench`, the Hopaas API of `bo-server`) goes
//! through them, so a name means the same settings everywhere.
//!
//! | `name` | sampler | options (Default: the builder's) |
//! |---|---|---|
//! | `random` | [`RandomSampler`] | none |
//! | `tpe` (alias `tpe-mv`) | multivariate [`TpeSampler`] | `n_startup_trials`, `n_ei_candidates`, `multivariate`, `constant_liar`, `prior_weight`, `consider_magic_clip`, `consider_endpoints` |
//! | `tpe-indep` | univariate [`TpeSampler`] | as `tpe` |
//! | `qmc` | scrambled Sobol [`QmcSampler`] | `scramble` (Default: `true`), `seed` |
//! | `gp` | [`crate::GpSampler`] (feature `gp`) | `n_startup_trials`, `deterministic_objective`, `n_preliminary_samples`, `n_local_search`, `acquisition` (`logei`, `ei`, `pi`, `ucb`, `max_variance`), `beta` (of `ucb`, Default: `2`), `output_transform` (`yeo_johnson`, `standardize`), `initial_design` (`sobol`, `lhs`, `corners`), `seed` |
//! | `cmaes` | [`CmaEsSampler`] | `sigma0`, `popsize`, `n_startup_trials`, `restart_strategy` (alias `restart`: `none`, `ipop`), `inc_popsize`, `consider_pruned_trials` |
//!
//! | `name` | pruner | options |
//! |---|---|---|
//! | `none` (alias `nop`) | [`NopPruner`] | none |
//! | `median` | [`MedianPruner`] | `n_startup_trials`, `n_warmup_steps`, `interval_steps`, `n_min_trials` |
//! | `sha` | [`SuccessiveHalvingPruner`] | `min_resource`, `reduction_factor`, `min_early_stopping_rate`, `bootstrap_count` |
//! | `hyperband` | [`HyperbandPruner`] | `min_resource` (alias `min_resources`), `max_resource` (alias `max_resources`; steps or `"auto"`), `reduction_factor`, `bootstrap_count` |
//! | `threshold` | [`ThresholdPruner`] | `lower`, `upper`, `n_warmup_steps`, `interval_steps` |
//!
//! An option that a sampler or pruner does not take is an error, never silently ignored;
//! `null` means "the default".
//!
//! ```
//! use bo_core::config::{PrunerConfig, SamplerConfig};
//! let sampler: SamplerConfig = serde_json::from_str(r#"{"name": "tpe", "n_startup_trials": 20}"#).unwrap();
//! let sampler = sampler.build()?;
//! let pruner = PrunerConfig::from_name("median", &serde_json::json!({"n_warmup_steps": 5}))?.build()?;
//! assert!(SamplerConfig::from_name("random", &serde_json::json!({"n_startup_trials": 3})).is_err());
//! # Ok::<(), bo_core::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::pruner::{HyperbandPruner, MedianPruner, NopPruner, Pruner, SuccessiveHalvingPruner, ThresholdPruner};
use crate::sampler::{CmaEsSampler, QmcSampler, RandomSampler, RestartStrategy, Sampler, TpeSampler};

/// A sampler and its options; see the [module](self) for the names and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name")]
#[non_exhaustive]
pub enum SamplerConfig {
    /// `random`: [`RandomSampler`].
    #[serde(rename = "random")]
    Random(NoOptions),
    /// `tpe`: TPE, multivariate unless the options say otherwise.
    #[serde(rename = "tpe", alias = "tpe-mv")]
    Tpe(TpeConfig),
    /// `tpe-indep`: TPE, univariate unless the options say otherwise.
    #[serde(rename = "tpe-indep")]
    TpeIndep(TpeConfig),
    /// `qmc`: Sobol sequence.
    #[serde(rename = "qmc")]
    Qmc(QmcConfig),
    /// `gp`: Gaussian process (feature `gp`).
    #[serde(rename = "gp")]
    Gp(GpConfig),
    /// `cmaes`: CMA-ES.
    #[serde(rename = "cmaes")]
    CmaEs(CmaEsConfig),
}

/// A pruner and its options; see the [module](self) for the names and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name")]
#[non_exhaustive]
pub enum PrunerConfig {
    /// `none`: never prunes.
    #[serde(rename = "none", alias = "nop")]
    Nop(NoOptions),
    /// `median`: [`MedianPruner`].
    #[serde(rename = "median")]
    Median(MedianConfig),
    /// `sha`: asynchronous successive halving.
    #[serde(rename = "sha")]
    SuccessiveHalving(SuccessiveHalvingConfig),
    /// `hyperband`: [`HyperbandPruner`].
    #[serde(rename = "hyperband")]
    Hyperband(HyperbandConfig),
    /// `threshold`: [`ThresholdPruner`].
    #[serde(rename = "threshold")]
    Threshold(ThresholdConfig),
}

/// The options of a sampler or pruner that takes none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoOptions {}

/// Options of `tpe` and `tpe-indep` (see [`crate::TpeSamplerBuilder`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TpeConfig {
    /// Trials sampled at random before the model is used. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_startup_trials: Option<u64>,
    /// Candidates scored per proposal. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_ei_candidates: Option<usize>,
    /// Model the parameters jointly. Default: `true` for `tpe`, `false` for `tpe-indep`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multivariate: Option<bool>,
    /// Count running trials as bad ones (parallel workers). Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant_liar: Option<bool>,
    /// Weight of the prior kernel. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_weight: Option<f64>,
    /// Bergstra's lower bound on bandwidths. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consider_magic_clip: Option<bool>,
    /// Let the outermost bandwidths reach the range ends. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consider_endpoints: Option<bool>,
}

/// Options of `qmc` (see [`crate::sampler::QmcSamplerBuilder`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QmcConfig {
    /// Scramble the sequence. Default: `true` (Optuna's builder says `false`; the
    /// benchmark's `qmc` is scrambled, so that seeds differ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scramble: Option<bool>,
    /// Seed of the scramble. Default: `0`, or the study's seed where the caller gives one
    /// ([`SamplerConfig::with_default_seed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Options of `gp` (see `GpSamplerBuilder`, feature `gp`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpConfig {
    /// Trials sampled at random before the model is used. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_startup_trials: Option<u64>,
    /// No observation noise is fitted. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deterministic_objective: Option<bool>,
    /// Sobol points scored before local refinement. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_preliminary_samples: Option<usize>,
    /// Local refinements of the acquisition. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_local_search: Option<usize>,
    /// The acquisition function. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquisition: Option<GpAcquisition>,
    /// Exploration weight of `ucb` (only read with `acquisition: "ucb"`). Default: `2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// How objective values become the GP's targets. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_transform: Option<GpOutputTransform>,
    /// The initial design. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_design: Option<GpInitialDesign>,
    /// Seed of the initial design. Default: `0`, or the study's seed where the caller gives
    /// one ([`SamplerConfig::with_default_seed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// `acquisition` of `gp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum GpAcquisition {
    #[serde(rename = "logei")]
    LogEi,
    Ei,
    Pi,
    Ucb,
    MaxVariance,
}

/// `output_transform` of `gp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum GpOutputTransform {
    Standardize,
    YeoJohnson,
}

/// `initial_design` of `gp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum GpInitialDesign {
    Sobol,
    #[serde(rename = "lhs")]
    LatinHypercube,
    Corners,
}

/// Options of `cmaes` (see [`crate::CmaEsSamplerBuilder`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CmaEsConfig {
    /// Initial step size, in units of each parameter's range. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma0: Option<f64>,
    /// Population size. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub popsize: Option<usize>,
    /// Trials sampled at random before the model is used. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_startup_trials: Option<u64>,
    /// What to do once the search has converged (alias `restart`). Default: the builder's.
    #[serde(default, alias = "restart", skip_serializing_if = "Option::is_none")]
    pub restart_strategy: Option<CmaEsRestart>,
    /// Factor of the population size at each IPOP restart. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inc_popsize: Option<usize>,
    /// Learn from pruned trials too. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consider_pruned_trials: Option<bool>,
}

/// `restart_strategy` of `cmaes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CmaEsRestart {
    None,
    Ipop,
}

/// Options of `median` (see [`crate::pruner::MedianPrunerBuilder`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedianConfig {
    /// Trials sampled at random before the model is used. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_startup_trials: Option<usize>,
    /// Steps before a trial can be pruned. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_warmup_steps: Option<u64>,
    /// Steps between pruning checks. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_steps: Option<u64>,
    /// Trials that must have reported a step before it is judged. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_min_trials: Option<usize>,
}

/// Options of `sha` (see [`crate::pruner::SuccessiveHalvingPrunerBuilder`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessiveHalvingConfig {
    /// Steps before the first rung (alias `min_resources`). Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_resource: Option<u64>,
    /// Reduction factor between rungs. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduction_factor: Option<u64>,
    /// Shifts the first rung. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_early_stopping_rate: Option<u32>,
    /// Trials a rung needs before it promotes. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_count: Option<usize>,
}

/// Options of `hyperband` (see [`crate::pruner::HyperbandPrunerBuilder`]); the plural
/// spellings are Hopaas's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HyperbandConfig {
    /// Steps before the first rung (alias `min_resources`). Default: the builder's.
    #[serde(default, alias = "min_resources", skip_serializing_if = "Option::is_none")]
    pub min_resource: Option<u64>,
    /// Steps of a full trial (alias `max_resources`). Default: the builder's.
    #[serde(default, alias = "max_resources", skip_serializing_if = "Option::is_none")]
    pub max_resource: Option<MaxResource>,
    /// Reduction factor between rungs. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduction_factor: Option<u64>,
    /// Trials a rung needs before it promotes. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_count: Option<usize>,
}

/// `max_resource` of `hyperband`: a number of steps, or `"auto"` (the last step of the first
/// finished trial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaxResource {
    /// This many steps.
    Steps(u64),
    /// `"auto"`.
    Auto(Auto),
}

/// The string `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Auto {
    Auto,
}

/// Options of `threshold` (see [`crate::pruner::ThresholdPrunerBuilder`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdConfig {
    /// Values below this are pruned. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    /// Values above this are pruned. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// Steps before a trial can be pruned. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_warmup_steps: Option<u64>,
    /// Steps between pruning checks. Default: the builder's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_steps: Option<u64>,
}

/// `builder = builder.field(value)` for each named field of the options that is set.
macro_rules! set {
    ($builder:ident, $options:expr, $($field:ident),+) => {
        $(if let Some(v) = $options.$field {
            $builder = $builder.$field(v);
        })+
    };
}

/// `{"name": NAME, …options}` parsed as `T`, with errors that name what was asked for.
fn from_name_and_options<T: serde::de::DeserializeOwned>(
    what: &'static str,
    names: &[&str],
    name: &str,
    options: &Value,
) -> Result<T> {
    let bad = |reason: String| Error::InvalidConfig { what, reason };
    if !names.contains(&name) {
        return Err(bad(format!("unsupported {what} `{name}` (this build supports: {})", names.join(", "))));
    }
    let mut map = match options {
        Value::Null => serde_json::Map::new(),
        Value::Object(m) => m.clone(),
        other => return Err(bad(format!("options of `{name}` must be a JSON object, got {other}"))),
    };
    if map.contains_key("name") {
        return Err(bad(format!("`{name}` takes no option `name`")));
    }
    map.insert("name".into(), Value::String(name.to_string()));
    serde_json::from_value(Value::Object(map)).map_err(|e| bad(format!("options of `{name}`: {e}")))
}

impl SamplerConfig {
    /// The names [`SamplerConfig::from_name`] knows.
    pub const NAMES: [&'static str; 7] = ["random", "qmc", "tpe", "tpe-indep", "tpe-mv", "gp", "cmaes"];

    /// The sampler called `name` with `options` (a JSON object of keyword options; `null`
    /// or `{}` for the defaults). Errors: an unknown name, an option the sampler does not
    /// take, a value of the wrong type.
    pub fn from_name(name: &str, options: &Value) -> Result<Self> {
        from_name_and_options("sampler", &Self::NAMES, name, options)
    }

    /// The name this configuration is written with.
    pub fn name(&self) -> &'static str {
        match self {
            SamplerConfig::Random(_) => "random",
            SamplerConfig::Tpe(_) => "tpe",
            SamplerConfig::TpeIndep(_) => "tpe-indep",
            SamplerConfig::Qmc(_) => "qmc",
            SamplerConfig::Gp(_) => "gp",
            SamplerConfig::CmaEs(_) => "cmaes",
        }
    }

    /// Gives samplers that keep a sequence of their own (`qmc`, `gp`) the seed `seed`,
    /// unless their options name one: a study passes its own seed here.
    pub fn with_default_seed(mut self, seed: u64) -> Self {
        match &mut self {
            SamplerConfig::Qmc(c) => c.seed = c.seed.or(Some(seed)),
            SamplerConfig::Gp(c) => c.seed = c.seed.or(Some(seed)),
            _ => {}
        }
        self
    }

    /// Builds the sampler; the builder checks the values.
    pub fn build(&self) -> Result<Box<dyn Sampler>> {
        Ok(match self {
            SamplerConfig::Random(NoOptions {}) => Box::new(RandomSampler::new()),
            SamplerConfig::Tpe(c) => Box::new(c.build(true)?),
            SamplerConfig::TpeIndep(c) => Box::new(c.build(false)?),
            SamplerConfig::Qmc(c) => {
                let mut b = QmcSampler::builder().scramble(c.scramble.unwrap_or(true));
                set!(b, c, seed);
                Box::new(b.build()?)
            }
            SamplerConfig::Gp(c) => c.build()?,
            SamplerConfig::CmaEs(c) => {
                let mut b = CmaEsSampler::builder();
                set!(b, c, sigma0, popsize, n_startup_trials);
                if let Some(CmaEsRestart::Ipop) = c.restart_strategy {
                    b = b.restart_strategy(RestartStrategy::Ipop);
                }
                set!(b, c, inc_popsize, consider_pruned_trials);
                Box::new(b.build()?)
            }
        })
    }
}

impl Default for SamplerConfig {
    /// `tpe` with its defaults ([`TpeSampler::default`]).
    fn default() -> Self {
        SamplerConfig::Tpe(TpeConfig::default())
    }
}

impl TpeConfig {
    fn build(&self, multivariate: bool) -> Result<TpeSampler> {
        let mut b = TpeSampler::builder().multivariate(self.multivariate.unwrap_or(multivariate));
        set!(b, self, n_startup_trials, n_ei_candidates, constant_liar, prior_weight, consider_magic_clip, consider_endpoints);
        b.build()
    }
}

impl GpConfig {
    #[cfg(feature = "gp")]
    fn build(&self) -> Result<Box<dyn Sampler>> {
        use crate::sampler::{Acquisition, GpSampler, InitialDesign, OutputTransform};
        if self.beta.is_some() && self.acquisition.is_none() {
            return Err(Error::InvalidConfig { what: "beta", reason: "applies to `acquisition: \"ucb\"` only".into() });
        }
        let mut b = GpSampler::builder();
        set!(b, self, seed, n_startup_trials, deterministic_objective, n_preliminary_samples, n_local_search);
        if let Some(a) = self.acquisition {
            b = b.acquisition(match a {
                GpAcquisition::LogEi => Acquisition::LogEi,
                GpAcquisition::Ei => Acquisition::Ei,
                GpAcquisition::Pi => Acquisition::Pi,
                GpAcquisition::Ucb => Acquisition::Ucb { beta: self.beta.unwrap_or(2.0) },
                GpAcquisition::MaxVariance => Acquisition::MaxVariance,
            });
        }
        if let Some(t) = self.output_transform {
            b = b.output_transform(match t {
                GpOutputTransform::Standardize => OutputTransform::Standardize,
                GpOutputTransform::YeoJohnson => OutputTransform::YeoJohnson,
            });
        }
        if let Some(d) = self.initial_design {
            b = b.initial_design(match d {
                GpInitialDesign::Sobol => InitialDesign::Sobol,
                GpInitialDesign::LatinHypercube => InitialDesign::LatinHypercube,
                GpInitialDesign::Corners => InitialDesign::Corners,
            });
        }
        Ok(Box::new(b.build()?))
    }

    #[cfg(not(feature = "gp"))]
    fn build(&self) -> Result<Box<dyn Sampler>> {
        Err(Error::FeatureDisabled { feature: "gp" })
    }
}

impl PrunerConfig {
    /// The names [`PrunerConfig::from_name`] knows.
    pub const NAMES: [&'static str; 6] = ["none", "nop", "median", "sha", "hyperband", "threshold"];

    /// The pruner called `name` with `options` (a JSON object of keyword options; `null` or
    /// `{}` for the defaults). Errors: an unknown name, an option the pruner does not take,
    /// a value of the wrong type.
    pub fn from_name(name: &str, options: &Value) -> Result<Self> {
        from_name_and_options("pruner", &Self::NAMES, name, options)
    }

    /// The name this configuration is written with.
    pub fn name(&self) -> &'static str {
        match self {
            PrunerConfig::Nop(_) => "none",
            PrunerConfig::Median(_) => "median",
            PrunerConfig::SuccessiveHalving(_) => "sha",
            PrunerConfig::Hyperband(_) => "hyperband",
            PrunerConfig::Threshold(_) => "threshold",
        }
    }

    /// Gives `hyperband` a full trial of `n_steps` steps unless its options set
    /// `max_resource` (`"auto"` included): a caller that knows the budget passes it here.
    pub fn with_default_max_resource(mut self, n_steps: Option<u64>) -> Self {
        if let PrunerConfig::Hyperband(c) = &mut self {
            c.max_resource = c.max_resource.or(n_steps.map(MaxResource::Steps));
        }
        self
    }

    /// Builds the pruner; the builder checks the values.
    pub fn build(&self) -> Result<Box<dyn Pruner>> {
        Ok(match self {
            PrunerConfig::Nop(NoOptions {}) => Box::new(NopPruner),
            PrunerConfig::Median(c) => {
                let mut b = MedianPruner::builder();
                set!(b, c, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials);
                Box::new(b.build()?)
            }
            PrunerConfig::SuccessiveHalving(c) => {
                let mut b = SuccessiveHalvingPruner::builder();
                set!(b, c, min_resource, reduction_factor, min_early_stopping_rate, bootstrap_count);
                Box::new(b.build()?)
            }
            PrunerConfig::Hyperband(c) => {
                let mut b = HyperbandPruner::builder();
                set!(b, c, min_resource);
                if let Some(MaxResource::Steps(n)) = c.max_resource {
                    b = b.max_resource(n);
                }
                set!(b, c, reduction_factor, bootstrap_count);
                Box::new(b.build()?)
            }
            PrunerConfig::Threshold(c) => {
                let mut b = ThresholdPruner::builder();
                set!(b, c, lower, upper, n_warmup_steps, interval_steps);
                Box::new(b.build()?)
            }
        })
    }
}

impl Default for PrunerConfig {
    /// `none`.
    fn default() -> Self {
        PrunerConfig::Nop(NoOptions {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sampler(name: &str, options: Value) -> Result<SamplerConfig> {
        SamplerConfig::from_name(name, &options)
    }

    #[test]
    fn names_and_options_parse_into_the_tagged_form_and_back() {
        let c = sampler("tpe-indep", json!({"n_startup_trials": 20, "prior_weight": null})).unwrap();
        assert_eq!(c, SamplerConfig::TpeIndep(TpeConfig { n_startup_trials: Some(20), ..Default::default() }));
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(text, r#"{"name":"tpe-indep","n_startup_trials":20}"#);
        assert_eq!(serde_json::from_str::<SamplerConfig>(&text).unwrap(), c);
        assert_eq!(sampler("tpe-mv", Value::Null).unwrap(), SamplerConfig::default());
        let p = PrunerConfig::from_name("hyperband", &json!({"min_resources": 2, "max_resources": "auto"})).unwrap();
        assert_eq!(
            p,
            PrunerConfig::Hyperband(HyperbandConfig {
                min_resource: Some(2),
                max_resource: Some(MaxResource::Auto(Auto::Auto)),
                ..Default::default()
            })
        );
        assert_eq!(p.clone().with_default_max_resource(Some(100)), p, "an explicit auto stays");
        let p = PrunerConfig::from_name("hyperband", &json!({"max_resource": 27})).unwrap();
        assert!(matches!(&p, PrunerConfig::Hyperband(c) if c.max_resource == Some(MaxResource::Steps(27))));
        p.build().unwrap();
    }

    #[test]
    fn every_name_builds_with_its_defaults() {
        for name in SamplerConfig::NAMES {
            let c = sampler(name, json!({})).unwrap();
            if cfg!(feature = "gp") || name != "gp" {
                c.build().unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        for name in PrunerConfig::NAMES {
            let c = PrunerConfig::from_name(name, &Value::Null).unwrap();
            if name == "threshold" {
                assert!(c.build().is_err(), "a threshold pruner needs a bound");
                PrunerConfig::from_name(name, &json!({"upper": 2})).unwrap().build().unwrap();
            } else {
                c.build().unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }

    #[test]
    fn unknown_names_options_and_values_are_errors_that_say_so() {
        let msg = |r: Result<SamplerConfig>| r.unwrap_err().to_string();
        assert!(msg(sampler("nelder-mead", Value::Null)).contains("unsupported sampler `nelder-mead`"));
        assert!(msg(sampler("random", json!({"n_startup_trials": 3}))).contains("unknown field `n_startup_trials`"));
        assert!(msg(sampler("tpe", json!([1]))).contains("must be a JSON object"));
        assert!(msg(sampler("tpe", json!({"name": "gp"}))).contains("takes no option `name`"));
        assert!(msg(sampler("tpe", json!({"n_startup_trials": -1}))).contains("options of `tpe`"));
        assert!(sampler("gp", json!({"acquisition": "thompson"})).is_err());
        assert!(sampler("cmaes", json!({"restart_strategy": "bipop"})).is_err());
        assert!(sampler("cmaes", json!({"restart_strategy": "ipop", "restart": "ipop"})).is_err(), "alias and name together");
        assert!(sampler("cmaes", json!({"restart": "ipop", "popsize": 8})).unwrap().build().is_ok());
        assert!(PrunerConfig::from_name("median", &json!({"warmup": 10})).is_err());
        assert!(PrunerConfig::from_name("wavelet", &Value::Null).unwrap_err().to_string().contains("unsupported pruner"));
    }

    #[test]
    fn seeds_and_budgets_fill_only_what_the_options_leave_open() {
        let c = sampler("qmc", json!({"seed": 4})).unwrap().with_default_seed(9);
        assert!(matches!(c, SamplerConfig::Qmc(QmcConfig { seed: Some(4), .. })));
        let c = sampler("gp", json!({})).unwrap().with_default_seed(9);
        assert!(matches!(c, SamplerConfig::Gp(GpConfig { seed: Some(9), .. })));
        let p = PrunerConfig::from_name("hyperband", &json!({})).unwrap().with_default_max_resource(Some(100));
        assert!(matches!(p, PrunerConfig::Hyperband(HyperbandConfig { max_resource: Some(MaxResource::Steps(100)), .. })));
    }

    #[cfg(feature = "gp")]
    #[test]
    fn beta_without_an_acquisition_is_an_error() {
        assert!(sampler("gp", json!({"beta": 3.0})).unwrap().build().is_err());
        assert!(sampler("gp", json!({"acquisition": "ucb", "beta": 3.0})).unwrap().build().is_ok());
    }
}
