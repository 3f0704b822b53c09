//! The Hopaas studies this server has loaded: found by the definition an `ask` carries
//! (created and registered the first time), or by the study id of a trial handle (rebuilt
//! from the registered definition after a restart).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use bo_core::{Pruner, Study, TrialId};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::config::{Definition, Property, parse_definition};
use super::protocol::split_handle;
use crate::auth::HopaasRecord;
use crate::error::{Error, Result};
use crate::state::{AppState, Owner, lock};

/// A loaded Hopaas study: its bo study, pruner and property template.
pub(super) struct HopaasStudy {
    pub(super) sid: String,
    owner: String,
    pub(super) study: Study,
    pub(super) pruner: Box<dyn Pruner>,
    pub(super) properties: Vec<(String, Property)>,
    /// trial number -> trial id
    numbers: Mutex<HashMap<u64, TrialId>>,
}

impl HopaasStudy {
    fn load(st: &AppState, sid: &str, rec: &HopaasRecord, def: Definition) -> Result<Self> {
        let study = Study::builder()
            .name(rec.storage_name.clone())
            .direction(def.direction)
            .sampler(def.sampler.build()?)
            .pruner(def.pruner.build()?)
            .shared_storage(st.inner.storage.clone())
            .load_if_exists(true)
            .build()?;
        st.remember_study(study.id(), &rec.storage_name);
        Ok(HopaasStudy {
            sid: sid.to_string(),
            owner: rec.owner.clone(),
            study,
            pruner: def.pruner.build()?,
            properties: def.properties,
            numbers: Mutex::new(HashMap::new()),
        })
    }

    /// Records that trial `number` has id `id`.
    pub(super) fn remember(&self, number: u64, id: TrialId) {
        lock(&self.numbers).insert(number, id);
    }

    /// The id of trial `number`.
    fn trial_id(&self, number: u64) -> Result<TrialId> {
        if let Some(id) = lock(&self.numbers).get(&number) {
            return Ok(*id);
        }
        let trials = self.study.trials()?;
        let mut map = lock(&self.numbers);
        for t in &trials {
            map.insert(t.number, t.id);
        }
        map.get(&number).copied().ok_or_else(|| Error::NotFound { what: "trial", id: format!("{}:{number}", self.sid) })
    }
}

/// The study id of a definition: base64url SHA-256 of the owner and the canonical JSON.
fn study_id(owner: &Owner, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(owner.key().as_bytes());
    h.update([0u8]);
    h.update(canonical.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

/// Hopaas study id -> its loaded study.
#[derive(Default)]
pub(super) struct Registry {
    studies: Mutex<HashMap<String, Arc<HopaasStudy>>>,
}

impl Registry {
    /// Keeps `loaded` unless another request loaded the study meanwhile; returns the kept one.
    fn keep(&self, sid: &str, loaded: HopaasStudy) -> Arc<HopaasStudy> {
        lock(&self.studies).entry(sid.to_string()).or_insert_with(|| Arc::new(loaded)).clone()
    }

    /// The study for an `ask` body: loaded, registered or created.
    pub(super) fn for_ask(&self, st: &AppState, owner: &Owner, body: &Map<String, Value>) -> Result<Arc<HopaasStudy>> {
        let def = parse_definition(body)?;
        let sid = study_id(owner, &def.canonical);
        if let Some(s) = lock(&self.studies).get(&sid) {
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
        let loaded = HopaasStudy::load(st, &sid, &rec, def)?;
        Ok(self.keep(&sid, loaded))
    }

    /// The study with id `sid`, if `owner` owns it.
    pub(super) fn by_id(&self, st: &AppState, owner: &Owner, sid: &str) -> Result<Arc<HopaasStudy>> {
        let not_found = || Error::NotFound { what: "study", id: sid.to_string() };
        let cached = lock(&self.studies).get(sid).cloned();
        let study = match cached {
            Some(s) => s,
            None => {
                // Registered before a restart: rebuild it from its stored definition.
                let rec = st.inner.auth.hopaas_study(sid)?.ok_or_else(not_found)?;
                let def = Definition::from_canonical(&rec.definition)?;
                self.keep(sid, HopaasStudy::load(st, sid, &rec, def)?)
            }
        };
        if study.owner != owner.key() {
            return Err(not_found());
        }
        Ok(study)
    }

    /// The study and trial named by a handle `SID:N`, if `owner` owns it.
    pub(super) fn resolve(&self, st: &AppState, owner: &Owner, handle: &str) -> Result<(Arc<HopaasStudy>, TrialId)> {
        let (sid, number) = split_handle(handle)?;
        let study = self.by_id(st, owner, sid)?;
        let id = study.trial_id(number)?;
        Ok((study, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
