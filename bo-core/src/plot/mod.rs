//! Plots of a study: the data of each plot, and (feature `plot`) its rendering to SVG or PNG.
//!
//! Each plot has a function that computes its data from a [`History`] and returns a plain
//! serde struct (so a dashboard can serve it as JSON); a [`Figure`] wraps any of them and
//! renders it. Rendering needs feature `plot` (plotters, with an embedded DejaVu Sans font
//! so PNG text needs no system font); without it [`Figure::render`] returns
//! [`Error::FeatureDisabled`].
//!
//! | plot | data | function |
//! |---|---|---|
//! | optimization history (best-so-far line) | [`HistoryPlot`] | [`optimization_history`] |
//! | intermediate values (pruned marked) | [`IntermediatePlot`] | [`intermediate_values`] |
//! | parallel coordinates | [`ParallelPlot`] | [`parallel_coordinates`] |
//! | slice | [`SlicePlot`] | [`slice`] |
//! | contour of two parameters | [`ContourPlot`] | [`contour`] |
//! | parameter importance | [`ParamImportances`] | [`crate::importance::param_importances`] |
//! | empirical distribution of the objective | [`EdfPlot`] | [`edf`] |
//! | surrogate model along one parameter | [`SurrogateSlice`] | filled by a model-based sampler |
//!
//! [`PlotKind`] names each plot (`history`, `contour`, …) and [`PlotKind::figure`] draws the
//! one a user names; [`escape_html`] escapes text for the pages that embed them.
//!
//! ```
//! use bo_core::plot::{optimization_history, Figure, ImageFormat};
//! use bo_core::{Float, Optimize, Study, Trial};
//!
//! let study = Study::builder().name("demo").seed(1).build()?;
//! study.optimize_with(Optimize::trials(10).progress_bar(false), |t: &mut Trial| {
//!     Ok::<_, bo_core::Error>(t.suggest_float("x", Float::new(-1.0, 1.0))?.powi(2))
//! })?;
//! let data = optimization_history(&study.history()?)?;
//! assert_eq!(data.points.len(), 10);
//! let json = serde_json::to_string(&data).unwrap(); // what a dashboard serves
//! # #[cfg(feature = "plot")] {
//! let svg = Figure::from(data).render(ImageFormat::Svg)?;
//! assert!(svg.starts_with(b"<svg"));
//! # }
//! # Ok::<(), bo_core::Error>(())
//! ```

mod axis;
mod contour;
mod edf;
mod history;
mod html;
mod intermediate;
mod kind;
mod parallel;
#[cfg(feature = "plot")]
mod render;
mod slice;
mod surrogate;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
#[cfg(doc)]
use crate::history::History;
use crate::importance::ParamImportances;

pub use axis::{ParamAxis, ParamScale};
pub use contour::{ContourPlot, ContourPoint, contour};
pub use edf::{EdfPlot, edf};
pub use history::{HistoryPlot, HistoryPoint, optimization_history};
pub use html::escape_html;
pub use intermediate::{IntermediateCurve, IntermediatePlot, intermediate_values};
pub use kind::PlotKind;
pub use parallel::{ParallelLine, ParallelPlot, parallel_coordinates};
pub use slice::{SlicePanel, SlicePlot, SlicePoint, slice};
pub use surrogate::SurrogateSlice;
#[cfg(feature = "gp")]
pub use surrogate::surrogate_slice;

/// Any plot's data, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Figure {
    /// Optimization history.
    History(HistoryPlot),
    /// Intermediate values.
    Intermediate(IntermediatePlot),
    /// Parallel coordinates.
    Parallel(ParallelPlot),
    /// Slice plot.
    Slice(SlicePlot),
    /// Contour of two parameters.
    Contour(ContourPlot),
    /// Parameter importance (bars).
    Importance(ParamImportances),
    /// Empirical distribution of the objective.
    Edf(EdfPlot),
    /// Surrogate model along one parameter, acquisition underneath.
    Surrogate(SurrogateSlice),
}

macro_rules! figure_from {
    ($($variant:ident($t:ty)),*) => {$(
        impl From<$t> for Figure {
            fn from(p: $t) -> Self {
                Figure::$variant(p)
            }
        }
    )*};
}
figure_from!(
    History(HistoryPlot),
    Intermediate(IntermediatePlot),
    Parallel(ParallelPlot),
    Slice(SlicePlot),
    Contour(ContourPlot),
    Importance(ParamImportances),
    Edf(EdfPlot),
    Surrogate(SurrogateSlice)
);

/// An image file format a [`Figure`] renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// Scalable vector graphics (text as `<text>` elements).
    Svg,
    /// PNG, 8-bit RGB.
    Png,
}

impl ImageFormat {
    /// The format named by a file's extension (`.svg`, `.png`, any case);
    /// [`Error::UnsupportedImageFormat`] otherwise.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(Error::UnsupportedImageFormat { path: path.display().to_string() }),
        }
    }
}

impl Figure {
    /// A short name of the plot kind (`history`, `contour`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Figure::History(_) => "history",
            Figure::Intermediate(_) => "intermediate",
            Figure::Parallel(_) => "parallel",
            Figure::Slice(_) => "slice",
            Figure::Contour(_) => "contour",
            Figure::Importance(_) => "importance",
            Figure::Edf(_) => "edf",
            Figure::Surrogate(_) => "surrogate",
        }
    }

    /// Width and height in pixels this figure is drawn at by default (slice plots grow
    /// with their number of panels).
    pub fn default_size(&self) -> (u32, u32) {
        match self {
            Figure::Slice(s) => {
                let n = s.panels.len().max(1) as u32;
                let cols = n.min(3);
                (cols * 360 + 40, n.div_ceil(cols) * 320 + 40)
            }
            Figure::Parallel(p) => (((p.axes.len() as u32 + 1) * 150 + 200).max(720), 520),
            Figure::Importance(i) => (800, (i.importances.len() as u32 * 36 + 140).max(300)),
            Figure::Surrogate(_) => (860, 640),
            Figure::Contour(_) => (760, 620),
            _ => (860, 520),
        }
    }

    /// The figure as an image file's bytes, at [`Figure::default_size`].
    pub fn render(&self, format: ImageFormat) -> Result<Vec<u8>> {
        let (w, h) = self.default_size();
        self.render_sized(format, w, h)
    }

    /// The figure as an image file's bytes, `width` × `height` pixels (each at least 200).
    ///
    /// [`Error::FeatureDisabled`] without feature `plot`; [`Error::InvalidConfig`] for a
    /// surrogate slice that does not validate or a size out of range; [`Error::Render`] if
    /// drawing fails.
    pub fn render_sized(&self, format: ImageFormat, width: u32, height: u32) -> Result<Vec<u8>> {
        if !(200..=8192).contains(&width) || !(200..=8192).contains(&height) {
            return Err(Error::InvalidConfig {
                what: "figure size",
                reason: format!("{width}x{height} pixels; each side must be in 200..=8192"),
            });
        }
        if let Figure::Surrogate(s) = self {
            s.validate()?;
        }
        #[cfg(feature = "plot")]
        {
            render::render(self, format, (width, height))
        }
        #[cfg(not(feature = "plot"))]
        {
            let _ = format;
            Err(Error::FeatureDisabled { feature: "plot" })
        }
    }

    /// Renders at the default size to `path`, in the format its extension names.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.render(ImageFormat::from_path(path)?)?;
        std::fs::write(path, bytes).map_err(|e| Error::Io { path: path.display().to_string(), source: e })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::history::History;
    use crate::space::{Categorical, Float, ParamValue};
    use crate::trial_record::{Direction, FrozenTrial, Outcome};

    /// A history of trials numbered in order: `(Some(v), k)` completes with `v`,
    /// `(None, k)` is pruned; each reports `1, 2, …, k` at steps `0..k`. Trial `i` has
    /// `x = i` (float in [0, 10]) and `opt` = `sgd` / `adam` alternating.
    pub(crate) fn study_from(direction: Direction, spec: &[(Option<f64>, u64)]) -> History {
        let opt = Categorical::new(vec!["sgd".into(), "adam".into()]);
        let trials = spec
            .iter()
            .enumerate()
            .map(|(i, (value, k))| {
                let mut t = FrozenTrial::new_running(i as u64, i as u64);
                t.distributions.insert("x".into(), Float::new(0.0, 10.0).into());
                t.params.insert("x".into(), ParamValue::Float(i as f64));
                t.distributions.insert("opt".into(), opt.clone().into());
                t.params.insert("opt".into(), opt.choices()[i % 2].clone());
                for s in 0..*k {
                    t.intermediate_values.insert(s, (s + 1) as f64);
                }
                t.apply_outcome(&match value {
                    Some(v) => Outcome::Complete(*v),
                    None => Outcome::Pruned(None),
                });
                t
            })
            .collect();
        History::new(direction, trials)
    }

    #[test]
    fn image_formats_come_from_extensions() {
        assert_eq!(ImageFormat::from_path(Path::new("a/b.SVG")).unwrap(), ImageFormat::Svg);
        assert_eq!(ImageFormat::from_path(Path::new("b.png")).unwrap(), ImageFormat::Png);
        let err = ImageFormat::from_path(Path::new("b.jpg")).unwrap_err();
        assert_eq!(err.to_string(), "cannot tell the image format of `b.jpg`: use a .svg or .png file name");
        assert!(ImageFormat::from_path(Path::new("noext")).is_err());
    }

    #[test]
    fn figures_serialize_with_their_kind() {
        let h = study_from(Direction::Minimize, &[(Some(1.0), 0)]);
        let f = Figure::from(edf(&h).unwrap());
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["kind"], "edf");
        assert_eq!(v["data"]["values"], serde_json::json!([1.0]));
        let back: Figure = serde_json::from_value(v).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn absurd_sizes_are_rejected() {
        let h = study_from(Direction::Minimize, &[(Some(1.0), 0)]);
        let f = Figure::from(edf(&h).unwrap());
        assert!(matches!(f.render_sized(ImageFormat::Svg, 10, 400), Err(Error::InvalidConfig { .. })));
    }

    #[cfg(not(feature = "plot"))]
    #[test]
    fn rendering_without_the_feature_says_so() {
        let h = study_from(Direction::Minimize, &[(Some(1.0), 0)]);
        let f = Figure::from(edf(&h).unwrap());
        assert!(matches!(f.render(ImageFormat::Png), Err(Error::FeatureDisabled { feature: "plot" })));
    }
}
