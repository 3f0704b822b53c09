//! `bo serve`, `bo user add`, `bo token new`: the HTTP service and its users.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

/// The service subcommands (flattened into `bo`'s commands).
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Serve the studies of a storage over HTTP: Hopaas API, JSON API (`/api/v1`), dashboard.
    Serve(ServeArgs),
    /// Manage users of `bo serve`.
    User {
        /// What to do.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens of `bo serve`.
    Token {
        /// What to do.
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// Options of `bo serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where the studies live: `sqlite:PATH` or `memory:`.
    #[arg(long, env = "BO_STORAGE", default_value = "sqlite:bo.db", value_name = "URL")]
    pub storage: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub bind: String,
    /// Users and tokens database. Default: `bo-auth.db` next to a SQLite storage.
    #[arg(long, value_name = "PATH")]
    pub auth: Option<PathBuf>,
    /// No tokens: everyone is the same anonymous user and sees every study (local use only).
    #[arg(long)]
    pub no_auth: bool,
    /// Fail RUNNING trials whose last heartbeat (Hopaas: last ask/should_prune) is older
    /// than this many seconds.
    #[arg(long, value_name = "SECS")]
    pub fail_stale_after: Option<f64>,
}

/// Where the auth database is, for `bo user` and `bo token`.
#[derive(Debug, Args)]
pub struct AuthArg {
    /// Users and tokens database (the `--auth` of `bo serve`).
    #[arg(long, default_value = "bo-auth.db", value_name = "PATH")]
    pub auth: PathBuf,
}

/// `bo user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (letters, digits, `_`, `-`, `.`).
    Add {
        /// User name.
        name: String,
        /// The auth database.
        #[command(flatten)]
        auth: AuthArg,
    },
    /// List users.
    List {
        /// The auth database.
        #[command(flatten)]
        auth: AuthArg,
    },
}

/// `bo token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (it is stored hashed: shown only now).
    New {
        /// User name.
        user: String,
        /// The auth database.
        #[command(flatten)]
        auth: AuthArg,
    },
}

impl ServiceCommand {
    /// Runs the command; `bo serve` blocks until the process ends.
    pub fn run(self, out: &mut dyn Write) -> anyhow::Result<()> {
        match self {
            ServiceCommand::Serve(a) => {
                let grace = match a.fail_stale_after {
                    Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Some(Duration::from_secs_f64(s)),
                    Some(s) => anyhow::bail!("--fail-stale-after must be a positive number of seconds, not {s}"),
                    None => None,
                };
                bo_server::serve(&bo_server::ServeOptions {
                    storage: a.storage,
                    bind: a.bind,
                    auth: a.auth,
                    no_auth: a.no_auth,
                    fail_stale_after: grace,
                })?;
            }
            ServiceCommand::User { command: UserCommand::Add { name, auth } } => {
                bo_server::AuthStore::open(&auth.auth)?.add_user(&name)?;
                writeln!(out, "added user `{name}`")?;
            }
            ServiceCommand::User { command: UserCommand::List { auth } } => {
                for u in bo_server::AuthStore::open(&auth.auth)?.users()? {
                    writeln!(out, "{u}")?;
                }
            }
            ServiceCommand::Token { command: TokenCommand::New { user, auth } } => {
                let token = bo_server::AuthStore::open(&auth.auth)?.new_token(&user)?;
                writeln!(out, "{token}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_add_then_token_new_prints_a_token_that_authenticates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.db");
        let auth = || AuthArg { auth: path.clone() };
        let mut out = Vec::new();
        ServiceCommand::User { command: UserCommand::Add { name: "alice".into(), auth: auth() } }.run(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "added user `alice`\n");
        let mut out = Vec::new();
        ServiceCommand::Token { command: TokenCommand::New { user: "alice".into(), auth: auth() } }.run(&mut out).unwrap();
        let token = String::from_utf8(out).unwrap().trim().to_string();
        assert_eq!(token.len(), 64);
        let store = bo_server::AuthStore::open(&path).unwrap();
        assert_eq!(store.user_for_token(&token).unwrap().as_deref(), Some("alice"));
        let err = ServiceCommand::Token { command: TokenCommand::New { user: "bob".into(), auth: auth() } }
            .run(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("user `bob` does not exist"), "{err}");
        let err = ServiceCommand::User { command: UserCommand::Add { name: "alice".into(), auth: auth() } }
            .run(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
    }
}
