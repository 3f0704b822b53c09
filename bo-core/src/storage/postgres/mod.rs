//! PostgreSQL storage: one database shared by workers on many machines.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use postgres::{Config, Row};

use super::sql::{
    Children, ParamRow, StepRow, TrialRow, check_outcome, enqueued_system_attrs, finished, param_columns,
    parse_attrs, step_column, study_record, to_sql_id, trial_columns, unknown_study, with_attr,
};
use super::{Cursor, FixedParams, Storage, StudyRecord, stale_trial_reason};
use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId, TrialState, now_secs};

mod pool;

use pool::{Pool, Tx};

/// Version of the schema this build writes and reads (PostgreSQL has its own numbering).
const SCHEMA_VERSION: i64 = 1;

/// Key of the advisory lock held while the schema is checked or created.
const SCHEMA_LOCK: i64 = 0x626f_5f73_6368_656d;

/// Our tables; the names carry a prefix so that they can live beside other tables.
const TABLES: [&str; 5] = ["bo_meta", "bo_studies", "bo_trials", "bo_params", "bo_intermediate"];

const SCHEMA: &str = "
CREATE TABLE bo_meta (
    key TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
CREATE TABLE bo_studies (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    n_trials BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE bo_trials (
    id BIGSERIAL PRIMARY KEY,
    study_id BIGINT NOT NULL REFERENCES bo_studies(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    state TEXT NOT NULL,
    value DOUBLE PRECISION,
    fail_reason TEXT,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    system_attrs TEXT NOT NULL DEFAULT '{}',
    user_attrs TEXT NOT NULL DEFAULT '{}',
    seq BIGINT NOT NULL,
    heartbeat_at DOUBLE PRECISION,
    UNIQUE (study_id, number)
);
CREATE INDEX bo_trials_by_seq ON bo_trials (study_id, seq);
CREATE INDEX bo_trials_by_state ON bo_trials (study_id, state, number);
CREATE TABLE bo_params (
    trial_id BIGINT NOT NULL REFERENCES bo_trials(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    distribution TEXT NOT NULL,
    internal DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (trial_id, name)
);
CREATE TABLE bo_intermediate (
    trial_id BIGINT NOT NULL REFERENCES bo_trials(id) ON DELETE CASCADE,
    step BIGINT NOT NULL,
    value DOUBLE PRECISION,
    PRIMARY KEY (trial_id, step)
);
";

/// Takes the study's row lock (every state change of a study's trials goes through it, so
/// they are serialized per study) and returns the study's next change number.
const NEXT_SEQ: &str = "UPDATE bo_studies SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq";
/// [`NEXT_SEQ`] for the study of a trial: returns the study id and the change number.
const NEXT_SEQ_OF_TRIAL: &str = "UPDATE bo_studies SET last_seq = last_seq + 1
     WHERE id = (SELECT study_id FROM bo_trials WHERE id = $1) RETURNING id, last_seq";
/// Stamps a trial that has not finished with a change number; no row if it has finished.
const STAMP_UNFINISHED: &str = "UPDATE bo_trials SET seq = $2
     WHERE id = $1 AND state NOT IN ('COMPLETE', 'PRUNED', 'FAILED') RETURNING user_attrs";

/// A storage in a PostgreSQL database: workers on many machines share one study.
///
/// Trial creation and every state change are transactions that take the study's row lock
/// first (`UPDATE … RETURNING` on the study row), so trial numbers count up without gaps,
/// a finished trial never changes again, and each write gets the study's next change number
/// in commit order: [`Storage::trials_since`] reads only what changed, from one consistent
/// snapshot. An enqueued trial is claimed with `FOR UPDATE SKIP LOCKED`, by exactly one
/// worker. Heartbeats are stamped with the server's clock, so workers' clocks may differ.
///
/// The tables (`bo_meta`, `bo_studies`, `bo_trials`, `bo_params`, `bo_intermediate`) are
/// created on first use in the first schema of the connection's `search_path`; a database
/// holding them at another schema version is [`Error::SchemaVersion`]. Connections (no TLS)
/// are pooled and shared by the threads of the process.
///
/// ```no_run
/// use bo_core::storage::PostgresStorage;
/// use bo_core::Study;
/// let storage = PostgresStorage::open("postgres://bo@db.example:5432/studies")?;
/// let study = Study::builder().name("shared").storage(storage).load_if_exists(true).build()?;
/// # Ok::<(), bo_core::Error>(())
/// ```
pub struct PostgresStorage {
    pool: Pool,
}

impl fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No password: the config's own Debug is not used.
        let config = self.pool.config();
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        f.debug_struct("PostgresStorage")
            .field("hosts", &hosts)
            .field("ports", &config.get_ports())
            .field("user", &config.get_user())
            .field("dbname", &config.get_dbname())
            .finish()
    }
}

/// A database that holds some of our tables but no schema version.
#[derive(Debug)]
struct ForeignTables;

impl fmt::Display for ForeignTables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the database holds bo_* tables but no bo schema version (bo_meta)")
    }
}

impl std::error::Error for ForeignTables {}

fn db(e: postgres::Error) -> Error {
    Error::storage(e)
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, or
    /// the `key=value` form libpq takes) and creates the tables if absent.
    ///
    /// A URL that does not parse is [`Error::InvalidStorageUrl`]; a server that cannot be
    /// reached is [`Error::Storage`]; tables of another schema version are
    /// [`Error::SchemaVersion`] and are left untouched.
    pub fn open(url: &str) -> Result<Self> {
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| Error::InvalidStorageUrl { url: redact(url), reason: e.to_string() })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        if config.get_application_name().is_none() {
            config.application_name("bo");
        }
        let storage = PostgresStorage { pool: Pool::new(config) };
        storage.init()?;
        Ok(storage)
    }

    fn init(&self) -> Result<()> {
        self.pool.write(|tx| {
            // Several processes may open a fresh database at once: one creates the schema.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
            let has_meta: bool = tx.query_one("SELECT to_regclass('bo_meta') IS NOT NULL", &[])?.get(0);
            if has_meta {
                let found: Option<i64> =
                    tx.query_opt("SELECT value FROM bo_meta WHERE key = 'schema_version'", &[])?.map(|r| r.get(0));
                // A meta table without a version row is not a store we wrote.
                let found = found.unwrap_or(0);
                if found != SCHEMA_VERSION {
                    return Err(Error::SchemaVersion { found, expected: SCHEMA_VERSION });
                }
                return Ok(());
            }
            for table in TABLES {
                let exists: bool =
                    tx.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])?.get(0);
                if exists {
                    return Err(Error::storage(ForeignTables));
                }
            }
            tx.tx.batch_execute(SCHEMA).map_err(db)?;
            tx.execute("INSERT INTO bo_meta (key, value) VALUES ('schema_version', $1)", &[&SCHEMA_VERSION])?;
            tracing::info!(version = SCHEMA_VERSION, "created the PostgreSQL storage schema");
            Ok(())
        })
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ if url.contains("password") => "(a connection string with a password)".to_string(),
        _ => url.to_string(),
    }
}

/// Locks the study of `trial`, checks that the trial has not finished, and stamps it with
/// the study's next change number. Returns the trial's user attributes (as stored).
fn lock_unfinished(tx: &mut Tx<'_>, trial: TrialId) -> Result<(i64, String)> {
    let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
    let row = tx.query_opt(NEXT_SEQ_OF_TRIAL, &[&id])?.ok_or(Error::UnknownTrial { trial })?;
    let seq: i64 = row.get(1);
    let stamped = tx.query_opt(STAMP_UNFINISHED, &[&id, &seq])?;
    match stamped {
        Some(r) => Ok((id, r.get(0))),
        None => Err(Error::TrialFinished { trial }),
    }
}

/// A row of [`trial_columns!`].
fn trial_row(r: &Row) -> TrialRow {
    TrialRow {
        id: r.get(0),
        number: r.get(1),
        state: r.get(2),
        value: r.get(3),
        fail_reason: r.get(4),
        started_at: r.get(5),
        finished_at: r.get(6),
        system_attrs: r.get(7),
        user_attrs: r.get(8),
    }
}

/// Adds parameter rows `(trial_id, name, distribution, internal)` and intermediate rows
/// `(trial_id, step, value)` to `trials`.
fn add_children<'a>(trials: impl Iterator<Item = &'a mut FrozenTrial>, params: &[Row], steps: &[Row]) -> Result<()> {
    let mut children = Children::new(trials);
    for r in params {
        children.param(ParamRow { trial: r.get(0), name: r.get(1), distribution: r.get(2), internal: r.get(3) })?;
    }
    for r in steps {
        children.intermediate(StepRow { trial: r.get(0), step: r.get(1), value: r.get(2) });
    }
    Ok(())
}

/// Loads one full trial.
fn load_trial(tx: &mut Tx<'_>, trial: TrialId) -> Result<FrozenTrial> {
    let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
    let row = tx
        .query_opt(concat!("SELECT ", trial_columns!(), " FROM bo_trials t WHERE t.id = $1"), &[&id])?
        .ok_or(Error::UnknownTrial { trial })?;
    let mut t = trial_row(&row).decode()?;
    let params =
        tx.query("SELECT trial_id, name, distribution, internal FROM bo_params WHERE trial_id = $1", &[&id])?;
    let steps = tx.query("SELECT trial_id, step, value FROM bo_intermediate WHERE trial_id = $1", &[&id])?;
    add_children(std::iter::once(&mut t), &params, &steps)?;
    Ok(t)
}

/// Inserts a trial with the study's next number (under the study's row lock).
fn insert_trial(tx: &mut Tx<'_>, study: StudyId, state: TrialState, system_attrs: &str) -> Result<FrozenTrial> {
    let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
    let row = tx
        .query_opt(
            "UPDATE bo_studies SET last_seq = last_seq + 1, n_trials = n_trials + 1 WHERE id = $1
             RETURNING last_seq, n_trials - 1",
            &[&sid],
        )?
        .ok_or_else(|| unknown_study(study))?;
    let (seq, number): (i64, i64) = (row.get(0), row.get(1));
    let started = (state == TrialState::Running).then(now_secs);
    let id: i64 = tx
        .query_one(
            "INSERT INTO bo_trials (study_id, number, state, started_at, system_attrs, seq)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&sid, &number, &state.as_str(), &started, &system_attrs, &seq],
        )?
        .get(0);
    let mut t = FrozenTrial::new_running(id as TrialId, number as u64);
    t.state = state;
    t.started_at = started;
    t.system_attrs = parse_attrs(system_attrs)?;
    Ok(t)
}

/// A study from a row `(id, name, direction, n_trials)`.
fn study_row(r: &Row) -> Result<StudyRecord> {
    study_record(r.get(0), r.get(1), r.get::<_, &str>(2), r.get(3))
}

impl Storage for PostgresStorage {
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId> {
        self.pool.write(|tx| {
            let row = tx.query_opt(
                "INSERT INTO bo_studies (name, direction) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
                &[&name, &direction.as_str()],
            )?;
            let id: i64 = row.ok_or_else(|| Error::StudyExists { name: name.to_string() })?.get(0);
            Ok(id as StudyId)
        })
    }

    fn study(&self, name: &str) -> Result<Option<StudyRecord>> {
        self.pool.read(|tx| {
            tx.query_opt("SELECT id, name, direction, n_trials FROM bo_studies WHERE name = $1", &[&name])?
                .map(|r| study_row(&r))
                .transpose()
        })
    }

    fn studies(&self) -> Result<Vec<StudyRecord>> {
        self.pool.read(|tx| {
            tx.query("SELECT id, name, direction, n_trials FROM bo_studies ORDER BY id", &[])?
                .iter()
                .map(study_row)
                .collect()
        })
    }

    fn delete_study(&self, name: &str) -> Result<()> {
        self.pool.write(|tx| {
            // Trials, params and intermediate values go with it (ON DELETE CASCADE).
            let deleted = tx.execute("DELETE FROM bo_studies WHERE name = $1", &[&name])?;
            if deleted == 0 {
                return Err(Error::UnknownStudy { name: name.to_string() });
            }
            Ok(())
        })
    }

    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial> {
        self.pool.write(|tx| insert_trial(tx, study, TrialState::Running, "{}"))
    }

    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &FixedParams,
        system_attrs: &BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial> {
        let attrs = enqueued_system_attrs(fixed, system_attrs)?;
        self.pool.write(|tx| insert_trial(tx, study, TrialState::Waiting, &attrs))
    }

    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>> {
        let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
        self.pool.write(|tx| {
            let seq: i64 = tx.query_opt(NEXT_SEQ, &[&sid])?.ok_or_else(|| unknown_study(study))?.get(0);
            let claimed = tx.query_opt(
                "UPDATE bo_trials SET state = 'RUNNING', started_at = $2, seq = $3
                 WHERE id = (SELECT id FROM bo_trials WHERE study_id = $1 AND state = 'WAITING'
                             ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING id",
                &[&sid, &now_secs(), &seq],
            )?;
            match claimed {
                Some(r) => load_trial(tx, r.get::<_, i64>(0) as TrialId).map(Some),
                None => Ok(None),
            }
        })
    }

    fn set_param(&self, trial: TrialId, name: &str, d: &Distribution, value: &ParamValue) -> Result<()> {
        let (internal, distribution) = param_columns(name, d, value)?;
        self.pool.write(|tx| {
            let (id, _) = lock_unfinished(tx, trial)?;
            tx.execute(
                "INSERT INTO bo_params (trial_id, name, distribution, internal) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (trial_id, name) DO UPDATE SET distribution = excluded.distribution,
                 internal = excluded.internal",
                &[&id, &name, &distribution, &internal],
            )?;
            Ok(())
        })
    }

    fn report(&self, trial: TrialId, step: u64, value: f64) -> Result<()> {
        let step = step_column(step)?;
        self.pool.write(|tx| {
            let (id, _) = lock_unfinished(tx, trial)?;
            tx.execute(
                "INSERT INTO bo_intermediate (trial_id, step, value) VALUES ($1, $2, $3)
                 ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value",
                &[&id, &step, &value],
            )?;
            Ok(())
        })
    }

    fn set_user_attr(&self, trial: TrialId, key: &str, value: &serde_json::Value) -> Result<()> {
        self.pool.write(|tx| {
            let (id, text) = lock_unfinished(tx, trial)?;
            let text = with_attr(&text, key, value)?;
            tx.execute("UPDATE bo_trials SET user_attrs = $1 WHERE id = $2", &[&text, &id])?;
            Ok(())
        })
    }

    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        check_outcome(outcome)?;
        self.pool.write(|tx| {
            let (id, _) = lock_unfinished(tx, trial)?;
            let t = finished(load_trial(tx, trial)?, outcome);
            tx.execute(
                "UPDATE bo_trials SET state = $1, value = $2, fail_reason = $3, finished_at = $4 WHERE id = $5",
                &[&t.state.as_str(), &t.value, &t.fail_reason, &t.finished_at, &id],
            )?;
            Ok(t)
        })
    }

    fn trial(&self, trial: TrialId) -> Result<FrozenTrial> {
        self.pool.read(|tx| load_trial(tx, trial))
    }

    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)> {
        let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
        let from = i64::try_from(cursor.0).unwrap_or(i64::MAX);
        self.pool.read(|tx| {
            let last: i64 = tx
                .query_opt("SELECT last_seq FROM bo_studies WHERE id = $1", &[&sid])?
                .ok_or_else(|| unknown_study(study))?
                .get(0);
            if last <= from {
                return Ok((Vec::new(), cursor));
            }
            let rows = tx.query(
                concat!(
                    "SELECT ",
                    trial_columns!(),
                    " FROM bo_trials t WHERE t.study_id = $1 AND t.seq > $2 ORDER BY t.number"
                ),
                &[&sid, &from],
            )?;
            let mut trials = rows.iter().map(|r| trial_row(r).decode()).collect::<Result<Vec<_>>>()?;
            let params = tx.query(
                "SELECT p.trial_id, p.name, p.distribution, p.internal FROM bo_trials t
                 JOIN bo_params p ON p.trial_id = t.id WHERE t.study_id = $1 AND t.seq > $2",
                &[&sid, &from],
            )?;
            let steps = tx.query(
                "SELECT i.trial_id, i.step, i.value FROM bo_trials t
                 JOIN bo_intermediate i ON i.trial_id = t.id WHERE t.study_id = $1 AND t.seq > $2",
                &[&sid, &from],
            )?;
            add_children(trials.iter_mut(), &params, &steps)?;
            Ok((trials, Cursor(last as u64)))
        })
    }

    fn heartbeat(&self, trial: TrialId) -> Result<()> {
        let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
        self.pool.write(|tx| {
            // The server's clock: workers' clocks need not agree.
            let beat = tx.execute(
                "UPDATE bo_trials SET heartbeat_at = extract(epoch FROM clock_timestamp())::float8
                 WHERE id = $1 AND state NOT IN ('COMPLETE', 'PRUNED', 'FAILED')",
                &[&id],
            )?;
            if beat == 1 {
                return Ok(());
            }
            match tx.query_opt("SELECT 1 FROM bo_trials WHERE id = $1", &[&id])? {
                Some(_) => Err(Error::TrialFinished { trial }),
                None => Err(Error::UnknownTrial { trial }),
            }
        })
    }

    fn fail_stale_trials(&self, study: StudyId, grace: Duration) -> Result<Vec<FrozenTrial>> {
        const STALE: &str = "SELECT id FROM bo_trials
             WHERE study_id = $1 AND state = 'RUNNING' AND heartbeat_at IS NOT NULL
             AND heartbeat_at < extract(epoch FROM clock_timestamp())::float8 - $2";
        let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
        let grace_secs = grace.as_secs_f64();
        // Most calls find nothing: look first without taking the study's lock.
        let any = self.pool.read(|tx| {
            if tx.query_opt("SELECT 1 FROM bo_studies WHERE id = $1", &[&sid])?.is_none() {
                return Err(unknown_study(study));
            }
            Ok(!tx.query(STALE, &[&sid, &grace_secs])?.is_empty())
        })?;
        if !any {
            return Ok(Vec::new());
        }
        self.pool.write(|tx| {
            let seq: i64 = tx.query_opt(NEXT_SEQ, &[&sid])?.ok_or_else(|| unknown_study(study))?.get(0);
            // Under the study's lock, and guarded by `state = 'RUNNING'`: a trial that another
            // caller has failed meanwhile is not failed (nor returned) again.
            let stale = tx.query(
                "UPDATE bo_trials SET state = 'FAILED', value = NULL, seq = $3,
                     finished_at = extract(epoch FROM clock_timestamp())::float8
                 WHERE study_id = $1 AND state = 'RUNNING' AND heartbeat_at IS NOT NULL
                 AND heartbeat_at < extract(epoch FROM clock_timestamp())::float8 - $2
                 RETURNING id, extract(epoch FROM clock_timestamp())::float8 - heartbeat_at",
                &[&sid, &grace_secs, &seq],
            )?;
            let mut failed = Vec::with_capacity(stale.len());
            for row in &stale {
                let (id, since): (i64, f64) = (row.get(0), row.get(1));
                let reason = stale_trial_reason(since, grace);
                tx.execute("UPDATE bo_trials SET fail_reason = $1 WHERE id = $2", &[&reason, &id])?;
                failed.push(load_trial(tx, id as TrialId)?);
            }
            Ok(failed)
        })
    }
}

#[cfg(test)]
mod tests {
    use postgres::NoTls;

    use super::*;
    use crate::testing::postgres_test_url;

    #[test]
    fn postgres_storage_passes_the_storage_suite() {
        let Some(_) = postgres_test_url("probe") else { return };
        crate::testing::storage_suite(|| {
            let url = postgres_test_url("suite").expect("checked above");
            Box::new(PostgresStorage::open(&url).expect("open"))
        });
    }

    #[test]
    fn another_schema_version_is_an_error_and_leaves_the_tables_alone() -> Result<()> {
        let Some(url) = postgres_test_url("version") else { return Ok(()) };
        let s = PostgresStorage::open(&url)?;
        s.create_study("kept", Direction::Minimize)?;
        let mut raw = s.pool.config().connect(NoTls).map_err(db)?;
        raw.execute("UPDATE bo_meta SET value = 99 WHERE key = 'schema_version'", &[]).map_err(db)?;
        drop(s);
        match PostgresStorage::open(&url) {
            Err(Error::SchemaVersion { found: 99, expected: SCHEMA_VERSION }) => {}
            other => panic!("expected a schema version error, got {other:?}"),
        }
        let names: Vec<String> =
            raw.query("SELECT name FROM bo_studies", &[]).map_err(db)?.iter().map(|r| r.get(0)).collect();
        assert_eq!(names, vec!["kept".to_string()], "the data must not change");
        Ok(())
    }

    #[test]
    fn bo_tables_without_a_version_are_refused() -> Result<()> {
        let Some(url) = postgres_test_url("foreign") else { return Ok(()) };
        let config: Config = url.parse().map_err(db)?;
        let mut raw = config.connect(NoTls).map_err(db)?;
        raw.batch_execute("CREATE TABLE bo_trials (id INT)").map_err(db)?;
        let err = PostgresStorage::open(&url).expect_err("foreign bo_* tables must be refused");
        assert!(err.to_string().contains("no bo schema version"), "{err}");
        Ok(())
    }

    #[test]
    fn a_malformed_url_is_an_invalid_storage_url_without_the_password() {
        match PostgresStorage::open("postgres://user:secret@host:notaport/db") {
            Err(Error::InvalidStorageUrl { url, .. }) => assert!(!url.contains("secret"), "{url}"),
            other => panic!("expected InvalidStorageUrl, got {other:?}"),
        }
    }

    #[test]
    fn an_unreachable_server_is_a_storage_error() {
        // Port 1 on loopback: nothing listens there.
        let r = PostgresStorage::open("postgres://bo@127.0.0.1:1/postgres?connect_timeout=5");
        assert!(matches!(r, Err(Error::Storage(_))), "{r:?}");
    }

    #[test]
    fn concurrent_opens_of_a_fresh_database_create_the_schema_once() -> Result<()> {
        let Some(url) = postgres_test_url("opens") else { return Ok(()) };
        let opened: Vec<Result<PostgresStorage>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6).map(|_| s.spawn(|| PostgresStorage::open(&url))).collect();
            handles.into_iter().map(|h| h.join().expect("no panic")).collect()
        });
        let storages = opened.into_iter().collect::<Result<Vec<_>>>()?;
        let study = storages[0].create_study("one", Direction::Minimize)?;
        assert_eq!(storages[5].study("one")?.map(|r| r.id), Some(study));
        Ok(())
    }

    #[test]
    fn nan_values_read_back_like_sqlite() -> Result<()> {
        let Some(url) = postgres_test_url("nan") else { return Ok(()) };
        let s = PostgresStorage::open(&url)?;
        let study = s.create_study("nan", Direction::Minimize)?;
        let t = s.create_trial(study)?;
        assert!(matches!(s.finish(t.id, &Outcome::Complete(f64::NAN)), Err(Error::NonFiniteValue { .. })));
        s.report(t.id, 0, f64::NAN)?;
        assert!(s.trial(t.id)?.intermediate_values[&0].is_nan(), "a NaN report reads back as NaN");
        let pruned = s.finish(t.id, &Outcome::Pruned(Some(f64::NAN)))?;
        assert_eq!(pruned.value, None);
        assert_eq!(s.trial(t.id)?.value, None, "a pruned trial's NaN value is stored as no value");
        Ok(())
    }

    #[test]
    fn open_storage_opens_postgres_and_postgresql_urls() -> Result<()> {
        let Some(url) = postgres_test_url("url") else { return Ok(()) };
        let a = crate::storage::open_storage(&url)?;
        a.create_study("via-url", Direction::Maximize)?;
        let b = crate::storage::open_storage(&url.replacen("postgres://", "postgresql://", 1))?;
        assert_eq!(b.study("via-url")?.map(|r| r.direction), Some(Direction::Maximize));
        Ok(())
    }

    #[test]
    fn stale_postgres_trials_are_failed_and_retried() -> Result<()> {
        let Some(url) = postgres_test_url("retries") else { return Ok(()) };
        crate::tests::stale_trials_are_failed_and_retried(std::sync::Arc::new(PostgresStorage::open(&url)?))
    }

    #[test]
    fn threads_share_one_postgres_storage_without_lost_or_duplicated_trials() -> Result<()> {
        let Some(url) = postgres_test_url("threads") else { return Ok(()) };
        crate::tests::threads_share_one_storage(std::sync::Arc::new(PostgresStorage::open(&url)?), 10, 80)
    }
}
