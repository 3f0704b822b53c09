//! PostgreSQL storage: one database shared by workers on many machines.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, Config, IsolationLevel, NoTls, Row, Statement, Transaction};

use super::{corrupt, Cursor, FixedParams, Storage, StudyRecord, stale_trial_reason};
use crate::error::{Error, Result};
use crate::space::{Distribution, ParamValue};
use crate::trial_record::{Direction, FrozenTrial, Outcome, StudyId, TrialId, TrialState, now_secs};

/// Version of the schema this build writes and reads (PostgreSQL has its own numbering).
const SCHEMA_VERSION: i64 = 1;

/// Key of the advisory lock held while the schema is checked or created.
const SCHEMA_LOCK: i64 = 0x626f_5f73_6368_656d;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

/// How often a write transaction is retried after a deadlock or serialization failure.
const RETRIES: usize = 5;

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

macro_rules! trial_columns {
    () => {
        "t.id, t.number, t.state, t.value, t.fail_reason, t.started_at, t.finished_at, t.system_attrs, t.user_attrs"
    };
}

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
    config: Config,
    pool: Mutex<Vec<Conn>>,
}

impl Drop for PostgresStorage {
    /// Closes the pooled connections on a thread of its own: the sync client blocks on its
    /// own runtime when closing, which panics on a thread that drives async tasks (e.g. a
    /// server dropping its storage at shutdown).
    fn drop(&mut self) {
        let conns = std::mem::take(self.pool.get_mut().unwrap_or_else(|e| e.into_inner()));
        if conns.is_empty() {
            return;
        }
        if std::thread::spawn(move || drop(conns)).join().is_err() {
            tracing::warn!("closing the PostgreSQL connections panicked");
        }
    }
}

impl fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No password: the config's own Debug is not used.
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        f.debug_struct("PostgresStorage")
            .field("hosts", &hosts)
            .field("ports", &self.config.get_ports())
            .field("user", &self.config.get_user())
            .field("dbname", &self.config.get_dbname())
            .finish()
    }
}

/// A pooled connection and its prepared statements.
struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

/// One transaction on a pooled connection; statements are prepared once per connection.
struct Tx<'a> {
    tx: Transaction<'a>,
    statements: &'a mut HashMap<&'static str, Statement>,
}

type SqlParams<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Tx<'_> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql).map_err(db)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
    fn query(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        self.tx.query(&s, params).map_err(db)
    }
    fn query_opt(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        self.tx.query_opt(&s, params).map_err(db)
    }
    fn query_one(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<Row> {
        let s = self.statement(sql)?;
        self.tx.query_one(&s, params).map_err(db)
    }
    fn execute(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<u64> {
        let s = self.statement(sql)?;
        self.tx.execute(&s, params).map_err(db)
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


/// Whether a failed transaction may simply be run again (it was rolled back whole).
fn is_retryable(e: &Error) -> bool {
    let Error::Storage(source) = e else { return false };
    let Some(pg) = source.downcast_ref::<postgres::Error>() else { return false };
    pg.code().is_some_and(|c| {
        *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
    })
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
        let storage = PostgresStorage { config, pool: Mutex::new(Vec::new()) };
        storage.init()?;
        Ok(storage)
    }

    fn init(&self) -> Result<()> {
        self.transaction(true, |tx| {
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

    fn pool(&self) -> MutexGuard<'_, Vec<Conn>> {
        // The pool is a plain list: a panic while holding it cannot leave it inconsistent.
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn checkout(&self) -> Result<Conn> {
        if let Some(conn) = self.pool().pop() {
            if !conn.client.is_closed() {
                return Ok(conn);
            }
        }
        let client = self.config.connect(NoTls).map_err(db)?;
        Ok(Conn { client, statements: HashMap::new() })
    }

    fn checkin(&self, conn: Conn) {
        if conn.client.is_closed() {
            return;
        }
        let mut pool = self.pool();
        if pool.len() < MAX_IDLE {
            pool.push(conn);
        }
    }

    /// Runs `f` in one transaction: read committed for writes (retried whole after a
    /// deadlock), a read-only repeatable-read snapshot for reads.
    fn transaction<T>(&self, write: bool, mut f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut conn = self.checkout()?;
            let result = Self::run_once(&mut conn, write, &mut f);
            self.checkin(conn);
            match result {
                Err(e) if attempt < RETRIES && is_retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "retrying a PostgreSQL transaction");
                }
                other => return other,
            }
        }
    }

    fn run_once<T>(conn: &mut Conn, write: bool, f: &mut impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let Conn { client, statements } = conn;
        let tx = if write {
            client.transaction()
        } else {
            client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start()
        }
        .map_err(db)?;
        let mut tx = Tx { tx, statements };
        let out = f(&mut tx)?;
        tx.tx.commit().map_err(db)?;
        Ok(out)
    }

    fn write<T>(&self, f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.transaction(true, f)
    }

    fn read<T>(&self, f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.transaction(false, f)
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

fn to_sql_id(id: u64) -> Option<i64> {
    i64::try_from(id).ok()
}

fn unknown_study(id: StudyId) -> Error {
    Error::UnknownStudy { name: format!("#{id}") }
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

fn parse_attrs(text: &str) -> Result<BTreeMap<String, serde_json::Value>> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("attributes: {e}")))
}

/// A trial from a row of [`trial_columns!`].
fn trial_from_row(r: &Row) -> Result<FrozenTrial> {
    let id: i64 = r.get(0);
    let number: i64 = r.get(1);
    let state: String = r.get(2);
    let mut t = FrozenTrial::new_running(id as u64, number as u64);
    t.state = TrialState::parse(&state).ok_or_else(|| corrupt(format!("trial state `{state}`")))?;
    t.value = r.get(3);
    t.fail_reason = r.get(4);
    t.started_at = r.get(5);
    t.finished_at = r.get(6);
    t.system_attrs = parse_attrs(r.get(7))?;
    t.user_attrs = parse_attrs(r.get(8))?;
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

    /// A row `(trial_id, name, distribution, internal)`.
    fn param(&mut self, r: &Row) -> Result<()> {
        let trial: i64 = r.get(0);
        let Some(t) = self.by_id.get_mut(&trial) else { return Ok(()) };
        let name: String = r.get(1);
        let text: String = r.get(2);
        let internal: f64 = r.get(3);
        let d = match self.distributions.get(&text) {
            Some(d) => d.clone(),
            None => {
                let d: Distribution =
                    serde_json::from_str(&text).map_err(|e| corrupt(format!("distribution of `{name}`: {e}")))?;
                self.distributions.insert(text, d.clone());
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

    /// A row `(trial_id, step, value)`.
    fn intermediate(&mut self, r: &Row) {
        let trial: i64 = r.get(0);
        if let Some(t) = self.by_id.get_mut(&trial) {
            let step: i64 = r.get(1);
            let value: Option<f64> = r.get(2);
            t.intermediate_values.insert(step as u64, value.unwrap_or(f64::NAN));
        }
    }
}

/// Loads one full trial.
fn load_trial(tx: &mut Tx<'_>, trial: TrialId) -> Result<FrozenTrial> {
    let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
    let row = tx
        .query_opt(concat!("SELECT ", trial_columns!(), " FROM bo_trials t WHERE t.id = $1"), &[&id])?
        .ok_or(Error::UnknownTrial { trial })?;
    let mut t = trial_from_row(&row)?;
    let params =
        tx.query("SELECT trial_id, name, distribution, internal FROM bo_params WHERE trial_id = $1", &[&id])?;
    let steps = tx.query("SELECT trial_id, step, value FROM bo_intermediate WHERE trial_id = $1", &[&id])?;
    let mut children = Children::new(std::iter::once(&mut t));
    for r in &params {
        children.param(r)?;
    }
    for r in &steps {
        children.intermediate(r);
    }
    drop(children);
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

fn study_record(r: &Row) -> Result<StudyRecord> {
    let id: i64 = r.get(0);
    let direction: String = r.get(2);
    let n: i64 = r.get(3);
    Ok(StudyRecord {
        id: id as StudyId,
        name: r.get(1),
        direction: Direction::parse(&direction).ok_or_else(|| corrupt(format!("direction `{direction}`")))?,
        n_trials: n as u64,
    })
}

impl Storage for PostgresStorage {
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId> {
        self.write(|tx| {
            let row = tx.query_opt(
                "INSERT INTO bo_studies (name, direction) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
                &[&name, &direction.as_str()],
            )?;
            let id: i64 = row.ok_or_else(|| Error::StudyExists { name: name.to_string() })?.get(0);
            Ok(id as StudyId)
        })
    }

    fn study(&self, name: &str) -> Result<Option<StudyRecord>> {
        self.read(|tx| {
            tx.query_opt("SELECT id, name, direction, n_trials FROM bo_studies WHERE name = $1", &[&name])?
                .map(|r| study_record(&r))
                .transpose()
        })
    }

    fn studies(&self) -> Result<Vec<StudyRecord>> {
        self.read(|tx| {
            tx.query("SELECT id, name, direction, n_trials FROM bo_studies ORDER BY id", &[])?
                .iter()
                .map(study_record)
                .collect()
        })
    }

    fn delete_study(&self, name: &str) -> Result<()> {
        self.write(|tx| {
            // Trials, params and intermediate values go with it (ON DELETE CASCADE).
            let deleted = tx.execute("DELETE FROM bo_studies WHERE name = $1", &[&name])?;
            if deleted == 0 {
                return Err(Error::UnknownStudy { name: name.to_string() });
            }
            Ok(())
        })
    }

    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial> {
        self.write(|tx| insert_trial(tx, study, TrialState::Running, "{}"))
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
        self.write(|tx| insert_trial(tx, study, TrialState::Waiting, &attrs))
    }

    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>> {
        let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
        self.write(|tx| {
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
        let internal = d.to_internal(value).filter(|x| !x.is_nan()).ok_or_else(|| Error::ValueOutOfDistribution {
            name: name.to_string(),
            value: value.to_json().to_string(),
            distribution: serde_json::to_string(d).unwrap_or_default(),
        })?;
        let distribution = serde_json::to_string(d).map_err(Error::storage)?;
        self.write(|tx| {
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
        let step = i64::try_from(step).map_err(|_| Error::InvalidConfig {
            what: "step",
            reason: format!("{step} exceeds the largest storable step ({})", i64::MAX),
        })?;
        self.write(|tx| {
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
        self.write(|tx| {
            let (id, text) = lock_unfinished(tx, trial)?;
            let mut attrs = parse_attrs(&text)?;
            attrs.insert(key.to_string(), value.clone());
            let text = serde_json::to_string(&attrs).map_err(Error::storage)?;
            tx.execute("UPDATE bo_trials SET user_attrs = $1 WHERE id = $2", &[&text, &id])?;
            Ok(())
        })
    }

    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        if let Outcome::Complete(v) = outcome {
            if !v.is_finite() {
                return Err(Error::NonFiniteValue { value: *v });
            }
        }
        self.write(|tx| {
            let (id, _) = lock_unfinished(tx, trial)?;
            let mut t = load_trial(tx, trial)?;
            t.apply_outcome(outcome);
            // As in the SQLite storage: a pruned trial's NaN value is stored as "no value".
            t.value = t.value.filter(|v| !v.is_nan());
            tx.execute(
                "UPDATE bo_trials SET state = $1, value = $2, fail_reason = $3, finished_at = $4 WHERE id = $5",
                &[&t.state.as_str(), &t.value, &t.fail_reason, &t.finished_at, &id],
            )?;
            Ok(t)
        })
    }

    fn trial(&self, trial: TrialId) -> Result<FrozenTrial> {
        self.read(|tx| load_trial(tx, trial))
    }

    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)> {
        let sid = to_sql_id(study).ok_or_else(|| unknown_study(study))?;
        let from = i64::try_from(cursor.0).unwrap_or(i64::MAX);
        self.read(|tx| {
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
            let mut trials = rows.iter().map(trial_from_row).collect::<Result<Vec<_>>>()?;
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
            let mut children = Children::new(trials.iter_mut());
            for r in &params {
                children.param(r)?;
            }
            for r in &steps {
                children.intermediate(r);
            }
            drop(children);
            Ok((trials, Cursor(last as u64)))
        })
    }

    fn heartbeat(&self, trial: TrialId) -> Result<()> {
        let id = to_sql_id(trial).ok_or(Error::UnknownTrial { trial })?;
        self.write(|tx| {
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
        let any = self.read(|tx| {
            if tx.query_opt("SELECT 1 FROM bo_studies WHERE id = $1", &[&sid])?.is_none() {
                return Err(unknown_study(study));
            }
            Ok(!tx.query(STALE, &[&sid, &grace_secs])?.is_empty())
        })?;
        if !any {
            return Ok(Vec::new());
        }
        self.write(|tx| {
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
        let mut raw = s.config.connect(NoTls).map_err(db)?;
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
        use crate::space::Float;
        use crate::study::{Optimize, Study};
        use crate::trial::Trial;
        let Some(url) = postgres_test_url("threads") else { return Ok(()) };
        let study = Study::builder().storage(PostgresStorage::open(&url)?).name("threads").build()?;
        for i in 0..10 {
            study.enqueue([("x", i as f64 * 0.25)])?;
        }
        let runs: Mutex<HashMap<u64, usize>> = Mutex::new(HashMap::new());
        study.optimize_with(Optimize::trials(80).n_jobs(4).progress_bar(false), |t: &mut Trial| {
            let number = t.number().expect("a study trial has a number");
            *runs.lock().expect("lock").entry(number).or_default() += 1;
            let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
            t.report(0, x)?;
            Ok::<_, Error>(x * x)
        })?;
        let trials = study.trials()?;
        assert_eq!(trials.iter().map(|t| t.number).collect::<Vec<_>>(), (0..80).collect::<Vec<u64>>());
        assert!(trials.iter().all(|t| t.state == TrialState::Complete));
        let runs = runs.into_inner().expect("lock");
        assert!(runs.len() == 80 && runs.values().all(|&n| n == 1), "every trial runs exactly once");
        for t in &trials[..10] {
            assert_eq!(t.params["x"].as_f64(), Some(t.number as f64 * 0.25), "enqueued values are used");
        }
        Ok(())
    }
}
