//! Rows of the SQL storages and their assembly into [`FrozenTrial`]s.

use std::collections::HashMap;

use super::{corrupt, parse_attrs};
use crate::error::Result;
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{FrozenTrial, TrialState};

/// A row of `trial_columns!()`.
pub(in crate::storage) struct TrialRow {
    pub(in crate::storage) id: i64,
    pub(in crate::storage) number: i64,
    pub(in crate::storage) state: String,
    pub(in crate::storage) value: Option<f64>,
    pub(in crate::storage) fail_reason: Option<String>,
    pub(in crate::storage) started_at: Option<f64>,
    pub(in crate::storage) finished_at: Option<f64>,
    pub(in crate::storage) system_attrs: String,
    pub(in crate::storage) user_attrs: String,
}

impl TrialRow {
    /// The trial, without its parameters and intermediate values (see [`Children`]).
    pub(in crate::storage) fn decode(self) -> Result<FrozenTrial> {
        let mut t = FrozenTrial::new_running(self.id as u64, self.number as u64);
        t.state = TrialState::parse(&self.state).ok_or_else(|| corrupt(format!("trial state `{}`", self.state)))?;
        t.value = self.value;
        t.fail_reason = self.fail_reason;
        t.started_at = self.started_at;
        t.finished_at = self.finished_at;
        t.system_attrs = parse_attrs(&self.system_attrs)?;
        t.user_attrs = parse_attrs(&self.user_attrs)?;
        Ok(t)
    }
}

/// A row `(trial_id, name, distribution, internal)` of the params table.
pub(in crate::storage) struct ParamRow {
    pub(in crate::storage) trial: i64,
    pub(in crate::storage) name: String,
    pub(in crate::storage) distribution: String,
    pub(in crate::storage) internal: f64,
}

/// A row `(trial_id, step, value)` of the intermediate table.
pub(in crate::storage) struct StepRow {
    pub(in crate::storage) trial: i64,
    pub(in crate::storage) step: i64,
    pub(in crate::storage) value: Option<f64>,
}

/// Decodes parameter rows and intermediate rows into the trials they belong to.
pub(in crate::storage) struct Children<'a> {
    by_id: HashMap<i64, &'a mut FrozenTrial>,
    /// Distributions already decoded, by their stored text (most trials share them).
    distributions: HashMap<String, Distribution>,
}

impl<'a> Children<'a> {
    pub(in crate::storage) fn new(trials: impl Iterator<Item = &'a mut FrozenTrial>) -> Self {
        Children { by_id: trials.map(|t| (t.id as i64, t)).collect(), distributions: HashMap::new() }
    }

    /// Adds a parameter to its trial (a row of another trial is skipped).
    pub(in crate::storage) fn param(&mut self, row: ParamRow) -> Result<()> {
        let ParamRow { trial, name, distribution, internal } = row;
        let Some(t) = self.by_id.get_mut(&trial) else { return Ok(()) };
        let d = match self.distributions.get(&distribution) {
            Some(d) => d.clone(),
            None => {
                let d: Distribution = serde_json::from_str(&distribution)
                    .map_err(|e| corrupt(format!("distribution of `{name}`: {e}")))?;
                self.distributions.insert(distribution, d.clone());
                d
            }
        };
        let value = match d {
            // The internal value of a float is the value itself: keep it bit for bit.
            Distribution::Float(_) => ParamValue::Float(internal),
            _ => d.to_external(internal),
        };
        t.params.insert(name.clone(), value);
        t.distributions.insert(name, d);
        Ok(())
    }

    /// Adds an intermediate value to its trial (a row of another trial is skipped).
    pub(in crate::storage) fn intermediate(&mut self, row: StepRow) {
        if let Some(t) = self.by_id.get_mut(&row.trial) {
            // The databases keep no NaN: a reported NaN is stored as NULL.
            t.intermediate_values.insert(row.step as u64, row.value.unwrap_or(f64::NAN));
        }
    }
}
