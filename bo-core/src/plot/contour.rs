//! Contour of the objective over two parameters, interpolated from the completed trials.

use serde::{Deserialize, Serialize};

use super::axis::{ParamAxis, axes, completed, coordinate};
use crate::error::{Error, Result};
use crate::history::History;
use crate::trial_record::Direction;

/// Grid cells per numeric axis.
const GRID: usize = 48;

/// One completed trial on the contour plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContourPoint {
    /// Trial number.
    pub number: u64,
    /// Coordinate on the x axis.
    pub x: f64,
    /// Coordinate on the y axis.
    pub y: f64,
    /// Objective value.
    pub value: f64,
}

/// Data of the contour plot: a grid of interpolated objective values plus the trials.
///
/// Cell `(i, j)` spans `x_edges[i]..x_edges[i + 1]` and `y_edges[j]..y_edges[j + 1]` and
/// holds `z[j][i]`: the objective interpolated at the cell centre by inverse-distance
/// weighting (power 2, in the axes' unit scaling, log axes in log space) of the trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContourPlot {
    /// Direction of the study.
    pub direction: Direction,
    /// Horizontal parameter.
    pub x: ParamAxis,
    /// Vertical parameter.
    pub y: ParamAxis,
    /// Cell boundaries along x (`nx + 1`, ascending).
    pub x_edges: Vec<f64>,
    /// Cell boundaries along y (`ny + 1`, ascending).
    pub y_edges: Vec<f64>,
    /// Interpolated values, `ny` rows of `nx`.
    pub z: Vec<Vec<f64>>,
    /// Lowest and highest objective value of the trials.
    pub value_range: (f64, f64),
    /// Completed trials holding both parameters.
    pub points: Vec<ContourPoint>,
}

/// Cell edges along an axis, in unit space: choices get one cell each, numbers `GRID`.
fn unit_edges(axis: &ParamAxis) -> Vec<f64> {
    match axis.choices() {
        Some(c) => {
            let n = c.len().max(1);
            (0..=n).map(|i| (i as f64 - 0.5) / (n - 1).max(1) as f64).collect()
        }
        None => (0..=GRID).map(|i| i as f64 / GRID as f64).collect(),
    }
}

/// The objective over parameters `x` and `y` of the completed trials that hold both.
/// [`Error::NoCompletedTrials`] when none does; [`Error::UnknownParam`];
/// [`Error::InvalidConfig`] when `x == y`.
pub fn contour(history: &History, x: &str, y: &str) -> Result<ContourPlot> {
    if x == y {
        return Err(Error::InvalidConfig { what: "contour params", reason: format!("needs two parameters, got `{x}` twice") });
    }
    let trials = completed(history)?;
    let Ok([xa, ya]) = <[ParamAxis; 2]>::try_from(axes(&trials, Some(&[x.to_string(), y.to_string()]))?) else {
        return Err(Error::UnknownParam { name: x.to_string() });
    };
    let points: Vec<ContourPoint> = trials
        .iter()
        .filter_map(|t| {
            Some(ContourPoint { number: t.number, x: coordinate(t, x)?, y: coordinate(t, y)?, value: t.value? })
        })
        .collect();
    if points.is_empty() {
        return Err(Error::NoCompletedTrials);
    }
    let (ux, uy) = (unit_edges(&xa), unit_edges(&ya));
    let centers = |e: &[f64]| -> Vec<f64> { e.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect() };
    let (cx, cy) = (centers(&ux), centers(&uy));
    let known: Vec<(f64, f64, f64)> = points.iter().map(|p| (xa.to_unit(p.x), ya.to_unit(p.y), p.value)).collect();
    let z: Vec<Vec<f64>> = cy
        .iter()
        .map(|&v| cx.iter().map(|&u| idw(&known, u, v)).collect())
        .collect();
    let lo = points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.value).fold(f64::NEG_INFINITY, f64::max);
    let to_axis = |a: &ParamAxis, e: &[f64]| -> Vec<f64> {
        match a.choices() {
            Some(c) => (0..=c.len()).map(|i| i as f64 - 0.5).collect(),
            None => e.iter().map(|&u| a.from_unit(u)).collect(),
        }
    };
    Ok(ContourPlot {
        direction: history.direction(),
        x_edges: to_axis(&xa, &ux),
        y_edges: to_axis(&ya, &uy),
        x: xa,
        y: ya,
        z,
        value_range: (lo, hi),
        points,
    })
}

/// Inverse-distance-weighted value at `(u, v)`; exact at a known point.
fn idw(known: &[(f64, f64, f64)], u: f64, v: f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for &(x, y, z) in known {
        let d2 = (x - u).powi(2) + (y - v).powi(2);
        if d2 < 1e-18 {
            return z;
        }
        num += z / d2;
        den += 1.0 / d2;
    }
    num / den
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::study_from;

    #[test]
    fn the_grid_spans_the_axes_and_stays_within_the_values() {
        let h = study_from(Direction::Minimize, &[(Some(3.0), 0), (Some(1.0), 0), (Some(2.0), 0), (None, 0)]);
        let p = contour(&h, "x", "opt").unwrap();
        assert_eq!(p.x_edges.len(), GRID + 1);
        assert_eq!((p.x_edges[0], p.x_edges[GRID]), (0.0, 10.0));
        assert_eq!(p.y_edges, [-0.5, 0.5, 1.5]);
        assert_eq!(p.z.len(), 2);
        assert!(p.z.iter().flatten().all(|v| (1.0..=3.0).contains(v)));
        assert_eq!(p.points.len(), 3);
        assert!(matches!(contour(&h, "x", "x"), Err(Error::InvalidConfig { .. })));
        assert!(matches!(contour(&h, "x", "lr"), Err(Error::UnknownParam { .. })));
    }
}
