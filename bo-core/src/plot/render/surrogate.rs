//! Surrogate picture: posterior mean with a ±2σ band and the observations on top, the
//! acquisition function underneath, the next proposal (its maximum) marked on both.

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::{AxisSpec, Drawn, FAMILY, fmt_num, padded, palette, range_of, title_font, with_coords};
use crate::plot::SurrogateSlice;

pub(super) fn draw<DB: DrawingBackend>(s: &SurrogateSlice, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let area = root.titled(&format!("Surrogate model along {}", s.param), title_font())?;
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = area.split_vertically((h as f64 * 0.64) as u32);
    let (x0, x1) = (s.x[0], s.x[s.x.len() - 1]);
    let (x0, x1) = range_of([x0, x1].into_iter().chain(s.observed.iter().map(|o| o.0)));
    let xs = if s.log_scale {
        let (a, b) = padded((x0.ln(), x1.ln()), 0.02);
        AxisSpec::Log(a.exp(), b.exp())
    } else {
        let (a, b) = padded((x0, x1), 0.02);
        AxisSpec::Linear(a, b)
    };
    let band = s.mean.iter().zip(&s.std).flat_map(|(m, sd)| [m - 2.0 * sd, m + 2.0 * sd]);
    let y = padded(range_of(band.chain(s.observed.iter().map(|o| o.1))), 0.05);
    let a = padded(range_of(s.acquisition.iter().copied()), 0.08);
    with_coords!(xs, AxisSpec::Linear(y.0, y.1), |xc, yc| draw_model(s, &top, xc, yc))?;
    with_coords!(xs, AxisSpec::Linear(a.0, a.1), |xc, yc| draw_acquisition(s, &bottom, xc, yc))?;
    Ok(())
}

fn draw_model<DB, X, Y>(s: &SurrogateSlice, area: &DrawingArea<DB, Shift>, x: X, y: Y) -> Drawn<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(76)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .y_desc("objective")
        .x_label_formatter(&|v| fmt_num(*v))
        .y_label_formatter(&|v| fmt_num(*v))
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let blue = palette(0);
    let mut outline: Vec<(f64, f64)> = s.x.iter().zip(&s.mean).zip(&s.std).map(|((x, m), sd)| (*x, m + 2.0 * sd)).collect();
    outline.extend(s.x.iter().zip(&s.mean).zip(&s.std).rev().map(|((x, m), sd)| (*x, m - 2.0 * sd)));
    chart
        .draw_series(std::iter::once(Polygon::new(outline, blue.mix(0.18).filled())))?
        .label("mean ± 2 std")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], blue.mix(0.18).filled()));
    let mean: Vec<(f64, f64)> = s.x.iter().copied().zip(s.mean.iter().copied()).collect();
    chart
        .draw_series(std::iter::once(PathElement::new(mean, blue.stroke_width(2))))?
        .label("posterior mean")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart
        .draw_series(s.observed.iter().map(|(x, v)| Circle::new((*x, *v), 4, BLACK.filled())))?
        .label("observations")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, BLACK.filled()));
    if let Some(best) = s.best_acquisition() {
        let (lo, hi) = (chart.y_range().start, chart.y_range().end);
        chart.draw_series(std::iter::once(PathElement::new(vec![(best, lo), (best, hi)], palette(3).stroke_width(1))))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    Ok(())
}

fn draw_acquisition<DB, X, Y>(s: &SurrogateSlice, area: &DrawingArea<DB, Shift>, x: X, y: Y) -> Drawn<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(76)
        .build_cartesian_2d(x, y)?;
    let name = if s.acquisition_name.is_empty() { "acquisition".to_string() } else { s.acquisition_name.clone() };
    chart
        .configure_mesh()
        .x_desc(s.param.as_str())
        .y_desc(name.as_str())
        .x_label_formatter(&|v| fmt_num(*v))
        .y_label_formatter(&|v| fmt_num(*v))
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let green = palette(2);
    let (lo, hi) = (chart.y_range().start, chart.y_range().end);
    let mut area_pts: Vec<(f64, f64)> = vec![(s.x[0], lo)];
    area_pts.extend(s.x.iter().copied().zip(s.acquisition.iter().copied()));
    area_pts.push((s.x[s.x.len() - 1], lo));
    chart.draw_series(std::iter::once(Polygon::new(area_pts, green.mix(0.15).filled())))?;
    let line: Vec<(f64, f64)> = s.x.iter().copied().zip(s.acquisition.iter().copied()).collect();
    chart.draw_series(std::iter::once(PathElement::new(line, green.stroke_width(2))))?;
    if let Some(best) = s.best_acquisition() {
        let red = palette(3);
        chart.draw_series(std::iter::once(PathElement::new(vec![(best, lo), (best, hi)], red.stroke_width(1))))?;
        let top = s.acquisition.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        chart.draw_series(std::iter::once(TriangleMarker::new((best, top), 6, red.filled())))?;
    }
    Ok(())
}
