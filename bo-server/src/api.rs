//! Our own JSON API under `/api/v1`: one endpoint per [`bo_core::Storage`] method (what
//! `bo_core::HttpStorage` calls), plus the best trial of a study. `Authorization: Bearer TOKEN`.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use bo_core::{Cursor, Direction, Distribution, History, Outcome, ParamValue, StudyId, TrialId};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result, json_response};
use crate::state::{AppState, Owner};

/// The routes of the JSON API.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/studies", get(list_studies).post(create_study))
        .route("/api/v1/study", get(get_study).delete(delete_study))
        .route("/api/v1/study/best", get(best_trial))
        .route("/api/v1/study/trials", get(study_trials))
        .route("/api/v1/studies/{id}/trials", get(trials_since).post(create_trial))
        .route("/api/v1/studies/{id}/enqueue", post(enqueue))
        .route("/api/v1/studies/{id}/claim", post(claim))
        .route("/api/v1/studies/{id}/fail_stale", post(fail_stale))
        .route("/api/v1/trials/{id}", get(get_trial))
        .route("/api/v1/trials/{id}/param", post(set_param))
        .route("/api/v1/trials/{id}/report", post(report))
        .route("/api/v1/trials/{id}/user_attr", post(user_attr))
        .route("/api/v1/trials/{id}/finish", post(finish))
        .route("/api/v1/trials/{id}/heartbeat", post(heartbeat))
}

/// Runs blocking work (storage, auth database) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(format!("blocking task: {e}")))?
}

/// Reads a request body up to the server's limit.
pub(crate) async fn read_body(st: &AppState, body: Body) -> Result<Bytes> {
    let limit = st.inner.body_limit;
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = cur {
            if err.to_string().contains("length limit exceeded") {
                return Error::TooLarge { limit };
            }
            cur = err.source();
        }
        Error::MalformedJson(format!("cannot read the body: {e}"))
    })
}

/// Parses a strict JSON body: syntax errors are 400, wrong shapes 422.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Error::Invalid(e.to_string()),
        _ => Error::MalformedJson(e.to_string()),
    })
}

/// A 200 response with `value` as JSON.
pub(crate) fn ok_json<T: serde::Serialize>(value: &T) -> Result<Response> {
    let body = serde_json::to_string(value).map_err(|e| Error::Internal(format!("serializing: {e}")))?;
    Ok(json_response(StatusCode::OK, body))
}

#[derive(Deserialize)]
struct NameQuery {
    name: String,
}

#[derive(Deserialize)]
struct CursorQuery {
    #[serde(default)]
    cursor: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStudy {
    name: String,
    #[serde(default)]
    direction: Direction,
}

#[derive(Deserialize)]
struct Enqueue {
    #[serde(default)]
    fixed: bo_core::storage::FixedParams,
    /// Extra system attributes (e.g. `retried_from` of a retried trial).
    #[serde(default)]
    system_attrs: std::collections::BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Grace {
    grace_secs: f64,
}

#[derive(Deserialize)]
struct SetParam {
    name: String,
    distribution: Distribution,
    value: ParamValue,
}

#[derive(Deserialize)]
struct Report {
    step: u64,
    value: f64,
}

#[derive(Deserialize)]
struct UserAttr {
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct Finish {
    outcome: Outcome,
}

/// Runs `f` with the request's owner, off the async threads.
async fn with_owner<T: Send + 'static>(
    st: AppState,
    headers: HeaderMap,
    f: impl FnOnce(&AppState, &Owner) -> Result<T> + Send + 'static,
) -> Result<T> {
    blocking(move || {
        let owner = st.owner_of_headers(&headers)?;
        f(&st, &owner)
    })
    .await
}

/// Checks the study names users give: not empty, at most 256 bytes, no control characters.
fn check_study_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(format!("invalid study name {name:?}: 1 to 256 bytes, no control characters")));
    }
    Ok(())
}

async fn list_studies(State(st): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let list = with_owner(st, headers, |st, owner| {
        Ok(st.inner.storage.studies()?.into_iter().filter_map(|r| owner.view(r)).collect::<Vec<_>>())
    })
    .await?;
    ok_json(&list)
}

async fn create_study(State(st): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response> {
    let bytes = read_body(&st, body).await?;
    let id = with_owner(st, headers, move |st, owner| {
        let req: NewStudy = parse(&bytes)?;
        check_study_name(&req.name)?;
        let full = owner.full(&req.name);
        let id = st.inner.storage.create_study(&full, req.direction).map_err(|e| owner.localize(e))?;
        st.remember_study(id, &full);
        Ok(id)
    })
    .await?;
    ok_json(&serde_json::json!({ "id": id }))
}

async fn get_study(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NameQuery>) -> Result<Response> {
    let rec = with_owner(st, headers, move |st, owner| {
        let rec = st.inner.storage.study(&owner.full(&q.name))?;
        if let Some(r) = &rec {
            st.remember_study(r.id, &r.name);
        }
        Ok(rec.and_then(|r| owner.view(r)))
    })
    .await?;
    ok_json(&rec)
}

async fn delete_study(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NameQuery>) -> Result<Response> {
    with_owner(st, headers, move |st, owner| {
        let full = owner.full(&q.name);
        let rec = st.inner.storage.study(&full)?;
        st.inner.storage.delete_study(&full).map_err(|e| owner.localize(e))?;
        if let Some(r) = rec {
            st.forget_study(r.id);
        }
        Ok(())
    })
    .await?;
    ok_json(&serde_json::Value::Null)
}

/// Loads a study's history by the user's name for it.
pub(crate) fn load_history(st: &AppState, owner: &Owner, name: &str) -> Result<(bo_core::StudyRecord, History)> {
    let full = owner.full(name);
    let rec = st
        .inner
        .storage
        .study(&full)?
        .ok_or_else(|| Error::Core(bo_core::Error::UnknownStudy { name: name.to_string() }))?;
    let (trials, _) = st.inner.storage.trials_since(rec.id, Cursor::default())?;
    st.remember_study(rec.id, &full);
    st.remember_trials(rec.id, trials.iter().map(|t| t.id));
    let mut trials = trials;
    trials.sort_by_key(|t| t.number);
    Ok((rec.clone(), History::new(rec.direction, trials)))
}

async fn best_trial(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NameQuery>) -> Result<Response> {
    let best = with_owner(st, headers, move |st, owner| {
        let (_, h) = load_history(st, owner, &q.name)?;
        h.best().cloned().ok_or(Error::Core(bo_core::Error::NoCompletedTrials))
    })
    .await?;
    ok_json(&best)
}

async fn study_trials(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NameQuery>) -> Result<Response> {
    let trials = with_owner(st, headers, move |st, owner| {
        let (_, h) = load_history(st, owner, &q.name)?;
        Ok(h.trials().iter().map(|t| (**t).clone()).collect::<Vec<_>>())
    })
    .await?;
    ok_json(&trials)
}

async fn trials_since(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<StudyId>,
    Query(q): Query<CursorQuery>,
) -> Result<Response> {
    let (trials, cursor) = with_owner(st, headers, move |st, owner| {
        st.study_name(owner, id)?;
        let (trials, cursor) = st.inner.storage.trials_since(id, Cursor(q.cursor)).map_err(|e| owner.localize(e))?;
        st.remember_trials(id, trials.iter().map(|t| t.id));
        Ok((trials, cursor))
    })
    .await?;
    ok_json(&serde_json::json!({ "trials": trials, "cursor": cursor }))
}

async fn create_trial(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<StudyId>, body: Body) -> Result<Response> {
    // Read (and ignore) the body: an unread body makes the server drop the kept-alive connection.
    read_body(&st, body).await?;
    let t = with_owner(st, headers, move |st, owner| {
        st.study_name(owner, id)?;
        let t = st.inner.storage.create_trial(id).map_err(|e| owner.localize(e))?;
        st.remember_trials(id, [t.id]);
        Ok(t)
    })
    .await?;
    ok_json(&t)
}

async fn enqueue(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<StudyId>, body: Body) -> Result<Response> {
    let bytes = read_body(&st, body).await?;
    let t = with_owner(st, headers, move |st, owner| {
        let req: Enqueue = parse(&bytes)?;
        st.study_name(owner, id)?;
        let t = st.inner.storage.enqueue_trial_with_attrs(id, &req.fixed, &req.system_attrs).map_err(|e| owner.localize(e))?;
        st.remember_trials(id, [t.id]);
        Ok(t)
    })
    .await?;
    ok_json(&t)
}

async fn claim(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<StudyId>, body: Body) -> Result<Response> {
    read_body(&st, body).await?;
    let t = with_owner(st, headers, move |st, owner| {
        st.study_name(owner, id)?;
        let t = st.inner.storage.claim_waiting_trial(id).map_err(|e| owner.localize(e))?;
        if let Some(t) = &t {
            st.remember_trials(id, [t.id]);
        }
        Ok(t)
    })
    .await?;
    ok_json(&t)
}

async fn fail_stale(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<StudyId>, body: Body) -> Result<Response> {
    let bytes = read_body(&st, body).await?;
    let failed = with_owner(st, headers, move |st, owner| {
        let req: Grace = parse(&bytes)?;
        if !(req.grace_secs.is_finite() && req.grace_secs >= 0.0 && req.grace_secs < 1e12) {
            return Err(Error::Invalid(format!("grace_secs must be a finite number >= 0, not {}", req.grace_secs)));
        }
        st.study_name(owner, id)?;
        st.inner.storage.fail_stale_trials(id, Duration::from_secs_f64(req.grace_secs)).map_err(|e| owner.localize(e))
    })
    .await?;
    ok_json(&failed)
}

/// Runs a trial operation after checking the owner may touch the trial.
async fn on_trial<T: serde::Serialize + Send + 'static>(
    st: AppState,
    headers: HeaderMap,
    id: TrialId,
    body: Option<Body>,
    f: impl FnOnce(&AppState, &Owner, &[u8]) -> Result<T> + Send + 'static,
) -> Result<Response> {
    let bytes = match body {
        Some(b) => read_body(&st, b).await?,
        None => Bytes::new(),
    };
    let out = with_owner(st, headers, move |st, owner| {
        st.check_trial(owner, id)?;
        f(st, owner, &bytes)
    })
    .await?;
    ok_json(&out)
}

async fn get_trial(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<TrialId>) -> Result<Response> {
    on_trial(st, headers, id, None, move |st, _, _| Ok(st.inner.storage.trial(id)?)).await
}

async fn set_param(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<TrialId>, body: Body) -> Result<Response> {
    on_trial(st, headers, id, Some(body), move |st, _, bytes| {
        let req: SetParam = parse(bytes)?;
        req.distribution.validate(&req.name)?;
        if req.distribution.to_internal(&req.value).is_none() {
            return Err(bo_core::Error::ValueOutOfDistribution {
                name: req.name,
                value: req.value.to_json().to_string(),
                distribution: req.distribution.to_string(),
            }
            .into());
        }
        st.inner.storage.set_param(id, &req.name, &req.distribution, &req.value)?;
        Ok(())
    })
    .await
}

async fn report(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<TrialId>, body: Body) -> Result<Response> {
    on_trial(st, headers, id, Some(body), move |st, _, bytes| {
        let req: Report = parse(bytes)?;
        if !req.value.is_finite() {
            return Err(bo_core::Error::NonFiniteValue { value: req.value }.into());
        }
        st.inner.storage.report(id, req.step, req.value)?;
        Ok(())
    })
    .await
}

async fn user_attr(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<TrialId>, body: Body) -> Result<Response> {
    on_trial(st, headers, id, Some(body), move |st, _, bytes| {
        let req: UserAttr = parse(bytes)?;
        st.inner.storage.set_user_attr(id, &req.key, &req.value)?;
        Ok(())
    })
    .await
}

async fn finish(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<TrialId>, body: Body) -> Result<Response> {
    on_trial(st, headers, id, Some(body), move |st, _, bytes| {
        let req: Finish = parse(bytes)?;
        let outcome = match req.outcome {
            Outcome::Complete(v) if !v.is_finite() => Outcome::Failed(format!("objective value {v} is not finite")),
            o => o,
        };
        Ok(st.inner.storage.finish(id, &outcome)?)
    })
    .await
}

async fn heartbeat(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<TrialId>, body: Body) -> Result<Response> {
    on_trial(st, headers, id, Some(body), move |st, _, _| Ok(st.inner.storage.heartbeat(id)?)).await
}

