//! Search-space distributions and parameter values.
//!
//! A parameter has one [`Distribution`] for the whole study. Samplers work on the
//! *internal* representation of a value (an `f64`: the value itself for floats and ints, the
//! index of the choice for categoricals), so one code path serves every kind.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod value;

pub use value::{Choice, ParamValue};

/// Parameter values by name, as the objective sees them.
pub type Params = BTreeMap<String, ParamValue>;
/// Distributions by parameter name.
pub type Distributions = BTreeMap<String, Distribution>;

/// A float range `[low, high]`, optionally log-scaled or discretized by `step`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Float {
    low: f64,
    high: f64,
    #[serde(default)]
    log: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step: Option<f64>,
}

impl Float {
    /// Uniform over `[low, high]`.
    pub fn new(low: f64, high: f64) -> Self {
        Float { low, high, log: false, step: None }
    }
    /// Log-uniform over `[low, high]` (needs `low > 0`).
    pub fn log(low: f64, high: f64) -> Self {
        Float { low, high, log: true, step: None }
    }
    /// Uniform over the grid `low, low + step, …, high` (`step` must divide the range).
    pub fn stepped(low: f64, high: f64, step: f64) -> Self {
        Float { low, high, log: false, step: Some(step) }
    }
    /// Lower bound.
    pub fn low(&self) -> f64 {
        self.low
    }
    /// Upper bound.
    pub fn high(&self) -> f64 {
        self.high
    }
    /// Whether the range is log-scaled.
    pub fn is_log(&self) -> bool {
        self.log
    }
    /// The discretization step, if any.
    pub fn step(&self) -> Option<f64> {
        self.step
    }
}

impl From<RangeInclusive<f64>> for Float {
    fn from(r: RangeInclusive<f64>) -> Self {
        Float::new(*r.start(), *r.end())
    }
}

/// An integer range `[low, high]` (inclusive), optionally log-scaled or with a `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Int {
    low: i64,
    high: i64,
    #[serde(default)]
    log: bool,
    #[serde(default = "one")]
    step: i64,
}

fn one() -> i64 {
    1
}

impl Int {
    /// Uniform over `low..=high`.
    pub fn new(low: i64, high: i64) -> Self {
        Int { low, high, log: false, step: 1 }
    }
    /// Log-uniform over `low..=high` (needs `low > 0`).
    pub fn log(low: i64, high: i64) -> Self {
        Int { low, high, log: true, step: 1 }
    }
    /// Uniform over `low, low + step, …, high` (`step` must divide `high - low`).
    pub fn stepped(low: i64, high: i64, step: i64) -> Self {
        Int { low, high, log: false, step }
    }
    /// Lower bound.
    pub fn low(&self) -> i64 {
        self.low
    }
    /// Upper bound.
    pub fn high(&self) -> i64 {
        self.high
    }
    /// Whether the range is log-scaled.
    pub fn is_log(&self) -> bool {
        self.log
    }
    /// The step between admissible values.
    pub fn step(&self) -> i64 {
        self.step
    }
}

impl From<RangeInclusive<i64>> for Int {
    fn from(r: RangeInclusive<i64>) -> Self {
        Int::new(*r.start(), *r.end())
    }
}

/// A categorical choice among values (strings, numbers or booleans).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Categorical {
    choices: Vec<ParamValue>,
}

impl Categorical {
    /// A categorical distribution over `choices` (validated when first used).
    pub fn new(choices: Vec<ParamValue>) -> Self {
        Categorical { choices }
    }
    /// The choices, in order.
    pub fn choices(&self) -> &[ParamValue] {
        &self.choices
    }
    /// Index of `v` among the choices.
    pub fn index_of(&self, v: &ParamValue) -> Option<usize> {
        self.choices.iter().position(|c| c.same_choice(v))
    }
}

/// The distribution of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Distribution {
    /// A float range.
    Float(Float),
    /// An integer range.
    Int(Int),
    /// A categorical choice.
    Categorical(Categorical),
}

impl From<Float> for Distribution {
    fn from(d: Float) -> Self {
        Distribution::Float(d)
    }
}
impl From<Int> for Distribution {
    fn from(d: Int) -> Self {
        Distribution::Int(d)
    }
}
impl From<Categorical> for Distribution {
    fn from(d: Categorical) -> Self {
        Distribution::Categorical(d)
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Float(d) => {
                write!(f, "float [{}, {}]", d.low, d.high)?;
                if d.log {
                    write!(f, " log")?;
                }
                if let Some(s) = d.step {
                    write!(f, " step {s}")?;
                }
                Ok(())
            }
            Distribution::Int(d) => {
                write!(f, "int [{}, {}]", d.low, d.high)?;
                if d.log {
                    write!(f, " log")?;
                }
                if d.step != 1 {
                    write!(f, " step {}", d.step)?;
                }
                Ok(())
            }
            Distribution::Categorical(c) => {
                write!(f, "categorical [")?;
                for (i, v) in c.choices.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
        }
    }
}

const STEP_TOLERANCE: f64 = 1e-8;

impl Distribution {
    /// Checks the rules: finite bounds, `low <= high`, `log` needs `low > 0`, `step > 0`
    /// dividing the range and not combined with `log`, non-empty distinct choices.
    pub fn validate(&self, name: &str) -> Result<()> {
        let name_s = || name.to_string();
        match self {
            Distribution::Float(d) => {
                for v in [d.low, d.high] {
                    if !v.is_finite() {
                        return Err(Error::NonFiniteBound { name: name_s(), value: v });
                    }
                }
                if d.low > d.high {
                    return Err(Error::InvalidRange { name: name_s(), low: d.low, high: d.high });
                }
                if d.log && d.low <= 0.0 {
                    return Err(Error::InvalidLogRange { name: name_s(), low: d.low });
                }
                if let Some(step) = d.step {
                    if d.log {
                        return Err(Error::InvalidStep {
                            name: name_s(),
                            step,
                            reason: "step cannot be combined with log",
                        });
                    }
                    if !(step.is_finite() && step > 0.0) {
                        return Err(Error::InvalidStep { name: name_s(), step, reason: "step must be > 0" });
                    }
                    let k = (d.high - d.low) / step;
                    if (k - k.round()).abs() > STEP_TOLERANCE * k.abs().max(1.0) {
                        return Err(Error::InvalidStep {
                            name: name_s(),
                            step,
                            reason: "step must divide high - low",
                        });
                    }
                }
                Ok(())
            }
            Distribution::Int(d) => {
                if d.low > d.high {
                    return Err(Error::InvalidRange { name: name_s(), low: d.low as f64, high: d.high as f64 });
                }
                if d.log && d.low <= 0 {
                    return Err(Error::InvalidLogRange { name: name_s(), low: d.low as f64 });
                }
                if d.step <= 0 {
                    return Err(Error::InvalidStep { name: name_s(), step: d.step as f64, reason: "step must be > 0" });
                }
                if d.log && d.step != 1 {
                    return Err(Error::InvalidStep {
                        name: name_s(),
                        step: d.step as f64,
                        reason: "step cannot be combined with log",
                    });
                }
                if (d.high as i128 - d.low as i128) % d.step as i128 != 0 {
                    return Err(Error::InvalidStep {
                        name: name_s(),
                        step: d.step as f64,
                        reason: "step must divide high - low",
                    });
                }
                Ok(())
            }
            Distribution::Categorical(c) => {
                if c.choices.is_empty() {
                    return Err(Error::EmptyChoices { name: name_s() });
                }
                for (i, a) in c.choices.iter().enumerate() {
                    if let ParamValue::Float(x) = a {
                        if !x.is_finite() {
                            return Err(Error::InvalidChoices {
                                name: name_s(),
                                reason: format!("choice {x} is not finite"),
                            });
                        }
                    }
                    if c.choices[..i].iter().any(|b| b.same_choice(a)) {
                        return Err(Error::InvalidChoices {
                            name: name_s(),
                            reason: format!("choice `{a}` appears twice"),
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// The internal representation of `v`, or `None` if `v` is not in this distribution.
    pub fn to_internal(&self, v: &ParamValue) -> Option<f64> {
        match self {
            Distribution::Float(_) => v.as_f64().filter(|x| self.contains(*x)),
            Distribution::Int(_) => v.as_i64().map(|i| i as f64).filter(|x| self.contains(*x)),
            Distribution::Categorical(c) => c.index_of(v).map(|i| i as f64),
        }
    }

    /// The value for an internal representation (rounded onto the admissible set).
    pub fn to_external(&self, x: f64) -> ParamValue {
        match self {
            Distribution::Float(_) => ParamValue::Float(self.round_internal(x)),
            Distribution::Int(_) => ParamValue::Int(self.round_internal(x) as i64),
            Distribution::Categorical(c) => {
                let i = (x.round().max(0.0) as usize).min(c.choices.len().saturating_sub(1));
                c.choices[i].clone()
            }
        }
    }

    /// Snaps an internal value onto the admissible set (clamped, on the step grid,
    /// integral for ints, a valid index for categoricals).
    pub fn round_internal(&self, x: f64) -> f64 {
        match self {
            Distribution::Float(d) => {
                let x = if x.is_nan() { d.low } else { x.clamp(d.low, d.high) };
                match d.step {
                    Some(s) => (d.low + ((x - d.low) / s).round() * s).clamp(d.low, d.high),
                    None => x,
                }
            }
            Distribution::Int(d) => {
                let x = if x.is_nan() { d.low as f64 } else { x.clamp(d.low as f64, d.high as f64) };
                let s = d.step as f64;
                (d.low as f64 + ((x - d.low as f64) / s).round() * s).clamp(d.low as f64, d.high as f64)
            }
            Distribution::Categorical(c) => {
                let n = c.choices.len().max(1) as f64;
                if x.is_nan() { 0.0 } else { x.round().clamp(0.0, n - 1.0) }
            }
        }
    }

    /// Whether the internal value `x` is admissible.
    pub fn contains(&self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        match self {
            Distribution::Float(d) => {
                if x < d.low || x > d.high {
                    return false;
                }
                match d.step {
                    Some(s) => {
                        let k = (x - d.low) / s;
                        (k - k.round()).abs() <= STEP_TOLERANCE * k.abs().max(1.0)
                    }
                    None => true,
                }
            }
            Distribution::Int(d) => {
                x.fract() == 0.0 && x >= d.low as f64 && x <= d.high as f64 && ((x as i64 - d.low) % d.step) == 0
            }
            Distribution::Categorical(c) => x.fract() == 0.0 && x >= 0.0 && (x as usize) < c.choices.len(),
        }
    }

    /// True when only one value is admissible (samplers skip such parameters).
    pub fn is_single(&self) -> bool {
        match self {
            Distribution::Float(d) => d.low == d.high,
            Distribution::Int(d) => d.low == d.high,
            Distribution::Categorical(c) => c.choices.len() == 1,
        }
    }

    /// Whether this is a categorical distribution.
    pub fn is_categorical(&self) -> bool {
        matches!(self, Distribution::Categorical(_))
    }

    /// Whether the range is log-scaled.
    pub fn is_log(&self) -> bool {
        match self {
            Distribution::Float(d) => d.log,
            Distribution::Int(d) => d.log,
            Distribution::Categorical(_) => false,
        }
    }

    /// Number of admissible values for discrete distributions (`None` for continuous floats).
    pub fn cardinality(&self) -> Option<u64> {
        match self {
            Distribution::Float(d) => d.step.map(|s| ((d.high - d.low) / s).round() as u64 + 1),
            Distribution::Int(d) => Some(((d.high - d.low) / d.step) as u64 + 1),
            Distribution::Categorical(c) => Some(c.choices.len() as u64),
        }
    }

    /// Maps an internal value to `[0, 1]` (log ranges in log space; ints and stepped floats
    /// widened by half a step on each side, categoricals to the centre of their cell).
    pub fn to_unit(&self, x: f64) -> f64 {
        let (lo, hi, v) = self.unit_bounds(x);
        if hi > lo { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.5 }
    }

    /// Inverse of [`Distribution::to_unit`], snapped onto the admissible set.
    pub fn from_unit(&self, u: f64) -> f64 {
        self.round_internal(self.unit_to_raw(u))
    }

    /// Inverse of [`Distribution::to_unit`] without snapping, clamped to the distribution's
    /// bounds: evenly spaced unit coordinates become a smooth curve over the parameter.
    #[cfg(feature = "gp")]
    pub(crate) fn unit_to_value_unsnapped(&self, u: f64) -> f64 {
        let (low, high) = match self {
            Distribution::Float(d) => (d.low, d.high),
            Distribution::Int(d) => (d.low as f64, d.high as f64),
            Distribution::Categorical(c) => (0.0, c.choices.len().saturating_sub(1) as f64),
        };
        self.unit_to_raw(u).clamp(low, high)
    }

    fn unit_to_raw(&self, u: f64) -> f64 {
        let (lo, hi, _) = self.unit_bounds(f64::NAN);
        let v = lo + u.clamp(0.0, 1.0) * (hi - lo);
        if self.is_log() { v.exp() } else { v }
    }

    fn unit_bounds(&self, x: f64) -> (f64, f64, f64) {
        match self {
            Distribution::Float(d) => {
                let half = d.step.map_or(0.0, |s| s / 2.0);
                if d.log {
                    (d.low.ln(), d.high.ln(), x.ln())
                } else {
                    (d.low - half, d.high + half, x)
                }
            }
            Distribution::Int(d) => {
                let half = d.step as f64 / 2.0;
                if d.log {
                    ((d.low as f64 - 0.5).ln(), (d.high as f64 + 0.5).ln(), x.ln())
                } else {
                    (d.low as f64 - half, d.high as f64 + half, x)
                }
            }
            Distribution::Categorical(c) => (-0.5, c.choices.len() as f64 - 0.5, x),
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_distributions_return_typed_errors() {
        assert!(matches!(Distribution::from(Float::new(2.0, 1.0)).validate("x"), Err(Error::InvalidRange { .. })));
        assert!(matches!(Distribution::from(Float::log(0.0, 1.0)).validate("x"), Err(Error::InvalidLogRange { .. })));
        assert!(matches!(Distribution::from(Float::stepped(0.0, 1.0, 0.3)).validate("x"), Err(Error::InvalidStep { .. })));
        assert!(matches!(Distribution::from(Float::stepped(0.0, 1.0, -0.5)).validate("x"), Err(Error::InvalidStep { .. })));
        assert!(matches!(Distribution::from(Float::new(f64::NAN, 1.0)).validate("x"), Err(Error::NonFiniteBound { .. })));
        assert!(matches!(Distribution::from(Int::new(5, 1)).validate("x"), Err(Error::InvalidRange { .. })));
        assert!(matches!(Distribution::from(Int::log(0, 10)).validate("x"), Err(Error::InvalidLogRange { .. })));
        assert!(matches!(Distribution::from(Int::stepped(0, 10, 3)).validate("x"), Err(Error::InvalidStep { .. })));
        assert!(matches!(Distribution::from(Int::stepped(0, 10, 0)).validate("x"), Err(Error::InvalidStep { .. })));
        assert!(matches!(Distribution::from(Categorical::new(vec![])).validate("x"), Err(Error::EmptyChoices { .. })));
        let dup = Categorical::new(vec![ParamValue::Int(1), ParamValue::Int(1)]);
        assert!(matches!(Distribution::from(dup).validate("x"), Err(Error::InvalidChoices { .. })));
        Distribution::from(Float::stepped(0.0, 1.0, 0.1)).validate("x").unwrap();
        Distribution::from(Int::stepped(0, 10, 5)).validate("x").unwrap();
    }

    #[test]
    fn internal_round_trip_respects_steps_and_choices() {
        let d = Distribution::from(Int::stepped(0, 10, 5));
        assert_eq!(d.to_external(6.9), ParamValue::Int(5));
        assert_eq!(d.to_internal(&ParamValue::Int(10)), Some(10.0));
        assert_eq!(d.to_internal(&ParamValue::Int(7)), None);
        let c = Distribution::from(Categorical::new(vec!["a".to_param_value(), "b".to_param_value()]));
        assert_eq!(c.to_internal(&ParamValue::Str("b".into())), Some(1.0));
        assert_eq!(c.to_external(1.0), ParamValue::Str("b".into()));
        let f = Distribution::from(Float::log(1e-3, 1.0));
        let u = f.to_unit(0.031622776601683794);
        assert!((u - 0.5).abs() < 1e-12);
        assert!((f.from_unit(0.5) - 0.031622776601683794).abs() < 1e-12);
    }

    #[test]
    fn distributions_serialize_as_tagged_json() {
        let d = Distribution::from(Float::log(1e-5, 1e-1));
        let s = serde_json::to_string(&d).unwrap();
        assert_eq!(s, r#"{"type":"float","low":0.00001,"high":0.1,"log":true}"#);
        let back: Distribution = serde_json::from_str(&s).unwrap();
        assert_eq!(back, d);
    }
}

