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
//!
//! | module | what |
//! |---|---|
//! | `protocol` | the wire: lenient JSON, losses, trial handles |
//! | `config` | a study definition: suggestions, `hopaas_config` and its sampler and pruner |
//! | `registry` | the loaded studies, found by definition or by id |
//! | `handlers` | the routes |

mod config;
mod handlers;
mod protocol;
mod registry;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// What the Hopaas handlers share: the server's state and the loaded Hopaas studies.
#[derive(Clone)]
struct HopaasState {
    app: AppState,
    registry: Arc<registry::Registry>,
}

/// The routes of the Hopaas API, over `app`.
pub(crate) fn routes(app: AppState) -> Router<AppState> {
    let state = HopaasState { app, registry: Arc::new(registry::Registry::default()) };
    Router::new()
        .route("/api/version", get(handlers::version))
        .route("/api/ask/{token}", post(handlers::ask))
        .route("/api/tell/{token}", post(handlers::tell))
        .route("/api/should_prune/{token}", post(handlers::should_prune))
        .route("/api/mark_as_failed/{token}", post(handlers::mark_as_failed))
        .route("/api/get_best_trial/{token}", get(handlers::get_best_trial))
        .with_state(state)
}
