//! `bo importance STUDY`: which parameters matter, as a table or JSON.

use std::io::Write;

use bo_core::storage::load_study;
use bo_core::{History, Storage};

use crate::plot::{ImportanceOptions, importances};
use crate::table::{Align, Table};

/// Writes the parameter importances of `study` (restricted to `params` when not empty),
/// most important first: a table of parameter, importance and a bar, after a line naming
/// the evaluator and the number of trials; or (`json`) the
/// [`bo_core::importance::ParamImportances`] record.
pub fn write_importance(
    storage: &dyn Storage,
    study: &str,
    params: &[String],
    options: ImportanceOptions,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (record, trials) = load_study(storage, study)?;
    let imp = importances(&History::new(record.direction, trials), params, options)?;
    if json {
        serde_json::to_writer(&mut *out, &imp)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{} importance over {} completed trials", imp.evaluator, imp.n_trials)?;
    let mut table = Table::new(&[("param", Align::Left), ("importance", Align::Right), ("", Align::Left)]);
    for p in &imp.importances {
        let bar = "#".repeat((p.importance * 40.0).round() as usize);
        table.row(vec![p.param.clone(), format!("{:.4}", p.importance), bar]);
    }
    table.write(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::EvaluatorKind;
    use bo_core::{Direction, Float, InMemoryStorage, Outcome, ParamValue};

    #[test]
    fn the_parameter_that_drives_the_objective_comes_first() {
        let s = InMemoryStorage::new();
        let id = s.create_study("demo", Direction::Minimize).unwrap();
        for i in 0..30 {
            let t = s.create_trial(id).unwrap();
            let (a, b) = ((i * 7 % 30) as f64 / 29.0, (i * 11 % 30) as f64 / 29.0);
            s.set_param(t.id, "a", &Float::new(0.0, 1.0).into(), &ParamValue::Float(a)).unwrap();
            s.set_param(t.id, "b", &Float::new(0.0, 1.0).into(), &ParamValue::Float(b)).unwrap();
            s.finish(t.id, &Outcome::Complete(10.0 * a + 0.1 * b)).unwrap();
        }
        for evaluator in [EvaluatorKind::Fanova, EvaluatorKind::Mdi] {
            let mut out = Vec::new();
            let opts = ImportanceOptions { evaluator, ..ImportanceOptions::default() };
            write_importance(&s, "demo", &[], opts, false, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines[0].ends_with("importance over 30 completed trials"), "{text}");
            assert!(lines[1].starts_with("param  importance"), "{text}");
            assert!(lines[3].starts_with("a ") && lines[4].starts_with("b "), "{text}");
        }
    }
}
