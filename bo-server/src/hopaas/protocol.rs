//! The Hopaas wire: Python `json.dumps` bodies (lenient JSON), losses, trial handles.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Parses a Python `json.dumps` body: standard JSON plus bare `NaN`, `Infinity`,
/// `-Infinity` (turned into the strings `"NaN"`, `"Infinity"`, `"-Infinity"`).
pub(super) fn parse_lenient(bytes: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::MalformedJson("the body is not UTF-8".into()))?;
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let mut replaced = false;
        for (token, text) in [("-Infinity", "\"-Infinity\""), ("Infinity", "\"Infinity\""), ("NaN", "\"NaN\"")] {
            if rest.starts_with(token) {
                out.push_str(text);
                rest = &rest[token.len()..];
                replaced = true;
                break;
            }
        }
        if replaced {
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&out).map_err(|e| Error::MalformedJson(e.to_string()))
}

/// A loss: a number, or the (lenient) non-finite tokens, or `null` (NaN).
pub(super) fn loss_of(v: Option<&Value>) -> Result<f64> {
    match v {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| Error::Invalid("`loss` is not a number".into())),
        Some(Value::String(s)) if s == "NaN" => Ok(f64::NAN),
        Some(Value::String(s)) if s == "Infinity" => Ok(f64::INFINITY),
        Some(Value::String(s)) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        Some(Value::Null) => Ok(f64::NAN),
        Some(other) => Err(Error::Invalid(format!("`loss` must be a number, not {other}"))),
        None => Err(Error::Invalid("missing field `loss`".into())),
    }
}

pub(super) fn object(v: Value) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(Error::Invalid(format!("the body must be a JSON object, not {}", kind_of(&other)))),
    }
}

pub(super) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Splits a trial handle `SID:N` into the study id and the trial number.
pub(super) fn split_handle(handle: &str) -> Result<(&str, u64)> {
    let bad = || Error::Invalid(format!("`hopaas_trial` must be \"STUDY_ID:NUMBER\", not {handle:?}"));
    let (sid, n) = handle.split_once(':').ok_or_else(bad)?;
    let number: u64 = n.parse().map_err(|_| bad())?;
    Ok((sid, number))
}

/// The trial handle `SID:N` of a body.
pub(super) fn handle_of(body: &Map<String, Value>) -> Result<String> {
    match body.get("hopaas_trial") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(Error::Invalid(format!("`hopaas_trial` must be a string, not {}", kind_of(other)))),
        None => Err(Error::Invalid("missing field `hopaas_trial`".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_json_reads_python_non_finite_tokens_outside_strings_only() {
        let v = parse_lenient(br#"{"loss": NaN, "a": Infinity, "b": [-Infinity], "s": "NaN Infinity \" NaN"}"#).unwrap();
        assert_eq!(v["loss"], json!("NaN"));
        assert_eq!(v["a"], json!("Infinity"));
        assert_eq!(v["b"], json!(["-Infinity"]));
        assert_eq!(v["s"], json!("NaN Infinity \" NaN"));
        assert!(loss_of(v.get("loss")).unwrap().is_nan());
        assert_eq!(loss_of(v.get("a")).unwrap(), f64::INFINITY);
        assert!(matches!(parse_lenient(b"{\"loss\": Nan}"), Err(Error::MalformedJson(_))));
        assert!(matches!(parse_lenient(b"\xff\xfe"), Err(Error::MalformedJson(_))));
    }
}
