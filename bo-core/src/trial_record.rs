//! Finished (or snapshot) trial records: [`FrozenTrial`], [`TrialState`], [`Direction`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::space::{Distributions, Params};

/// Storage-wide id of a trial.
pub type TrialId = u64;
/// Storage-wide id of a study.
pub type StudyId = u64;

/// Lifecycle state of a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TrialState {
    /// Being evaluated by a worker.
    Running,
    /// Finished with a value.
    Complete,
    /// Stopped early by the pruner.
    Pruned,
    /// Ended by an error, a panic or a non-finite value.
    Failed,
    /// Enqueued, not yet handed to a worker.
    Waiting,
}

impl TrialState {
    /// Whether the trial has ended (complete, pruned or failed).
    pub fn is_finished(self) -> bool {
        matches!(self, TrialState::Complete | TrialState::Pruned | TrialState::Failed)
    }
    /// Upper-case name, as stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            TrialState::Running => "RUNNING",
            TrialState::Complete => "COMPLETE",
            TrialState::Pruned => "PRUNED",
            TrialState::Failed => "FAILED",
            TrialState::Waiting => "WAITING",
        }
    }
    /// Parses [`TrialState::as_str`] output.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "RUNNING" => TrialState::Running,
            "COMPLETE" => TrialState::Complete,
            "PRUNED" => TrialState::Pruned,
            "FAILED" => TrialState::Failed,
            "WAITING" => TrialState::Waiting,
            _ => return None,
        })
    }
}

impl fmt::Display for TrialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the objective is minimized or maximized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better.
    #[default]
    Minimize,
    /// Higher is better.
    Maximize,
}

impl Direction {
    /// `1.0` for minimize, `-1.0` for maximize: multiply a value to get a loss.
    pub fn sign(self) -> f64 {
        match self {
            Direction::Minimize => 1.0,
            Direction::Maximize => -1.0,
        }
    }
    /// Whether `a` is strictly better than `b`.
    pub fn is_better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Minimize => a < b,
            Direction::Maximize => a > b,
        }
    }
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Minimize => "minimize",
            Direction::Maximize => "maximize",
        }
    }
    /// Parses `minimize` / `maximize`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "minimize" => Some(Direction::Minimize),
            "maximize" => Some(Direction::Maximize),
            _ => None,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a trial ended, as given to [`crate::Storage::finish`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Completed with a finite value.
    Complete(f64),
    /// Pruned; carries the last intermediate value if any.
    Pruned(Option<f64>),
    /// Failed, with the reason.
    Failed(String),
}

impl Outcome {
    /// The state this outcome leaves the trial in.
    pub fn state(&self) -> TrialState {
        match self {
            Outcome::Complete(_) => TrialState::Complete,
            Outcome::Pruned(_) => TrialState::Pruned,
            Outcome::Failed(_) => TrialState::Failed,
        }
    }
}

/// A read-only record of a trial: what the storage holds, what samplers and pruners see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenTrial {
    /// Storage-wide id.
    pub id: TrialId,
    /// 0-based number within its study (the order trials were created in).
    pub number: u64,
    /// Lifecycle state.
    pub state: TrialState,
    /// Objective value (complete), or last intermediate value (pruned).
    pub value: Option<f64>,
    /// Parameter values by name.
    pub params: Params,
    /// Parameter distributions by name.
    pub distributions: Distributions,
    /// Intermediate values by step.
    pub intermediate_values: BTreeMap<u64, f64>,
    /// Attributes set by the user.
    pub user_attrs: BTreeMap<String, serde_json::Value>,
    /// Attributes set by the library (e.g. `fixed_params` of an enqueued trial).
    pub system_attrs: BTreeMap<String, serde_json::Value>,
    /// Why the trial failed.
    pub fail_reason: Option<String>,
    /// Start time, seconds since the Unix epoch.
    pub started_at: Option<f64>,
    /// End time, seconds since the Unix epoch.
    pub finished_at: Option<f64>,
}

impl FrozenTrial {
    /// A fresh running trial record.
    pub fn new_running(id: TrialId, number: u64) -> Self {
        FrozenTrial {
            id,
            number,
            state: TrialState::Running,
            value: None,
            params: Params::new(),
            distributions: Distributions::new(),
            intermediate_values: BTreeMap::new(),
            user_attrs: BTreeMap::new(),
            system_attrs: BTreeMap::new(),
            fail_reason: None,
            started_at: Some(now_secs()),
            finished_at: None,
        }
    }

    /// Internal representation of parameter `name` (see [`crate::Distribution::to_internal`]).
    pub fn internal(&self, name: &str) -> Option<f64> {
        let d = self.distributions.get(name)?;
        d.to_internal(self.params.get(name)?)
    }

    /// The last step with an intermediate value.
    pub fn last_step(&self) -> Option<u64> {
        self.intermediate_values.keys().next_back().copied()
    }

    /// Duration in seconds, when both ends are known.
    pub fn duration_secs(&self) -> Option<f64> {
        Some(self.finished_at? - self.started_at?)
    }

    /// Applies an outcome to this record (state, value, reason, end time).
    pub fn apply_outcome(&mut self, outcome: &Outcome) {
        self.state = outcome.state();
        match outcome {
            Outcome::Complete(v) => self.value = Some(*v),
            Outcome::Pruned(v) => self.value = *v,
            Outcome::Failed(r) => {
                self.value = None;
                self.fail_reason = Some(r.clone());
            }
        }
        self.finished_at = Some(now_secs());
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
