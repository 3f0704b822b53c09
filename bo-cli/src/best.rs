//! `bo best STUDY`: the best completed trial.

use std::io::Write;

use bo_core::storage::load_study;
use bo_core::{Error, History, Storage};

use crate::format::compact_param;

/// Writes the best completed trial of `study`: its number, value and parameters, as text
/// or (`json`) as `{"number":N,"value":V,"params":{...}}`.
/// [`Error::NoCompletedTrials`] when no trial is complete yet.
pub fn write_best(storage: &dyn Storage, study: &str, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let (record, trials) = load_study(storage, study)?;
    let history = History::new(record.direction, trials);
    let best = history.best().ok_or(Error::NoCompletedTrials)?;
    if json {
        let v = serde_json::json!({"number": best.number, "value": best.value, "params": best.params});
        serde_json::to_writer(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "trial  {}", best.number)?;
    writeln!(out, "value  {}", best.value.unwrap_or(f64::NAN))?;
    writeln!(out, "params")?;
    let width = best.params.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    for (name, v) in &best.params {
        writeln!(out, "  {name:<width$}  {}", compact_param(v))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bo_core::{Categorical, Direction, InMemoryStorage, Int, Outcome, ParamValue};

    fn storage_with_two_trials() -> InMemoryStorage {
        let s = InMemoryStorage::new();
        let id = s.create_study("demo", Direction::Minimize).unwrap();
        let opt: bo_core::Distribution = Categorical::new(vec!["sgd".into(), "adam".into()]).into();
        for (v, layers, o) in [(0.5, 2, "sgd"), (0.25, 4, "adam")] {
            let t = s.create_trial(id).unwrap();
            s.set_param(t.id, "layers", &Int::new(1, 8).into(), &ParamValue::Int(layers)).unwrap();
            s.set_param(t.id, "optimizer", &opt, &ParamValue::Str(o.into())).unwrap();
            s.finish(t.id, &Outcome::Complete(v)).unwrap();
        }
        s
    }

    #[test]
    fn best_prints_number_value_and_params() {
        let mut out = Vec::new();
        write_best(&storage_with_two_trials(), "demo", false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "trial  1\nvalue  0.25\nparams\n  layers     4\n  optimizer  adam\n"
        );
    }

    #[test]
    fn best_as_json_keeps_value_types() {
        let mut out = Vec::new();
        write_best(&storage_with_two_trials(), "demo", true, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, serde_json::json!({"number": 1, "value": 0.25, "params": {"layers": 4, "optimizer": "adam"}}));
    }

    #[test]
    fn a_study_without_completed_trials_has_no_best() {
        let s = InMemoryStorage::new();
        let id = s.create_study("empty", Direction::Minimize).unwrap();
        s.create_trial(id).unwrap();
        let err = write_best(&s, "empty", false, &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "study has no completed trial yet");
    }
}
