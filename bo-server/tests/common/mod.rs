//! A real server on loopback over a real SQLite file, and a plain HTTP client.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use bo_server::{AppState, AuthStore, RunningServer};

pub struct Fixture {
    pub server: RunningServer,
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// A server with auth over a fresh SQLite file.
    pub fn new(auth_required: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(bo_core::SqliteStorage::open(dir.path().join("bo.db")).unwrap());
        let auth = AuthStore::open(dir.path().join("bo-auth.db")).unwrap();
        let state = AppState::new(storage, auth, auth_required);
        let server = bo_server::spawn("127.0.0.1:0", state.clone()).unwrap();
        Fixture { server, state, dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A new user and a token for it.
    pub fn user(&self, name: &str) -> String {
        self.state.auth().add_user(name).unwrap();
        self.state.auth().new_token(name).unwrap()
    }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(60)).timeout_read(Duration::from_secs(300)).build()
}

/// Sends a request and returns (status, body text) whatever the status.
pub fn send(method: &str, url: &str, token: Option<&str>, body: Option<&[u8]>) -> (u16, String) {
    let mut req = agent().request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let res = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    match res {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("{method} {url}: transport error {e}"),
    }
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// POSTs `len` bytes of `fill` over a raw socket (the server may answer and close before
/// reading it all, which a normal client reports as a broken pipe), and returns (status, body).
pub fn post_huge(addr: std::net::SocketAddr, path: &str, token: &str, len: usize, fill: u8) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![fill; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if w.write_all(&chunk[..n]).is_err() {
                break;
            }
            left -= n;
        }
    });
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let _ = s.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
