//! The SQLite storage's schema: creating it, checking its version, migrating older files.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::db;
use crate::error::{Error, Result};

/// Version of the schema this build writes and reads.
pub(super) const SCHEMA_VERSION: i64 = 2;

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

/// A file that is a SQLite database, but not one of ours.
#[derive(Debug)]
struct ForeignDatabase;

impl fmt::Display for ForeignDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the SQLite file holds other tables and no bo schema version")
    }
}

impl std::error::Error for ForeignDatabase {}

/// Readies a freshly opened connection: busy timeout, WAL mode, and the schema (created,
/// or migrated from an older version); a file we must refuse is never written.
pub(super) fn prepare(conn: &mut Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    conn.set_prepared_statement_cache_capacity(64);
    // Read-only checks first.
    match read_version(conn)? {
        Some(found) if found != SCHEMA_VERSION && !can_migrate(found) => {
            return Err(Error::SchemaVersion { found, expected: SCHEMA_VERSION });
        }
        Some(_) => {}
        None => {
            if has_tables(conn)? {
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
    Ok(())
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
