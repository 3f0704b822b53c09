//! `bo-server`: bo studies as an HTTP service.
//!
//! - the Hopaas REST API (`/api/ask/{token}`, …), so the unmodified `hopaas_client` Python
//!   package works against it;
//! - our own JSON API under `/api/v1` (`Authorization: Bearer TOKEN`): one endpoint per
//!   [`bo_core::Storage`] method, which `bo_core::HttpStorage` (feature `http`) speaks, plus a
//!   study's trials and best trial;
//! - a web dashboard under `/dashboard`.
//!
//! Users and tokens live in an [`AuthStore`] (a SQLite file; tokens stored as SHA-256). A
//! token sees only its owner's studies: the study `mnist` of user `alice` is stored as
//! `alice/mnist`, and every id a request names is checked against its owner (unknown or
//! foreign ids are 404). Every error is JSON `{"error": MESSAGE, "kind": KIND}` with a 4xx
//! or 5xx status; bodies are limited to [`DEFAULT_BODY_LIMIT`] (413 beyond).
//!
//! ```no_run
//! use std::sync::Arc;
//! let state = bo_server::AppState::new(Arc::new(bo_core::InMemoryStorage::new()), bo_server::AuthStore::in_memory()?, false);
//! let server = bo_server::spawn("127.0.0.1:0", state)?;
//! println!("serving on {}", server.url());
//! # Ok::<(), bo_server::Error>(())
//! ```

mod api;
mod auth;
mod dashboard;
mod error;
mod hopaas;
mod request;
mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri, header};
use axum::response::Response;

pub use auth::{AuthStore, HopaasRecord, validate_user_name};
/// Escapes text for HTML (the dashboard's escape, [`bo_core::plot::escape_html`]).
pub use bo_core::plot::escape_html as escape;
pub use error::{Error, Result};
pub use state::AppState;

/// Largest request body accepted, in bytes (1 MiB); larger ones get 413.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// The whole application: Hopaas API, JSON API, dashboard.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(hopaas::routes(state.clone()))
        .merge(dashboard::routes())
        .fallback(|uri: Uri| async move { Error::NotFound { what: "route", id: uri.path().to_string() } })
        .layer(axum::middleware::map_response(json_errors))
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .with_state(state)
}

/// Turns the framework's own error responses (bad path or query, 405, …) into JSON errors.
async fn json_errors(r: Response) -> Response {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let ct = r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ct.starts_with("application/json") || ct.starts_with("text/html") {
        return r;
    }
    let text = axum::body::to_bytes(r.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = if text.trim().is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text };
    let kind = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ if status.is_server_error() => "internal",
        _ => "bad_request",
    };
    error::error_response(status, &bo_core::wire::ApiError { error: message, kind: kind.to_string(), name: None, trial: None })
}

/// A server running on a background thread; stops when dropped.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Arc<tokio::sync::Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Start)
}

fn bind(addr: &str) -> Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr).map_err(Error::Start)?;
    l.set_nonblocking(true).map_err(Error::Start)?;
    Ok(l)
}

/// Binds `addr` (`127.0.0.1:0` picks a free port) and serves on a background thread.
pub fn spawn(addr: &str, state: AppState) -> Result<RunningServer> {
    let listener = bind(addr)?;
    let local = listener.local_addr().map_err(Error::Start)?;
    let rt = runtime()?;
    let shutdown = Arc::new(tokio::sync::Notify::new());
    let stop = shutdown.clone();
    let thread = std::thread::spawn(move || {
        let result = rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(l, router(state)).with_graceful_shutdown(async move { stop.notified().await }).await
        });
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(RunningServer { addr: local, shutdown, thread: Some(thread) })
}

/// Options of `bo serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Storage URL (`sqlite:PATH`, `memory:`, …).
    pub storage: String,
    /// Address to listen on.
    pub bind: String,
    /// Auth database; default: [`default_auth_path`].
    pub auth: Option<PathBuf>,
    /// Serve everyone as one anonymous user (a local single-user server).
    pub no_auth: bool,
    /// Fail RUNNING trials whose heartbeat (Hopaas: last `ask`/`should_prune`) is older
    /// than this; never when `None`.
    pub fail_stale_after: Option<Duration>,
}

/// The auth database next to a `sqlite:` storage (`DIR/bo-auth.db`), else `bo-auth.db`.
pub fn default_auth_path(storage: &str) -> PathBuf {
    let path = storage.strip_prefix("sqlite://").or_else(|| storage.strip_prefix("sqlite:")).or_else(|| {
        (!storage.contains(':')).then_some(storage)
    });
    match path.and_then(|p| Path::new(p).parent()) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("bo-auth.db"),
        _ => PathBuf::from("bo-auth.db"),
    }
}

/// Runs `bo serve` until the process ends.
pub fn serve(opts: &ServeOptions) -> Result<()> {
    let storage = bo_core::open_storage(&opts.storage)?;
    let auth_path = opts.auth.clone().unwrap_or_else(|| default_auth_path(&opts.storage));
    let auth = AuthStore::open(&auth_path)?;
    let state = AppState::new(storage.clone(), auth, !opts.no_auth);
    let listener = bind(&opts.bind)?;
    let local = listener.local_addr().map_err(Error::Start)?;
    if let Some(grace) = opts.fail_stale_after {
        let storage = storage.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep((grace / 4).max(Duration::from_secs(1)));
                for s in storage.studies().unwrap_or_default() {
                    match storage.fail_stale_trials(s.id, grace) {
                        Ok(failed) if !failed.is_empty() => {
                            tracing::warn!(study = %s.name, n = failed.len(), "failed stale trials")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(study = %s.name, error = %e, "cannot fail stale trials"),
                    }
                }
            }
        });
    }
    eprintln!(
        "bo-server listening on http://{local} (storage {}, auth {}{})",
        opts.storage,
        auth_path.display(),
        if opts.no_auth { ", no auth" } else { "" }
    );
    runtime()?.block_on(async move {
        let l = tokio::net::TcpListener::from_std(listener).map_err(Error::Start)?;
        axum::serve(l, router(state)).await.map_err(Error::Start)
    })
}
