//! Shared server state: the storage, the auth store, and the ownership caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use bo_core::{Cursor, History, Storage, StudyId, StudyRecord, TrialId};

use crate::auth::AuthStore;
use crate::error::{Error, Result};

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) auth: AuthStore,
    pub(crate) auth_required: bool,
    pub(crate) body_limit: usize,
    /// study id -> storage name (with the owner's namespace)
    studies: Mutex<HashMap<StudyId, String>>,
    /// trial id -> study id
    trials: Mutex<HashMap<TrialId, StudyId>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("auth_required", &self.inner.auth_required).finish()
    }
}

/// Locks `m`, whether or not a thread panicked while holding it (the maps stay consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whose request this is: the namespace of the studies it sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner(pub(crate) Option<String>);

impl Owner {
    /// The storage name of the user's study `name`.
    pub(crate) fn full(&self, name: &str) -> String {
        match &self.0 {
            Some(u) => format!("{u}/{name}"),
            None => name.to_string(),
        }
    }
    /// The user's name of a storage study, if the user owns it.
    pub(crate) fn local<'a>(&self, full: &'a str) -> Option<&'a str> {
        match &self.0 {
            Some(u) => full.strip_prefix(u.as_str())?.strip_prefix('/'),
            None => Some(full),
        }
    }
    /// The owner's name as stored with Hopaas studies (empty without auth).
    pub(crate) fn key(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
    /// A storage record as the user sees it (name without the namespace).
    pub(crate) fn view(&self, mut r: StudyRecord) -> Option<StudyRecord> {
        r.name = self.local(&r.name)?.to_string();
        Some(r)
    }
    /// A bo-core error with study names as the user knows them.
    pub(crate) fn localize(&self, e: bo_core::Error) -> Error {
        match e {
            bo_core::Error::UnknownStudy { name } => {
                bo_core::Error::UnknownStudy { name: self.local(&name).unwrap_or(&name).to_string() }.into()
            }
            bo_core::Error::StudyExists { name } => {
                bo_core::Error::StudyExists { name: self.local(&name).unwrap_or(&name).to_string() }.into()
            }
            e => e.into(),
        }
    }
}

impl AppState {
    /// State over `storage`; `auth_required: false` serves everyone as one anonymous user.
    pub fn new(storage: Arc<dyn Storage>, auth: AuthStore, auth_required: bool) -> Self {
        AppState {
            inner: Arc::new(Inner {
                storage,
                auth,
                auth_required,
                body_limit: crate::DEFAULT_BODY_LIMIT,
                studies: Mutex::new(HashMap::new()),
                trials: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The storage behind the server.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// The auth store.
    pub fn auth(&self) -> &AuthStore {
        &self.inner.auth
    }

    /// The owner of a token (blocking: reads the auth database).
    pub(crate) fn owner_of_token(&self, token: Option<&str>) -> Result<Owner> {
        if !self.inner.auth_required {
            return Ok(Owner(None));
        }
        let token = token.filter(|t| !t.is_empty()).ok_or(Error::Unauthorized)?;
        match self.inner.auth.user_for_token(token)? {
            Some(u) => Ok(Owner(Some(u))),
            None => Err(Error::Unauthorized),
        }
    }

    /// The owner named by an `Authorization: Bearer TOKEN` header (blocking).
    pub(crate) fn owner_of_headers(&self, headers: &HeaderMap) -> Result<Owner> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        self.owner_of_token(token)
    }

    /// The storage name of study `id` if `owner` may see it, else `UnknownStudy`.
    pub(crate) fn study_name(&self, owner: &Owner, id: StudyId) -> Result<String> {
        let cached = lock(&self.inner.studies).get(&id).cloned();
        let full = match cached {
            Some(n) => Some(n),
            None => {
                let all = self.inner.storage.studies()?;
                let mut cache = lock(&self.inner.studies);
                for r in &all {
                    cache.insert(r.id, r.name.clone());
                }
                all.into_iter().find(|r| r.id == id).map(|r| r.name)
            }
        };
        match full {
            Some(n) if owner.local(&n).is_some() => Ok(n),
            _ => Err(bo_core::Error::UnknownStudy { name: format!("#{id}") }.into()),
        }
    }

    /// The study the user calls `name` and its history, trials in number order (blocking).
    pub(crate) fn history(&self, owner: &Owner, name: &str) -> Result<(StudyRecord, History)> {
        let full = owner.full(name);
        let (rec, trials) = bo_core::storage::load_study(self.inner.storage.as_ref(), &full).map_err(|e| owner.localize(e))?;
        self.remember_study(rec.id, &full);
        self.remember_trials(rec.id, trials.iter().map(|t| t.id));
        Ok((rec.clone(), History::new(rec.direction, trials)))
    }

    pub(crate) fn remember_study(&self, id: StudyId, full: &str) {
        lock(&self.inner.studies).insert(id, full.to_string());
    }

    pub(crate) fn forget_study(&self, id: StudyId) {
        lock(&self.inner.studies).remove(&id);
    }

    pub(crate) fn remember_trials(&self, study: StudyId, trials: impl IntoIterator<Item = TrialId>) {
        let mut cache = lock(&self.inner.trials);
        for t in trials {
            cache.insert(t, study);
        }
    }

    /// Checks that `owner` may touch trial `id` (blocking), else `UnknownTrial`.
    pub(crate) fn check_trial(&self, owner: &Owner, id: TrialId) -> Result<StudyId> {
        let unknown = || Error::Core(bo_core::Error::UnknownTrial { trial: id });
        let cached = lock(&self.inner.trials).get(&id).copied();
        let study = match cached {
            Some(s) => s,
            None => {
                // Not created through this server (or before a restart): scan the owner's studies.
                let mut found = None;
                for r in self.inner.storage.studies()? {
                    if owner.local(&r.name).is_none() {
                        continue;
                    }
                    self.remember_study(r.id, &r.name);
                    let (trials, _) = self.inner.storage.trials_since(r.id, Cursor::default())?;
                    if trials.iter().any(|t| t.id == id) {
                        found = Some(r.id);
                    }
                    self.remember_trials(r.id, trials.iter().map(|t| t.id));
                    if found.is_some() {
                        break;
                    }
                }
                found.ok_or_else(unknown)?
            }
        };
        match self.study_name(owner, study) {
            Ok(_) => Ok(study),
            Err(_) => Err(unknown()),
        }
    }
}
