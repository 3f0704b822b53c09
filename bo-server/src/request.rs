//! What every handler needs, whichever API it serves (JSON API, Hopaas API, dashboard):
//! running blocking work off the async threads, reading a body within the limit, parsing
//! strict JSON, answering JSON.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result, json_response};
use crate::state::{AppState, Owner};

/// Runs blocking work (storage, auth database) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(format!("blocking task: {e}")))?
}

/// Runs `f` with the owner named by the request's `Authorization: Bearer` header, off the
/// async threads.
pub(crate) async fn with_owner<T: Send + 'static>(
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

/// Reads a request body up to the server's limit ([`Error::TooLarge`] beyond).
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
