//! Optimization history: each completed trial's value and the best value so far.

use serde::{Deserialize, Serialize};

use super::axis::completed;
use crate::error::Result;
use crate::history::History;
use crate::trial_record::Direction;

/// One completed trial on the history plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// Trial number.
    pub number: u64,
    /// Objective value.
    pub value: f64,
    /// Best value among the completed trials up to and including this one.
    pub best: f64,
}

/// Data of the optimization-history plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPlot {
    /// Direction of the study (which way "best" goes).
    pub direction: Direction,
    /// Completed trials in number order.
    pub points: Vec<HistoryPoint>,
}

/// The optimization history of a study: [`crate::Error::NoCompletedTrials`] when no trial
/// has completed.
pub fn optimization_history(history: &History) -> Result<HistoryPlot> {
    let direction = history.direction();
    let mut best = f64::NAN;
    let points = completed(history)?
        .into_iter()
        .map(|t| {
            let value = t.value.unwrap_or(f64::NAN);
            if best.is_nan() || direction.is_better(value, best) {
                best = value;
            }
            HistoryPoint { number: t.number, value, best }
        })
        .collect();
    Ok(HistoryPlot { direction, points })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::study_from;

    #[test]
    fn best_so_far_follows_the_direction() {
        let h = study_from(Direction::Maximize, &[(Some(1.0), 0), (None, 0), (Some(3.0), 0), (Some(2.0), 0)]);
        let p = optimization_history(&h).unwrap();
        let got: Vec<(u64, f64, f64)> = p.points.iter().map(|q| (q.number, q.value, q.best)).collect();
        assert_eq!(got, [(0, 1.0, 1.0), (2, 3.0, 3.0), (3, 2.0, 3.0)]);
    }
}
