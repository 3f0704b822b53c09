//! [`ParamValue`]: a parameter's value, and the conversions into it ([`Choice`], `From`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A parameter value: what `suggest_*` returns, what storages keep and exports show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A boolean categorical choice.
    Bool(bool),
    /// An integer parameter or integer categorical choice.
    Int(i64),
    /// A float parameter or float categorical choice.
    Float(f64),
    /// A string categorical choice.
    Str(String),
}

impl ParamValue {
    /// The value as `f64` when it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Int(i) => Some(*i as f64),
            ParamValue::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as `i64` when it is an integer (or an integral float).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ParamValue::Int(i) => Some(*i),
            ParamValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    /// The value as a string slice when it is a string choice.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as `bool` when it is a boolean choice.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Converts a JSON scalar; `None` for arrays, objects and null.
    pub fn from_json(v: &serde_json::Value) -> Option<ParamValue> {
        match v {
            serde_json::Value::Bool(b) => Some(ParamValue::Bool(*b)),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(ParamValue::Int)
                .or_else(|| n.as_f64().map(ParamValue::Float)),
            serde_json::Value::String(s) => Some(ParamValue::Str(s.clone())),
            _ => None,
        }
    }

    /// The value as a JSON scalar.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    pub(super) fn same_choice(&self, other: &ParamValue) -> bool {
        match (self, other) {
            (ParamValue::Float(a), ParamValue::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (ParamValue::Int(a), ParamValue::Float(b)) | (ParamValue::Float(b), ParamValue::Int(a)) => {
                *a as f64 == *b
            }
            _ => self == other,
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Str(s) => write!(f, "{s}"),
        }
    }
}

impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}
impl From<i32> for ParamValue {
    fn from(v: i32) -> Self {
        ParamValue::Int(v as i64)
    }
}
impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_string())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Str(v)
    }
}

/// A type usable as a categorical choice in [`crate::Trial::suggest_categorical`].
pub trait Choice: Clone {
    /// The stored representation of this choice.
    fn to_param_value(&self) -> ParamValue;
}

macro_rules! choice_int {
    ($($t:ty),*) => {$(
        impl Choice for $t {
            fn to_param_value(&self) -> ParamValue { ParamValue::Int(*self as i64) }
        }
    )*};
}
choice_int!(i8, i16, i32, i64, u8, u16, u32, usize);

impl Choice for u64 {
    fn to_param_value(&self) -> ParamValue {
        i64::try_from(*self).map_or(ParamValue::Float(*self as f64), ParamValue::Int)
    }
}
impl Choice for f64 {
    fn to_param_value(&self) -> ParamValue {
        ParamValue::Float(*self)
    }
}
impl Choice for f32 {
    fn to_param_value(&self) -> ParamValue {
        ParamValue::Float(*self as f64)
    }
}
impl Choice for bool {
    fn to_param_value(&self) -> ParamValue {
        ParamValue::Bool(*self)
    }
}
impl Choice for &str {
    fn to_param_value(&self) -> ParamValue {
        ParamValue::Str((*self).to_string())
    }
}
impl Choice for String {
    fn to_param_value(&self) -> ParamValue {
        ParamValue::Str(self.clone())
    }
}
impl Choice for ParamValue {
    fn to_param_value(&self) -> ParamValue {
        self.clone()
    }
}
