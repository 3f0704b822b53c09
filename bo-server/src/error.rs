//! The one error type of bo-server, and its JSON form on the wire.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bo_core::wire::ApiError;

/// Everything a request or the server setup can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of bo-core (storage, validation); its HTTP status follows its variant.
    #[error(transparent)]
    Core(#[from] bo_core::Error),
    /// A body that is not JSON (or not UTF-8).
    #[error("malformed JSON body: {0}")]
    MalformedJson(String),
    /// A well-formed body or query with missing fields or wrong types.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// No token, or a token the server does not know.
    #[error("missing or unknown API token")]
    Unauthorized,
    /// A body larger than the server accepts.
    #[error("request body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A Hopaas study id or trial handle that names nothing this token can see.
    #[error("unknown {what} `{id}`")]
    NotFound {
        /// What was looked up (`study`, `trial`).
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// A user name that is taken or malformed, a user that does not exist.
    #[error("user error: {0}")]
    User(String),
    /// The auth database failed.
    #[error("auth database error: {0}")]
    AuthDb(#[from] rusqlite::Error),
    /// The server could not start (bind, runtime).
    #[error("cannot start the server: {0}")]
    Start(#[source] std::io::Error),
    /// A blocking task panicked or was cancelled.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `Result` with bo-server's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// HTTP status and machine-readable kind of this error.
    pub fn status_and_kind(&self) -> (StatusCode, &'static str) {
        use bo_core::Error as C;
        match self {
            Error::Core(e) => match e {
                C::UnknownStudy { .. } => (StatusCode::NOT_FOUND, "unknown_study"),
                C::UnknownTrial { .. } => (StatusCode::NOT_FOUND, "unknown_trial"),
                C::StudyExists { .. } => (StatusCode::CONFLICT, "study_exists"),
                C::TrialFinished { .. } => (StatusCode::CONFLICT, "trial_finished"),
                C::DirectionMismatch { .. } => (StatusCode::CONFLICT, "direction_mismatch"),
                C::NoCompletedTrials => (StatusCode::NOT_FOUND, "no_completed_trials"),
                C::Storage(_) | C::Io { .. } | C::SchemaVersion { .. } | C::Render(_) | C::FeatureDisabled { .. } => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "storage")
                }
                _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            },
            Error::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            Error::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Error::User(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Error::AuthDb(_) | Error::Start(_) | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, kind) = self.status_and_kind();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut body = ApiError { error: self.to_string(), kind: kind.to_string(), name: None, trial: None };
        match &self {
            Error::Core(bo_core::Error::UnknownStudy { name } | bo_core::Error::StudyExists { name }) => {
                body.name = Some(name.clone());
            }
            Error::Core(bo_core::Error::UnknownTrial { trial } | bo_core::Error::TrialFinished { trial }) => {
                body.trial = Some(*trial);
            }
            _ => {}
        }
        error_response(status, &body)
    }
}

/// A response with an [`ApiError`] body.
pub(crate) fn error_response(status: StatusCode, body: &ApiError) -> Response {
    // Strings and numbers only: serializing cannot fail.
    let text = serde_json::to_string(body).unwrap_or_else(|_| r#"{"error":"internal"}"#.to_string());
    json_response(status, text)
}

/// A response with a JSON body.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}
