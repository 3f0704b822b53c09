//! What the SQL storages (SQLite and PostgreSQL) share: their rows have the same columns, so
//! one layer turns rows into [`FrozenTrial`]s ([`TrialRow`], [`Children`]) and checks and
//! encodes what they write.

use std::collections::BTreeMap;

use super::{FIXED_PARAMS_ATTR, FixedParams, StudyRecord};
use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId};

mod rows;

pub(super) use rows::{Children, ParamRow, StepRow, TrialRow};

/// The columns of a trial row, in [`TrialRow`]'s order, from a trials table aliased `t`.
macro_rules! trial_columns {
    () => {
        "t.id, t.number, t.state, t.value, t.fail_reason, t.started_at, t.finished_at, t.system_attrs, t.user_attrs"
    };
}
pub(super) use trial_columns;

/// Stored data that this build cannot decode.
#[derive(Debug)]
struct Corrupt(String);

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corrupt stored data: {}", self.0)
    }
}

impl std::error::Error for Corrupt {}

/// A storage error for stored data that cannot be decoded.
pub(super) fn corrupt(what: impl Into<String>) -> Error {
    Error::storage(Corrupt(what.into()))
}

/// An id as the database's signed 64-bit integer (`None` if it cannot be one of ours).
pub(super) fn to_sql_id(id: u64) -> Option<i64> {
    i64::try_from(id).ok()
}

/// The error for a study id that is not in the database.
pub(super) fn unknown_study(id: StudyId) -> Error {
    Error::UnknownStudy { name: format!("#{id}") }
}

/// A JSON attribute map as stored in a text column.
pub(super) fn parse_attrs(text: &str) -> Result<BTreeMap<String, serde_json::Value>> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("attributes: {e}")))
}

/// The stored attributes `text` with `key` set to `value`, as text.
pub(super) fn with_attr(text: &str, key: &str, value: &serde_json::Value) -> Result<String> {
    let mut attrs = parse_attrs(text)?;
    attrs.insert(key.to_string(), value.clone());
    serde_json::to_string(&attrs).map_err(Error::storage)
}

/// The system attributes of an enqueued trial, as JSON text: `fixed_params` and `extra`.
pub(super) fn enqueued_system_attrs(fixed: &FixedParams, extra: &BTreeMap<String, serde_json::Value>) -> Result<String> {
    let mut attrs: serde_json::Map<String, serde_json::Value> =
        extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    attrs.insert(FIXED_PARAMS_ATTR.to_string(), serde_json::to_value(fixed).map_err(Error::storage)?);
    Ok(serde_json::Value::Object(attrs).to_string())
}

/// The stored columns of a parameter: its internal value (never NaN) and its distribution as
/// JSON; [`Error::ValueOutOfDistribution`] for a value outside `d`.
pub(super) fn param_columns(name: &str, d: &Distribution, value: &ParamValue) -> Result<(f64, String)> {
    let internal = d.to_internal(value).filter(|x| !x.is_nan()).ok_or_else(|| Error::ValueOutOfDistribution {
        name: name.to_string(),
        value: value.to_json().to_string(),
        distribution: serde_json::to_string(d).unwrap_or_default(),
    })?;
    let distribution = serde_json::to_string(d).map_err(Error::storage)?;
    Ok((internal, distribution))
}

/// A step as the database's signed 64-bit integer, or [`Error::InvalidConfig`].
pub(super) fn step_column(step: u64) -> Result<i64> {
    i64::try_from(step).map_err(|_| Error::InvalidConfig {
        what: "step",
        reason: format!("{step} exceeds the largest storable step ({})", i64::MAX),
    })
}

/// Checks an outcome before any write: a complete trial needs a finite value.
pub(super) fn check_outcome(outcome: &Outcome) -> Result<()> {
    match outcome {
        Outcome::Complete(v) if !v.is_finite() => Err(Error::NonFiniteValue { value: *v }),
        _ => Ok(()),
    }
}

/// `t` ended by `outcome`, as it is stored: the databases keep no NaN, so a pruned trial's NaN
/// value is stored (and returned) as "no value".
pub(super) fn finished(mut t: FrozenTrial, outcome: &Outcome) -> FrozenTrial {
    t.apply_outcome(outcome);
    t.value = t.value.filter(|v| !v.is_nan());
    t
}

/// A study record from its columns `(id, name, direction, number of trials)`.
pub(super) fn study_record(id: i64, name: String, direction: &str, n_trials: i64) -> Result<StudyRecord> {
    let direction = Direction::parse(direction).ok_or_else(|| corrupt(format!("direction `{direction}`")))?;
    Ok(StudyRecord { id: id as StudyId, name, direction, n_trials: n_trials as u64 })
}
