//! `bo trials STUDY`: the trials of one study.

use std::io::Write;

use bo_core::storage::load_study;
use bo_core::Storage;

use crate::format::{compact_f64, compact_params, duration};
use crate::table::{Align, Table};

/// Writes a table of the study's trials in number order: number, state, value, parameters
/// (`name=value` pairs) and duration (blank while running).
pub fn write_trials(storage: &dyn Storage, study: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let (_record, trials) = load_study(storage, study)?;
    let mut table = Table::new(&[
        ("number", Align::Right),
        ("state", Align::Left),
        ("value", Align::Right),
        ("duration", Align::Right),
        ("params", Align::Left),
    ]);
    for t in &trials {
        table.row(vec![
            t.number.to_string(),
            t.state.to_string(),
            t.value.map(compact_f64).unwrap_or_default(),
            t.duration_secs().map(duration).unwrap_or_default(),
            compact_params(&t.params),
        ]);
    }
    table.write(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bo_core::{Direction, Float, InMemoryStorage, Outcome, ParamValue};

    #[test]
    fn trials_show_state_value_and_params() {
        let s = InMemoryStorage::new();
        let id = s.create_study("demo", Direction::Minimize).unwrap();
        let t = s.create_trial(id).unwrap();
        s.set_param(t.id, "x", &Float::new(0.0, 1.0).into(), &ParamValue::Float(0.25)).unwrap();
        s.finish(t.id, &Outcome::Complete(0.0625)).unwrap();
        let t = s.create_trial(id).unwrap();
        s.finish(t.id, &Outcome::Failed("boom".into())).unwrap();
        s.create_trial(id).unwrap();
        let mut out = Vec::new();
        write_trials(&s, "demo", &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("number  state"), "{text}");
        assert!(lines[2].contains("COMPLETE") && lines[2].contains("0.0625") && lines[2].ends_with("x=0.25"));
        assert!(lines[3].contains("FAILED"));
        assert!(lines[4].trim_end().ends_with("RUNNING"), "{text}");
    }

    #[test]
    fn an_unknown_study_is_an_error_naming_it() {
        let err = write_trials(&InMemoryStorage::new(), "nope", &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "study `nope` does not exist");
    }
}
