//! Reading one study whole: the way every reader (the `bo` commands, the dashboard and the
//! JSON API of `bo-server`) loads a study by name.

use super::{Cursor, Storage, StudyRecord};
use crate::error::{Error, Result};
use crate::trial_record::FrozenTrial;

/// The study named `name` and all its trials in number order;
/// [`Error::UnknownStudy`] if the storage has no such study.
///
/// ```
/// use bo_core::{Direction, InMemoryStorage, Storage};
/// let storage = InMemoryStorage::new();
/// let id = storage.create_study("demo", Direction::Minimize)?;
/// storage.create_trial(id)?;
/// let (record, trials) = bo_core::storage::load_study(&storage, "demo")?;
/// assert_eq!((record.name.as_str(), trials.len()), ("demo", 1));
/// assert!(bo_core::storage::load_study(&storage, "nope").is_err());
/// # Ok::<(), bo_core::Error>(())
/// ```
pub fn load_study(storage: &dyn Storage, name: &str) -> Result<(StudyRecord, Vec<FrozenTrial>)> {
    let record = storage.study(name)?.ok_or_else(|| Error::UnknownStudy { name: name.to_string() })?;
    let (mut trials, _cursor) = storage.trials_since(record.id, Cursor::default())?;
    trials.sort_by_key(|t| t.number);
    Ok((record, trials))
}
