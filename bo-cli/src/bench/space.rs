//! The harness's search-space wire format, mapped to bo-core distributions.

use bo_core::{Categorical, Distribution, Float, Int, ParamValue};
use serde::Deserialize;
use serde_json::{Number, Value};

/// One parameter of the `init` message's `space`.
#[derive(Debug, Deserialize)]
pub(crate) struct ParamSpec {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    low: Option<Number>,
    high: Option<Number>,
    #[serde(default)]
    log: Option<bool>,
    #[serde(default)]
    step: Option<Number>,
    choices: Option<Vec<Value>>,
}

/// Converts the wire space to named distributions, in order; every distribution is
/// validated and names must be unique.
pub(crate) fn to_distributions(specs: Vec<ParamSpec>) -> Result<Vec<(String, Distribution)>, String> {
    let mut out: Vec<(String, Distribution)> = Vec::with_capacity(specs.len());
    for spec in specs {
        if out.iter().any(|(n, _)| *n == spec.name) {
            return Err(format!("parameter `{}` appears twice in the space", spec.name));
        }
        let d = to_distribution(&spec)?;
        d.validate(&spec.name).map_err(|e| e.to_string())?;
        out.push((spec.name, d));
    }
    Ok(out)
}

fn to_distribution(p: &ParamSpec) -> Result<Distribution, String> {
    let log = p.log.unwrap_or(false);
    match p.kind.as_str() {
        "float" => {
            let (low, high) = (float(p, "low", &p.low)?, float(p, "high", &p.high)?);
            let d = match (&p.step, log) {
                (None, false) => Float::new(low, high),
                (None, true) => Float::log(low, high),
                (Some(step), false) => Float::stepped(low, high, number_f64(step)),
                (Some(_), true) => return Err(format!("parameter `{}`: step cannot be combined with log", p.name)),
            };
            Ok(d.into())
        }
        "int" => {
            let (low, high) = (int(p, "low", &p.low)?, int(p, "high", &p.high)?);
            let step = match &p.step {
                Some(s) => int(p, "step", &Some(s.clone()))?,
                None => 1,
            };
            let d = match (log, step) {
                (true, 1) => Int::log(low, high),
                (true, _) => return Err(format!("parameter `{}`: step cannot be combined with log", p.name)),
                (false, _) => Int::stepped(low, high, step),
            };
            Ok(d.into())
        }
        "categorical" => {
            let choices = p.choices.as_ref().ok_or_else(|| format!("parameter `{}`: categorical needs `choices`", p.name))?;
            let values = choices
                .iter()
                .map(|c| {
                    ParamValue::from_json(c)
                        .ok_or_else(|| format!("parameter `{}`: choice {c} is not a JSON string, number or boolean", p.name))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Categorical::new(values).into())
        }
        other => Err(format!("parameter `{}`: unknown type `{other}` (float, int or categorical)", p.name)),
    }
}

fn number_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

fn float(p: &ParamSpec, field: &str, v: &Option<Number>) -> Result<f64, String> {
    v.as_ref().map(number_f64).ok_or_else(|| format!("parameter `{}`: missing `{field}`", p.name))
}

fn int(p: &ParamSpec, field: &str, v: &Option<Number>) -> Result<i64, String> {
    let n = v.as_ref().ok_or_else(|| format!("parameter `{}`: missing `{field}`", p.name))?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(format!("parameter `{}`: `{field}` must be an integer, got {n}", p.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Vec<(String, Distribution)>, String> {
        to_distributions(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn every_wire_type_maps_to_its_distribution() {
        let space = parse(
            r#"[{"name":"lr","type":"float","low":1e-05,"high":1.0,"log":true},
                {"name":"layers","type":"int","low":1,"high":8,"log":false,"step":1},
                {"name":"width","type":"int","low":16,"high":1024,"log":true,"step":1},
                {"name":"q","type":"float","low":0.0,"high":1.0,"step":0.25},
                {"name":"even","type":"int","low":0,"high":10,"step":2},
                {"name":"bs","type":"categorical","choices":[16,32,"x",true]}]"#,
        )
        .unwrap();
        let names: Vec<&str> = space.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["lr", "layers", "width", "q", "even", "bs"]);
        assert_eq!(space[0].1, Float::log(1e-5, 1.0).into());
        assert_eq!(space[1].1, Int::new(1, 8).into());
        assert_eq!(space[2].1, Int::log(16, 1024).into());
        assert_eq!(space[3].1, Float::stepped(0.0, 1.0, 0.25).into());
        assert_eq!(space[4].1, Int::stepped(0, 10, 2).into());
        let choices = vec![ParamValue::Int(16), ParamValue::Int(32), ParamValue::Str("x".into()), ParamValue::Bool(true)];
        assert_eq!(space[5].1, Categorical::new(choices).into());
    }

    #[test]
    fn invalid_spaces_are_rejected_with_the_parameter_name() {
        let cases = [
            (r#"[{"name":"a","type":"float","low":2,"high":1}]"#, "`a`"),
            (r#"[{"name":"b","type":"float","low":0,"high":1,"log":true}]"#, "`b`"),
            (r#"[{"name":"c","type":"int","low":0.5,"high":3}]"#, "must be an integer"),
            (r#"[{"name":"d","type":"categorical","choices":[]}]"#, "`d`"),
            (r#"[{"name":"e","type":"categorical","choices":[[1]]}]"#, "not a JSON string"),
            (r#"[{"name":"f","type":"vector","low":0,"high":1}]"#, "unknown type `vector`"),
            (r#"[{"name":"g","type":"float","high":1}]"#, "missing `low`"),
            (r#"[{"name":"h","type":"int","low":0,"high":1},{"name":"h","type":"int","low":0,"high":1}]"#, "twice"),
        ];
        for (json, needle) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }
}
