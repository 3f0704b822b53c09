//! HTTP storage: a client of `bo-server`'s JSON API (feature `http`), for workers that cannot
//! reach the database.
//!
//! URL: `http://TOKEN@HOST:PORT` (the API token as the URL's user part), or
//! `http://HOST:PORT` with the token in the environment variable `BO_TOKEN` (or no token,
//! for a server started with `--no-auth`). One endpoint per [`Storage`] method, under
//! `/api/v1`; errors come back as JSON `{"error", "kind", "name", "trial"}` and are mapped to
//! the same [`Error`] variants a local storage returns, so a [`crate::Study`] behaves the same
//! over HTTP.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Cursor, FixedParams, Storage, StudyRecord};
use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId};
use crate::wire::{self, ApiError, Empty};

/// Environment variable read for the API token when the URL carries none.
pub const TOKEN_ENV: &str = "BO_TOKEN";

/// A [`Storage`] that forwards every call to a `bo-server` over HTTP.
///
/// ```no_run
/// let storage = bo_core::HttpStorage::open("http://0123abcd@127.0.0.1:8080")?;
/// let study = bo_core::Study::builder().name("demo").storage(storage).load_if_exists(true).build()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug)]
pub struct HttpStorage {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// Failure of the HTTP exchange itself (connection, status without a JSON error, bad body).
#[derive(Debug, thiserror::Error)]
#[error("http storage: {0}")]
struct HttpError(String);

impl HttpStorage {
    /// Connects to `url` (`http://[TOKEN@]HOST:PORT[/]`); the token falls back to `BO_TOKEN`.
    /// Nothing is sent until the first call.
    pub fn open(url: &str) -> Result<Self> {
        let bad = |reason: &str| Error::InvalidStorageUrl { url: redact(url), reason: reason.to_string() };
        let rest = url.strip_prefix("http://").ok_or_else(|| bad("expected http://[TOKEN@]HOST:PORT"))?;
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            return Err(bad("the URL must not have a path"));
        }
        let (token, host) = match rest.rsplit_once('@') {
            Some((t, h)) => (Some(t.to_string()), h),
            None => (std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()), rest),
        };
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        if token.as_deref().is_some_and(|t| t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            return Err(bad("a token is made of letters, digits, `-` and `_`"));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(30))
            .timeout_read(Duration::from_secs(300))
            .timeout_write(Duration::from_secs(300))
            .build();
        Ok(HttpStorage { base: format!("http://{host}/api/v1"), token, agent })
    }

    fn call<T: DeserializeOwned>(&self, method: &str, path: &str, body: Option<&dyn Body>) -> Result<T> {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let res = match body {
            Some(b) => req.set("Content-Type", "application/json").send_string(&b.to_json()?),
            None => req.call(),
        };
        match res {
            Ok(r) => {
                let text = r.into_string().map_err(|e| Error::storage(HttpError(format!("reading the response: {e}"))))?;
                serde_json::from_str(&text)
                    .map_err(|e| Error::storage(HttpError(format!("bad response body for {method} {path}: {e}"))))
            }
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                Err(match serde_json::from_str::<ApiError>(&text) {
                    Ok(e) => map_error(code, e),
                    Err(_) => Error::storage(HttpError(format!("{method} {path}: status {code}: {text}"))),
                })
            }
            Err(e) => Err(Error::storage(HttpError(format!("{method} {path}: {e}")))),
        }
    }
}

/// The URL without its token, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(a)) if a > s => format!("{}***{}", &url[..s + 3], &url[a..]),
        _ => url.to_string(),
    }
}

/// Turns the server's JSON error back into bo-core's typed error.
fn map_error(code: u16, e: ApiError) -> Error {
    let name = e.name.clone().unwrap_or_default();
    match (e.kind.as_str(), e.trial) {
        ("unknown_study", _) => Error::UnknownStudy { name },
        ("study_exists", _) => Error::StudyExists { name },
        ("unknown_trial", Some(trial)) => Error::UnknownTrial { trial },
        ("trial_finished", Some(trial)) => Error::TrialFinished { trial },
        ("no_completed_trials", _) => Error::NoCompletedTrials,
        _ => Error::storage(HttpError(format!("status {code}: {}", e.error))),
    }
}

/// A request body: one of the [`wire`] types.
trait Body {
    fn to_json(&self) -> Result<String>;
}

impl<T: Serialize> Body for T {
    fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::storage(HttpError(format!("cannot encode the request: {e}"))))
    }
}

fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Storage for HttpStorage {
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId> {
        let c: wire::Created = self.call("POST", "/studies", Some(&wire::NewStudy { name: name.to_string(), direction }))?;
        Ok(c.id)
    }
    fn study(&self, name: &str) -> Result<Option<StudyRecord>> {
        self.call("GET", &format!("/study?name={}", q(name)), None)
    }
    fn studies(&self) -> Result<Vec<StudyRecord>> {
        self.call("GET", "/studies", None)
    }
    fn delete_study(&self, name: &str) -> Result<()> {
        self.call::<Value>("DELETE", &format!("/study?name={}", q(name)), None).map(|_| ())
    }
    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial> {
        self.call("POST", &format!("/studies/{study}/trials"), Some(&Empty {}))
    }
    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &FixedParams,
        system_attrs: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial> {
        let body = wire::Enqueue { fixed: fixed.clone(), system_attrs: system_attrs.clone() };
        self.call("POST", &format!("/studies/{study}/enqueue"), Some(&body))
    }
    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>> {
        self.call("POST", &format!("/studies/{study}/claim"), Some(&Empty {}))
    }
    fn set_param(&self, trial: TrialId, name: &str, d: &Distribution, value: &ParamValue) -> Result<()> {
        let body = wire::SetParam { name: name.to_string(), distribution: d.clone(), value: value.clone() };
        self.call::<Value>("POST", &format!("/trials/{trial}/param"), Some(&body)).map(|_| ())
    }
    fn report(&self, trial: TrialId, step: u64, value: f64) -> Result<()> {
        if !value.is_finite() {
            return Err(Error::NonFiniteValue { value });
        }
        self.call::<Value>("POST", &format!("/trials/{trial}/report"), Some(&wire::Report { step, value })).map(|_| ())
    }
    fn set_user_attr(&self, trial: TrialId, key: &str, value: &Value) -> Result<()> {
        let body = wire::UserAttr { key: key.to_string(), value: value.clone() };
        self.call::<Value>("POST", &format!("/trials/{trial}/user_attr"), Some(&body)).map(|_| ())
    }
    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        // JSON has no NaN: a non-finite value travels as a failure, which is what every
        // storage-side rule makes of it anyway.
        let outcome = match outcome {
            Outcome::Complete(v) if !v.is_finite() => Outcome::Failed(format!("objective value {v} is not finite")),
            Outcome::Pruned(Some(v)) if !v.is_finite() => Outcome::Pruned(None),
            o => o.clone(),
        };
        self.call("POST", &format!("/trials/{trial}/finish"), Some(&wire::Finish { outcome }))
    }
    fn trial(&self, trial: TrialId) -> Result<FrozenTrial> {
        self.call("GET", &format!("/trials/{trial}"), None)
    }
    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)> {
        let s: wire::TrialsSince = self.call("GET", &format!("/studies/{study}/trials?cursor={}", cursor.0), None)?;
        Ok((s.trials, s.cursor))
    }
    fn heartbeat(&self, trial: TrialId) -> Result<()> {
        self.call::<Value>("POST", &format!("/trials/{trial}/heartbeat"), Some(&Empty {})).map(|_| ())
    }
    fn fail_stale_trials(&self, study: StudyId, grace: Duration) -> Result<Vec<FrozenTrial>> {
        self.call("POST", &format!("/studies/{study}/fail_stale"), Some(&wire::Grace { grace_secs: grace.as_secs_f64() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_and_tokens_redacted() {
        let s = HttpStorage::open("http://abc_1-2@127.0.0.1:9/").unwrap();
        assert_eq!((s.base.as_str(), s.token.as_deref()), ("http://127.0.0.1:9/api/v1", Some("abc_1-2")));
        assert!(matches!(HttpStorage::open("ftp://x"), Err(Error::InvalidStorageUrl { .. })));
        assert!(matches!(HttpStorage::open("http://h:1/path"), Err(Error::InvalidStorageUrl { .. })));
        match HttpStorage::open("http://bad token@h:1") {
            Err(Error::InvalidStorageUrl { url, .. }) => assert_eq!(url, "http://***@h:1"),
            other => panic!("expected an invalid url, got {other:?}"),
        }
    }

    #[test]
    fn an_unreachable_server_is_a_storage_error() {
        let s = HttpStorage::open("http://t@127.0.0.1:1").unwrap();
        assert!(matches!(s.studies(), Err(Error::Storage(_))));
    }
}
