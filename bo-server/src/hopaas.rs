//! The Hopaas REST API (`/api/version`, `/api/ask/{token}`, `/api/tell/{token}`,
//! `/api/should_prune/{token}`, `/api/mark_as_failed/{token}`, `/api/get_best_trial/{token}`),
//! as the unmodified `hopaas_client` Python package speaks it.
//!
//! Quirks honoured: bodies are JSON whatever the `Content-Type` (the client sends none) and may
//! hold the bare tokens `NaN`, `Infinity`, `-Infinity`; `should_prune` answers exactly `true`
//! or `false` and prunes (finalises) the trial itself when it says `true`; a repeated
//! `should_prune` of the same step keeps the first value; `tell`/`mark_as_failed` on a finished
//! trial answer 200 and change nothing. A study is identified by its owner and the canonical
//! JSON of its definition (title, direction, sampler, pruner, non-special properties); its id
//! is the base64url SHA-256 of that (43 characters, no `:`). It is stored as
//! `OWNER/TITLE#ID8` (the first 8 characters of the id).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use bo_core::{
    Categorical, Direction, Distribution, Float, HyperbandPruner, Int, MedianPruner, NopPruner, Outcome, ParamValue,
    Pruner, RandomSampler, Sampler, Study, ThresholdPruner, TpeSampler, TrialId, TrialState,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::api::{blocking, read_body};
use crate::auth::HopaasRecord;
use crate::error::{Error, Result, json_response};
use crate::state::{AppState, Owner};

/// The routes of the Hopaas API.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/version", get(version))
        .route("/api/ask/{token}", post(ask))
        .route("/api/tell/{token}", post(tell))
        .route("/api/should_prune/{token}", post(should_prune))
        .route("/api/mark_as_failed/{token}", post(mark_as_failed))
        .route("/api/get_best_trial/{token}", get(get_best_trial))
}

/// A loaded Hopaas study: its bo study, pruner and property template.
pub(crate) struct HopaasStudy {
    sid: String,
    owner: String,
    study: Study,
    pruner: Box<dyn Pruner>,
    properties: Vec<(String, Property)>,
    /// trial number -> trial id
    numbers: Mutex<HashMap<u64, TrialId>>,
}

/// One study property: a constant echoed back, or a parameter to sample.
#[derive(Debug, Clone, PartialEq)]
enum Property {
    Constant(Value),
    Suggest(Distribution),
}

// ---------------------------------------------------------------------------------------
// Lenient JSON

/// Parses a Python `json.dumps` body: standard JSON plus bare `NaN`, `Infinity`,
/// `-Infinity` (turned into the strings `"NaN"`, `"Infinity"`, `"-Infinity"`).
pub(crate) fn parse_lenient(bytes: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::MalformedJson("the body is not UTF-8".into()))?;
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let mut replaced = false;
        for (token, text) in [("-Infinity", "\"-Infinity\""), ("Infinity", "\"Infinity\""), ("NaN", "\"NaN\"")] {
            if rest.starts_with(token) {
                out.push_str(text);
                rest = &rest[token.len()..];
                replaced = true;
                break;
            }
        }
        if replaced {
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&out).map_err(|e| Error::MalformedJson(e.to_string()))
}

/// A loss: a number, or the (lenient) non-finite tokens, or `null` (NaN).
fn loss_of(v: Option<&Value>) -> Result<f64> {
    match v {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| Error::Invalid("`loss` is not a number".into())),
        Some(Value::String(s)) if s == "NaN" => Ok(f64::NAN),
        Some(Value::String(s)) if s == "Infinity" => Ok(f64::INFINITY),
        Some(Value::String(s)) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        Some(Value::Null) => Ok(f64::NAN),
        Some(other) => Err(Error::Invalid(format!("`loss` must be a number, not {other}"))),
        None => Err(Error::Invalid("missing field `loss`".into())),
    }
}

fn object(v: Value) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(Error::Invalid(format!("the body must be a JSON object, not {}", kind_of(&other)))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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

// ---------------------------------------------------------------------------------------
// Suggestions, samplers, pruners

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

fn arg_u64(args: &Map<String, Value>, keys: &[&str], default: u64) -> Result<u64> {
    for k in keys {
        match args.get(*k) {
            None | Some(Value::Null) => continue,
            Some(v) => {
                return v.as_u64().ok_or_else(|| Error::Invalid(format!("argument `{k}` must be an integer >= 0, not {v}")));
            }
        }
    }
    Ok(default)
}

fn arg_f64(args: &Map<String, Value>, key: &str) -> Result<Option<f64>> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| Error::Invalid(format!("argument `{key}` must be a number, not {v}"))),
    }
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

fn make_sampler(cfg: Option<&Value>) -> Result<Box<dyn Sampler>> {
    Ok(match name_and_args(cfg, "sampler")? {
        None => Box::new(TpeSampler::default()),
        Some((name, args)) => match name.as_str() {
            "TPESampler" => {
                let mut b = TpeSampler::builder()
                    .n_startup_trials(arg_u64(&args, &["n_startup_trials"], 10)?)
                    .n_ei_candidates(arg_u64(&args, &["n_ei_candidates"], 24)? as usize);
                if let Some(v) = args.get("consider_magic_clip").and_then(Value::as_bool) {
                    b = b.consider_magic_clip(v);
                }
                Box::new(b.build()?)
            }
            "RandomSampler" => Box::new(RandomSampler::new()),
            other => return Err(Error::Invalid(format!("unknown sampler `{other}`: use TPESampler or RandomSampler"))),
        },
    })
}

fn make_pruner(cfg: Option<&Value>) -> Result<Box<dyn Pruner>> {
    Ok(match name_and_args(cfg, "pruner")? {
        None => Box::new(NopPruner),
        Some((name, args)) => match name.as_str() {
            "NopPruner" => Box::new(NopPruner),
            "MedianPruner" => Box::new(
                MedianPruner::builder()
                    .n_startup_trials(arg_u64(&args, &["n_startup_trials"], 5)? as usize)
                    .n_warmup_steps(arg_u64(&args, &["n_warmup_steps"], 0)?)
                    .interval_steps(arg_u64(&args, &["interval_steps"], 1)?)
                    .n_min_trials(arg_u64(&args, &["n_min_trials"], 1)? as usize)
                    .build()?,
            ),
            "ThresholdPruner" => {
                let mut b = ThresholdPruner::builder()
                    .n_warmup_steps(arg_u64(&args, &["n_warmup_steps"], 0)?)
                    .interval_steps(arg_u64(&args, &["interval_steps"], 1)?);
                if let Some(l) = arg_f64(&args, "lower")? {
                    b = b.lower(l);
                }
                if let Some(u) = arg_f64(&args, "upper")? {
                    b = b.upper(u);
                }
                Box::new(b.build()?)
            }
            "HyperbandPruner" => {
                let mut b = HyperbandPruner::builder()
                    .min_resource(arg_u64(&args, &["min_resources", "min_resource"], 1)?)
                    .reduction_factor(arg_u64(&args, &["reduction_factor"], 3)?)
                    .bootstrap_count(arg_u64(&args, &["bootstrap_count"], 0)? as usize);
                for k in ["max_resources", "max_resource"] {
                    match args.get(k) {
                        None | Some(Value::Null) => {}
                        Some(Value::String(s)) if s == "auto" => {}
                        Some(v) => {
                            let m = v.as_u64().ok_or_else(|| Error::Invalid(format!("`{k}` must be \"auto\" or an integer")))?;
                            b = b.max_resource(m);
                        }
                    }
                }
                Box::new(b.build()?)
            }
            other => {
                return Err(Error::Invalid(format!(
                    "unknown pruner `{other}`: use NopPruner, MedianPruner, ThresholdPruner or HyperbandPruner"
                )));
            }
        },
    })
}

// ---------------------------------------------------------------------------------------
// Study definitions

/// What `ask` carries besides the specials: the study definition.
struct Definition {
    title: String,
    direction: Direction,
    sampler: Option<Value>,
    pruner: Option<Value>,
    properties: Vec<(String, Property)>,
    /// Canonical JSON of the definition.
    canonical: String,
}

fn parse_definition(body: &Map<String, Value>) -> Result<Definition> {
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
    let sampler = cfg.get("sampler").cloned();
    let pruner = cfg.get("pruner").cloned();
    let canonical = canonical(&json!({
        "title": title,
        "direction": direction.as_str(),
        "sampler": sampler,
        "pruner": pruner,
        "properties": ident,
    }));
    Ok(Definition { title: title.to_string(), direction, sampler, pruner, properties, canonical })
}

fn study_id(owner: &Owner, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(owner.key().as_bytes());
    h.update([0u8]);
    h.update(canonical.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

impl HopaasStudy {
    fn load(st: &AppState, sid: &str, rec: &HopaasRecord, def: Definition) -> Result<Self> {
        let sampler = make_sampler(def.sampler.as_ref())?;
        let study = Study::builder()
            .name(rec.storage_name.clone())
            .direction(def.direction)
            .sampler(sampler)
            .pruner(make_pruner(def.pruner.as_ref())?)
            .shared_storage(st.inner.storage.clone())
            .load_if_exists(true)
            .build()?;
        st.remember_study(study.id(), &rec.storage_name);
        Ok(HopaasStudy {
            sid: sid.to_string(),
            owner: rec.owner.clone(),
            study,
            pruner: make_pruner(def.pruner.as_ref())?,
            properties: def.properties,
            numbers: Mutex::new(HashMap::new()),
        })
    }

    /// The id of trial `number`.
    fn trial_id(&self, number: u64) -> Result<TrialId> {
        if let Some(id) = self.numbers.lock().unwrap_or_else(|e| e.into_inner()).get(&number) {
            return Ok(*id);
        }
        let trials = self.study.trials()?;
        let mut map = self.numbers.lock().unwrap_or_else(|e| e.into_inner());
        for t in &trials {
            map.insert(t.number, t.id);
        }
        map.get(&number).copied().ok_or_else(|| Error::NotFound { what: "trial", id: format!("{}:{number}", self.sid) })
    }
}

/// The study for an `ask` body: loaded, registered or created.
fn study_for_ask(st: &AppState, owner: &Owner, body: &Map<String, Value>) -> Result<Arc<HopaasStudy>> {
    let def = parse_definition(body)?;
    let sid = study_id(owner, &def.canonical);
    if let Some(s) = st.inner.hopaas.lock().unwrap_or_else(|e| e.into_inner()).get(&sid) {
        return Ok(s.clone());
    }
    let rec = match st.inner.auth.hopaas_study(&sid)? {
        Some(r) => r,
        None => {
            let r = HopaasRecord {
                owner: owner.key().to_string(),
                storage_name: owner.full(&format!("{}#{}", def.title, &sid[..8])),
                definition: def.canonical.clone(),
            };
            st.inner.auth.register_hopaas_study(&sid, &r)?;
            r
        }
    };
    let loaded = Arc::new(HopaasStudy::load(st, &sid, &rec, def)?);
    let mut map = st.inner.hopaas.lock().unwrap_or_else(|e| e.into_inner());
    Ok(map.entry(sid).or_insert(loaded).clone())
}

/// The study and trial named by a handle `SID:N`, if `owner` owns it.
fn resolve(st: &AppState, owner: &Owner, handle: &str) -> Result<(Arc<HopaasStudy>, u64, TrialId)> {
    let bad = || Error::Invalid(format!("`hopaas_trial` must be \"STUDY_ID:NUMBER\", not {handle:?}"));
    let (sid, n) = handle.split_once(':').ok_or_else(bad)?;
    let number: u64 = n.parse().map_err(|_| bad())?;
    let study = study_by_id(st, owner, sid)?;
    let id = study.trial_id(number)?;
    Ok((study, number, id))
}

fn study_by_id(st: &AppState, owner: &Owner, sid: &str) -> Result<Arc<HopaasStudy>> {
    let not_found = || Error::NotFound { what: "study", id: sid.to_string() };
    let cached = st.inner.hopaas.lock().unwrap_or_else(|e| e.into_inner()).get(sid).cloned();
    let study = match cached {
        Some(s) => s,
        None => {
            // Registered before a restart: rebuild it from its stored definition.
            let rec = st.inner.auth.hopaas_study(sid)?.ok_or_else(not_found)?;
            let def: Value = serde_json::from_str(&rec.definition).map_err(|e| Error::Internal(e.to_string()))?;
            let mut body = def.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
            body.insert(
                "hopaas_config".into(),
                json!({"title": def["title"], "direction": def["direction"], "sampler": def["sampler"], "pruner": def["pruner"]}),
            );
            let parsed = parse_definition(&body)?;
            let loaded = Arc::new(HopaasStudy::load(st, sid, &rec, parsed)?);
            st.inner.hopaas.lock().unwrap_or_else(|e| e.into_inner()).entry(sid.to_string()).or_insert(loaded).clone()
        }
    };
    if study.owner != owner.key() {
        return Err(not_found());
    }
    Ok(study)
}

fn handle_of(body: &Map<String, Value>) -> Result<String> {
    match body.get("hopaas_trial") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(Error::Invalid(format!("`hopaas_trial` must be a string, not {}", kind_of(other)))),
        None => Err(Error::Invalid("missing field `hopaas_trial`".into())),
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Runs a Hopaas call: owner from the path token, lenient body, blocking work.
async fn call<T: Send + 'static>(
    st: AppState,
    token: String,
    body: Body,
    f: impl FnOnce(&AppState, &Owner, Map<String, Value>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let bytes = read_body(&st, body).await?;
    blocking(move || {
        let owner = st.owner_of_token(Some(&token))?;
        let body = object(parse_lenient(&bytes)?)?;
        f(&st, &owner, body)
    })
    .await
}

fn raw(body: &'static str) -> Response {
    json_response(StatusCode::OK, body.to_string())
}

async fn version() -> Response {
    json_response(StatusCode::OK, format!("\"{}\"", env!("CARGO_PKG_VERSION")))
}

async fn ask(State(st): State<AppState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    let out = call(st, token, body, |st, owner, body| {
        let hs = study_for_ask(st, owner, &body)?;
        let mut trial = hs.study.ask()?;
        let id = trial.id().ok_or_else(|| Error::Internal("asked trial has no id".into()))?;
        let number = trial.number().unwrap_or_default();
        hs.numbers.lock().unwrap_or_else(|e| e.into_inner()).insert(number, id);
        st.remember_trials(hs.study.id(), [id]);
        let mut fill = || -> Result<Map<String, Value>> {
            let mut out = Map::new();
            for (name, p) in &hs.properties {
                let v = match p {
                    Property::Constant(v) => v.clone(),
                    Property::Suggest(d) => trial.suggest_value(name, d.clone())?.to_json(),
                };
                out.insert(name.clone(), v);
            }
            for (k, v) in body.iter().filter(|(k, _)| k.starts_with('_')) {
                st.inner.storage.set_user_attr(id, k, v)?;
            }
            st.inner.storage.heartbeat(id)?;
            Ok(out)
        };
        let mut out = match fill() {
            Ok(out) => out,
            Err(e) => {
                // Never leave a half-made trial RUNNING.
                let _ = st.inner.storage.finish(id, &Outcome::Failed(format!("ask failed: {e}")));
                return Err(e);
            }
        };
        out.insert("hopaas_trial".into(), Value::String(format!("{}:{number}", hs.sid)));
        Ok(Value::Object(out))
    })
    .await?;
    Ok(json_response(StatusCode::OK, out.to_string()))
}

async fn should_prune(State(st): State<AppState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    let prune = call(st, token, body, |st, owner, body| {
        let handle = handle_of(&body)?;
        let loss = loss_of(body.get("loss"))?;
        let step = match body.get("step") {
            Some(v) => v.as_u64().ok_or_else(|| Error::Invalid(format!("`step` must be an integer >= 0, not {v}")))?,
            None => return Err(Error::Invalid("missing field `step`".into())),
        };
        let (hs, _, id) = resolve(st, owner, &handle)?;
        let storage = &st.inner.storage;
        let t = storage.trial(id)?;
        match t.state {
            TrialState::Pruned => return Ok(true),
            s if s.is_finished() => return Ok(false),
            _ => {}
        }
        // A repeated step keeps its first value (the client sends the last one twice).
        if loss.is_finite() && !t.intermediate_values.contains_key(&step) {
            match storage.report(id, step, loss) {
                Ok(()) => {}
                Err(bo_core::Error::TrialFinished { .. }) => return Ok(storage.trial(id)?.state == TrialState::Pruned),
                Err(e) => return Err(e.into()),
            }
        }
        let _ = storage.heartbeat(id);
        let history = hs.study.history()?;
        let t = storage.trial(id)?;
        if !hs.pruner.should_prune(&history, &t) {
            return Ok(false);
        }
        let last = t.intermediate_values.values().next_back().copied();
        match storage.finish(id, &Outcome::Pruned(last)) {
            Ok(_) => Ok(true),
            Err(bo_core::Error::TrialFinished { .. }) => Ok(storage.trial(id)?.state == TrialState::Pruned),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    Ok(raw(if prune { "true" } else { "false" }))
}

/// Finishes a trial unless it finished already (then: 200, no change).
fn finish_once(st: &AppState, id: TrialId, outcome: &Outcome) -> Result<()> {
    match st.inner.storage.finish(id, outcome) {
        Ok(_) | Err(bo_core::Error::TrialFinished { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn tell(State(st): State<AppState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    call(st, token, body, |st, owner, body| {
        let handle = handle_of(&body)?;
        let loss = loss_of(body.get("loss"))?;
        let (_, _, id) = resolve(st, owner, &handle)?;
        let outcome = if loss.is_finite() {
            Outcome::Complete(loss)
        } else {
            Outcome::Failed(format!("objective value {loss} is not finite"))
        };
        finish_once(st, id, &outcome)
    })
    .await?;
    Ok(raw("null"))
}

async fn mark_as_failed(State(st): State<AppState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    call(st, token, body, |st, owner, body| {
        let (_, _, id) = resolve(st, owner, &handle_of(&body)?)?;
        let reason = match body.get("error") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => "marked as failed".to_string(),
            Some(other) => other.to_string(),
        };
        finish_once(st, id, &Outcome::Failed(reason))
    })
    .await?;
    Ok(raw("null"))
}

async fn get_best_trial(State(st): State<AppState>, Path(token): Path<String>, RawQuery(q): RawQuery) -> Result<Response> {
    let q = q.unwrap_or_default();
    let handle = q
        .split('&')
        .find_map(|kv| kv.strip_prefix("hopaas_trial="))
        .map(|v| v.replace("%3A", ":").replace("%3a", ":"))
        .ok_or_else(|| Error::Invalid("missing query parameter `hopaas_trial`".into()))?;
    let best = blocking(move || {
        let owner = st.owner_of_token(Some(&token))?;
        let sid = handle.split_once(':').map(|(s, _)| s).unwrap_or(&handle).to_string();
        let hs = study_by_id(&st, &owner, &sid)?;
        let best = hs.study.best_trial()?;
        Ok(format!("{sid}:{}", best.number))
    })
    .await?;
    Ok(json_response(StatusCode::OK, Value::String(best).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_json_reads_python_non_finite_tokens_outside_strings_only() {
        let v = parse_lenient(br#"{"loss": NaN, "a": Infinity, "b": [-Infinity], "s": "NaN Infinity \" NaN"}"#).unwrap();
        assert_eq!(v["loss"], json!("NaN"));
        assert_eq!(v["a"], json!("Infinity"));
        assert_eq!(v["b"], json!(["-Infinity"]));
        assert_eq!(v["s"], json!("NaN Infinity \" NaN"));
        assert!(loss_of(v.get("loss")).unwrap().is_nan());
        assert_eq!(loss_of(v.get("a")).unwrap(), f64::INFINITY);
        assert!(matches!(parse_lenient(b"{\"loss\": Nan}"), Err(Error::MalformedJson(_))));
        assert!(matches!(parse_lenient(b"\xff\xfe"), Err(Error::MalformedJson(_))));
    }

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
    fn identity_ignores_key_order_and_specials() {
        let a = json!({"x": "optuna#float(0,1)", "c": 1, "_node": "a",
            "hopaas_config": {"title": "t", "direction": "minimize"}});
        let b = json!({"_node": "b", "c": 1, "x": "optuna#float(0,1)",
            "hopaas_config": {"direction": "minimize", "title": "t"}});
        let c = json!({"c": 2, "x": "optuna#float(0,1)", "hopaas_config": {"direction": "minimize", "title": "t"}});
        let id = |v: Value| {
            let d = parse_definition(v.as_object().unwrap()).unwrap();
            study_id(&Owner(Some("u".into())), &d.canonical)
        };
        assert_eq!(id(a.clone()), id(b));
        assert_ne!(id(a.clone()), id(c));
        let sid = id(a);
        assert_eq!(sid.len(), 43);
        assert!(sid.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
    }
}
