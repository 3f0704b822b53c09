//! Parallel coordinates: one polyline per completed trial across the objective and the
//! parameter axes.

use serde::{Deserialize, Serialize};

use super::axis::{ParamAxis, axes, completed, coordinate};
use crate::error::Result;
use crate::history::History;
use crate::trial_record::Direction;

/// One completed trial on the parallel-coordinates plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelLine {
    /// Trial number.
    pub number: u64,
    /// Objective value.
    pub value: f64,
    /// Coordinate on each parameter axis (in [`ParallelPlot::axes`] order); `None` where the
    /// trial does not hold the parameter (a conditional one).
    pub coords: Vec<Option<f64>>,
}

/// Data of the parallel-coordinates plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelPlot {
    /// Direction of the study.
    pub direction: Direction,
    /// Lowest and highest objective value.
    pub value_range: (f64, f64),
    /// Parameter axes, left to right after the objective axis.
    pub axes: Vec<ParamAxis>,
    /// One line per completed trial, in number order.
    pub lines: Vec<ParallelLine>,
}

/// Parallel coordinates of the completed trials over `params` (`None`: every parameter).
/// [`crate::Error::NoCompletedTrials`], or [`crate::Error::UnknownParam`] for a name no
/// completed trial holds.
pub fn parallel_coordinates(history: &History, params: Option<&[String]>) -> Result<ParallelPlot> {
    let trials = completed(history)?;
    let axes = axes(&trials, params)?;
    let lines: Vec<ParallelLine> = trials
        .iter()
        .map(|t| ParallelLine {
            number: t.number,
            value: t.value.unwrap_or(f64::NAN),
            coords: axes.iter().map(|a| coordinate(t, &a.name)).collect(),
        })
        .collect();
    let lo = lines.iter().map(|l| l.value).fold(f64::INFINITY, f64::min);
    let hi = lines.iter().map(|l| l.value).fold(f64::NEG_INFINITY, f64::max);
    Ok(ParallelPlot { direction: history.direction(), value_range: (lo, hi), axes, lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::study_from;

    #[test]
    fn lines_hold_one_coordinate_per_axis() {
        let h = study_from(Direction::Minimize, &[(Some(3.0), 0), (None, 0), (Some(1.0), 0)]);
        let p = parallel_coordinates(&h, None).unwrap();
        let names: Vec<&str> = p.axes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["opt", "x"]);
        assert_eq!(p.value_range, (1.0, 3.0));
        assert_eq!(p.lines.len(), 2);
        assert_eq!(p.lines[1].coords, [Some(0.0), Some(2.0)]);
        let err = parallel_coordinates(&h, Some(&["nope".to_string()])).unwrap_err();
        assert_eq!(err.to_string(), "parameter `nope` is not in the study");
    }
}
