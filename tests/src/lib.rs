//! Helpers of the workspace's end-to-end tests (in `tests/`): a `bo serve`-equivalent server
//! on a real storage (a SQLite file, or a fresh schema of the test PostgreSQL server named by
//! `BO_TEST_POSTGRES_URL`), and plain HTTP calls the way other clients make them.
//!
//! | test | crates it crosses |
//! |---|---|
//! | `http_storage` | bo-core's `HttpStorage` (Rust workers) → bo-server → SQLite / PostgreSQL → bo-cli |
//! | `hopaas` | a Python-`hopaas_client`-like conversation → bo-server on PostgreSQL → bo-cli |
//! | `adapter_cli` | bo-linfa's cross-validated objective → SQLite → bo-cli |

use std::sync::Arc;
use std::time::Duration;

use bo_core::Storage;
use bo_server::{AppState, AuthStore, RunningServer};

/// A server on loopback over a storage, with its auth database in a temp dir; stops when
/// dropped.
pub struct Server {
    /// The running server.
    pub server: RunningServer,
    /// Its state (storage and auth store).
    pub state: AppState,
    /// The storage URL it serves (what `bo serve --storage` would be given).
    pub storage_url: String,
    /// Holds the auth database (and a SQLite storage).
    pub dir: tempfile::TempDir,
}

impl Server {
    /// A server over the storage at `storage_url`, as `bo serve --storage URL` runs it.
    pub fn on(storage_url: &str, dir: tempfile::TempDir, auth_required: bool) -> Server {
        let storage: Arc<dyn Storage> = bo_core::open_storage(storage_url).expect("open the storage");
        let auth = AuthStore::open(dir.path().join("bo-auth.db")).expect("open the auth database");
        let state = AppState::new(storage, auth, auth_required);
        let server = bo_server::spawn("127.0.0.1:0", state.clone()).expect("start the server");
        Server { server, state, storage_url: storage_url.to_string(), dir }
    }

    /// A server over a fresh SQLite file.
    pub fn sqlite(auth_required: bool) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("bo.db").display());
        Server::on(&url, dir, auth_required)
    }

    /// A server over a fresh schema of the test PostgreSQL server; `None` only when the
    /// PostgreSQL tests are skipped explicitly (`BO_SKIP_POSTGRES=1`), see
    /// [`bo_core::testing::postgres_test_url`].
    pub fn postgres(tag: &str, auth_required: bool) -> Option<Server> {
        let url = bo_core::testing::postgres_test_url(tag)?;
        Some(Server::on(&url, tempfile::tempdir().expect("temp dir"), auth_required))
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A new user and an API token for it.
    pub fn user(&self, name: &str) -> String {
        self.state.auth().add_user(name).expect("add user");
        self.state.auth().new_token(name).expect("new token")
    }

    /// The storage URL of `HttpStorage` for `token`: `http://TOKEN@ADDR`.
    pub fn http_storage_url(&self, token: &str) -> String {
        format!("http://{token}@{}", self.server.addr())
    }

    /// The storage itself, as the CLI opens it (`bo … --storage URL`).
    pub fn open_storage(&self) -> Arc<dyn Storage> {
        bo_core::open_storage(&self.storage_url).expect("open the storage")
    }
}

/// POSTs `body` the way Python `requests.post(url, data=json.dumps(obj))` does: no
/// `Content-Type` header. Returns (status, body).
pub fn python_post(url: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(300))).expect("timeout");
    let req = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: python-requests/2.31.0\r\nAccept: */*\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut buf = String::new();
    s.read_to_string(&mut buf).expect("read");
    let status = buf.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status in {buf:?}"));
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// GETs `url`; returns (status, body) whatever the status.
pub fn get(url: &str) -> (u16, String) {
    let agent = ureq::AgentBuilder::new().timeout_read(Duration::from_secs(300)).build();
    match agent.get(url).call() {
        Ok(r) => (r.status(), r.into_string().expect("body")),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().expect("body")),
        Err(e) => panic!("GET {url}: {e}"),
    }
}

/// What a `bo` command function writes, as text.
pub fn output(f: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).expect("the command succeeds");
    String::from_utf8(out).expect("UTF-8 output")
}
