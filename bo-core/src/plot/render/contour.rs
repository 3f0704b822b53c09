//! Contour: interpolated objective as coloured cells over two parameters, trials as dots,
//! colour bar on the right.

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::{AxisSpec, Drawn, FAMILY, color_bar, colormap, param_label, title_font, unit, with_coords};
use crate::plot::ContourPlot;

pub(super) fn draw<DB: DrawingBackend>(p: &ContourPlot, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let area = root.titled(&format!("Contour of the objective over {} and {}", p.x.name, p.y.name), title_font())?;
    let (w, _) = area.dim_in_pixel();
    let (main, bar) = area.split_horizontally(w.saturating_sub(110));
    let xs = edges_spec(&p.x_edges, AxisSpec::of(&p.x));
    let ys = edges_spec(&p.y_edges, AxisSpec::of(&p.y));
    with_coords!(xs, ys, |xc, yc| draw_cells(p, &main, xc, yc))?;
    color_bar(&bar, p.value_range, "objective")
}

/// The chart axis exactly spanning the grid's cells.
fn edges_spec(edges: &[f64], like: AxisSpec) -> AxisSpec {
    let (lo, hi) = (edges.first().copied().unwrap_or(0.0), edges.last().copied().unwrap_or(1.0));
    match like {
        AxisSpec::Log(..) if lo > 0.0 => AxisSpec::Log(lo, hi),
        _ => AxisSpec::Linear(lo, hi),
    }
}

fn draw_cells<DB, X, Y>(p: &ContourPlot, area: &DrawingArea<DB, Shift>, x: X, y: Y) -> Drawn<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x, y)?;
    chart.draw_series(p.z.iter().enumerate().flat_map(|(j, row)| {
        row.iter().enumerate().map(move |(i, z)| {
            let color = z.map_or(RGBColor(225, 225, 225), |z| colormap(unit(z, p.value_range)));
            Rectangle::new([(p.x_edges[i], p.y_edges[j]), (p.x_edges[i + 1], p.y_edges[j + 1])], color.filled())
        })
    }))?;
    let (xl, yl) = (param_label(&p.x), param_label(&p.y));
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(p.x.name.as_str())
        .y_desc(p.y.name.as_str())
        .x_labels(p.x.choices().map_or(7, |c| c.len() + 1))
        .y_labels(p.y.choices().map_or(7, |c| c.len() + 1))
        .x_label_formatter(&xl)
        .y_label_formatter(&yl)
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .draw()?;
    chart.draw_series(p.points.iter().map(|q| Circle::new((q.x, q.y), 4, WHITE.filled())))?;
    chart.draw_series(p.points.iter().map(|q| Circle::new((q.x, q.y), 4, BLACK.stroke_width(1))))?;
    Ok(())
}
