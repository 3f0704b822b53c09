//! `bo plot KIND STUDY -o FILE`: one figure of a study as SVG or PNG.

use std::path::Path;

use anyhow::Context;
use bo_core::importance::{
    FanovaEvaluator, ImportanceEvaluator, MeanDecreaseImpurityEvaluator, ParamImportances, param_importances,
    param_importances_of,
};
pub use bo_core::plot::PlotKind;
use bo_core::plot::{Figure, ImageFormat};
use bo_core::storage::load_study;
use bo_core::{History, Storage};

/// The importance evaluator of `bo importance` and `bo plot importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EvaluatorKind {
    /// fANOVA on a random forest: the share of variance each parameter explains alone.
    #[default]
    Fanova,
    /// Mean decrease in impurity of the same forest (cheaper).
    Mdi,
}

/// Forest settings given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportanceOptions {
    /// Which evaluator.
    pub evaluator: EvaluatorKind,
    /// Number of trees.
    pub n_trees: usize,
    /// Seed of the forest.
    pub seed: u64,
}

impl Default for ImportanceOptions {
    fn default() -> Self {
        ImportanceOptions { evaluator: EvaluatorKind::Fanova, n_trees: 64, seed: 0 }
    }
}

/// The evaluator `options` describe.
fn evaluator(options: ImportanceOptions) -> anyhow::Result<Box<dyn ImportanceEvaluator>> {
    Ok(match options.evaluator {
        EvaluatorKind::Fanova => Box::new(FanovaEvaluator::builder().n_trees(options.n_trees).seed(options.seed).build()?),
        EvaluatorKind::Mdi => {
            Box::new(MeanDecreaseImpurityEvaluator::builder().n_trees(options.n_trees).seed(options.seed).build()?)
        }
    })
}

/// Importances of `params` (all parameters of the completed trials when empty).
pub fn importances(history: &History, params: &[String], options: ImportanceOptions) -> anyhow::Result<ParamImportances> {
    let evaluator = evaluator(options)?;
    Ok(if params.is_empty() {
        param_importances(history, evaluator.as_ref())?
    } else {
        param_importances_of(history, params, evaluator.as_ref())?
    })
}

/// The figure `kind` of a study's history ([`PlotKind::figure`]), after the checks of the
/// command line: `params` restricts parallel, slice and importance plots to those parameters
/// and names the two of a contour (required there) or the one of a surrogate slice; the plots
/// that take no parameters refuse it.
pub fn figure(history: &History, kind: PlotKind, params: &[String], options: ImportanceOptions) -> anyhow::Result<Figure> {
    match (kind, params.len()) {
        (k, n) if n > 0 && !k.takes_params() => anyhow::bail!("--params does not apply to the `{k}` plot"),
        (PlotKind::Contour, n) if n != 2 => anyhow::bail!("a contour plot needs two parameters: --params X,Y (got {n})"),
        (PlotKind::Surrogate, n) if n > 1 => anyhow::bail!("a surrogate plot takes one parameter: --params X (got {n})"),
        _ => Ok(kind.figure(history, params, evaluator(options)?.as_ref())?),
    }
}

/// Draws figure `kind` of `study` into `path`, as SVG or PNG after its extension.
pub fn write_plot(
    storage: &dyn Storage,
    study: &str,
    kind: PlotKind,
    params: &[String],
    options: ImportanceOptions,
    path: &Path,
) -> anyhow::Result<()> {
    let format = ImageFormat::from_path(path)?;
    let (record, trials) = load_study(storage, study)?;
    let history = History::new(record.direction, trials);
    let fig = figure(&history, kind, params, options)?;
    let bytes = fig.render(format)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bo_core::{Direction, Float, InMemoryStorage, Outcome, ParamValue};

    fn storage() -> InMemoryStorage {
        let s = InMemoryStorage::new();
        let id = s.create_study("demo", Direction::Minimize).unwrap();
        for i in 0..6 {
            let t = s.create_trial(id).unwrap();
            let x = i as f64 / 5.0;
            s.set_param(t.id, "x", &Float::new(0.0, 1.0).into(), &ParamValue::Float(x)).unwrap();
            s.set_param(t.id, "y", &Float::new(0.0, 1.0).into(), &ParamValue::Float(1.0 - x)).unwrap();
            s.finish(t.id, &Outcome::Complete(x * x)).unwrap();
        }
        s
    }

    #[test]
    fn a_contour_needs_exactly_two_params() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.svg");
        let opts = ImportanceOptions::default();
        let err = write_plot(&storage(), "demo", PlotKind::Contour, &[], opts, &path).unwrap_err();
        assert_eq!(err.to_string(), "a contour plot needs two parameters: --params X,Y (got 0)");
        write_plot(&storage(), "demo", PlotKind::Contour, &["x".into(), "y".into()], opts, &path).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("<svg"));
    }

    #[test]
    fn params_are_refused_where_they_do_not_apply() {
        let (record, trials) = load_study(&storage(), "demo").unwrap();
        let h = History::new(record.direction, trials);
        let err = figure(&h, PlotKind::Edf, &["x".into()], ImportanceOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "--params does not apply to the `edf` plot");
        assert!(figure(&h, PlotKind::Slice, &["x".into()], ImportanceOptions::default()).is_ok());
    }

    #[test]
    fn the_extension_is_checked_before_anything_is_read() {
        let err = write_plot(&storage(), "nope", PlotKind::History, &[], ImportanceOptions::default(), Path::new("h.pdf"))
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot tell the image format of `h.pdf`: use a .svg or .png file name");
    }
}
