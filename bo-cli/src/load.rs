//! Reading one study and its trials.

use bo_core::{Cursor, Error, FrozenTrial, Storage, StudyRecord};

/// The study named `name` and all its trials in number order;
/// [`Error::UnknownStudy`] if the storage has no such study.
pub fn load_study(storage: &dyn Storage, name: &str) -> anyhow::Result<(StudyRecord, Vec<FrozenTrial>)> {
    let record = storage.study(name)?.ok_or_else(|| Error::UnknownStudy { name: name.to_string() })?;
    let (mut trials, _cursor) = storage.trials_since(record.id, Cursor::default())?;
    trials.sort_by_key(|t| t.number);
    Ok((record, trials))
}
