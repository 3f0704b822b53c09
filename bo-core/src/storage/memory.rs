//! In-memory storage: tests and throwaway runs.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use super::{Cursor, FIXED_PARAMS_ATTR, FixedParams, Storage, StudyRecord, ensure_running, stale_trial_reason};
use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId, TrialState, now_secs};

/// A storage held in process memory; lost when the process ends.
#[derive(Debug, Default)]
pub struct InMemoryStorage {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    studies: Vec<Option<StudyData>>,
    /// trial id -> (study id, number)
    trial_index: Vec<(StudyId, u64)>,
    /// trial id -> last heartbeat (seconds since the Unix epoch)
    heartbeats: HashMap<TrialId, f64>,
}

#[derive(Debug)]
struct StudyData {
    name: String,
    direction: Direction,
    trials: Vec<FrozenTrial>,
    /// Change log: numbers of changed trials, in order. A cursor is a position in it.
    log: Vec<u64>,
}

impl InMemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written trial (every mutation is a
        // single assignment), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn study_mut(&mut self, id: StudyId) -> Result<&mut StudyData> {
        self.studies
            .get_mut(id as usize)
            .and_then(|s| s.as_mut())
            .ok_or_else(|| Error::UnknownStudy { name: format!("#{id}") })
    }

    fn trial_mut(&mut self, id: TrialId) -> Result<&mut FrozenTrial> {
        let (sid, number) = *self.trial_index.get(id as usize).ok_or(Error::UnknownTrial { trial: id })?;
        let study = self.study_mut(sid).map_err(|_| Error::UnknownTrial { trial: id })?;
        study.log.push(number);
        Ok(&mut study.trials[number as usize])
    }

    fn new_trial(&mut self, study: StudyId, state: TrialState) -> Result<FrozenTrial> {
        let id = self.trial_index.len() as TrialId;
        let s = self.study_mut(study)?;
        let number = s.trials.len() as u64;
        let mut t = FrozenTrial::new_running(id, number);
        t.state = state;
        if state == TrialState::Waiting {
            t.started_at = None;
        }
        s.trials.push(t.clone());
        s.log.push(number);
        self.trial_index.push((study, number));
        Ok(t)
    }
}

impl Storage for InMemoryStorage {
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId> {
        let mut g = self.lock();
        if g.studies.iter().flatten().any(|s| s.name == name) {
            return Err(Error::StudyExists { name: name.to_string() });
        }
        g.studies.push(Some(StudyData { name: name.to_string(), direction, trials: Vec::new(), log: Vec::new() }));
        Ok(g.studies.len() as StudyId - 1)
    }

    fn study(&self, name: &str) -> Result<Option<StudyRecord>> {
        Ok(self.studies()?.into_iter().find(|s| s.name == name))
    }

    fn studies(&self) -> Result<Vec<StudyRecord>> {
        let g = self.lock();
        Ok(g.studies
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref().map(|s| StudyRecord {
                    id: i as StudyId,
                    name: s.name.clone(),
                    direction: s.direction,
                    n_trials: s.trials.len() as u64,
                })
            })
            .collect())
    }

    fn delete_study(&self, name: &str) -> Result<()> {
        let mut g = self.lock();
        let slot = g
            .studies
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(|s| s.name == name))
            .ok_or_else(|| Error::UnknownStudy { name: name.to_string() })?;
        *slot = None;
        Ok(())
    }

    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial> {
        self.lock().new_trial(study, TrialState::Running)
    }

    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &FixedParams,
        system_attrs: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial> {
        let value = serde_json::to_value(fixed).map_err(Error::storage)?;
        let mut g = self.lock();
        let t = g.new_trial(study, TrialState::Waiting)?;
        let tm = g.trial_mut(t.id)?;
        tm.system_attrs.extend(system_attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
        tm.system_attrs.insert(FIXED_PARAMS_ATTR.to_string(), value);
        Ok(tm.clone())
    }

    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>> {
        let mut g = self.lock();
        let s = g.study_mut(study)?;
        let Some(number) = s.trials.iter().position(|t| t.state == TrialState::Waiting) else {
            return Ok(None);
        };
        s.log.push(number as u64);
        let t = &mut s.trials[number];
        t.state = TrialState::Running;
        t.started_at = Some(crate::trial_record::now_secs());
        Ok(Some(t.clone()))
    }

    fn set_param(&self, trial: TrialId, name: &str, d: &Distribution, value: &ParamValue) -> Result<()> {
        let mut g = self.lock();
        let t = g.trial_mut(trial)?;
        ensure_running(t)?;
        t.distributions.insert(name.to_string(), d.clone());
        t.params.insert(name.to_string(), value.clone());
        Ok(())
    }

    fn report(&self, trial: TrialId, step: u64, value: f64) -> Result<()> {
        let mut g = self.lock();
        let t = g.trial_mut(trial)?;
        ensure_running(t)?;
        t.intermediate_values.insert(step, value);
        Ok(())
    }

    fn set_user_attr(&self, trial: TrialId, key: &str, value: &serde_json::Value) -> Result<()> {
        let mut g = self.lock();
        let t = g.trial_mut(trial)?;
        ensure_running(t)?;
        t.user_attrs.insert(key.to_string(), value.clone());
        Ok(())
    }

    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        let mut g = self.lock();
        let t = g.trial_mut(trial)?;
        ensure_running(t)?;
        t.apply_outcome(outcome);
        Ok(t.clone())
    }

    fn trial(&self, trial: TrialId) -> Result<FrozenTrial> {
        let g = self.lock();
        let (sid, number) = *g.trial_index.get(trial as usize).ok_or(Error::UnknownTrial { trial })?;
        g.studies
            .get(sid as usize)
            .and_then(|s| s.as_ref())
            .map(|s| s.trials[number as usize].clone())
            .ok_or(Error::UnknownTrial { trial })
    }

    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)> {
        let mut g = self.lock();
        let s = g.study_mut(study)?;
        let from = (cursor.0 as usize).min(s.log.len());
        let changed: BTreeSet<u64> = s.log[from..].iter().copied().collect();
        let trials = changed.into_iter().map(|n| s.trials[n as usize].clone()).collect();
        Ok((trials, Cursor(s.log.len() as u64)))
    }

    fn heartbeat(&self, trial: TrialId) -> Result<()> {
        let mut g = self.lock();
        let (sid, number) = *g.trial_index.get(trial as usize).ok_or(Error::UnknownTrial { trial })?;
        let t = g
            .studies
            .get(sid as usize)
            .and_then(|s| s.as_ref())
            .map(|s| &s.trials[number as usize])
            .ok_or(Error::UnknownTrial { trial })?;
        ensure_running(t)?;
        g.heartbeats.insert(trial, now_secs());
        Ok(())
    }

    fn fail_stale_trials(&self, study: StudyId, grace: Duration) -> Result<Vec<FrozenTrial>> {
        let mut g = self.lock();
        let now = now_secs();
        let Inner { studies, heartbeats, .. } = &mut *g;
        let s = studies
            .get_mut(study as usize)
            .and_then(|s| s.as_mut())
            .ok_or_else(|| Error::UnknownStudy { name: format!("#{study}") })?;
        let mut failed = Vec::new();
        for t in s.trials.iter_mut().filter(|t| t.state == TrialState::Running) {
            let Some(&beat) = heartbeats.get(&t.id) else { continue };
            if now - beat > grace.as_secs_f64() {
                t.apply_outcome(&Outcome::Failed(stale_trial_reason(now - beat, grace)));
                heartbeats.remove(&t.id);
                s.log.push(t.number);
                failed.push(t.clone());
            }
        }
        Ok(failed)
    }
}
