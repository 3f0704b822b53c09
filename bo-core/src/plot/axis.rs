//! [`ParamAxis`]: how a parameter is laid along an axis, and which parameters a plot shows.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::history::History;
use crate::space::{Distribution, ParamValue};
use crate::trial_record::FrozenTrial;

/// How values are spaced along a parameter axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ParamScale {
    /// Evenly spaced values.
    Linear,
    /// Logarithmically spaced values (a log-scaled distribution).
    Log,
    /// Choices at the positions `0, 1, …`, labelled with `choices`.
    Categorical {
        /// The choice labels, in order.
        choices: Vec<String>,
    },
}

/// One parameter as an axis: its name, range and scale. Numeric parameters are placed by
/// value; categorical ones by the index of their choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamAxis {
    /// Parameter name.
    pub name: String,
    /// Lowest coordinate (the distribution's low bound, or `0` for a categorical).
    pub low: f64,
    /// Highest coordinate (the distribution's high bound, or `n - 1` for a categorical).
    pub high: f64,
    /// Spacing of values.
    pub scale: ParamScale,
}

impl ParamAxis {
    /// The axis of parameter `name` with distribution `d`.
    pub fn new(name: &str, d: &Distribution) -> Self {
        let (low, high, scale) = match d {
            Distribution::Float(f) => (f.low(), f.high(), if f.is_log() { ParamScale::Log } else { ParamScale::Linear }),
            Distribution::Int(i) => {
                (i.low() as f64, i.high() as f64, if i.is_log() { ParamScale::Log } else { ParamScale::Linear })
            }
            Distribution::Categorical(c) => {
                let choices: Vec<String> = c.choices().iter().map(ToString::to_string).collect();
                (0.0, choices.len().saturating_sub(1) as f64, ParamScale::Categorical { choices })
            }
        };
        ParamAxis { name: name.to_string(), low, high, scale }
    }

    /// Whether the axis is log-scaled.
    pub fn is_log(&self) -> bool {
        self.scale == ParamScale::Log
    }

    /// The choice labels of a categorical axis.
    pub fn choices(&self) -> Option<&[String]> {
        match &self.scale {
            ParamScale::Categorical { choices } => Some(choices),
            _ => None,
        }
    }

    /// Where `x` (a coordinate of this axis) lies between `low` (0) and `high` (1), in log
    /// space for a log axis; `0.5` when the range is a single point.
    pub fn to_unit(&self, x: f64) -> f64 {
        let (lo, hi, v) = if self.is_log() { (self.low.ln(), self.high.ln(), x.ln()) } else { (self.low, self.high, x) };
        if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
    }

    /// Inverse of [`ParamAxis::to_unit`].
    pub fn from_unit(&self, u: f64) -> f64 {
        if self.is_log() {
            (self.low.ln() + u * (self.high.ln() - self.low.ln())).exp()
        } else {
            self.low + u * (self.high - self.low)
        }
    }
}

/// The coordinate of trial `t`'s value of `name` on its axis (`None` when the trial does not
/// hold the parameter).
pub(crate) fn coordinate(t: &FrozenTrial, name: &str) -> Option<f64> {
    let d = t.distributions.get(name)?;
    let v: &ParamValue = t.params.get(name)?;
    match d {
        Distribution::Categorical(_) => t.internal(name),
        _ => v.as_f64().filter(|x| x.is_finite()),
    }
}

/// Completed trials with a finite value, in number order; [`Error::NoCompletedTrials`] when
/// there are none.
pub(crate) fn completed(history: &History) -> Result<Vec<&FrozenTrial>> {
    let out: Vec<&FrozenTrial> = history.completed().filter(|t| t.value.is_some_and(f64::is_finite)).collect();
    if out.is_empty() { Err(Error::NoCompletedTrials) } else { Ok(out) }
}

/// Axes of the named parameters (`None`: every parameter of the completed trials, by
/// name); [`Error::UnknownParam`] for a name no completed trial holds.
pub(crate) fn axes(trials: &[&FrozenTrial], params: Option<&[String]>) -> Result<Vec<ParamAxis>> {
    let find = |name: &str| trials.iter().find_map(|t| t.distributions.get(name));
    match params {
        Some(names) => names
            .iter()
            .map(|n| find(n).map(|d| ParamAxis::new(n, d)).ok_or_else(|| Error::UnknownParam { name: n.clone() }))
            .collect(),
        None => {
            let mut names: Vec<&String> = trials.iter().flat_map(|t| t.distributions.keys()).collect();
            names.sort();
            names.dedup();
            Ok(names.into_iter().filter_map(|n| find(n).map(|d| ParamAxis::new(n, d))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Categorical, Float, Int};

    #[test]
    fn axes_follow_their_distributions() {
        let a = ParamAxis::new("lr", &Float::log(1e-4, 1e-1).into());
        assert!(a.is_log());
        assert!((a.to_unit(1e-2) - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.from_unit(2.0 / 3.0) - 1e-2).abs() < 1e-14);
        let b = ParamAxis::new("width", &Int::new(8, 16).into());
        assert_eq!((b.low, b.high, b.to_unit(12.0)), (8.0, 16.0, 0.5));
        let c = ParamAxis::new("opt", &Categorical::new(vec!["sgd".into(), "adam".into()]).into());
        assert_eq!(c.choices().unwrap(), ["sgd", "adam"]);
        assert_eq!((c.low, c.high), (0.0, 1.0));
    }
}
