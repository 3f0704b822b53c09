//! Intermediate values: each trial's learning curve, pruned trials marked.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::history::History;
use crate::trial_record::{Direction, TrialState};

/// The intermediate values one trial reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntermediateCurve {
    /// Trial number.
    pub number: u64,
    /// State of the trial (pruned curves are drawn apart).
    pub state: TrialState,
    /// `(step, value)` pairs in step order.
    pub values: Vec<(u64, f64)>,
}

/// Data of the intermediate-values plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntermediatePlot {
    /// Direction of the study.
    pub direction: Direction,
    /// One curve per trial that reported at least one finite value, in number order.
    pub curves: Vec<IntermediateCurve>,
}

/// The learning curves of a study; [`Error::NoIntermediateValues`] when no trial reported.
pub fn intermediate_values(history: &History) -> Result<IntermediatePlot> {
    let curves: Vec<IntermediateCurve> = history
        .trials()
        .iter()
        .filter_map(|t| {
            let values: Vec<(u64, f64)> =
                t.intermediate_values.iter().filter(|(_, v)| v.is_finite()).map(|(s, v)| (*s, *v)).collect();
            (!values.is_empty()).then(|| IntermediateCurve { number: t.number, state: t.state, values })
        })
        .collect();
    if curves.is_empty() {
        return Err(Error::NoIntermediateValues);
    }
    Ok(IntermediatePlot { direction: history.direction(), curves })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::study_from;

    #[test]
    fn curves_keep_steps_and_states() {
        let h = study_from(Direction::Minimize, &[(Some(1.0), 3), (None, 2), (Some(0.5), 0)]);
        let p = intermediate_values(&h).unwrap();
        assert_eq!(p.curves.len(), 2);
        assert_eq!(p.curves[0].values, [(0, 1.0), (1, 2.0), (2, 3.0)]);
        assert_eq!(p.curves[1].state, TrialState::Pruned);
        let none = study_from(Direction::Minimize, &[(Some(1.0), 0)]);
        assert!(matches!(intermediate_values(&none), Err(Error::NoIntermediateValues)));
    }
}
