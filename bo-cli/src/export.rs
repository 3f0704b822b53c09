//! `bo export STUDY --format csv|json`: every trial of a study, for pandas, R or a spreadsheet.

use std::collections::BTreeSet;
use std::io::Write;

use bo_core::storage::load_study;
use bo_core::{FrozenTrial, Storage};

use crate::csv::csv_record;
use crate::format::rfc3339;

/// File format of [`write_export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per trial: `number,state,value,started_at,finished_at,duration_s`, then
    /// `params_<name>` per parameter, `user_attrs_<key>` per user attribute, `fail_reason`.
    Csv,
    /// A JSON array of [`FrozenTrial`] records.
    Json,
}

/// Writes every trial of `study` in number order, in `format`.
///
/// CSV: times are RFC 3339 UTC, values in shortest round-trip form, a parameter or
/// attribute a trial lacks is an empty field; string attributes are written as they are,
/// other attribute values as JSON.
pub fn write_export(storage: &dyn Storage, study: &str, format: ExportFormat, out: &mut impl Write) -> anyhow::Result<()> {
    let (_record, trials) = load_study(storage, study)?;
    match format {
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &trials)?;
            writeln!(out)?;
        }
        ExportFormat::Csv => write_csv(&trials, out)?,
    }
    Ok(())
}

fn write_csv(trials: &[FrozenTrial], out: &mut impl Write) -> std::io::Result<()> {
    let params: BTreeSet<&str> = trials.iter().flat_map(|t| t.params.keys().map(String::as_str)).collect();
    let attrs: BTreeSet<&str> = trials.iter().flat_map(|t| t.user_attrs.keys().map(String::as_str)).collect();
    let mut header: Vec<String> =
        ["number", "state", "value", "started_at", "finished_at", "duration_s"].map(String::from).into();
    header.extend(params.iter().map(|p| format!("params_{p}")));
    header.extend(attrs.iter().map(|a| format!("user_attrs_{a}")));
    header.push("fail_reason".into());
    writeln!(out, "{}", csv_record(header.iter().map(String::as_str)))?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for t in trials {
        let mut row = vec![
            t.number.to_string(),
            t.state.to_string(),
            opt(t.value),
            t.started_at.map(rfc3339).unwrap_or_default(),
            t.finished_at.map(rfc3339).unwrap_or_default(),
            opt(t.duration_secs()),
        ];
        row.extend(params.iter().map(|p| t.params.get(*p).map(|v| v.to_string()).unwrap_or_default()));
        row.extend(attrs.iter().map(|a| match t.user_attrs.get(*a) {
            None => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }));
        row.push(t.fail_reason.clone().unwrap_or_default());
        writeln!(out, "{}", csv_record(row.iter().map(String::as_str)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bo_core::{Categorical, Direction, Float, InMemoryStorage, Outcome, ParamValue};

    fn storage() -> InMemoryStorage {
        let s = InMemoryStorage::new();
        let id = s.create_study("demo", Direction::Minimize).unwrap();
        let t = s.create_trial(id).unwrap();
        s.set_param(t.id, "x", &Float::new(0.0, 1.0).into(), &ParamValue::Float(0.5)).unwrap();
        let cat: bo_core::Distribution = Categorical::new(vec!["a,b".into(), "plain".into()]).into();
        s.set_param(t.id, "opt", &cat, &ParamValue::Str("a,b".into())).unwrap();
        s.set_user_attr(t.id, "note", &serde_json::json!("said \"hi\"")).unwrap();
        s.set_user_attr(t.id, "sizes", &serde_json::json!([1, 2])).unwrap();
        s.finish(t.id, &Outcome::Complete(0.25)).unwrap();
        let t = s.create_trial(id).unwrap();
        s.set_param(t.id, "x", &Float::new(0.0, 1.0).into(), &ParamValue::Float(0.75)).unwrap();
        s.finish(t.id, &Outcome::Failed("diverged,\nloss nan".into())).unwrap();
        s
    }

    fn export(format: ExportFormat) -> String {
        let mut out = Vec::new();
        write_export(&storage(), "demo", format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_has_one_column_per_param_and_user_attr() {
        let text = export(ExportFormat::Csv);
        let header = text.lines().next().unwrap();
        assert_eq!(
            header,
            "number,state,value,started_at,finished_at,duration_s,params_opt,params_x,user_attrs_note,user_attrs_sizes,fail_reason"
        );
    }

    #[test]
    fn csv_quotes_fields_with_commas_quotes_and_newlines() {
        let text = export(ExportFormat::Csv);
        let rows: Vec<&str> = text.splitn(2, '\n').collect();
        let body = rows[1];
        assert!(body.starts_with("0,COMPLETE,0.25,"), "{body}");
        assert!(body.contains(",\"a,b\",0.5,\"said \"\"hi\"\"\",\"[1,2]\",\n"), "{body}");
        assert!(body.contains("\n1,FAILED,,"), "{body}");
        assert!(body.ends_with(",,0.75,,,\"diverged,\nloss nan\"\n"), "{body}");
    }

    #[test]
    fn csv_times_are_rfc3339_and_durations_in_seconds() {
        let text = export(ExportFormat::Csv);
        let first = text.lines().nth(1).unwrap();
        let fields: Vec<&str> = first.split(',').collect();
        assert!(fields[3].ends_with('Z') && fields[3].contains('T'), "{first}");
        let d: f64 = fields[5].parse().unwrap();
        assert!((0.0..60.0).contains(&d), "{first}");
    }

    #[test]
    fn json_export_round_trips_to_frozen_trials() {
        let trials: Vec<FrozenTrial> = serde_json::from_str(&export(ExportFormat::Json)).unwrap();
        assert_eq!(trials.len(), 2);
        assert_eq!(trials[0].value, Some(0.25));
        assert_eq!(trials[0].params["opt"], ParamValue::Str("a,b".into()));
        assert_eq!(trials[1].fail_reason.as_deref(), Some("diverged,\nloss nan"));
    }
}
