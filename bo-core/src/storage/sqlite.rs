//! SQLite storage: one file, shared safely by the threads and processes of one machine.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{corrupt, Cursor, FixedParams, Storage, StudyRecord, stale_trial_reason};
use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId, TrialState, now_secs};

/// Version of the schema this build writes and reads.
const SCHEMA_VERSION: i64 = 2;

/// Statements that bring a store of version `from` to `from + 1`.
const MIGRATIONS: &[(i64, &str)] = &[(1, "ALTER TABLE trials ADD COLUMN heartbeat_at REAL;")];

/// How long a call waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    value REAL,
    fail_reason TEXT,
    started_at REAL,
    finished_at REAL,
    system_attrs TEXT NOT NULL DEFAULT '{}',
    user_attrs TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL,
    heartbeat_at REAL,
    UNIQUE (study_id, number)
);
CREATE INDEX IF NOT EXISTS trials_by_seq ON trials (study_id, seq);
CREATE INDEX IF NOT EXISTS trials_by_state ON trials (study_id, state, number);
CREATE TABLE IF NOT EXISTS params (
    trial_id INTEGER NOT NULL REFERENCES trials(id),
    name TEXT NOT NULL,
    distribution TEXT NOT NULL,
    internal REAL NOT NULL,
    PRIMARY KEY (trial_id, name)
);
CREATE TABLE IF NOT EXISTS intermediate (
    trial_id INTEGER NOT NULL REFERENCES trials(id),
    step INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (trial_id, step)
);
";

const TRIAL_COLUMNS: &str =
    "t.id, t.number, t.state, t.value, t.fail_reason, t.started_at, t.finished_at, t.system_attrs, t.user_attrs";

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

/// A file that is a SQLite database, but not one of ours.
#[derive(Debug)]
struct ForeignDatabase;

impl fmt::Display for ForeignDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the SQLite file holds other tables and no bo schema version")
    }
}

impl std::error::Error for ForeignDatabase {}

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
        let conn = Connection::open(&path).map_err(db)?;
        Self::init(conn, path)
    }

    fn init(mut conn: Connection, path: PathBuf) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        conn.set_prepared_statement_cache_capacity(64);
        // Read-only checks first: a file we must refuse is never written.
        match read_version(&conn)? {
            Some(found) if found != SCHEMA_VERSION && !can_migrate(found) => {
                return Err(Error::SchemaVersion { found, expected: SCHEMA_VERSION });
            }
            Some(_) => {}
            None => {
                if has_tables(&conn)? {
                    return Err(Error::storage(ForeignDatabase));
                }
            }
        }
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite storage could not switch to WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db)?;
        {
            // Another process may be creating the schema now: decide under the write lock.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            match read_version(&tx)? {
                Some(found) if found != SCHEMA_VERSION && !can_migrate(found) => {
                    return Err(Error::SchemaVersion { found, expected: SCHEMA_VERSION });
                }
                Some(found) if found != SCHEMA_VERSION => {
                    for (from, sql) in MIGRATIONS.iter().filter(|(from, _)| *from >= found) {
                        tx.execute_batch(sql).map_err(db)?;
                        tracing::info!(from, to = from + 1, path = %path.display(), "migrated the SQLite storage schema");
                    }
                    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'schema_version'", [SCHEMA_VERSION])
                        .map_err(db)?;
                }
                Some(_) => {}
                None => {
                    if has_tables(&tx)? {
                        return Err(Error::storage(ForeignDatabase));
                    }
                    tx.execute_batch(SCHEMA).map_err(db)?;
                    tx.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?1)", [SCHEMA_VERSION])
                        .map_err(db)?;
                }
            }
            tx.commit().map_err(db)?;
        }
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

/// Whether a store of version `found` (older than ours) can be migrated in place.
fn can_migrate(found: i64) -> bool {
    found < SCHEMA_VERSION && MIGRATIONS.first().is_some_and(|(first, _)| found >= *first)
}

fn read_version(conn: &Connection) -> Result<Option<i64>> {
    let has_meta: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')", [], |r| {
            r.get(0)
        })
        .map_err(db)?;
    if !has_meta {
        return Ok(None);
    }
    let v: Option<i64> = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .optional()
        .map_err(db)?;
    // A meta table without a version row is not a store we wrote.
    Ok(Some(v.unwrap_or(0)))
}

fn has_tables(conn: &Connection) -> Result<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table')", [], |r| r.get(0)).map_err(db)
}

fn to_sql_id(id: u64) -> Option<i64> {
    i64::try_from(id).ok()
}

fn unknown_study(id: StudyId) -> Error {
    Error::UnknownStudy { name: format!("#{id}") }
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

fn parse_attrs(text: &str) -> Result<BTreeMap<String, serde_json::Value>> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("attributes: {e}")))
}

fn trial_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(FrozenTrial, String, String, String)> {
    let id: i64 = r.get(0)?;
    let number: i64 = r.get(1)?;
    let state: String = r.get(2)?;
    let mut t = FrozenTrial::new_running(id as u64, number as u64);
    t.value = r.get(3)?;
    t.fail_reason = r.get(4)?;
    t.started_at = r.get(5)?;
    t.finished_at = r.get(6)?;
    Ok((t, state, r.get(7)?, r.get(8)?))
}

fn finish_row(row: (FrozenTrial, String, String, String)) -> Result<FrozenTrial> {
    let (mut t, state, system, user) = row;
    t.state = TrialState::parse(&state).ok_or_else(|| corrupt(format!("trial state `{state}`")))?;
    t.system_attrs = parse_attrs(&system)?;
    t.user_attrs = parse_attrs(&user)?;
    Ok(t)
}

/// Decodes parameter rows and intermediate rows into the trials they belong to.
struct Children<'a> {
    by_id: HashMap<i64, &'a mut FrozenTrial>,
    distributions: HashMap<String, Distribution>,
}

impl<'a> Children<'a> {
    fn new(trials: impl Iterator<Item = &'a mut FrozenTrial>) -> Self {
        Children { by_id: trials.map(|t| (t.id as i64, t)).collect(), distributions: HashMap::new() }
    }

    fn param(&mut self, trial: i64, name: String, distribution: String, internal: f64) -> Result<()> {
        let Some(t) = self.by_id.get_mut(&trial) else { return Ok(()) };
        let d = match self.distributions.get(&distribution) {
            Some(d) => d.clone(),
            None => {
                let d: Distribution = serde_json::from_str(&distribution)
                    .map_err(|e| corrupt(format!("distribution of `{name}`: {e}")))?;
                self.distributions.insert(distribution, d.clone());
                d
            }
        };
        let value = match d {
            // The internal value of a float is the value itself: keep it bit for bit.
            Distribution::Float(_) => ParamValue::Float(internal),
            _ => d.to_external(internal),
        };
        t.params.insert(name.clone(), value);
        t.distributions.insert(name, d);
        Ok(())
    }

    fn intermediate(&mut self, trial: i64, step: i64, value: Option<f64>) {
        if let Some(t) = self.by_id.get_mut(&trial) {
            // NaN is stored as NULL by SQLite.
            t.intermediate_values.insert(step as u64, value.unwrap_or(f64::NAN));
        }
    }
}

/// Loads one full trial.
fn load_trial(tx: &Transaction<'_>, trial: TrialId) -> Result<FrozenTrial> {
    let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
    let row = tx
        .prepare_cached(&format!("SELECT {TRIAL_COLUMNS} FROM trials t WHERE t.id = ?1"))
        .and_then(|mut s| s.query_row([id], trial_from_row).optional())
        .map_err(db)?;
    let mut t = finish_row(row.ok_or(Error::UnknownTrial { trial })?)?;
    let mut children = Children::new(std::iter::once(&mut t));
    let mut stmt = tx
        .prepare_cached("SELECT trial_id, name, distribution, internal FROM params WHERE trial_id = ?1")
        .map_err(db)?;
    let mut rows = stmt.query([id]).map_err(db)?;
    while let Some(r) = rows.next().map_err(db)? {
        children.param(r.get(0).map_err(db)?, r.get(1).map_err(db)?, r.get(2).map_err(db)?, r.get(3).map_err(db)?)?;
    }
    let mut stmt =
        tx.prepare_cached("SELECT trial_id, step, value FROM intermediate WHERE trial_id = ?1").map_err(db)?;
    let mut rows = stmt.query([id]).map_err(db)?;
    while let Some(r) = rows.next().map_err(db)? {
        children.intermediate(r.get(0).map_err(db)?, r.get(1).map_err(db)?, r.get(2).map_err(db)?);
    }
    drop(children);
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
        let direction = Direction::parse(&direction).ok_or_else(|| corrupt(format!("direction `{direction}`")))?;
        out.push(StudyRecord { id: id as StudyId, name, direction, n_trials: n as u64 });
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

    fn enqueue_trial(&self, study: StudyId, fixed: &FixedParams) -> Result<FrozenTrial> {
        self.enqueue_trial_with_attrs(study, fixed, &BTreeMap::new())
    }

    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &FixedParams,
        system_attrs: &BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial> {
        let attrs = super::enqueued_system_attrs(fixed, system_attrs)?;
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
        let internal = d.to_internal(value).filter(|x| !x.is_nan()).ok_or_else(|| Error::ValueOutOfDistribution {
            name: name.to_string(),
            value: value.to_json().to_string(),
            distribution: serde_json::to_string(d).unwrap_or_default(),
        })?;
        let distribution = serde_json::to_string(d).map_err(Error::storage)?;
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
        let step = i64::try_from(step).map_err(|_| Error::InvalidConfig {
            what: "step",
            reason: format!("{step} exceeds the largest storable step ({})", i64::MAX),
        })?;
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
            let mut attrs = parse_attrs(&text)?;
            attrs.insert(key.to_string(), value.clone());
            let text = serde_json::to_string(&attrs).map_err(Error::storage)?;
            tx.prepare_cached("UPDATE trials SET user_attrs = ?1 WHERE id = ?2")
                .and_then(|mut s| s.execute(params![text, id]))
                .map_err(db)?;
            touch(tx, study, id)
        })
    }

    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        if let Outcome::Complete(v) = outcome {
            if !v.is_finite() {
                return Err(Error::NonFiniteValue { value: *v });
            }
        }
        self.write(|tx| {
            let (id, study) = running_trial(tx, trial)?;
            let mut t = load_trial(tx, trial)?;
            t.apply_outcome(outcome);
            // SQLite has no NaN: a pruned trial's NaN value is stored as "no value".
            t.value = t.value.filter(|v| !v.is_nan());
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
                    .prepare_cached(&format!(
                        "SELECT {TRIAL_COLUMNS} FROM trials t WHERE t.study_id = ?1 AND t.seq > ?2 ORDER BY t.number"
                    ))
                    .map_err(db)?;
                let rows = stmt.query_map(params![sid, from], trial_from_row).map_err(db)?;
                for row in rows {
                    trials.push(finish_row(row.map_err(db)?)?);
                }
            }
            let mut children = Children::new(trials.iter_mut());
            let mut stmt = tx
                .prepare_cached(
                    "SELECT p.trial_id, p.name, p.distribution, p.internal FROM trials t
                     JOIN params p ON p.trial_id = t.id WHERE t.study_id = ?1 AND t.seq > ?2",
                )
                .map_err(db)?;
            let mut rows = stmt.query(params![sid, from]).map_err(db)?;
            while let Some(r) = rows.next().map_err(db)? {
                children.param(
                    r.get(0).map_err(db)?,
                    r.get(1).map_err(db)?,
                    r.get(2).map_err(db)?,
                    r.get(3).map_err(db)?,
                )?;
            }
            let mut stmt = tx
                .prepare_cached(
                    "SELECT i.trial_id, i.step, i.value FROM trials t
                     JOIN intermediate i ON i.trial_id = t.id WHERE t.study_id = ?1 AND t.seq > ?2",
                )
                .map_err(db)?;
            let mut rows = stmt.query(params![sid, from]).map_err(db)?;
            while let Some(r) = rows.next().map_err(db)? {
                children.intermediate(r.get(0).map_err(db)?, r.get(1).map_err(db)?, r.get(2).map_err(db)?);
            }
            drop(children);
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
    use std::collections::{BTreeMap, HashMap};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

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
        let study =
            Study::builder().storage(SqliteStorage::open(dir.path().join("threads.db"))?).name("threads").build()?;
        for i in 0..20 {
            study.enqueue([("x", i as f64 * 0.25)])?;
        }
        let runs: Mutex<HashMap<u64, usize>> = Mutex::new(HashMap::new());
        study.optimize_with(Optimize::trials(200).n_jobs(4).progress_bar(false), |t: &mut Trial| {
            let number = t.number().expect("a study trial has a number");
            *runs.lock().expect("lock").entry(number).or_default() += 1;
            let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
            t.report(0, x)?;
            Ok::<_, Error>(x * x)
        })?;
        let trials = study.trials()?;
        assert_eq!(trials.iter().map(|t| t.number).collect::<Vec<_>>(), (0..200).collect::<Vec<u64>>());
        assert!(trials.iter().all(|t| t.state == TrialState::Complete));
        let runs = runs.into_inner().expect("lock");
        assert_eq!(runs.len(), 200);
        assert!(runs.values().all(|&n| n == 1), "every trial runs exactly once");
        let enqueued: BTreeMap<u64, f64> =
            trials[..20].iter().map(|t| (t.number, t.params["x"].as_f64().unwrap_or(f64::NAN))).collect();
        assert_eq!(enqueued, (0..20).map(|i| (i, i as f64 * 0.25)).collect(), "enqueued values are used");
        Ok(())
    }
}
