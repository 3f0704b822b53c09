//! Messages of the JSON-lines protocol, version 1: requests in, replies out.

use bo_core::ParamValue;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Deserialize;
use serde_json::Value;

use super::space::ParamSpec;

/// The protocol version this server speaks.
pub(crate) const PROTOCOL: u64 = 1;

/// A parsed request.
#[derive(Debug)]
pub(crate) enum Request {
    Init(Box<Init>),
    Ask,
    Report(Report),
    Tell(Tell),
    Shutdown,
}

/// `{"op":"init", …}`: a fresh study.
#[derive(Debug, Deserialize)]
pub(crate) struct Init {
    pub(crate) protocol: Option<u64>,
    pub(crate) seed: Option<Value>,
    pub(crate) direction: Option<String>,
    pub(crate) space: Vec<ParamSpec>,
    pub(crate) sampler: Option<String>,
    #[serde(default)]
    pub(crate) sampler_options: Value,
    pub(crate) pruner: Option<String>,
    #[serde(default)]
    pub(crate) pruner_options: Value,
    #[serde(default)]
    pub(crate) budget: Budget,
}

/// `init`'s `budget`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Budget {
    pub(crate) n_trials: Option<u64>,
    pub(crate) n_steps: Option<u64>,
    pub(crate) step_budget: Option<u64>,
}

/// `{"op":"report","trial_id":…,"step":…,"value":…}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Report {
    pub(crate) trial_id: Value,
    pub(crate) step: u64,
    pub(crate) value: f64,
}

/// `{"op":"tell","trial_id":…,"state":…,"value":…}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Tell {
    pub(crate) trial_id: Value,
    pub(crate) state: Option<String>,
    pub(crate) value: Option<f64>,
}

/// Parses one request line.
pub(crate) fn parse_request(line: &str) -> Result<Request, String> {
    let msg: Value = serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let op = match msg.get("op") {
        Some(Value::String(op)) => op.as_str(),
        Some(other) => return Err(format!("`op` must be a string, got {other}")),
        None if msg.is_object() => return Err("missing `op`".into()),
        None => return Err(format!("a request must be a JSON object, got {msg}")),
    };
    let body = |what: &str| format!("bad `{what}` request: ");
    Ok(match op {
        "init" => Request::Init(Box::new(Init::deserialize(&msg).map_err(|e| body(op) + &e.to_string())?)),
        "ask" => Request::Ask,
        "report" => Request::Report(Report::deserialize(&msg).map_err(|e| body(op) + &e.to_string())?),
        "tell" => Request::Tell(Tell::deserialize(&msg).map_err(|e| body(op) + &e.to_string())?),
        "shutdown" | "close" => Request::Shutdown,
        other => return Err(format!("unknown op `{other}` (init, ask, report, tell, shutdown)")),
    })
}

/// What a successful request answers, before `ok` and `elapsed_us` are added.
#[derive(Debug)]
pub(crate) enum Answer {
    Init,
    Ask { trial_id: u64, params: Vec<(String, ParamValue)> },
    Report { should_prune: bool },
    Done,
}

/// A reply line: the answer or an error, and the time spent inside the optimizer.
pub(crate) struct Reply<'a> {
    pub(crate) result: &'a Result<Answer, String>,
    pub(crate) elapsed_us: f64,
}

impl Serialize for Reply<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ok", &self.result.is_ok())?;
        match self.result {
            Err(e) => m.serialize_entry("error", e)?,
            Ok(Answer::Init) => {
                m.serialize_entry("name", "bo")?;
                m.serialize_entry("version", env!("CARGO_PKG_VERSION"))?;
                m.serialize_entry("protocol", &PROTOCOL)?;
            }
            Ok(Answer::Ask { trial_id, params }) => {
                m.serialize_entry("trial_id", trial_id)?;
                m.serialize_entry("params", &ParamsMap(params))?;
            }
            Ok(Answer::Report { should_prune }) => m.serialize_entry("should_prune", should_prune)?,
            Ok(Answer::Done) => {}
        }
        m.serialize_entry("elapsed_us", &self.elapsed_us)?;
        m.end()
    }
}

/// Parameters in space order, as a JSON object.
struct ParamsMap<'a>(&'a [(String, ParamValue)]);

impl Serialize for ParamsMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_parsed_by_op() {
        assert!(matches!(parse_request(r#"{"op":"ask"}"#), Ok(Request::Ask)));
        assert!(matches!(parse_request(r#"{"op":"shutdown"}"#), Ok(Request::Shutdown)));
        let Ok(Request::Report(r)) = parse_request(r#"{"op":"report","trial_id":3,"step":2,"value":0.5}"#) else {
            panic!("not a report")
        };
        assert_eq!((r.trial_id, r.step, r.value), (serde_json::json!(3), 2, 0.5));
        let Ok(Request::Tell(t)) = parse_request(r#"{"op":"tell","trial_id":1,"state":"failed","value":null}"#) else {
            panic!("not a tell")
        };
        assert_eq!((t.state.as_deref(), t.value), (Some("failed"), None));
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let err = |line: &str| parse_request(line).unwrap_err();
        assert!(err("{not json").starts_with("malformed JSON"));
        assert_eq!(err("[1,2]"), "a request must be a JSON object, got [1,2]");
        assert_eq!(err(r#"{"x":1}"#), "missing `op`");
        assert_eq!(err(r#"{"op":7}"#), "`op` must be a string, got 7");
        assert!(err(r#"{"op":"fly"}"#).starts_with("unknown op `fly`"));
        assert!(err(r#"{"op":"report","trial_id":1,"value":0.5}"#).contains("missing field `step`"));
        assert!(err(r#"{"op":"init","seed":1}"#).contains("missing field `space`"));
    }

    #[test]
    fn replies_carry_ok_the_answer_and_elapsed_time() {
        let ask = Ok(Answer::Ask {
            trial_id: 4,
            params: vec![("z".into(), ParamValue::Int(3)), ("a".into(), ParamValue::Str("adam".into()))],
        });
        let line = serde_json::to_string(&Reply { result: &ask, elapsed_us: 1.5 }).unwrap();
        assert_eq!(line, r#"{"ok":true,"trial_id":4,"params":{"z":3,"a":"adam"},"elapsed_us":1.5}"#);
        let err = Err("nope".to_string());
        let line = serde_json::to_string(&Reply { result: &err, elapsed_us: 0.0 }).unwrap();
        assert_eq!(line, r#"{"ok":false,"error":"nope","elapsed_us":0.0}"#);
    }
}
