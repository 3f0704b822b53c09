//! SQLite storage: one file, shared safely by the threads and processes of one machine.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::sql::{
    Children, ParamRow, StepRow, TrialRow, check_outcome, corrupt, enqueued_system_attrs, finished, param_columns,
    step_column, study_record, to_sql_id, trial_columns, unknown_study, with_attr,
};
use super::{Cursor, FixedParams, Storage, StudyRecord, stale_trial_reason};
use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId, TrialState, now_secs};

mod schema;

/// A storage in a SQLite file (WAL mode), the embedded default.
///
/// Several threads share one `SqliteStorage`; several processes on one machine may open the
/// same file. Every write is one transaction taken with the write lock (`BEGIN IMMEDIATE`),
/// so trial numbers never repeat and an enqueued trial is claimed once. A process waits up
/// to 30 s for another's lock. Reads are incremental: each write stamps the trial with the
/// next value of a per-study change counter, and [`Storage::trials_since`] returns the trials
/// stamped after the caller's cursor.
///
/// Do not put the file on a network file system: SQLite's locks do not work there (use the
/// PostgreSQL storage for workers on several machines).
///
/// ```
/// use bo_core::{Direction, Outcome, SqliteStorage, Storage};
/// let dir = tempfile::tempdir().unwrap();
/// let s = SqliteStorage::open(dir.path().join("study.db"))?;
/// let study = s.create_study("demo", Direction::Minimize)?;
/// let t = s.create_trial(study)?;
/// s.finish(t.id, &Outcome::Complete(0.5))?;
/// let (trials, _cursor) = s.trials_since(study, Default::default())?;
/// assert_eq!(trials[0].value, Some(0.5));
/// # Ok::<(), bo_core::Error>(())
/// ```
pub struct SqliteStorage {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStorage").field("path", &self.path).finish()
    }
}

fn db(e: rusqlite::Error) -> Error {
    Error::storage(e)
}

impl SqliteStorage {
    /// Opens (creating if absent) the SQLite file at `path`.
    ///
    /// A file of another schema version is [`Error::SchemaVersion`] and is left untouched;
    /// a file that is not a SQLite database, or holds other tables, is [`Error::Storage`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path).map_err(db)?;
        schema::prepare(&mut conn, &path)?;
        Ok(SqliteStorage { conn: Mutex::new(conn), path })
    }

    /// The file this storage was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock drops (rolls back) any open transaction, so the
        // connection is still consistent.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in one write transaction (taken with the write lock up front).
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
        let out = f(&tx)?;
        tx.commit().map_err(db)?;
        Ok(out)
    }

    /// Runs `f` in one read transaction (one consistent snapshot).
    fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(db)?;
        let out = f(&tx)?;
        tx.commit().map_err(db)?;
        Ok(out)
    }
}

/// Stamps `trial` with the study's next change number.
fn touch(tx: &Transaction<'_>, study: i64, trial: i64) -> Result<()> {
    let seq = next_seq(tx, study)?.ok_or_else(|| corrupt(format!("trial {trial} belongs to no study")))?;
    tx.prepare_cached("UPDATE trials SET seq = ?1 WHERE id = ?2")
        .and_then(|mut s| s.execute(params![seq, trial]))
        .map_err(db)?;
    Ok(())
}

/// Increments the study's change counter; `None` if the study does not exist.
fn next_seq(tx: &Transaction<'_>, study: i64) -> Result<Option<i64>> {
    tx.prepare_cached("UPDATE studies SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq")
        .and_then(|mut s| s.query_row([study], |r| r.get(0)).optional())
        .map_err(db)
}

/// The study and state of a trial; [`Error::UnknownTrial`] if absent.
fn trial_head(tx: &Transaction<'_>, trial: TrialId) -> Result<(i64, i64, TrialState)> {
    let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
    let row: Option<(i64, String)> = tx
        .prepare_cached("SELECT study_id, state FROM trials WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(db)?;
    let (study, state) = row.ok_or(Error::UnknownTrial { trial })?;
    let state = TrialState::parse(&state).ok_or_else(|| corrupt(format!("trial state `{state}`")))?;
    Ok((id, study, state))
}

/// Like [`trial_head`], and [`Error::TrialFinished`] if the trial has ended.
fn running_trial(tx: &Transaction<'_>, trial: TrialId) -> Result<(i64, i64)> {
    let (id, study, state) = trial_head(tx, trial)?;
    if state.is_finished() {
        return Err(Error::TrialFinished { trial });
    }
    Ok((id, study))
}

/// A row of [`trial_columns!`].
fn trial_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TrialRow> {
    Ok(TrialRow {
        id: r.get(0)?,
        number: r.get(1)?,
        state: r.get(2)?,
        value: r.get(3)?,
        fail_reason: r.get(4)?,
        started_at: r.get(5)?,
        finished_at: r.get(6)?,
        system_attrs: r.get(7)?,
        user_attrs: r.get(8)?,
    })
}

/// A row `(trial_id, name, distribution, internal)`.
fn param_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ParamRow> {
    Ok(ParamRow { trial: r.get(0)?, name: r.get(1)?, distribution: r.get(2)?, internal: r.get(3)? })
}

/// A row `(trial_id, step, value)`.
fn step_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StepRow> {
    Ok(StepRow { trial: r.get(0)?, step: r.get(1)?, value: r.get(2)? })
}

/// Adds the parameter and intermediate rows that `sql` selects with `params` to `trials`.
fn add_children<'a>(
    tx: &Transaction<'_>,
    trials: impl Iterator<Item = &'a mut FrozenTrial>,
    params_sql: &str,
    steps_sql: &str,
    params: impl rusqlite::Params + Copy,
) -> Result<()> {
    let mut children = Children::new(trials);
    let mut stmt = tx.prepare_cached(params_sql).map_err(db)?;
    for row in stmt.query_map(params, param_row).map_err(db)? {
        children.param(row.map_err(db)?)?;
    }
    let mut stmt = tx.prepare_cached(steps_sql).map_err(db)?;
    for row in stmt.query_map(params, step_row).map_err(db)? {
        children.intermediate(row.map_err(db)?);
    }
    Ok(())
}

/// Loads one full trial.
fn load_trial(tx: &Transaction<'_>, trial: TrialId) -> Result<FrozenTrial> {
    let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
    let row = tx
        .prepare_cached(concat!("SELECT ", trial_columns!(), " FROM trials t WHERE t.id = ?1"))
        .and_then(|mut s| s.query_row([id], trial_row).optional())
        .map_err(db)?;
    let mut t = row.ok_or(Error::UnknownTrial { trial })?.decode()?;
    add_children(
        tx,
        std::iter::once(&mut t),
        "SELECT trial_id, name, distribution, internal FROM params WHERE trial_id = ?1",
        "SELECT trial_id, step, value FROM intermediate WHERE trial_id = ?1",
        [id],
    )?;
    Ok(t)
}

/// Inserts a trial with the study's next number.
fn insert_trial(tx: &Transaction<'_>, study: StudyId, state: TrialState, system_attrs: &str) -> Result<TrialId> {
    let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
    let seq = next_seq(tx, sid)?.ok_or_else(|| unknown_study(study))?;
    let number: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = ?1")
        .and_then(|mut s| s.query_row([sid], |r| r.get(0)))
        .map_err(db)?;
    let started = (state == TrialState::Running).then(now_secs);
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO trials (study_id, number, state, started_at, system_attrs, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )
        .and_then(|mut s| s.query_row(params![sid, number, state.as_str(), started, system_attrs, seq], |r| r.get(0)))
        .map_err(db)?;
    Ok(id as TrialId)
}

fn study_records(conn: &Connection, name: Option<&str>) -> Result<Vec<StudyRecord>> {
    const SELECT: &str = "SELECT s.id, s.name, s.direction, (SELECT COUNT(*) FROM trials t WHERE t.study_id = s.id)
                          FROM studies s";
    let mut stmt = match name {
        Some(_) => conn.prepare_cached(&format!("{SELECT} WHERE s.name = ?1")),
        None => conn.prepare_cached(&format!("{SELECT} WHERE ?1 IS NULL ORDER BY s.id")),
    }
    .map_err(db)?;
    let rows = stmt
        .query_map([name], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, direction, n) = row.map_err(db)?;
        out.push(study_record(id, name, &direction, n)?);
    }
    Ok(out)
}

impl Storage for SqliteStorage {
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId> {
        self.write(|tx| {
            let inserted = tx
                .prepare_cached("INSERT INTO studies (name, direction) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING")
                .and_then(|mut s| s.execute(params![name, direction.as_str()]))
                .map_err(db)?;
            if inserted == 0 {
                return Err(Error::StudyExists { name: name.to_string() });
            }
            Ok(tx.last_insert_rowid() as StudyId)
        })
    }

    fn study(&self, name: &str) -> Result<Option<StudyRecord>> {
        self.read(|tx| Ok(study_records(tx, Some(name))?.pop()))
    }

    fn studies(&self) -> Result<Vec<StudyRecord>> {
        self.read(|tx| study_records(tx, None))
    }

    fn delete_study(&self, name: &str) -> Result<()> {
        self.write(|tx| {
            let id: i64 = tx
                .prepare_cached("SELECT id FROM studies WHERE name = ?1")
                .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
                .map_err(db)?
                .ok_or_else(|| Error::UnknownStudy { name: name.to_string() })?;
            for sql in [
                "DELETE FROM params WHERE trial_id IN (SELECT id FROM trials WHERE study_id = ?1)",
                "DELETE FROM intermediate WHERE trial_id IN (SELECT id FROM trials WHERE study_id = ?1)",
                "DELETE FROM trials WHERE study_id = ?1",
                "DELETE FROM studies WHERE id = ?1",
            ] {
                tx.execute(sql, [id]).map_err(db)?;
            }
            Ok(())
        })
    }

    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial> {
        self.write(|tx| {
            let id = insert_trial(tx, study, TrialState::Running, "{}")?;
            load_trial(tx, id)
        })
    }

    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &FixedParams,
        system_attrs: &BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial> {
        let attrs = enqueued_system_attrs(fixed, system_attrs)?;
        self.write(|tx| {
            let id = insert_trial(tx, study, TrialState::Waiting, &attrs)?;
            load_trial(tx, id)
        })
    }

    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>> {
        self.write(|tx| {
            let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
            let waiting: Option<i64> = tx
                .prepare_cached(
                    "SELECT id FROM trials WHERE study_id = ?1 AND state = 'WAITING' ORDER BY number LIMIT 1",
                )
                .and_then(|mut s| s.query_row([sid], |r| r.get(0)).optional())
                .map_err(db)?;
            let Some(id) = waiting else {
                let exists: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM studies WHERE id = ?1)")
                    .and_then(|mut s| s.query_row([sid], |r| r.get(0)))
                    .map_err(db)?;
                return if exists { Ok(None) } else { Err(unknown_study(study)) };
            };
            tx.prepare_cached("UPDATE trials SET state = 'RUNNING', started_at = ?1 WHERE id = ?2")
                .and_then(|mut s| s.execute(params![now_secs(), id]))
                .map_err(db)?;
            touch(tx, sid, id)?;
            load_trial(tx, id as TrialId).map(Some)
        })
    }

    fn set_param(&self, trial: TrialId, name: &str, d: &Distribution, value: &ParamValue) -> Result<()> {
        let (internal, distribution) = param_columns(name, d, value)?;
        self.write(|tx| {
            let (id, study) = running_trial(tx, trial)?;
            tx.prepare_cached(
                "INSERT INTO params (trial_id, name, distribution, internal) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (trial_id, name) DO UPDATE SET distribution = excluded.distribution,
                 internal = excluded.internal",
            )
            .and_then(|mut s| s.execute(params![id, name, distribution, internal]))
            .map_err(db)?;
            touch(tx, study, id)
        })
    }

    fn report(&self, trial: TrialId, step: u64, value: f64) -> Result<()> {
        let step = step_column(step)?;
        self.write(|tx| {
            let (id, study) = running_trial(tx, trial)?;
            tx.prepare_cached(
                "INSERT INTO intermediate (trial_id, step, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute(params![id, step, value]))
            .map_err(db)?;
            touch(tx, study, id)
        })
    }

    fn set_user_attr(&self, trial: TrialId, key: &str, value: &serde_json::Value) -> Result<()> {
        self.write(|tx| {
            let (id, study) = running_trial(tx, trial)?;
            let text: String = tx
                .prepare_cached("SELECT user_attrs FROM trials WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |r| r.get(0)))
                .map_err(db)?;
            let text = with_attr(&text, key, value)?;
            tx.prepare_cached("UPDATE trials SET user_attrs = ?1 WHERE id = ?2")
                .and_then(|mut s| s.execute(params![text, id]))
                .map_err(db)?;
            touch(tx, study, id)
        })
    }

    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        check_outcome(outcome)?;
        self.write(|tx| {
            let (id, study) = running_trial(tx, trial)?;
            let t = finished(load_trial(tx, trial)?, outcome);
            tx.prepare_cached(
                "UPDATE trials SET state = ?1, value = ?2, fail_reason = ?3, finished_at = ?4 WHERE id = ?5",
            )
            .and_then(|mut s| s.execute(params![t.state.as_str(), t.value, t.fail_reason, t.finished_at, id]))
            .map_err(db)?;
            touch(tx, study, id)?;
            Ok(t)
        })
    }

    fn trial(&self, trial: TrialId) -> Result<FrozenTrial> {
        self.read(|tx| load_trial(tx, trial))
    }

    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)> {
        self.read(|tx| {
            let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
            let last: i64 = tx
                .prepare_cached("SELECT last_seq FROM studies WHERE id = ?1")
                .and_then(|mut s| s.query_row([sid], |r| r.get(0)).optional())
                .map_err(db)?
                .ok_or_else(|| unknown_study(study))?;
            let from = i64::try_from(cursor.0).unwrap_or(i64::MAX);
            if last <= from {
                return Ok((Vec::new(), cursor));
            }
            let mut trials = Vec::new();
            {
                let mut stmt = tx
                    .prepare_cached(concat!(
                        "SELECT ",
                        trial_columns!(),
                        " FROM trials t WHERE t.study_id = ?1 AND t.seq > ?2 ORDER BY t.number"
                    ))
                    .map_err(db)?;
                for row in stmt.query_map(params![sid, from], trial_row).map_err(db)? {
                    trials.push(row.map_err(db)?.decode()?);
                }
            }
            add_children(
                tx,
                trials.iter_mut(),
                "SELECT p.trial_id, p.name, p.distribution, p.internal FROM trials t
                 JOIN params p ON p.trial_id = t.id WHERE t.study_id = ?1 AND t.seq > ?2",
                "SELECT i.trial_id, i.step, i.value FROM trials t
                 JOIN intermediate i ON i.trial_id = t.id WHERE t.study_id = ?1 AND t.seq > ?2",
                params![sid, from],
            )?;
            Ok((trials, Cursor(last as u64)))
        })
    }

    fn heartbeat(&self, trial: TrialId) -> Result<()> {
        self.write(|tx| {
            let (id, _) = running_trial(tx, trial)?;
            tx.prepare_cached("UPDATE trials SET heartbeat_at = ?1 WHERE id = ?2")
                .and_then(|mut s| s.execute(params![now_secs(), id]))
                .map_err(db)?;
            Ok(())
        })
    }

    fn fail_stale_trials(&self, study: StudyId, grace: Duration) -> Result<Vec<FrozenTrial>> {
        self.write(|tx| {
            let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
            let exists: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM studies WHERE id = ?1)")
                .and_then(|mut s| s.query_row([sid], |r| r.get(0)))
                .map_err(db)?;
            if !exists {
                return Err(unknown_study(study));
            }
            let now = now_secs();
            let stale: Vec<(i64, f64)> = tx
                .prepare_cached(
                    "SELECT id, heartbeat_at FROM trials
                     WHERE study_id = ?1 AND state = 'RUNNING' AND heartbeat_at IS NOT NULL AND heartbeat_at < ?2",
                )
                .and_then(|mut s| {
                    s.query_map(params![sid, now - grace.as_secs_f64()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
                })
                .map_err(db)?;
            let mut failed = Vec::with_capacity(stale.len());
            for (id, beat) in stale {
                let mut t = load_trial(tx, id as TrialId)?;
                t.apply_outcome(&Outcome::Failed(stale_trial_reason(now - beat, grace)));
                tx.prepare_cached("UPDATE trials SET state = ?1, value = NULL, fail_reason = ?2, finished_at = ?3 WHERE id = ?4")
                    .and_then(|mut s| s.execute(params![t.state.as_str(), t.fail_reason, t.finished_at, id]))
                    .map_err(db)?;
                touch(tx, sid, id)?;
                failed.push(t);
            }
            Ok(failed)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::schema::SCHEMA_VERSION;
    use super::*;
    use crate::space::{Categorical, Float, Int};
    use crate::study::{Optimize, Study};
    use crate::trial::Trial;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn sqlite_storage_passes_the_storage_suite() {
        let dir = dir();
        let n = AtomicUsize::new(0);
        crate::testing::storage_suite(|| {
            let path = dir.path().join(format!("suite-{}.db", n.fetch_add(1, Ordering::SeqCst)));
            Box::new(SqliteStorage::open(path).expect("open"))
        });
    }

    #[test]
    fn reopened_file_returns_identical_trials() -> Result<()> {
        let dir = dir();
        let path = dir.path().join("reopen.db");
        let s = SqliteStorage::open(&path)?;
        let study = s.create_study("reopen", Direction::Maximize)?;
        let cat = Distribution::Categorical(Categorical::new(vec!["a".into(), 2.into(), false.into()]));
        for i in 0..20u64 {
            let t = s.create_trial(study)?;
            s.set_param(
                t.id,
                "x",
                &Distribution::Float(Float::log(1e-3, 10.0)),
                &ParamValue::Float(0.01 * (i + 1) as f64 / 3.0),
            )?;
            s.set_param(t.id, "n", &Distribution::Int(Int::stepped(0, 100, 5)), &ParamValue::Int(5 * (i as i64 % 20)))?;
            s.set_param(t.id, "c", &cat, &cat_choice(i))?;
            for step in 0..i % 4 {
                s.report(t.id, step, 1.0 / (step + 1) as f64)?;
            }
            s.set_user_attr(t.id, "i", &serde_json::json!({"i": i, "tag": format!("t{i}")}))?;
            match i % 4 {
                0 => drop(s.finish(t.id, &Outcome::Complete(i as f64 * 0.1))?),
                1 => drop(s.finish(t.id, &Outcome::Pruned(Some(0.5)))?),
                2 => drop(s.finish(t.id, &Outcome::Failed(format!("reason {i}")))?),
                _ => {}
            }
        }
        s.enqueue_trial(study, &[("x".to_string(), serde_json::json!(0.5))].into_iter().collect())?;
        let (before, cursor) = s.trials_since(study, Cursor::default())?;
        drop(s);

        let s = SqliteStorage::open(&path)?;
        let rec = s.study("reopen")?.expect("study survives reopening");
        assert_eq!((rec.id, rec.direction, rec.n_trials), (study, Direction::Maximize, 21));
        let (after, cursor_after) = s.trials_since(study, Cursor::default())?;
        assert_eq!(after, before);
        assert_eq!(cursor_after, cursor);
        assert_eq!(after[20].state, TrialState::Waiting);
        assert_eq!(after[3].state, TrialState::Running);
        Ok(())
    }

    #[test]
    fn a_version_1_store_is_migrated_in_place_with_its_trials() -> Result<()> {
        let dir = dir();
        let path = dir.path().join("v1.db");
        let s = SqliteStorage::open(&path)?;
        let study = s.create_study("old", Direction::Minimize)?;
        let done = s.create_trial(study)?;
        s.finish(done.id, &Outcome::Complete(1.5))?;
        let running = s.create_trial(study)?;
        drop(s);
        {
            // What version 1 wrote: no heartbeat column.
            let raw = Connection::open(&path).map_err(db)?;
            raw.execute_batch("ALTER TABLE trials DROP COLUMN heartbeat_at; UPDATE meta SET value = 1 WHERE key = 'schema_version';")
                .map_err(db)?;
        }
        let s = SqliteStorage::open(&path)?;
        assert_eq!(s.trial(done.id)?.value, Some(1.5), "finished trials survive the migration");
        s.heartbeat(running.id)?;
        let version: i64 = s.lock().query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).map_err(db)?;
        assert_eq!(version, SCHEMA_VERSION);
        Ok(())
    }

    fn cat_choice(i: u64) -> ParamValue {
        match i % 3 {
            0 => "a".into(),
            1 => 2.into(),
            _ => false.into(),
        }
    }

    #[test]
    fn another_schema_version_is_an_error_and_leaves_the_file_alone() -> Result<()> {
        let dir = dir();
        let path = dir.path().join("old.db");
        let s = SqliteStorage::open(&path)?;
        s.create_study("kept", Direction::Minimize)?;
        drop(s);
        {
            let raw = Connection::open(&path).map_err(db)?;
            raw.execute("UPDATE meta SET value = 99 WHERE key = 'schema_version'", []).map_err(db)?;
        }
        let bytes = std::fs::read(&path).map_err(Error::storage)?;
        match SqliteStorage::open(&path) {
            Err(Error::SchemaVersion { found: 99, expected: SCHEMA_VERSION }) => {}
            other => panic!("expected a schema version error, got {other:?}"),
        }
        assert_eq!(std::fs::read(&path).map_err(Error::storage)?, bytes, "the file must not change");
        let raw = Connection::open(&path).map_err(db)?;
        let v: i64 = raw.query_row("SELECT value FROM meta", [], |r| r.get(0)).map_err(db)?;
        assert_eq!(v, 99);
        Ok(())
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_a_storage_error() {
        let dir = dir();
        let path = dir.path().join("notes.txt");
        let text = "these are notes, not a database\n".repeat(200);
        std::fs::write(&path, &text).expect("write");
        assert!(matches!(SqliteStorage::open(&path), Err(Error::Storage(_))));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text, "the file must not change");
    }

    #[test]
    fn a_foreign_sqlite_database_is_a_storage_error() {
        let dir = dir();
        let path = dir.path().join("foreign.db");
        let raw = Connection::open(&path).expect("open");
        raw.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)").expect("create");
        drop(raw);
        let err = SqliteStorage::open(&path).expect_err("a foreign database must be refused");
        assert!(err.to_string().contains("no bo schema version"), "{err}");
    }

    #[test]
    fn open_storage_url_opens_a_sqlite_file() -> Result<()> {
        let dir = dir();
        let path = dir.path().join("url.db");
        let s = crate::storage::open_storage(&format!("sqlite://{}", path.display()))?;
        s.create_study("via-url", Direction::Minimize)?;
        drop(s);
        assert!(SqliteStorage::open(&path)?.study("via-url")?.is_some());
        Ok(())
    }

    #[test]
    fn two_handles_on_one_file_see_each_others_changes_incrementally() -> Result<()> {
        let dir = dir();
        let path = dir.path().join("two.db");
        let a = SqliteStorage::open(&path)?;
        let b = SqliteStorage::open(&path)?;
        let study = a.create_study("shared", Direction::Minimize)?;
        let t0 = a.create_trial(study)?;
        let (seen, cursor) = b.trials_since(study, Cursor::default())?;
        assert_eq!(seen.len(), 1);
        let t1 = b.create_trial(study)?;
        assert_eq!(t1.number, 1);
        a.finish(t0.id, &Outcome::Complete(3.0))?;
        let (seen, _) = b.trials_since(study, cursor)?;
        assert_eq!(seen.iter().map(|t| t.number).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(seen[0].value, Some(3.0));
        Ok(())
    }

    #[test]
    fn a_complete_outcome_must_be_finite() -> Result<()> {
        let dir = dir();
        let s = SqliteStorage::open(dir.path().join("nan.db"))?;
        let study = s.create_study("nan", Direction::Minimize)?;
        let t = s.create_trial(study)?;
        assert!(matches!(s.finish(t.id, &Outcome::Complete(f64::NAN)), Err(Error::NonFiniteValue { .. })));
        s.report(t.id, 0, f64::NAN)?;
        let read = s.trial(t.id)?;
        assert_eq!(read.state, TrialState::Running);
        assert!(read.intermediate_values[&0].is_nan(), "a NaN report reads back as NaN");
        Ok(())
    }

    #[test]
    fn ask_and_tell_read_only_what_changed_in_a_large_study() -> Result<()> {
        let dir = dir();
        let storage = Arc::new(SqliteStorage::open(dir.path().join("large.db"))?);
        let study = Study::builder().shared_storage(storage.clone()).name("large").seed(1).build()?;
        study.optimize_with(Optimize::trials(1000).progress_bar(false), |t: &mut Trial| {
            let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
            let n = t.suggest_int("n", Int::new(0, 10))?;
            Ok::<_, Error>(x * x + n as f64)
        })?;
        let (all, cursor) = storage.trials_since(study.id(), Cursor::default())?;
        assert_eq!(all.len(), 1000);
        let trial = study.ask()?;
        study.tell(trial, 1.0)?;
        let (changed, _) = storage.trials_since(study.id(), cursor)?;
        assert_eq!(changed.iter().map(|t| t.number).collect::<Vec<_>>(), vec![1000]);
        assert_eq!(study.trials()?.len(), 1001);
        Ok(())
    }

    #[test]
    fn four_threads_share_one_sqlite_storage_without_lost_or_duplicated_trials() -> Result<()> {
        let dir = dir();
        crate::tests::threads_share_one_storage(Arc::new(SqliteStorage::open(dir.path().join("threads.db"))?), 20, 200)
    }
}
