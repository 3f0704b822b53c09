//! Parameter importance: horizontal bars, most important on top, with their values.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Drawn, FAMILY, fmt_num, label_font, palette, title_font};
use crate::importance::ParamImportances;

pub(super) fn draw<DB: DrawingBackend>(p: &ParamImportances, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let n = p.importances.len();
    let longest = p.importances.iter().map(|i| i.param.chars().count()).max().unwrap_or(4) as u32;
    let max = p.importances.iter().map(|i| i.importance).fold(0.0, f64::max).max(1e-9);
    let caption = format!("Parameter importance ({}, {} trials)", p.evaluator, p.n_trials);
    let mut chart = ChartBuilder::on(root)
        .caption(caption, title_font())
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size((longest * 8 + 24).clamp(60, 320))
        .build_cartesian_2d(0.0..(max * 1.18), (0..(n as i32 - 1).max(0)).into_segmented())?;
    // Integer ranges include their end: rows `0..=n - 1`. Row `n - 1 - i` holds the i-th most important parameter, so the first is on top.
    let name_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(r) if (*r as usize) < n => p.importances[n - 1 - *r as usize].param.clone(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n.max(1))
        .x_desc("importance (share of explained variance)")
        .x_label_formatter(&|v| fmt_num(*v))
        .y_label_formatter(&name_of)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let color = palette(0);
    chart.draw_series(p.importances.iter().enumerate().map(|(i, imp)| {
        let r = (n - 1 - i) as i32;
        let mut bar =
            Rectangle::new([(0.0, SegmentValue::Exact(r)), (imp.importance, SegmentValue::Exact(r + 1))], color.filled());
        bar.set_margin(6, 6, 0, 0);
        bar
    }))?;
    chart.draw_series(p.importances.iter().enumerate().map(|(i, imp)| {
        let r = (n - 1 - i) as i32;
        Text::new(
            format!("{:.3}", imp.importance),
            (imp.importance + max * 0.01, SegmentValue::CenterOf(r)),
            label_font(13, HPos::Left, VPos::Center),
        )
    }))?;
    Ok(())
}
