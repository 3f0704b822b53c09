//! Users, API tokens and Hopaas study definitions, in a SQLite file of their own.
//!
//! Tokens are 32 random bytes from the operating system's CSPRNG, written as 64 hex digits;
//! only their SHA-256 is stored, so a stolen database gives no usable token. A token is shown
//! once, when it is created.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The auth database: users, hashed tokens, Hopaas study definitions.
#[derive(Debug)]
pub struct AuthStore {
    conn: Mutex<Connection>,
    /// token hash -> user, for tokens seen already (tokens are never revoked while running).
    cache: Mutex<HashMap<String, String>>,
}

/// A Hopaas study as registered by its first `ask`.
#[derive(Debug, Clone, PartialEq)]
pub struct HopaasRecord {
    /// Owner (user name), empty on a server without auth.
    pub owner: String,
    /// Name of the study in the storage (with the owner's namespace).
    pub storage_name: String,
    /// Canonical JSON of the study definition.
    pub definition: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS hopaas_studies (
    sid TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    storage_name TEXT NOT NULL,
    definition TEXT NOT NULL
);
";

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// SHA-256 of a token, as hex.
fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a user name: 1 to 64 of `A-Z a-z 0-9 _ - .` (no `/`: it separates the owner
/// from the study name in the storage).
pub fn validate_user_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name != "."
        && name != "..";
    if ok {
        Ok(())
    } else {
        Err(Error::User(format!("invalid user name `{name}`: use 1 to 64 letters, digits, `_`, `-`, `.`")))
    }
}

impl AuthStore {
    /// Opens (creating if needed) the auth database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::init(Connection::open(path)?)
    }

    /// An auth database in memory (tests, `--no-auth` servers without a file).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(AuthStore { conn: Mutex::new(conn), cache: Mutex::new(HashMap::new()) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a user; an error if the name is invalid or taken.
    pub fn add_user(&self, name: &str) -> Result<()> {
        validate_user_name(name)?;
        let n = self.conn().execute("INSERT OR IGNORE INTO users (name, created_at) VALUES (?1, ?2)", params![name, now()])?;
        if n == 0 {
            return Err(Error::User(format!("user `{name}` exists already")));
        }
        Ok(())
    }

    /// The users, by name.
    pub fn users(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT name FROM users ORDER BY name")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates a new token for `user` and returns it (the only time it is visible).
    pub fn new_token(&self, user: &str) -> Result<String> {
        let conn = self.conn();
        let exists: Option<String> =
            conn.query_row("SELECT name FROM users WHERE name = ?1", [user], |r| r.get(0)).optional()?;
        if exists.is_none() {
            return Err(Error::User(format!("user `{user}` does not exist; add it with `bo user add {user}`")));
        }
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
        let token = hex(&bytes);
        conn.execute(
            "INSERT INTO tokens (hash, user, created_at) VALUES (?1, ?2, ?3)",
            params![hash_token(&token), user, now()],
        )?;
        Ok(token)
    }

    /// The user a token belongs to, if any.
    pub fn user_for_token(&self, token: &str) -> Result<Option<String>> {
        let h = hash_token(token);
        if let Some(u) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&h) {
            return Ok(Some(u.clone()));
        }
        let user: Option<String> =
            self.conn().query_row("SELECT user FROM tokens WHERE hash = ?1", [&h], |r| r.get(0)).optional()?;
        if let Some(u) = &user {
            self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(h, u.clone());
        }
        Ok(user)
    }

    /// The Hopaas study registered under `sid`.
    pub fn hopaas_study(&self, sid: &str) -> Result<Option<HopaasRecord>> {
        Ok(self
            .conn()
            .query_row("SELECT owner, storage_name, definition FROM hopaas_studies WHERE sid = ?1", [sid], |r| {
                Ok(HopaasRecord { owner: r.get(0)?, storage_name: r.get(1)?, definition: r.get(2)? })
            })
            .optional()?)
    }

    /// Registers a Hopaas study (a no-op when `sid` is registered already).
    pub fn register_hopaas_study(&self, sid: &str, record: &HopaasRecord) -> Result<()> {
        self.conn().execute(
            "INSERT OR IGNORE INTO hopaas_studies (sid, owner, storage_name, definition) VALUES (?1, ?2, ?3, ?4)",
            params![sid, record.owner, record.storage_name, record.definition],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hashed_and_owned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.db");
        let a = AuthStore::open(&path).unwrap();
        a.add_user("alice").unwrap();
        assert!(matches!(a.add_user("alice"), Err(Error::User(_))));
        assert!(matches!(a.add_user("a/b"), Err(Error::User(_))));
        assert!(matches!(a.new_token("bob"), Err(Error::User(_))));
        let t1 = a.new_token("alice").unwrap();
        let t2 = a.new_token("alice").unwrap();
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 64);
        assert_eq!(a.user_for_token(&t1).unwrap().as_deref(), Some("alice"));
        assert_eq!(a.user_for_token("nope").unwrap(), None);
        drop(a);
        // Reopened: the token still works, and the file holds its hash only.
        let b = AuthStore::open(&path).unwrap();
        assert_eq!(b.user_for_token(&t2).unwrap().as_deref(), Some("alice"));
        let raw = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains(&t1) && text.contains(&hash_token(&t1)));
    }
}
