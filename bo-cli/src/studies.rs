//! `bo studies`: every study of a storage.

use std::io::Write;

use bo_core::{Cursor, History, Storage};

use crate::format::compact_f64;
use crate::table::{Align, Table};

/// Writes a table of the storage's studies: name, direction, number of trials (any state)
/// and best value (blank while no trial is complete). An empty storage prints `no studies`.
pub fn write_studies(storage: &dyn Storage, out: &mut impl Write) -> anyhow::Result<()> {
    let mut studies = storage.studies()?;
    if studies.is_empty() {
        writeln!(out, "no studies")?;
        return Ok(());
    }
    studies.sort_by(|a, b| a.name.cmp(&b.name));
    let mut table = Table::new(&[
        ("name", Align::Left),
        ("direction", Align::Left),
        ("n_trials", Align::Right),
        ("best", Align::Right),
    ]);
    for s in studies {
        let (trials, _cursor) = storage.trials_since(s.id, Cursor::default())?;
        let history = History::new(s.direction, trials);
        let best = history.best().and_then(|t| t.value).map(compact_f64).unwrap_or_default();
        table.row(vec![s.name, s.direction.to_string(), s.n_trials.to_string(), best]);
    }
    table.write(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bo_core::{Direction, InMemoryStorage, Outcome};

    fn render(s: &dyn Storage) -> String {
        let mut out = Vec::new();
        write_studies(s, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_empty_storage_says_it_has_no_studies() {
        assert_eq!(render(&InMemoryStorage::new()), "no studies\n");
    }

    #[test]
    fn studies_are_listed_by_name_with_their_best_value() {
        let s = InMemoryStorage::new();
        let max = s.create_study("b-max", Direction::Maximize).unwrap();
        for v in [1.0, 3.0, 2.0] {
            let t = s.create_trial(max).unwrap();
            s.finish(t.id, &Outcome::Complete(v)).unwrap();
        }
        let fresh = s.create_study("a-fresh", Direction::Minimize).unwrap();
        s.create_trial(fresh).unwrap();
        let text = render(&s);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name     direction  n_trials  best");
        assert_eq!(lines[2], "a-fresh  minimize          1");
        assert_eq!(lines[3], "b-max    maximize          3     3");
    }
}
