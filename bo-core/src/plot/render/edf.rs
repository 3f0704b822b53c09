//! Empirical distribution function of the objective: a step line from 0 to 1.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Drawn, FAMILY, fmt_num, linear, padded, palette, range_of, title_font};
use crate::plot::EdfPlot;

pub(super) fn draw<DB: DrawingBackend>(p: &EdfPlot, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let (lo, hi) = padded(range_of(p.values.iter().copied()), 0.05);
    let mut chart = ChartBuilder::on(root)
        .caption("Empirical distribution of the objective", title_font())
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(linear((lo, hi)), linear((0.0, 1.05)))?;
    chart
        .configure_mesh()
        .x_desc("objective value")
        .y_desc("fraction of trials ≤ value")
        .x_label_formatter(&|v| fmt_num(*v))
        .y_label_formatter(&|v| fmt_num(*v))
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let n = p.values.len().max(1) as f64;
    let mut pts = vec![(lo, 0.0)];
    for (i, v) in p.values.iter().enumerate() {
        pts.push((*v, i as f64 / n));
        pts.push((*v, (i + 1) as f64 / n));
    }
    pts.push((hi, 1.0));
    let color = palette(0);
    chart
        .draw_series(std::iter::once(PathElement::new(pts, color.stroke_width(2))))?
        .label(format!("{} completed trials", p.values.len()))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    Ok(())
}
