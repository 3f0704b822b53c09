//! Optimization history: dots per completed trial, the best value so far as a step line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Drawn, FAMILY, fmt_num, linear, padded, palette, range_of, title_font};
use crate::plot::HistoryPlot;

pub(super) fn draw<DB: DrawingBackend>(p: &HistoryPlot, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let last = p.points.last().map_or(0, |q| q.number) as f64;
    let first = p.points.first().map_or(0, |q| q.number) as f64;
    let y = padded(range_of(p.points.iter().map(|q| q.value)), 0.05);
    let mut chart = ChartBuilder::on(root)
        .caption("Optimization history", title_font())
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(linear(padded((first, last), 0.03)), linear(y))?;
    chart
        .configure_mesh()
        .x_desc("trial")
        .y_desc("objective value")
        .x_label_formatter(&|v| if (v - v.round()).abs() < 1e-9 { format!("{}", v.round()) } else { String::new() })
        .y_label_formatter(&|v| fmt_num(*v))
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let dot = palette(0);
    chart
        .draw_series(p.points.iter().map(|q| Circle::new((q.number as f64, q.value), 4, dot.mix(0.75).filled())))?
        .label("objective value")
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, dot.filled()));
    let mut steps: Vec<(f64, f64)> = Vec::with_capacity(p.points.len() * 2);
    for q in &p.points {
        if let Some(&(_, prev)) = steps.last() {
            steps.push((q.number as f64, prev));
        }
        steps.push((q.number as f64, q.best));
    }
    let red = palette(3);
    chart
        .draw_series(std::iter::once(PathElement::new(steps, red.stroke_width(2))))?
        .label(format!("best value ({})", p.direction))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    Ok(())
}
