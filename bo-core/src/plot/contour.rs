//! Contour of the objective over two parameters, interpolated from the completed trials.

use serde::{Deserialize, Serialize};

use super::axis::{ParamAxis, axes, completed, coordinate};
use crate::error::{Error, Result};
use crate::history::History;
use crate::trial_record::Direction;

/// Grid cells per numeric axis.
const GRID: usize = 40;

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
/// holds `z[j][i]`: the objective at the cell centre smoothed from the trials with a
/// Gaussian kernel (Nadaraya–Watson; distances in the axes' unit scaling, log axes in log
/// space; bandwidth `max(0.05, 0.5 / sqrt(n))` for `n` trials). On a categorical axis only
/// the trials with the cell's choice count; `None` where no trial has it.
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
    /// Smoothed values, `ny` rows of `nx` (`None`: no trial with that choice).
    pub z: Vec<Vec<Option<f64>>>,
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
    let known: Vec<Known> = points
        .iter()
        .map(|p| Known { u: xa.to_unit(p.x), v: ya.to_unit(p.y), cx: choice(&xa, p.x), cy: choice(&ya, p.y), z: p.value })
        .collect();
    let h = (0.5 / (known.len() as f64).sqrt()).max(0.05);
    let z: Vec<Vec<Option<f64>>> = cy
        .iter()
        .enumerate()
        .map(|(j, &v)| {
            cx.iter()
                .enumerate()
                .map(|(i, &u)| {
                    let cell_x = xa.choices().map(|_| i);
                    let cell_y = ya.choices().map(|_| j);
                    let near = known.iter().filter(|k| k.cx == cell_x && k.cy == cell_y);
                    smooth(near, u, v, h)
                })
                .collect()
        })
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

/// A trial in unit coordinates, with its choice index on categorical axes.
struct Known {
    u: f64,
    v: f64,
    cx: Option<usize>,
    cy: Option<usize>,
    z: f64,
}

/// The choice index of coordinate `x` on a categorical axis.
fn choice(axis: &ParamAxis, x: f64) -> Option<usize> {
    axis.choices().map(|_| x.round().max(0.0) as usize)
}

/// Gaussian-kernel weighted mean of the values at `(u, v)` with bandwidth `h` (weights
/// shifted by the nearest distance, so far cells do not underflow); `None` without points.
fn smooth<'a>(known: impl Iterator<Item = &'a Known> + Clone, u: f64, v: f64, h: f64) -> Option<f64> {
    let d2 = |k: &Known| (k.u - u).powi(2) + (k.v - v).powi(2);
    let nearest = known.clone().map(d2).fold(f64::INFINITY, f64::min);
    if !nearest.is_finite() {
        return None;
    }
    let (mut num, mut den) = (0.0, 0.0);
    for k in known {
        let w = (-(d2(k) - nearest) / (2.0 * h * h)).exp();
        num += w * k.z;
        den += w;
    }
    Some(num / den)
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
        // Trials 0 and 2 chose `sgd` (row 0), trial 1 `adam` (row 1): rows keep apart.
        assert!(p.z[0].iter().all(|v| v.is_some_and(|v| (2.0..=3.0).contains(&v))), "{:?}", p.z[0]);
        assert!(p.z[1].iter().all(|v| *v == Some(1.0)), "{:?}", p.z[1]);
        assert_eq!(p.points.len(), 3);
        assert!(matches!(contour(&h, "x", "x"), Err(Error::InvalidConfig { .. })));
        assert!(matches!(contour(&h, "x", "lr"), Err(Error::UnknownParam { .. })));
    }
}
