//! Slice plot: the objective against each parameter, one panel per parameter.

use serde::{Deserialize, Serialize};

use super::axis::{ParamAxis, axes, completed, coordinate};
use crate::error::Result;
use crate::history::History;
use crate::trial_record::Direction;

/// One completed trial in a slice panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlicePoint {
    /// Trial number (points are coloured by it).
    pub number: u64,
    /// Coordinate of the parameter (the choice index for a categorical).
    pub x: f64,
    /// Objective value.
    pub value: f64,
}

/// The objective against one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlicePanel {
    /// The parameter's axis.
    pub axis: ParamAxis,
    /// The completed trials that hold the parameter.
    pub points: Vec<SlicePoint>,
}

/// Data of the slice plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlicePlot {
    /// Direction of the study.
    pub direction: Direction,
    /// Highest trial number among the points (for the colour scale).
    pub max_number: u64,
    /// One panel per parameter, by name (or in the order asked).
    pub panels: Vec<SlicePanel>,
}

/// Slices of the completed trials over `params` (`None`: every parameter).
/// [`crate::Error::NoCompletedTrials`], or [`crate::Error::UnknownParam`].
pub fn slice(history: &History, params: Option<&[String]>) -> Result<SlicePlot> {
    let trials = completed(history)?;
    let panels = axes(&trials, params)?
        .into_iter()
        .map(|axis| {
            let points = trials
                .iter()
                .filter_map(|t| {
                    Some(SlicePoint { number: t.number, x: coordinate(t, &axis.name)?, value: t.value? })
                })
                .collect();
            SlicePanel { axis, points }
        })
        .collect();
    let max_number = trials.iter().map(|t| t.number).max().unwrap_or(0);
    Ok(SlicePlot { direction: history.direction(), max_number, panels })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::study_from;

    #[test]
    fn each_panel_holds_the_trials_with_its_parameter() {
        let h = study_from(Direction::Minimize, &[(Some(3.0), 0), (Some(1.0), 0)]);
        let p = slice(&h, Some(&["x".to_string()])).unwrap();
        assert_eq!(p.panels.len(), 1);
        let pts: Vec<(f64, f64)> = p.panels[0].points.iter().map(|q| (q.x, q.value)).collect();
        assert_eq!(pts, [(0.0, 3.0), (1.0, 1.0)]);
        assert_eq!(p.max_number, 1);
    }
}
