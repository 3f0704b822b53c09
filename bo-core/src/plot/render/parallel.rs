//! Parallel coordinates: the objective axis then one vertical axis per parameter; one line
//! per trial coloured by its value (best drawn last, on top).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Drawn, color_bar, colormap, fmt_num, label_font, title_font, unit};
use crate::plot::{ParallelPlot, ParamAxis};
use crate::trial_record::Direction;

pub(super) fn draw<DB: DrawingBackend>(p: &ParallelPlot, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let area = root.titled("Parallel coordinates", title_font())?;
    let (w, _) = area.dim_in_pixel();
    let (main, bar) = area.split_horizontally(w.saturating_sub(110));
    let (w, h) = main.dim_in_pixel();
    let (left, right, top, bottom) = (70, w as i32 - 40, 24, h as i32 - 56);
    let k = p.axes.len() + 1;
    let x_of = |i: usize| if k > 1 { left + ((right - left) as f64 * i as f64 / (k - 1) as f64) as i32 } else { (left + right) / 2 };
    let y_of = |u: f64| bottom - (u.clamp(0.0, 1.0) * (bottom - top) as f64).round() as i32;

    let mut lines: Vec<_> = p.lines.iter().collect();
    // Worst first, so the best lines end on top.
    lines.sort_by(|a, b| match p.direction {
        Direction::Minimize => b.value.total_cmp(&a.value),
        Direction::Maximize => a.value.total_cmp(&b.value),
    });
    for l in lines {
        let color = colormap(unit(l.value, p.value_range)).mix(0.7);
        let mut run: Vec<(i32, i32)> = vec![(x_of(0), y_of(unit(l.value, p.value_range)))];
        for (i, (axis, c)) in p.axes.iter().zip(&l.coords).enumerate() {
            match c {
                Some(v) => run.push((x_of(i + 1), y_of(axis_unit(axis, *v)))),
                None => {
                    if run.len() > 1 {
                        main.draw(&PathElement::new(std::mem::take(&mut run), color.stroke_width(1)))?;
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            main.draw(&PathElement::new(run, color.stroke_width(1)))?;
        }
    }

    let tick = label_font(12, HPos::Right, VPos::Center);
    let name = label_font(14, HPos::Center, VPos::Top);
    for i in 0..k {
        let x = x_of(i);
        main.draw(&PathElement::new(vec![(x, top), (x, bottom)], BLACK.stroke_width(1)))?;
        let (label, ticks): (String, Vec<(f64, String)>) = if i == 0 {
            let (lo, hi) = p.value_range;
            ("objective".into(), (0..=4).map(|t| t as f64 / 4.0).map(|u| (u, fmt_num(lo + u * (hi - lo)))).collect())
        } else {
            let a = &p.axes[i - 1];
            let ticks = match a.choices() {
                Some(c) => c.iter().enumerate().map(|(j, s)| (axis_unit(a, j as f64), s.clone())).collect(),
                None => (0..=4).map(|t| t as f64 / 4.0).map(|u| (u, fmt_num(a.from_unit(u)))).collect(),
            };
            (a.name.clone(), ticks)
        };
        for (u, text) in ticks {
            let y = y_of(u);
            main.draw(&PathElement::new(vec![(x - 4, y), (x, y)], BLACK.stroke_width(1)))?;
            main.draw(&Text::new(text, (x - 6, y), tick.clone()))?;
        }
        main.draw(&Text::new(label, (x, bottom + 12), name.clone()))?;
    }
    color_bar(&bar, p.value_range, "objective")
}

/// Position of `v` along a parameter axis, in `[0, 1]` (a lone choice sits in the middle).
fn axis_unit(axis: &ParamAxis, v: f64) -> f64 {
    axis.to_unit(v)
}
