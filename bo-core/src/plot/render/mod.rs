//! Drawing [`Figure`]s with plotters: SVG through its SVG backend, PNG through its bitmap
//! backend and the `png` encoder. Text uses the embedded DejaVu Sans (ab_glyph), so PNGs
//! need no system font.

mod contour;
mod edf;
mod history;
mod importance;
mod intermediate;
mod parallel;
mod slice;
mod surrogate;

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Figure, ImageFormat, ParamAxis};
use crate::error::{Error, Result};

/// DejaVu Sans 2.37 (Bitstream Vera license, see `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The family every text of the figures uses.
pub(super) const FAMILY: &str = "sans-serif";

/// What drawing on a backend returns.
pub(super) type Drawn<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Registers the embedded font once for every family name plotters may ask for.
fn ensure_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FAMILY, "serif", "monospace"].iter().all(|f| plotters::style::register_font(f, FontStyle::Normal, FONT).is_ok())
    });
    if ok { Ok(()) } else { Err(Error::Render("the embedded font cannot be parsed".into())) }
}

fn render_error<E: std::error::Error + Send + Sync + 'static>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::Render(Box::new(e))
}

/// Renders `figure` to the bytes of an SVG or PNG file of `size` pixels.
pub(super) fn render(figure: &Figure, format: ImageFormat, size: (u32, u32)) -> Result<Vec<u8>> {
    ensure_fonts()?;
    match format {
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(figure, &root).map_err(render_error)?;
                root.present().map_err(render_error)?;
            }
            Ok(svg.into_bytes())
        }
        ImageFormat::Png => {
            let (w, h) = size;
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw(figure, &root).map_err(render_error)?;
                root.present().map_err(render_error)?;
            }
            encode_png(&rgb, w, h)
        }
    }
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Balanced);
    let mut writer = enc.write_header().map_err(|e| Error::Render(Box::new(e)))?;
    writer.write_image_data(rgb).map_err(|e| Error::Render(Box::new(e)))?;
    writer.finish().map_err(|e| Error::Render(Box::new(e)))?;
    Ok(out)
}

fn draw<DB: DrawingBackend>(figure: &Figure, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    root.fill(&WHITE)?;
    match figure {
        Figure::History(p) => history::draw(p, root),
        Figure::Intermediate(p) => intermediate::draw(p, root),
        Figure::Parallel(p) => parallel::draw(p, root),
        Figure::Slice(p) => slice::draw(p, root),
        Figure::Contour(p) => contour::draw(p, root),
        Figure::Importance(p) => importance::draw(p, root),
        Figure::Edf(p) => edf::draw(p, root),
        Figure::Surrogate(p) => surrogate::draw(p, root),
    }
}

/// Text style of a figure's title.
pub(super) fn title_font() -> TextStyle<'static> {
    TextStyle::from((FAMILY, 22).into_font())
}

/// Text style of labels, `size` pixels high, anchored at `h`/`v`.
pub(super) fn label_font(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK).pos(Pos::new(h, v))
}

/// Tableau's ten categorical colours.
pub(super) fn palette(i: usize) -> RGBColor {
    const C: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = C[i % C.len()];
    RGBColor(r, g, b)
}

/// The viridis colour map at `t` in `[0, 1]` (dark purple to yellow), interpolated between
/// nine of its stops.
pub(super) fn colormap(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 9] = [
        (68.0, 1.0, 84.0),
        (71.0, 44.0, 122.0),
        (59.0, 81.0, 139.0),
        (44.0, 113.0, 142.0),
        (33.0, 144.0, 141.0),
        (39.0, 173.0, 129.0),
        (92.0, 200.0, 99.0),
        (170.0, 220.0, 50.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 } * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Where `v` lies in `[lo, hi]`, as a fraction (`0.5` for an empty range).
pub(super) fn unit(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
}

/// A number for a tick label: up to 4 significant digits, scientific when very small or
/// large.
pub(super) fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a < 1e-12 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.2e}");
        // 1.00e-4 -> 1e-4
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
            None => s,
        };
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// `(lo, hi)` widened by `frac` of its span on each side (by 1 when it is a point).
pub(super) fn padded((lo, hi): (f64, f64), frac: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi > lo {
        let d = (hi - lo) * frac;
        (lo - d, hi + d)
    } else {
        let d = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        (lo - d, hi + d)
    }
}

/// The range of finite values of `it`.
pub(super) fn range_of(it: impl IntoIterator<Item = f64>) -> (f64, f64) {
    it.into_iter().filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
}

/// A chart axis: linear or logarithmic between two bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum AxisSpec {
    Linear(f64, f64),
    Log(f64, f64),
}

impl AxisSpec {
    /// The chart axis of a parameter: its distribution's range, a little padded;
    /// categoricals span `-0.5..n - 0.5`.
    pub(super) fn of(axis: &ParamAxis) -> AxisSpec {
        if let Some(c) = axis.choices() {
            return AxisSpec::Linear(-0.5, c.len() as f64 - 0.5);
        }
        if axis.is_log() && axis.low > 0.0 {
            let (lo, hi) = (axis.low.ln(), axis.high.ln());
            let (lo, hi) = padded((lo, hi), 0.03);
            return AxisSpec::Log(lo.exp(), hi.exp());
        }
        let (lo, hi) = padded((axis.low, axis.high), 0.03);
        AxisSpec::Linear(lo, hi)
    }
}

/// A tick label formatter for a parameter axis: choice names on a categorical axis (at
/// integer positions only), numbers otherwise.
pub(super) fn param_label(axis: &ParamAxis) -> impl Fn(&f64) -> String + '_ {
    move |v: &f64| match axis.choices() {
        Some(c) => {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 { c.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
        }
        None => fmt_num(*v),
    }
}

/// Runs `$body` with `$x` and `$y` bound to plotters coordinates for two [`AxisSpec`]s
/// (each linear or logarithmic), so one generic drawing function serves all four pairs.
macro_rules! with_coords {
    ($xs:expr, $ys:expr, |$x:ident, $y:ident| $body:expr) => {{
        use plotters::coord::types::RangedCoordf64;
        use plotters::prelude::{IntoLogRange, LogCoord};
        use $crate::plot::render::AxisSpec;
        match ($xs, $ys) {
            (AxisSpec::Linear(a, b), AxisSpec::Linear(c, d)) => {
                let $x: RangedCoordf64 = (a..b).into();
                let $y: RangedCoordf64 = (c..d).into();
                $body
            }
            (AxisSpec::Log(a, b), AxisSpec::Linear(c, d)) => {
                let $x: LogCoord<f64> = (a..b).log_scale().into();
                let $y: RangedCoordf64 = (c..d).into();
                $body
            }
            (AxisSpec::Linear(a, b), AxisSpec::Log(c, d)) => {
                let $x: RangedCoordf64 = (a..b).into();
                let $y: LogCoord<f64> = (c..d).log_scale().into();
                $body
            }
            (AxisSpec::Log(a, b), AxisSpec::Log(c, d)) => {
                let $x: LogCoord<f64> = (a..b).log_scale().into();
                let $y: LogCoord<f64> = (c..d).log_scale().into();
                $body
            }
        }
    }};
}
pub(super) use with_coords;

/// A plain linear coordinate.
pub(super) fn linear((lo, hi): (f64, f64)) -> RangedCoordf64 {
    (lo..hi).into()
}

/// Draws a vertical colour bar for values in `range` in `area` (a narrow strip), labelled
/// with `title`.
pub(super) fn color_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, range: (f64, f64), title: &str) -> Drawn<DB> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let (top, bottom) = (50, h - 60);
    let (x0, x1) = (10, 30.min(w - 2));
    let steps = 64;
    for i in 0..steps {
        let t0 = i as f64 / steps as f64;
        let t1 = (i + 1) as f64 / steps as f64;
        let y0 = bottom - (t1 * (bottom - top) as f64).round() as i32;
        let y1 = bottom - (t0 * (bottom - top) as f64).round() as i32;
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], colormap(t0 + 0.5 / steps as f64).filled()))?;
    }
    area.draw(&Rectangle::new([(x0, top), (x1, bottom)], BLACK.stroke_width(1)))?;
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        let y = bottom - (t * (bottom - top) as f64).round() as i32;
        let v = range.0 + t * (range.1 - range.0);
        area.draw(&Text::new(fmt_num(v), (x1 + 4, y), label_font(12, HPos::Left, VPos::Center)))?;
    }
    area.draw(&Text::new(title.to_string(), (x0, top - 12), label_font(13, HPos::Left, VPos::Bottom)))?;
    Ok(())
}

#[cfg(test)]
mod tests;
