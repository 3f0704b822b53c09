//! Sampler and pruner names of the harness (`init`'s `sampler`, `pruner` and their
//! `*_options`), mapped to bo-core types. The one place to add a sampler or pruner.

use anyhow::{Result, bail};
use bo_core::sampler::{Acquisition, InitialDesign, OutputTransform};
use bo_core::{
    CmaEsSampler, GpSampler, HyperbandPruner, MedianPruner, NopPruner, Pruner, QmcSampler, RandomSampler, RestartStrategy,
    Sampler, SuccessiveHalvingPruner, TpeSampler,
};
use serde_json::Value;

/// The sampler the harness calls `name`, configured from `options` (a JSON object of
/// keyword arguments, e.g. `{"n_startup_trials": 20}`; `null` or `{}` for the defaults).
/// `seed` is the study's seed, used by samplers that keep their own sequence (QMC).
///
/// The harness's names and their Optuna meaning: `random` (`RandomSampler`), `tpe`
/// (multivariate TPE, Optuna 5's default), `tpe-indep` (univariate TPE), `qmc` (scrambled
/// Sobol), `gp` (Gaussian process, LogEI; options `acquisition` = logei|ei|pi|ucb|max_variance,
/// `beta`, `initial_design` = sobol|lhs|corners, `output_transform` = yeo_johnson|standardize,
/// `n_startup_trials`, `deterministic_objective`,
/// `n_preliminary_samples`, `n_local_search`), `cmaes` (`CmaEsSampler`; options `sigma0`,
/// `popsize`, `n_startup_trials`, `restart_strategy` = `"ipop"` (or `restart`), `inc_popsize`,
/// `consider_pruned_trials`). The study's seed drives every other draw (samplers own no random
/// state).
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
    let mut options = Opts::new(name, options)?;
    let sampler: Box<dyn Sampler> = match name {
        "random" => Box::new(RandomSampler::new()),
        "tpe" | "tpe-indep" | "tpe-mv" => {
            let mut b = TpeSampler::builder().multivariate(name != "tpe-indep");
            if let Some(n) = options.u64("n_startup_trials")? {
                b = b.n_startup_trials(n);
            }
            if let Some(n) = options.u64("n_ei_candidates")? {
                b = b.n_ei_candidates(n as usize);
            }
            if let Some(yes) = options.bool("multivariate")? {
                b = b.multivariate(yes);
            }
            if let Some(yes) = options.bool("constant_liar")? {
                b = b.constant_liar(yes);
            }
            if let Some(w) = options.f64("prior_weight")? {
                b = b.prior_weight(w);
            }
            if let Some(yes) = options.bool("consider_magic_clip")? {
                b = b.consider_magic_clip(yes);
            }
            if let Some(yes) = options.bool("consider_endpoints")? {
                b = b.consider_endpoints(yes);
            }
            Box::new(b.build()?)
        }
        "qmc" => {
            let scramble = options.bool("scramble")?.unwrap_or(true);
            Box::new(QmcSampler::builder().seed(seed).scramble(scramble).build()?)
        }
        "gp" => {
            let mut b = GpSampler::builder().seed(seed);
            if let Some(n) = options.u64("n_startup_trials")? {
                b = b.n_startup_trials(n);
            }
            if let Some(yes) = options.bool("deterministic_objective")? {
                b = b.deterministic_objective(yes);
            }
            if let Some(n) = options.u64("n_preliminary_samples")? {
                b = b.n_preliminary_samples(n as usize);
            }
            if let Some(n) = options.u64("n_local_search")? {
                b = b.n_local_search(n as usize);
            }
            if let Some(a) = options.string("acquisition")? {
                let beta = options.f64("beta")?.unwrap_or(2.0);
                b = b.acquisition(match a.as_str() {
                    "logei" => Acquisition::LogEi,
                    "ei" => Acquisition::Ei,
                    "pi" => Acquisition::Pi,
                    "ucb" => Acquisition::Ucb { beta },
                    "max_variance" => Acquisition::MaxVariance,
                    other => bail!("unknown acquisition `{other}` (logei, ei, pi, ucb, max_variance)"),
                });
            }
            if let Some(t) = options.string("output_transform")? {
                b = b.output_transform(match t.as_str() {
                    "standardize" => OutputTransform::Standardize,
                    "yeo_johnson" => OutputTransform::YeoJohnson,
                    other => bail!("unknown output_transform `{other}` (standardize, yeo_johnson)"),
                });
            }
            if let Some(d) = options.string("initial_design")? {
                b = b.initial_design(match d.as_str() {
                    "sobol" => InitialDesign::Sobol,
                    "lhs" => InitialDesign::LatinHypercube,
                    "corners" => InitialDesign::Corners,
                    other => bail!("unknown initial design `{other}` (sobol, lhs, corners)"),
                });
            }
            Box::new(b.build()?)
        }
        "cmaes" => {
            let mut b = CmaEsSampler::builder();
            if let Some(x) = options.f64("sigma0")? {
                b = b.sigma0(x);
            }
            if let Some(n) = options.u64("popsize")? {
                b = b.popsize(usize::try_from(n).unwrap_or(usize::MAX));
            }
            if let Some(n) = options.u64("n_startup_trials")? {
                b = b.n_startup_trials(n);
            }
            let strategy = match (options.string("restart_strategy")?, options.string("restart")?) {
                (Some(_), Some(_)) => bail!("`cmaes` takes `restart_strategy` or its alias `restart`, not both"),
                (Some(s), None) | (None, Some(s)) => Some(s),
                (None, None) => None,
            };
            match strategy.as_deref() {
                None | Some("none") => {}
                Some("ipop") => b = b.restart_strategy(RestartStrategy::Ipop),
                Some(other) => bail!("unsupported restart strategy `{other}` of `cmaes` (supported: ipop, none)"),
            }
            if let Some(n) = options.u64("inc_popsize")? {
                b = b.inc_popsize(usize::try_from(n).unwrap_or(usize::MAX));
            }
            if let Some(yes) = options.bool("consider_pruned_trials")? {
                b = b.consider_pruned_trials(yes);
            }
            Box::new(b.build()?)
        }
        _ => bail!("unsupported sampler `{name}` (this build supports: random, qmc, tpe, tpe-indep, gp, cmaes)"),
    };
    options.finish()?;
    Ok(sampler)
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
    let mut o = Opts::new(name, options)?;
    let pruner: Box<dyn Pruner> = match name {
        "none" => Box::new(NopPruner),
        "median" => {
            let mut b = MedianPruner::builder();
            if let Some(n) = o.u64("n_startup_trials")? {
                b = b.n_startup_trials(n as usize);
            }
            if let Some(n) = o.u64("n_warmup_steps")? {
                b = b.n_warmup_steps(n);
            }
            if let Some(n) = o.u64("interval_steps")? {
                b = b.interval_steps(n);
            }
            if let Some(n) = o.u64("n_min_trials")? {
                b = b.n_min_trials(n as usize);
            }
            Box::new(b.build()?)
        }
        "sha" => {
            let mut b = SuccessiveHalvingPruner::builder();
            if let Some(n) = o.u64("min_resource")? {
                b = b.min_resource(n);
            }
            if let Some(n) = o.u64("reduction_factor")? {
                b = b.reduction_factor(n);
            }
            if let Some(n) = o.u64("min_early_stopping_rate")? {
                b = b.min_early_stopping_rate(n as u32);
            }
            if let Some(n) = o.u64("bootstrap_count")? {
                b = b.bootstrap_count(n as usize);
            }
            Box::new(b.build()?)
        }
        "hyperband" => {
            let mut b = HyperbandPruner::builder()
                .min_resource(o.u64("min_resource")?.unwrap_or(1))
                .reduction_factor(o.u64("reduction_factor")?.unwrap_or(3));
            if let Some(n) = o.u64("max_resource")?.or(n_steps) {
                b = b.max_resource(n);
            }
            if let Some(n) = o.u64("bootstrap_count")? {
                b = b.bootstrap_count(n as usize);
            }
            Box::new(b.build()?)
        }
        _ => bail!("unsupported pruner `{name}` (this build supports: none, median, sha, hyperband)"),
    };
    o.finish()?;
    Ok(pruner)
}

/// Keyword options of one sampler or pruner; each is taken once, and any left over at
/// [`Opts::finish`] is an error (a misspelt option must not be silently ignored).
struct Opts<'a> {
    name: &'a str,
    map: serde_json::Map<String, Value>,
}

impl<'a> Opts<'a> {
    fn new(name: &'a str, options: &Value) -> Result<Self> {
        let map = match options {
            Value::Null => serde_json::Map::new(),
            Value::Object(m) => m.clone(),
            other => bail!("options of `{name}` must be a JSON object, got {other}"),
        };
        Ok(Opts { name, map })
    }

    fn u64(&mut self, key: &str) -> Result<Option<u64>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) => Ok(Some(n)),
                None => bail!("option `{key}` of `{}` must be a non-negative integer, got {v}", self.name),
            },
        }
    }

    fn f64(&mut self, key: &str) -> Result<Option<f64>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) => Ok(Some(n)),
                None => bail!("option `{key}` of `{}` must be a number, got {v}", self.name),
            },
        }
    }

    fn bool(&mut self, key: &str) -> Result<Option<bool>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(v) => bail!("option `{key}` of `{}` must be true or false, got {v}", self.name),
        }
    }

    fn string(&mut self, key: &str) -> Result<Option<String>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => bail!("option `{key}` of `{}` must be a string, got {v}", self.name),
        }
    }

    fn finish(self) -> Result<()> {
        match self.map.keys().next() {
            Some(key) if self.map.len() == 1 => bail!("`{}` takes no option `{key}`", self.name),
            Some(_) => {
                let keys: Vec<&str> = self.map.keys().map(String::as_str).collect();
                bail!("`{}` takes no options {}", self.name, keys.join(", "))
            }
            None => Ok(()),
        }
    }
}
