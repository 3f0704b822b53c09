//! Our own JSON API under `/api/v1`: one endpoint per [`bo_core::Storage`] method (what
//! `bo_core::HttpStorage` calls), plus the best trial of a study. `Authorization: Bearer TOKEN`.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use bo_core::wire::{Created, CursorQuery, Enqueue, Finish, Grace, NameQuery, NewStudy, Report, SetParam, TrialsSince, UserAttr};
use bo_core::{Cursor, Outcome, StudyId, TrialId};

use crate::error::{Error, Result};
use crate::request::{ok_json, parse, read_body, with_owner};
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
    ok_json(&Created { id })
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

async fn best_trial(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NameQuery>) -> Result<Response> {
    let best = with_owner(st, headers, move |st, owner| {
        let (_, h) = st.history(owner, &q.name)?;
        h.best().cloned().ok_or(Error::Core(bo_core::Error::NoCompletedTrials))
    })
    .await?;
    ok_json(&best)
}

async fn study_trials(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NameQuery>) -> Result<Response> {
    let trials = with_owner(st, headers, move |st, owner| {
        let (_, h) = st.history(owner, &q.name)?;
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
    ok_json(&TrialsSince { cursor, trials })
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

