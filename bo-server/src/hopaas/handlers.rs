//! The handlers of the Hopaas routes.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use bo_core::{Outcome, TrialId, TrialState};
use serde_json::{Map, Value};

use super::HopaasState;
use super::config::Property;
use super::protocol::{handle_of, loss_of, object, parse_lenient};
use crate::error::{Error, Result, json_response};
use crate::request::{blocking, read_body};
use crate::state::{AppState, Owner};

/// Runs a Hopaas call: owner from the path token, lenient body, blocking work.
async fn call<T: Send + 'static>(
    hs: HopaasState,
    token: String,
    body: Body,
    f: impl FnOnce(&HopaasState, &Owner, Map<String, Value>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let bytes = read_body(&hs.app, body).await?;
    blocking(move || {
        let owner = hs.app.owner_of_token(Some(&token))?;
        let body = object(parse_lenient(&bytes)?)?;
        f(&hs, &owner, body)
    })
    .await
}

fn raw(body: &'static str) -> Response {
    json_response(StatusCode::OK, body.to_string())
}

pub(super) async fn version() -> Response {
    json_response(StatusCode::OK, format!("\"{}\"", env!("CARGO_PKG_VERSION")))
}

pub(super) async fn ask(State(hs): State<HopaasState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    let out = call(hs, token, body, |HopaasState { app: st, registry }, owner, body| {
        let hs = registry.for_ask(st, owner, &body)?;
        let mut trial = hs.study.ask()?;
        let id = trial.id().ok_or_else(|| Error::Internal("asked trial has no id".into()))?;
        let number = trial.number().unwrap_or_default();
        hs.remember(number, id);
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

pub(super) async fn should_prune(State(hs): State<HopaasState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    let prune = call(hs, token, body, |HopaasState { app: st, registry }, owner, body| {
        let handle = handle_of(&body)?;
        let loss = loss_of(body.get("loss"))?;
        let step = match body.get("step") {
            Some(v) => v.as_u64().ok_or_else(|| Error::Invalid(format!("`step` must be an integer >= 0, not {v}")))?,
            None => return Err(Error::Invalid("missing field `step`".into())),
        };
        let (hs, id) = registry.resolve(st, owner, &handle)?;
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

pub(super) async fn tell(State(hs): State<HopaasState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    call(hs, token, body, |HopaasState { app: st, registry }, owner, body| {
        let handle = handle_of(&body)?;
        let loss = loss_of(body.get("loss"))?;
        let (_, id) = registry.resolve(st, owner, &handle)?;
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

pub(super) async fn mark_as_failed(State(hs): State<HopaasState>, Path(token): Path<String>, body: Body) -> Result<Response> {
    call(hs, token, body, |HopaasState { app: st, registry }, owner, body| {
        let (_, id) = registry.resolve(st, owner, &handle_of(&body)?)?;
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

pub(super) async fn get_best_trial(
    State(hs): State<HopaasState>,
    Path(token): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response> {
    let q = q.unwrap_or_default();
    let handle = q
        .split('&')
        .find_map(|kv| kv.strip_prefix("hopaas_trial="))
        .map(|v| v.replace("%3A", ":").replace("%3a", ":"))
        .ok_or_else(|| Error::Invalid("missing query parameter `hopaas_trial`".into()))?;
    let best = blocking(move || {
        let owner = hs.app.owner_of_token(Some(&token))?;
        let sid = handle.split_once(':').map(|(s, _)| s).unwrap_or(&handle).to_string();
        let best = hs.registry.by_id(&hs.app, &owner, &sid)?.study.best_trial()?;
        Ok(format!("{sid}:{}", best.number))
    })
    .await?;
    Ok(json_response(StatusCode::OK, Value::String(best).to_string()))
}
