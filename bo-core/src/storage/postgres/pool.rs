//! The PostgreSQL storage's connections: a pool shared by the threads of the process, with
//! statements prepared once per connection, and transactions retried after a deadlock.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use postgres::types::ToSql;
use postgres::{Client, Config, IsolationLevel, NoTls, Row, Statement, Transaction};

use super::db;
use crate::error::{Error, Result};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

/// How often a write transaction is retried after a deadlock or serialization failure.
const RETRIES: usize = 5;

/// Connections to one database, opened on demand and kept for reuse.
pub(super) struct Pool {
    config: Config,
    idle: Mutex<Vec<Conn>>,
}

impl Drop for Pool {
    /// Closes the pooled connections on a thread of its own: the sync client blocks on its
    /// own runtime when closing, which panics on a thread that drives async tasks (e.g. a
    /// server dropping its storage at shutdown).
    fn drop(&mut self) {
        let conns = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        if conns.is_empty() {
            return;
        }
        if std::thread::spawn(move || drop(conns)).join().is_err() {
            tracing::warn!("closing the PostgreSQL connections panicked");
        }
    }
}

/// A pooled connection and its prepared statements.
struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

/// One transaction on a pooled connection; statements are prepared once per connection.
pub(super) struct Tx<'a> {
    pub(super) tx: Transaction<'a>,
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
    pub(super) fn query(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        self.tx.query(&s, params).map_err(db)
    }
    pub(super) fn query_opt(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        self.tx.query_opt(&s, params).map_err(db)
    }
    pub(super) fn query_one(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<Row> {
        let s = self.statement(sql)?;
        self.tx.query_one(&s, params).map_err(db)
    }
    pub(super) fn execute(&mut self, sql: &'static str, params: SqlParams<'_>) -> Result<u64> {
        let s = self.statement(sql)?;
        self.tx.execute(&s, params).map_err(db)
    }
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

impl Pool {
    /// A pool that connects with `config` (no connection is opened yet).
    pub(super) fn new(config: Config) -> Self {
        Pool { config, idle: Mutex::new(Vec::new()) }
    }

    /// The connection settings.
    pub(super) fn config(&self) -> &Config {
        &self.config
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Conn>> {
        // The pool is a plain list: a panic while holding it cannot leave it inconsistent.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn checkout(&self) -> Result<Conn> {
        if let Some(conn) = self.idle().pop() {
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
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
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

    /// Runs `f` in one write transaction, retried whole after a deadlock.
    pub(super) fn write<T>(&self, f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.transaction(true, f)
    }

    /// Runs `f` in one read-only snapshot.
    pub(super) fn read<T>(&self, f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.transaction(false, f)
    }
}
