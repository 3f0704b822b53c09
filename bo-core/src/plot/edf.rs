//! Empirical distribution function (EDF) of the objective values.

use serde::{Deserialize, Serialize};

use super::axis::completed;
use crate::error::Result;
use crate::history::History;
use crate::trial_record::Direction;

/// Data of the EDF plot: the fraction of completed trials with a value `<= v`, for every `v`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdfPlot {
    /// Direction of the study.
    pub direction: Direction,
    /// Objective values of the completed trials, ascending. The EDF steps up by `1 / n` at
    /// each.
    pub values: Vec<f64>,
}

impl EdfPlot {
    /// The EDF at `v`: the fraction of values `<= v`.
    pub fn fraction_at(&self, v: f64) -> f64 {
        self.values.partition_point(|x| *x <= v) as f64 / self.values.len().max(1) as f64
    }
}

/// The EDF of a study's objective values; [`crate::Error::NoCompletedTrials`] when none.
pub fn edf(history: &History) -> Result<EdfPlot> {
    let mut values: Vec<f64> = completed(history)?.iter().filter_map(|t| t.value).collect();
    values.sort_by(f64::total_cmp);
    Ok(EdfPlot { direction: history.direction(), values })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::study_from;

    #[test]
    fn the_edf_counts_values_at_most_v() {
        let h = study_from(Direction::Minimize, &[(Some(3.0), 0), (Some(1.0), 0), (None, 0), (Some(2.0), 0)]);
        let e = edf(&h).unwrap();
        assert_eq!(e.values, [1.0, 2.0, 3.0]);
        assert_eq!(e.fraction_at(0.5), 0.0);
        assert!((e.fraction_at(2.0) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(e.fraction_at(9.0), 1.0);
    }
}
