//! Intermediate values: one line per trial; pruned trials grey with a red cross where they
//! stopped.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Drawn, FAMILY, fmt_num, linear, padded, palette, range_of, title_font};
use crate::plot::IntermediatePlot;
use crate::trial_record::TrialState;

pub(super) fn draw<DB: DrawingBackend>(p: &IntermediatePlot, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let steps = range_of(p.curves.iter().flat_map(|c| c.values.iter().map(|(s, _)| *s as f64)));
    let values = range_of(p.curves.iter().flat_map(|c| c.values.iter().map(|(_, v)| *v)));
    let mut chart = ChartBuilder::on(root)
        .caption("Intermediate values", title_font())
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(linear(padded(steps, 0.03)), linear(padded(values, 0.05)))?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("intermediate value")
        .x_label_formatter(&|v| if (v - v.round()).abs() < 1e-9 { format!("{}", v.round()) } else { String::new() })
        .y_label_formatter(&|v| fmt_num(*v))
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let grey = RGBColor(150, 150, 150);
    let red = palette(3);
    let mut n_complete = 0usize;
    // Pruned curves first, so completed ones stay on top.
    let mut order: Vec<_> = p.curves.iter().collect();
    order.sort_by_key(|c| (c.state != TrialState::Pruned, c.number));
    for c in order {
        let pts: Vec<(f64, f64)> = c.values.iter().map(|(s, v)| (*s as f64, *v)).collect();
        let pruned = c.state == TrialState::Pruned;
        let color = if pruned { grey.mix(0.6) } else { palette(c.number as usize).mix(0.8) };
        if pts.len() > 1 {
            chart.draw_series(std::iter::once(PathElement::new(pts.clone(), color.stroke_width(1))))?;
        } else {
            chart.draw_series(pts.iter().map(|q| Circle::new(*q, 2, color.filled())))?;
        }
        if pruned {
            if let Some(end) = pts.last() {
                chart.draw_series(std::iter::once(Cross::new(*end, 4, red.stroke_width(2))))?;
            }
        } else {
            n_complete += 1;
        }
    }
    let n_pruned = p.curves.len() - n_complete;
    // Legend entries (empty series carry the labels).
    let blue = palette(0);
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label(format!("not pruned ({n_complete})"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label(format!("pruned ({n_pruned}), × where stopped"))
        .legend(move |(x, y)| Cross::new((x + 10, y), 4, red.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    Ok(())
}
