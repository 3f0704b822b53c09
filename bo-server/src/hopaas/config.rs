//! A Hopaas study definition: the properties of an `ask` body (constants and `optuna#…`
//! suggestions) and its `hopaas_config` (title, direction, sampler, pruner), with the
//! sampler and pruner translated into bo-core's [`SamplerConfig`] and [`PrunerConfig`].

use bo_core::config::{PrunerConfig, SamplerConfig};
use bo_core::{Categorical, Direction, Distribution, Float, Int, ParamValue};
use serde_json::{Map, Value, json};

use super::protocol::kind_of;
use crate::error::{Error, Result};

/// One study property: a constant echoed back, or a parameter to sample.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Property {
    Constant(Value),
    Suggest(Distribution),
}

/// What `ask` carries besides the specials: the study definition.
pub(super) struct Definition {
    pub(super) title: String,
    pub(super) direction: Direction,
    pub(super) sampler: SamplerConfig,
    pub(super) pruner: PrunerConfig,
    pub(super) properties: Vec<(String, Property)>,
    /// Canonical JSON of the definition: its identity.
    pub(super) canonical: String,
}

impl Definition {
    /// A definition again from its canonical JSON (a study registered before a restart).
    pub(super) fn from_canonical(text: &str) -> Result<Definition> {
        let def: Value = serde_json::from_str(text).map_err(|e| Error::Internal(e.to_string()))?;
        let mut body = def.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        body.insert(
            "hopaas_config".into(),
            json!({"title": def["title"], "direction": def["direction"], "sampler": def["sampler"], "pruner": def["pruner"]}),
        );
        parse_definition(&body)
    }
}

/// JSON text with object keys sorted at every level (the identity of a study definition).
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> =
                keys.iter().map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&m[*k]))).collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

fn num(name: &str, s: &str) -> Result<f64> {
    let s = s.trim();
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| Error::Invalid(format!("`{name}`: `{s}` is not a finite number")))
}

fn int(name: &str, s: &str) -> Result<i64> {
    let x = num(name, s)?;
    if x.fract() != 0.0 || x.abs() > 9.0e15 {
        return Err(Error::Invalid(format!("`{name}`: `{s}` is not an integer")));
    }
    Ok(x as i64)
}

fn boolean(name: &str, s: &str) -> Result<bool> {
    match s.trim() {
        "true" | "True" => Ok(true),
        "false" | "False" => Ok(false),
        other => Err(Error::Invalid(format!("`{name}`: `{other}` is not a boolean"))),
    }
}

fn is_none(s: &str) -> bool {
    matches!(s.trim(), "None" | "null" | "")
}

/// Parses `optuna#KIND(ARGS)` (every form in hopaas-api.md §2, historical ones included).
fn parse_suggestion(name: &str, text: &str) -> Result<Distribution> {
    let body = text.strip_prefix("optuna#").unwrap_or(text);
    let bad = |why: &str| Error::Invalid(format!("suggestion `{text}` for `{name}`: {why}"));
    let (kind, args) = body.split_once('(').ok_or_else(|| bad("expected KIND(ARGS)"))?;
    let args = args.strip_suffix(')').ok_or_else(|| bad("missing `)`"))?;
    let a: Vec<&str> = args.split(',').collect();
    let d: Distribution = match (kind, a.as_slice()) {
        ("uniform" | "float", [lo, hi]) => Float::new(num(name, lo)?, num(name, hi)?).into(),
        ("float", [lo, hi, step, log]) => {
            let (lo, hi) = (num(name, lo)?, num(name, hi)?);
            match (is_none(step), boolean(name, log)?) {
                (true, false) => Float::new(lo, hi).into(),
                (true, true) => Float::log(lo, hi).into(),
                (false, false) => Float::stepped(lo, hi, num(name, step)?).into(),
                (false, true) => return Err(bad("a step cannot be combined with log")),
            }
        }
        ("loguniform" | "log_uniform", [lo, hi]) => Float::log(num(name, lo)?, num(name, hi)?).into(),
        ("discrete_uniform", [lo, hi]) => Float::new(num(name, lo)?, num(name, hi)?).into(),
        ("discrete_uniform", [lo, hi, q]) if is_none(q) => Float::new(num(name, lo)?, num(name, hi)?).into(),
        ("discrete_uniform", [lo, hi, q]) => Float::stepped(num(name, lo)?, num(name, hi)?, num(name, q)?).into(),
        ("int", [lo, hi, rest @ ..]) if rest.len() <= 2 => {
            let (lo, hi) = (int(name, lo)?, int(name, hi)?);
            let step = match rest.first() {
                Some(s) if !is_none(s) => int(name, s)?,
                _ => 1,
            };
            let log = match rest.get(1) {
                Some(l) => boolean(name, l)?,
                None => false,
            };
            match (log, step) {
                (false, 1) => Int::new(lo, hi).into(),
                (false, s) => Int::stepped(lo, hi, s).into(),
                (true, 1) => Int::log(lo, hi).into(),
                (true, _) => return Err(bad("a step cannot be combined with log")),
            }
        }
        ("categorical", choices) => {
            let choices: Vec<ParamValue> = choices.iter().map(|c| ParamValue::Str(c.to_string())).collect();
            Categorical::new(choices).into()
        }
        _ => return Err(bad("unknown kind or wrong number of arguments")),
    };
    d.validate(name)?;
    Ok(d)
}

/// `{"name": ..., "args": {...}}` of `hopaas_config.sampler` / `.pruner`.
fn name_and_args(v: Option<&Value>, what: &str) -> Result<Option<(String, Map<String, Value>)>> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(None) };
    let m = v.as_object().ok_or_else(|| Error::Invalid(format!("`hopaas_config.{what}` must be an object")))?;
    let name = m
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Invalid(format!("`hopaas_config.{what}.name` must be a string")))?;
    let args = match m.get("args") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => return Err(Error::Invalid(format!("`hopaas_config.{what}.args` must be an object"))),
    };
    Ok(Some((name.to_string(), args)))
}

/// The options of ours that Hopaas `args` set: each option takes the first of its Hopaas
/// spellings that is present and not `null`; other arguments are ignored (the client sends
/// every field of its dataclasses).
fn options(args: &Map<String, Value>, spellings: &[(&str, &[&str])]) -> Map<String, Value> {
    let mut out = Map::new();
    for (ours, theirs) in spellings {
        if let Some(v) = theirs.iter().filter_map(|k| args.get(*k)).find(|v| !v.is_null()) {
            out.insert(ours.to_string(), v.clone());
        }
    }
    out
}

/// `hopaas_config.sampler`: `TPESampler` (with the client's defaults, 10 startup trials and
/// 24 candidates) or `RandomSampler`; TPE's own defaults when absent.
fn sampler_config(cfg: Option<&Value>) -> Result<SamplerConfig> {
    let Some((name, args)) = name_and_args(cfg, "sampler")? else { return Ok(SamplerConfig::default()) };
    let (ours, mut opts) = match name.as_str() {
        "TPESampler" => ("tpe", options(&args, &[("n_startup_trials", &["n_startup_trials"]), ("n_ei_candidates", &["n_ei_candidates"])])),
        "RandomSampler" => ("random", Map::new()),
        other => return Err(Error::Invalid(format!("unknown sampler `{other}`: use TPESampler or RandomSampler"))),
    };
    if ours == "tpe" {
        opts.entry("n_startup_trials").or_insert(json!(10));
        opts.entry("n_ei_candidates").or_insert(json!(24));
        if let Some(v @ Value::Bool(_)) = args.get("consider_magic_clip") {
            opts.insert("consider_magic_clip".into(), v.clone());
        }
    }
    Ok(SamplerConfig::from_name(ours, &Value::Object(opts))?)
}

/// `hopaas_config.pruner`: `NopPruner` (also when absent), `MedianPruner`,
/// `ThresholdPruner`, `HyperbandPruner` (Optuna's argument names and the client's plural
/// `min_resources`/`max_resources`).
fn pruner_config(cfg: Option<&Value>) -> Result<PrunerConfig> {
    let Some((name, args)) = name_and_args(cfg, "pruner")? else { return Ok(PrunerConfig::default()) };
    let steps: [(&str, &[&str]); 2] = [("n_warmup_steps", &["n_warmup_steps"]), ("interval_steps", &["interval_steps"])];
    let (ours, opts) = match name.as_str() {
        "NopPruner" => ("none", Map::new()),
        "MedianPruner" => {
            let counts: [(&str, &[&str]); 2] = [("n_startup_trials", &["n_startup_trials"]), ("n_min_trials", &["n_min_trials"])];
            ("median", options(&args, &[counts.as_slice(), steps.as_slice()].concat()))
        }
        "ThresholdPruner" => {
            let bounds: [(&str, &[&str]); 2] = [("lower", &["lower"]), ("upper", &["upper"])];
            ("threshold", options(&args, &[bounds.as_slice(), steps.as_slice()].concat()))
        }
        "HyperbandPruner" => (
            "hyperband",
            options(
                &args,
                &[
                    ("min_resource", &["min_resources", "min_resource"]),
                    ("max_resource", &["max_resources", "max_resource"]),
                    ("reduction_factor", &["reduction_factor"]),
                    ("bootstrap_count", &["bootstrap_count"]),
                ],
            ),
        ),
        other => {
            return Err(Error::Invalid(format!(
                "unknown pruner `{other}`: use NopPruner, MedianPruner, ThresholdPruner or HyperbandPruner"
            )));
        }
    };
    Ok(PrunerConfig::from_name(ours, &Value::Object(opts))?)
}

/// The study definition of an `ask` body.
pub(super) fn parse_definition(body: &Map<String, Value>) -> Result<Definition> {
    let cfg = body
        .get("hopaas_config")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Invalid("missing object `hopaas_config`".into()))?;
    let title = cfg
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty() && t.len() <= 200 && !t.chars().any(char::is_control))
        .ok_or_else(|| Error::Invalid("`hopaas_config.title` must be a non-empty string of at most 200 bytes".into()))?;
    let direction = match cfg.get("direction") {
        None | Some(Value::Null) => Direction::Minimize,
        Some(Value::String(s)) => {
            Direction::parse(s).ok_or_else(|| Error::Invalid(format!("`direction` must be minimize or maximize, not `{s}`")))?
        }
        Some(other) => return Err(Error::Invalid(format!("`direction` must be a string, not {}", kind_of(other)))),
    };
    let mut properties = Vec::new();
    let mut ident = Map::new();
    for (k, v) in body {
        if k == "hopaas_config" || k.starts_with('_') {
            continue;
        }
        if k.is_empty() || k.len() > 200 {
            return Err(Error::Invalid("property names must have 1 to 200 bytes".into()));
        }
        let p = match v.as_str() {
            Some(s) if s.starts_with("optuna#") => Property::Suggest(parse_suggestion(k, s)?),
            _ => Property::Constant(v.clone()),
        };
        ident.insert(k.clone(), v.clone());
        properties.push((k.clone(), p));
    }
    let (sampler, pruner) = (cfg.get("sampler").cloned(), cfg.get("pruner").cloned());
    let canonical = canonical(&json!({
        "title": title,
        "direction": direction.as_str(),
        "sampler": sampler,
        "pruner": pruner,
        "properties": ident,
    }));
    Ok(Definition {
        title: title.to_string(),
        direction,
        sampler: sampler_config(sampler.as_ref())?,
        pruner: pruner_config(pruner.as_ref())?,
        properties,
        canonical,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bo_core::config::{HyperbandConfig, MaxResource, MedianConfig, TpeConfig};

    #[test]
    fn suggestions_of_every_client_version_parse() {
        let cases: Vec<(&str, Distribution)> = vec![
            ("optuna#uniform(-50,50)", Float::new(-50.0, 50.0).into()),
            ("optuna#float(0.0001,0.001)", Float::new(1e-4, 1e-3).into()),
            ("optuna#loguniform(0.001,1000.0)", Float::log(1e-3, 1e3).into()),
            ("optuna#log_uniform(1e-05,1.0)", Float::log(1e-5, 1.0).into()),
            ("optuna#discrete_uniform(-1.0,1.0)", Float::new(-1.0, 1.0).into()),
            ("optuna#discrete_uniform(-1.0,1.0,0.5)", Float::stepped(-1.0, 1.0, 0.5).into()),
            ("optuna#float(-1.0,1.0,None,False)", Float::new(-1.0, 1.0).into()),
            ("optuna#float(0.01,1.0,None,True)", Float::log(0.01, 1.0).into()),
            ("optuna#int(10000,200000,5000,false)", Int::stepped(10000, 200000, 5000).into()),
            ("optuna#int(0,10,2,false)", Int::stepped(0, 10, 2).into()),
            ("optuna#int(1,64,1,true)", Int::log(1, 64).into()),
            ("optuna#int(2,20)", Int::new(2, 20).into()),
            (
                "optuna#categorical(gan,bce-gan,wgan)",
                Categorical::new(vec!["gan".into(), "bce-gan".into(), "wgan".into()]).into(),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_suggestion("p", text).unwrap(), expected, "{text}");
        }
        for bad in ["optuna#int(5,1,1,false)", "optuna#float(a,b)", "optuna#gauss(0,1)", "optuna#int(1,2", "optuna#loguniform(0,1)"] {
            assert!(parse_suggestion("p", bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn client_samplers_and_pruners_keep_the_client_defaults() {
        let tpe = sampler_config(Some(&json!({"name": "TPESampler", "args": {"n_startup_trials": 10, "n_ei_candidates": 24, "consider_magic_clip": true}}))).unwrap();
        let expected = TpeConfig { n_startup_trials: Some(10), n_ei_candidates: Some(24), consider_magic_clip: Some(true), ..Default::default() };
        assert_eq!(tpe, SamplerConfig::Tpe(expected.clone()));
        let bare = sampler_config(Some(&json!({"name": "TPESampler", "args": {"consider_magic_clip": "yes", "seed": 3}}))).unwrap();
        assert_eq!(bare, SamplerConfig::Tpe(TpeConfig { consider_magic_clip: None, ..expected }));
        assert_eq!(sampler_config(None).unwrap(), SamplerConfig::default());
        assert!(sampler_config(Some(&json!({"name": "CmaEsSampler"}))).is_err());
        let hb = pruner_config(Some(&json!({"name": "HyperbandPruner", "args": {"min_resources": 2, "max_resources": "auto", "bootstrap_count": 0}}))).unwrap();
        assert!(matches!(hb, PrunerConfig::Hyperband(HyperbandConfig { min_resource: Some(2), max_resource: Some(MaxResource::Auto(_)), .. })));
        let hb = pruner_config(Some(&json!({"name": "HyperbandPruner", "args": {"max_resource": 30}}))).unwrap();
        assert!(matches!(hb, PrunerConfig::Hyperband(HyperbandConfig { max_resource: Some(MaxResource::Steps(30)), .. })));
        assert!(pruner_config(Some(&json!({"name": "HyperbandPruner", "args": {"max_resources": "many"}}))).is_err());
        let median = pruner_config(Some(&json!({"name": "MedianPruner", "args": {"n_startup_trials": 5, "n_warmup_steps": 0, "interval_steps": 1, "n_min_trials": 1}}))).unwrap();
        let expected = MedianConfig { n_startup_trials: Some(5), n_warmup_steps: Some(0), interval_steps: Some(1), n_min_trials: Some(1) };
        assert_eq!(median, PrunerConfig::Median(expected));
        let threshold = pruner_config(Some(&json!({"name": "ThresholdPruner", "args": {"lower": null, "upper": 2}}))).unwrap();
        threshold.build().unwrap();
        assert_eq!(pruner_config(Some(&json!({"name": "NopPruner", "args": {}}))).unwrap(), PrunerConfig::default());
        assert!(pruner_config(Some(&json!({"name": "WaveletPruner"}))).is_err());
    }
}
