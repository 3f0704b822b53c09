//! Slice plot: one panel per parameter, the objective against its value, dots coloured by
//! trial number.

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::{Drawn, FAMILY, colormap, fmt_num, padded, param_label, range_of, title_font, with_coords};
use crate::plot::{SlicePanel, SlicePlot};

pub(super) fn draw<DB: DrawingBackend>(p: &SlicePlot, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let area = root.titled("Slice plot (colour: trial number, dark = early)", title_font())?;
    let n = p.panels.len().max(1);
    let cols = n.min(3);
    let rows = n.div_ceil(cols);
    let cells = area.split_evenly((rows, cols));
    let y = padded(range_of(p.panels.iter().flat_map(|s| s.points.iter().map(|q| q.value))), 0.05);
    for (panel, cell) in p.panels.iter().zip(&cells) {
        with_coords!(AxisSpec::of(&panel.axis), AxisSpec::Linear(y.0, y.1), |xc, yc| draw_panel(
            panel,
            cell,
            xc,
            yc,
            p.max_number
        ))?;
    }
    Ok(())
}

fn draw_panel<DB, X, Y>(panel: &SlicePanel, area: &DrawingArea<DB, Shift>, x: X, y: Y, max_number: u64) -> Drawn<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)?;
    let xl = param_label(&panel.axis);
    let n_x = panel.axis.choices().map_or(6, |c| c.len() + 1);
    chart
        .configure_mesh()
        .x_desc(panel.axis.name.as_str())
        .y_desc("objective value")
        .x_labels(n_x)
        .y_labels(6)
        .x_label_formatter(&xl)
        .y_label_formatter(&|v| fmt_num(*v))
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let denom = max_number.max(1) as f64;
    chart.draw_series(
        panel
            .points
            .iter()
            .map(|q| Circle::new((q.x, q.value), 4, colormap(q.number as f64 / denom).mix(0.85).filled())),
    )?;
    Ok(())
}
