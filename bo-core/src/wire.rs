//! The bodies of `bo-server`'s JSON API (`/api/v1`): one set of serde types that the server
//! parses and answers with and that [`crate::HttpStorage`] (feature `http`) sends and reads,
//! so the two sides cannot drift apart.
//!
//! | endpoint | request | response |
//! |---|---|---|
//! | `GET /studies` | | `Vec<`[`StudyRecord`]`>` |
//! | `POST /studies` | [`NewStudy`] | [`Created`] |
//! | `GET`, `DELETE /study?name=` ([`NameQuery`]) | | `Option<`[`StudyRecord`]`>`, `null` |
//! | `GET /study/best?name=`, `/study/trials?name=` | | [`FrozenTrial`], `Vec<`[`FrozenTrial`]`>` |
//! | `GET /studies/{id}/trials?cursor=` ([`CursorQuery`]) | | [`TrialsSince`] |
//! | `POST /studies/{id}/trials`, `/claim` | [`Empty`] | [`FrozenTrial`], `Option<`[`FrozenTrial`]`>` |
//! | `POST /studies/{id}/enqueue` | [`Enqueue`] | [`FrozenTrial`] |
//! | `POST /studies/{id}/fail_stale` | [`Grace`] | `Vec<`[`FrozenTrial`]`>` |
//! | `GET /trials/{id}` | | [`FrozenTrial`] |
//! | `POST /trials/{id}/param` | [`SetParam`] | `null` |
//! | `POST /trials/{id}/report` | [`Report`] | `null` |
//! | `POST /trials/{id}/user_attr` | [`UserAttr`] | `null` |
//! | `POST /trials/{id}/finish` | [`Finish`] | [`FrozenTrial`] |
//! | `POST /trials/{id}/heartbeat` | [`Empty`] | `null` |
//! | any error (4xx, 5xx) | | [`ApiError`] |
//!
//! Fields keep the order in which the server has always read them (serde also fills a struct
//! from a JSON array, in that order, so the order is part of what the server accepts).
//! Serialized, a body has the keys and values of the JSON maps `HttpStorage` used to build.
//!
//! ```
//! use bo_core::wire::Report;
//! let body = serde_json::to_string(&Report { step: 3, value: 0.5 }).unwrap();
//! assert_eq!(body, r#"{"step":3,"value":0.5}"#);
//! assert_eq!(serde_json::from_str::<Report>(&body).unwrap(), Report { step: 3, value: 0.5 });
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::space::{Distribution, ParamValue};
#[cfg(doc)]
use crate::storage::StudyRecord;
use crate::storage::{Cursor, FixedParams};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId};

/// `POST /studies`: create a study (no other field is accepted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStudy {
    /// The study's name as the user knows it.
    pub name: String,
    /// Minimize or maximize. Default: minimize.
    #[serde(default)]
    pub direction: Direction,
}

/// The answer to [`NewStudy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// The new study's id.
    pub id: StudyId,
}

/// `?name=STUDY` of the endpoints that take a study by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameQuery {
    /// The study's name as the user knows it.
    pub name: String,
}

/// `?cursor=N` of `GET /studies/{id}/trials`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorQuery {
    /// Where the caller's last read ended. Default: `0` (everything).
    #[serde(default)]
    pub cursor: u64,
}

/// The answer of `GET /studies/{id}/trials`: what changed since the cursor, and the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialsSince {
    /// Where this read ended.
    pub cursor: Cursor,
    /// The trials created or changed since the request's cursor.
    pub trials: Vec<FrozenTrial>,
}

/// The body of the endpoints that take none (`{}`); the server reads and ignores it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `POST /studies/{id}/enqueue`: a waiting trial with fixed parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Enqueue {
    /// Parameter values the trial must take.
    #[serde(default)]
    pub fixed: FixedParams,
    /// Extra system attributes (e.g. `retried_from` of a retried trial); omitted when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub system_attrs: BTreeMap<String, serde_json::Value>,
}

/// `POST /studies/{id}/fail_stale`: fail the RUNNING trials silent for longer than this.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grace {
    /// The grace period in seconds (finite, >= 0).
    pub grace_secs: f64,
}

/// `POST /trials/{id}/param`: one parameter of a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetParam {
    /// The parameter's name.
    pub name: String,
    /// Its distribution.
    pub distribution: Distribution,
    /// Its value (in `distribution`).
    pub value: ParamValue,
}

/// `POST /trials/{id}/report`: an intermediate value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The step.
    pub step: u64,
    /// The value (finite).
    pub value: f64,
}

/// `POST /trials/{id}/user_attr`: a user attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAttr {
    /// The attribute's name.
    pub key: String,
    /// Its value.
    pub value: serde_json::Value,
}

/// `POST /trials/{id}/finish`: how the trial ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finish {
    /// The outcome; a non-finite value travels as a failure (JSON has no NaN).
    pub outcome: Outcome,
}

/// The body of every error answer: a message, a machine-readable kind, and the study name
/// or trial id the error is about (for the kinds that have one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The message.
    pub error: String,
    /// `unknown_study`, `unknown_trial`, `study_exists`, `trial_finished`,
    /// `no_completed_trials`, `invalid`, `malformed_json`, `unauthorized`, … .
    #[serde(default)]
    pub kind: String,
    /// The study the error names (`unknown_study`, `study_exists`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The trial the error names (`unknown_trial`, `trial_finished`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_hold_what_the_equivalent_json_maps_held() {
        use serde_json::to_value as v;
        assert_eq!(v(Enqueue::default()).unwrap(), json!({"fixed": {}}));
        assert_eq!(v(TrialsSince { trials: vec![], cursor: Cursor(4) }).unwrap(), json!({"trials": [], "cursor": Cursor(4)}));
        let e = ApiError { error: "e".into(), kind: "k".into(), name: None, trial: Some(3) };
        assert_eq!(v(e).unwrap(), json!({"error": "e", "kind": "k", "trial": 3}));
        assert_eq!(v(Empty {}).unwrap(), json!({}));
        assert_eq!(v(Report { step: 2, value: 0.5 }).unwrap(), json!({"step": 2, "value": 0.5}));
    }

    #[test]
    fn a_new_study_refuses_unknown_fields_and_defaults_to_minimize() {
        let s: NewStudy = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
        let text = serde_json::to_string(&NewStudy { name: "a".into(), direction: Direction::Maximize }).unwrap();
        assert_eq!(text, r#"{"name":"a","direction":"maximize"}"#);
        assert_eq!(s.direction, Direction::Minimize);
        assert!(serde_json::from_str::<NewStudy>(r#"{"name":"x","sampler":"tpe"}"#).is_err());
    }
}
