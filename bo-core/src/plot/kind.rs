//! Which plot to draw, by name: the one dispatch from a plot kind to its data function, shared
//! by `bo plot`, `bo report` and the dashboard of `bo-server`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Figure, contour, edf, intermediate_values, optimization_history, parallel_coordinates, slice};
use crate::error::{Error, Result};
use crate::history::History;
use crate::importance::{ImportanceEvaluator, param_importances, param_importances_of};

/// A kind of [`Figure`], named as `bo plot` and the dashboard name it (`history`, `slice`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlotKind {
    /// Objective of each completed trial and the best value so far.
    History,
    /// Intermediate values of each trial; pruned trials marked.
    Intermediate,
    /// Parallel coordinates of the objective and the parameters.
    Parallel,
    /// Objective against each parameter.
    Slice,
    /// Objective over two parameters.
    Contour,
    /// Parameter importance bars.
    Importance,
    /// Empirical distribution of the objective.
    Edf,
    /// Gaussian-process surrogate (mean, uncertainty, acquisition) along one parameter
    /// (feature `gp`).
    Surrogate,
}

impl PlotKind {
    /// Every kind, in the order they are listed to users.
    pub const ALL: [PlotKind; 8] = [
        PlotKind::History,
        PlotKind::Intermediate,
        PlotKind::Parallel,
        PlotKind::Slice,
        PlotKind::Contour,
        PlotKind::Importance,
        PlotKind::Edf,
        PlotKind::Surrogate,
    ];

    /// The kind's name (`history`, …), as [`Figure::kind`] names the figure it draws.
    pub fn name(self) -> &'static str {
        match self {
            PlotKind::History => "history",
            PlotKind::Intermediate => "intermediate",
            PlotKind::Parallel => "parallel",
            PlotKind::Slice => "slice",
            PlotKind::Contour => "contour",
            PlotKind::Importance => "importance",
            PlotKind::Edf => "edf",
            PlotKind::Surrogate => "surrogate",
        }
    }

    /// One line saying what the plot shows (for help texts).
    pub fn description(self) -> &'static str {
        match self {
            PlotKind::History => "Objective of each completed trial and the best value so far",
            PlotKind::Intermediate => "Intermediate values of each trial; pruned trials marked",
            PlotKind::Parallel => "Parallel coordinates of the objective and the parameters",
            PlotKind::Slice => "Objective against each parameter",
            PlotKind::Contour => "Objective over two parameters (`--params X,Y`)",
            PlotKind::Importance => "Parameter importance bars",
            PlotKind::Edf => "Empirical distribution of the objective",
            PlotKind::Surrogate => {
                "Gaussian-process surrogate (mean, uncertainty, acquisition) along one parameter \
                 (`--params X`; default: the first parameter)"
            }
        }
    }

    /// Whether the plot reads a list of parameters (`parallel`, `slice`, `contour`,
    /// `importance`, `surrogate`).
    pub fn takes_params(self) -> bool {
        !matches!(self, PlotKind::History | PlotKind::Intermediate | PlotKind::Edf)
    }

    /// The figure of this kind of `history`. `params` restricts the parallel, slice and
    /// importance plots to those parameters (all when empty), names the two of a contour
    /// (required) and the one of a surrogate slice (default: the first parameter common to
    /// the trials); other kinds ignore it. `evaluator` computes importances.
    ///
    /// [`Error::InvalidConfig`] for a wrong number of parameters; the errors of the plot's
    /// data function otherwise.
    ///
    /// ```
    /// use bo_core::importance::FanovaEvaluator;
    /// use bo_core::plot::PlotKind;
    /// # use bo_core::{Float, Optimize, Study, Trial};
    /// # let study = Study::builder().name("demo").seed(1).build()?;
    /// # study.optimize_with(Optimize::trials(6).progress_bar(false), |t: &mut Trial| {
    /// #     Ok::<_, bo_core::Error>(t.suggest_float("x", Float::new(-1.0, 1.0))?.powi(2))
    /// # })?;
    /// let kind: PlotKind = "history".parse()?;
    /// let figure = kind.figure(&study.history()?, &[], &FanovaEvaluator::default())?;
    /// assert_eq!(figure.kind(), "history");
    /// # Ok::<(), bo_core::Error>(())
    /// ```
    pub fn figure(self, history: &History, params: &[String], evaluator: &dyn ImportanceEvaluator) -> Result<Figure> {
        let some = (!params.is_empty()).then_some(params);
        let bad = |what: &'static str, reason: String| Error::InvalidConfig { what, reason };
        Ok(match self {
            PlotKind::History => optimization_history(history)?.into(),
            PlotKind::Intermediate => intermediate_values(history)?.into(),
            PlotKind::Parallel => parallel_coordinates(history, some)?.into(),
            PlotKind::Slice => slice(history, some)?.into(),
            PlotKind::Contour => match params {
                [x, y] => contour(history, x, y)?.into(),
                _ => return Err(bad("contour plot", format!("needs two parameters, got {}", params.len()))),
            },
            PlotKind::Importance => match some {
                None => param_importances(history, evaluator)?.into(),
                Some(p) => param_importances_of(history, p, evaluator)?.into(),
            },
            PlotKind::Edf => edf(history)?.into(),
            PlotKind::Surrogate => {
                let param = match params {
                    [p] => p.clone(),
                    [] => history
                        .intersection_space()
                        .iter()
                        .find(|(_, d)| !d.is_single())
                        .map(|(n, _)| n.clone())
                        .ok_or_else(|| bad("surrogate plot", "the study has no parameter common to its trials".into()))?,
                    _ => return Err(bad("surrogate plot", format!("takes one parameter, got {}", params.len()))),
                };
                surrogate(history, &param)?
            }
        })
    }
}

#[cfg(feature = "gp")]
fn surrogate(history: &History, param: &str) -> Result<Figure> {
    Ok(super::surrogate_slice(history, param, 100)?.into())
}

#[cfg(not(feature = "gp"))]
fn surrogate(_: &History, _: &str) -> Result<Figure> {
    Err(Error::FeatureDisabled { feature: "gp" })
}

impl fmt::Display for PlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PlotKind {
    type Err = Error;

    /// The kind named `s`; [`Error::InvalidConfig`] listing the names otherwise.
    fn from_str(s: &str) -> Result<Self> {
        PlotKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = PlotKind::ALL.iter().map(|k| k.name()).collect();
            Error::InvalidConfig { what: "plot", reason: format!("unknown plot `{s}`: use {}", names.join(", ")) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::importance::FanovaEvaluator;
    use crate::plot::tests::study_from;
    use crate::trial_record::Direction;

    #[test]
    fn kinds_parse_from_their_names_and_figures_carry_them() {
        let h = study_from(Direction::Minimize, &[(Some(3.0), 2), (Some(1.0), 2), (Some(2.0), 2), (Some(0.5), 2)]);
        let ev = FanovaEvaluator::builder().n_trees(8).seed(0).build().unwrap();
        for kind in PlotKind::ALL {
            assert_eq!(kind.name().parse::<PlotKind>().unwrap(), kind);
            let params: Vec<String> = match kind {
                PlotKind::Contour => vec!["x".into(), "opt".into()],
                PlotKind::Surrogate => vec!["x".into()],
                _ => vec![],
            };
            match kind.figure(&h, &params, &ev) {
                Ok(f) => assert_eq!(f.kind(), kind.name()),
                Err(Error::FeatureDisabled { .. }) => assert_eq!(kind, PlotKind::Surrogate),
                Err(e) => panic!("{kind}: {e}"),
            }
        }
        let err = "pie".parse::<PlotKind>().unwrap_err().to_string();
        assert!(err.contains("unknown plot `pie`: use history, intermediate,"), "{err}");
        assert!(matches!(PlotKind::Contour.figure(&h, &[], &ev), Err(Error::InvalidConfig { .. })));
    }
}
