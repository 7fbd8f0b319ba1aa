//! connect-tests: end-to-end harness. [`TestServer`] starts the REAL `connect-server` binary on a
//! free loopback port with a fresh SQLite file (or a fresh PostgreSQL schema), with SMS delivered
//! to an [`SmsSink`] the harness runs, so logging in is the real flow: request a code, read the
//! SMS from the sink, verify. [`World`] builds two of every tenant through the real admin API.
//!
//! The binary is found next to the test executable (`target/debug/connect-server`); build it
//! first with `cargo build -p connect-server` (the test script does).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod geo_data;

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Query, State},
    routing::{get, post},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// The server secret every test server runs with.
pub const SECRET_KEY: &str = "e2e-secret-e2e-secret-e2e-secret-e2e";

/// Phone number the harness makes admin.
pub const ADMIN_PHONE: &str = "+70000000999";

/// Messages the sink received: (to, text).
type Inbox = Arc<Mutex<Vec<(String, String)>>>;

/// Mails the sink received: the JSON bodies `{"to","subject","text"}`.
type Mailbox = Arc<Mutex<Vec<Value>>>;

/// An SMS and mail gateway stand-in on loopback: captures every `{"to","text"}` SMS and every
/// `{"to","subject","text"}` mail the server posts. `GET /sms/code?phone=` answers the code in the
/// latest SMS to a number (the headless-browser scripts sign in with it).
#[derive(Clone)]
pub struct SmsSink {
    pub url: String,
    /// Where the server posts mail (`CONNECT_MAIL_WEBHOOK`).
    pub mail_url: String,
    /// Base URL of the sink (`…/sms/code` lives there).
    pub base: String,
    messages: Inbox,
    mails: Mailbox,
}

fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

impl SmsSink {
    pub async fn start() -> SmsSink {
        let messages: Inbox = Arc::default();
        let mails: Mailbox = Arc::default();
        async fn receive(
            State((m, _)): State<(Inbox, Mailbox)>,
            Json(v): Json<Value>,
        ) -> &'static str {
            let to = v["to"].as_str().unwrap_or_default().to_owned();
            let text = v["text"].as_str().unwrap_or_default().to_owned();
            m.lock().unwrap().push((to, text));
            "ok"
        }
        async fn receive_mail(
            State((_, mails)): State<(Inbox, Mailbox)>,
            Json(v): Json<Value>,
        ) -> &'static str {
            mails.lock().unwrap().push(v);
            "ok"
        }
        async fn code(
            State((m, _)): State<(Inbox, Mailbox)>,
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> String {
            let phone = q.get("phone").cloned().unwrap_or_default();
            let msgs = m.lock().unwrap();
            msgs.iter()
                .rev()
                .find(|(to, _)| *to == phone)
                .and_then(|(_, t)| code_in(t))
                .unwrap_or_default()
        }
        let app = Router::new()
            .route("/sms", post(receive))
            .route("/sms/code", get(code))
            .route("/mail", post(receive_mail))
            .with_state((messages.clone(), mails.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        SmsSink {
            url: format!("http://{addr}/sms"),
            mail_url: format!("http://{addr}/mail"),
            base: format!("http://{addr}"),
            messages,
            mails,
        }
    }

    /// The six-digit code in the latest SMS to `phone`.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let msgs = self.messages.lock().unwrap();
        let (_, text) = msgs.iter().rev().find(|(to, _)| to == phone)?;
        code_in(text)
    }

    /// Every mail received so far (`{"to","subject","text"}`).
    pub fn mails(&self) -> Vec<Value> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits up to `secs` for a message matching `pred` (the server sends some in the background).
    pub async fn wait_for<T>(
        &self,
        secs: u64,
        mut pred: impl FnMut(&SmsSink) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = pred(self) {
                return Some(v);
            }
            if tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<(String, String)> {
        self.messages.lock().unwrap().clone()
    }
}

/// The real server binary running on loopback.
pub struct TestServer {
    pub base: String,
    pub sms: SmsSink,
    http: reqwest::Client,
    child: Child,
    db: String,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    /// Extra environment of the server process (kept across restarts).
    env: Vec<(String, String)>,
}

pub mod faults;
pub mod web;

/// Where `cargo build -p connect-server` puts the binary, relative to this test executable, or
/// `$CONNECT_SERVER_BIN` when set (a checkout whose intermediate artifacts live in a shared
/// `CARGO_BUILD_BUILD_DIR` runs its tests from there, away from its own binaries).
pub fn server_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("CONNECT_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/debug/deps/<test> → target/debug/connect-server
    let dir = exe
        .parent()
        .and_then(|d| {
            if d.ends_with("deps") {
                d.parent()
            } else {
                Some(d)
            }
        })
        .expect("target dir");
    let bin = dir.join(format!("connect-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p connect-server` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// The `connect` CLI built next to the server (`cargo build -p connect-cli`), or `$CONNECT_CLI_BIN`
/// when set (same reason as [`server_binary`]).
pub fn cli_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("CONNECT_CLI_BIN") {
        return PathBuf::from(bin);
    }
    let server = std::env::var_os("CONNECT_SERVER_BIN").map(PathBuf::from);
    let dir = match server {
        Some(server) => server.parent().expect("server dir").to_owned(),
        None => server_binary().parent().expect("target dir").to_owned(),
    };
    let bin = dir.join(format!("connect{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p connect-cli` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// Starts `connect-server serve` on `addr` and waits for its "listening" line.
async fn spawn_server(
    db: &str,
    addr: &str,
    sms: &SmsSink,
    dir: &std::path::Path,
    env: &[(String, String)],
) -> (Child, String) {
    let mut child = Command::new(server_binary())
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("CONNECT_ADDR", addr)
        .env("CONNECT_DATABASE", db)
        .env("CONNECT_SECRET_KEY", SECRET_KEY)
        .env("CONNECT_SMS_WEBHOOK", &sms.url)
        .env("CONNECT_MAIL_WEBHOOK", &sms.mail_url)
        .env("CONNECT_ADMIN_PHONE", ADMIN_PHONE)
        .env("CONNECT_OTP_IP_LIMIT", "100000")
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start connect-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(url) = line.strip_prefix("connect-server listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("connect-server exited before listening");
    })
    .await
    .expect("connect-server did not start within 30 s");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

/// `CONNECT_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`.
pub fn postgres_url() -> String {
    std::env::var("CONNECT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestServer {
    /// The server on a fresh SQLite file.
    pub async fn sqlite() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("server.db").display());
        Self::start(db, dir, None).await
    }

    /// The server on a fresh PostgreSQL schema (dropped when the server is dropped).
    pub async fn postgres() -> TestServer {
        let url = postgres_url();
        let schema = format!("e2e_{}", uuid::Uuid::new_v4().simple());
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} is required: {e}"));
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = format!("{url}{sep}options=-csearch_path%3D{schema}");
        Self::start(db, tempfile::tempdir().unwrap(), Some((url, schema))).await
    }

    /// `n` server processes sharing one fresh PostgreSQL schema (replicas behind a balancer). Close
    /// the first one last: it drops the schema.
    pub async fn postgres_replicas(n: usize) -> Vec<TestServer> {
        let first = Self::postgres().await;
        let (url, schema) = first.pg.clone().expect("postgres");
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = format!("{url}{sep}options=-csearch_path%3D{schema}");
        let mut all = vec![first];
        for _ in 1..n {
            all.push(Self::start(db.clone(), tempfile::tempdir().unwrap(), None).await);
        }
        all
    }

    /// The server on a fresh SQLite file with extra `CONNECT_…` settings.
    pub async fn sqlite_with(env: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("server.db").display());
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::start_with(db, dir, None, env).await
    }

    async fn start(db: String, dir: tempfile::TempDir, pg: Option<(String, String)>) -> TestServer {
        Self::start_with(db, dir, pg, Vec::new()).await
    }

    async fn start_with(
        db: String,
        dir: tempfile::TempDir,
        pg: Option<(String, String)>,
        env: Vec<(String, String)>,
    ) -> TestServer {
        let sms = SmsSink::start().await;
        let (child, base) = spawn_server(&db, "127.0.0.1:0", &sms, dir.path(), &env).await;
        TestServer {
            base,
            sms,
            http: reqwest::Client::new(),
            child,
            db,
            _dir: dir,
            pg,
            env,
        }
    }

    /// Stops the server (SIGKILL) and starts it again on the same port and database with this
    /// extra environment (e.g. other sticker keys), kept for later restarts.
    pub async fn restart_with_env(&mut self, env: &[(&str, &str)]) {
        self.env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.kill_hard().await;
        self.restart().await;
    }

    /// Runs `connect-server <args>` against this server's database and secret (e.g. the
    /// `stickers` command) with the server's extra environment plus `env`; returns its output.
    pub async fn run_command(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        Command::new(server_binary())
            .args(args)
            .env("CONNECT_DATABASE", &self.db)
            .env("CONNECT_SECRET_KEY", SECRET_KEY)
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .current_dir(self._dir.path())
            .output()
            .await
            .expect("run connect-server")
    }

    /// Kills the server process with SIGKILL (no shutdown of any kind) and waits for it to die.
    pub async fn kill_hard(&mut self) {
        self.child.kill().await.expect("SIGKILL connect-server");
    }

    /// Starts the server again on the same port and database (after [`Self::kill_hard`]).
    pub async fn restart(&mut self) {
        let addr = self.addr().to_string();
        let (child, base) =
            spawn_server(&self.db, &addr, &self.sms, self._dir.path(), &self.env).await;
        assert_eq!(base, self.base, "restarted on another address");
        self.child = child;
    }

    /// The server's `CONNECT_DATABASE` (for `connect-server import …` against the same store).
    pub fn database(&self) -> &str {
        &self.db
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.base
            .trim_start_matches("http://")
            .parse()
            .expect("addr")
    }

    /// A client without a session.
    pub fn anonymous(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: self.http.clone(),
            token: None,
        }
    }

    /// Logs `phone` in through the real flow (code → SMS sink → verify).
    pub async fn login(&self, phone: &str) -> Client {
        let anon = self.anonymous();
        let (s, body) = anon
            .call(
                Method::POST,
                "/v1/auth/code",
                Some(json!({ "phone": phone })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "send code: {body}");
        let code = self.sms.last_code(phone).expect("sms with a code");
        let (s, body) = anon
            .call(
                Method::POST,
                "/v1/auth/verify",
                Some(json!({ "phone": phone, "code": code })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "verify: {body}");
        Client {
            token: Some(body["token"].as_str().expect("token").to_owned()),
            ..anon
        }
    }

    /// Runs `connect-server import <args…>` against this server's database and returns its
    /// stdout; panics with its stderr when it fails. A running server sees the import after
    /// [`Self::kill_hard`] + [`Self::restart`] (it builds its geo indexes at start).
    pub async fn import(&self, args: &[&str]) -> String {
        let out = Command::new(server_binary())
            .arg("import")
            .args(args)
            .env("CONNECT_DATABASE", &self.db)
            .env("CONNECT_SECRET_KEY", SECRET_KEY)
            .env("RUST_LOG", "warn")
            .current_dir(self._dir.path())
            .output()
            .await
            .expect("run connect-server import");
        assert!(
            out.status.success(),
            "connect-server import {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Drops the PostgreSQL schema (call at the end of PostgreSQL tests).
    pub async fn close(self) {
        let pg = self.pg.clone();
        drop(self);
        if let Some((url, schema)) = pg {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
        }
    }
}

/// An HTTP client, with or without a session token.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    pub token: Option<String>,
}

impl Client {
    /// Calls a route; the body is parsed as JSON (`Value::Null` when empty or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let bytes = res.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// GETs a non-JSON body (CSV, HTML) and asserts a 2xx answer.
    pub async fn get_text(&self, path: &str) -> String {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        assert!(status.is_success(), "GET {path}: {status} {text}");
        text
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Posts and asserts a 2xx answer.
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.post(path, body).await;
        assert!(s.is_success(), "POST {path}: {s} {v}");
        v
    }

    /// As the admin: one apartment "1" in each of `buildings` with a resident whose phone is
    /// `phone_prefix` followed by the building's index; returns those phones in order.
    pub async fn resident_per_building(
        &self,
        buildings: impl IntoIterator<Item = &str>,
        phone_prefix: &str,
    ) -> Vec<String> {
        let mut phones = Vec::new();
        for (i, id) in buildings.into_iter().enumerate() {
            let apt = self
                .post_ok(
                    "/v1/admin/apartments",
                    json!({"building_id": id, "number": "1"}),
                )
                .await;
            let phone = format!("{phone_prefix}{i}");
            self.post_ok(
                "/v1/admin/residents",
                json!({"phone": phone, "apartment_id": apt["id"]}),
            )
            .await;
            phones.push(phone);
        }
        phones
    }

    /// As the admin: company `company` (region R1) managing building `building` with apartment
    /// `apartment`, where `resident` lives and whose staff member is `staff`. Returns the
    /// apartment as the server created it.
    pub async fn seed_home(
        &self,
        company: &str,
        building: &str,
        apartment: &str,
        resident: &str,
        staff: &str,
    ) -> Value {
        self.post_ok(
            "/v1/admin/companies",
            json!({"id": company, "name": format!("UK {company}"), "tax_id": null, "phone": null,
                   "email": null, "region_id": "R1"}),
        )
        .await;
        self.post_ok(
            "/v1/admin/buildings",
            json!({"buildings": [{"id": building, "address": format!("{company} street 1"),
                   "company_id": company, "region_id": "R1", "lat": 59.2, "lon": 39.9}]}),
        )
        .await;
        let apt = self
            .post_ok(
                "/v1/admin/apartments",
                json!({"building_id": building, "number": apartment}),
            )
            .await;
        self.post_ok(
            "/v1/admin/residents",
            json!({"phone": resident, "apartment_id": apt["id"]}),
        )
        .await;
        self.post_ok(
            "/v1/admin/grants",
            json!({"phone": staff, "role": "company_staff", "scope": company}),
        )
        .await;
        apt
    }

    /// As the admin: a personal account with provider `provider` and a single-zone cold-water
    /// meter (5 + 3 digits) `serial` in `apartment`; returns the meter.
    pub async fn seed_meter(&self, apartment: &Value, provider: &str, serial: &str) -> Value {
        let acc = self
            .post_ok(
                "/v1/admin/accounts",
                json!({"apartment_id": apartment["id"], "provider_id": provider,
                       "number": format!("A-{serial}"), "holder_name": "H"}),
            )
            .await;
        self.post_ok(
            "/v1/admin/meters",
            json!({"apartment_id": apartment["id"], "account_id": acc["id"], "kind": "cold_water",
                   "serial": serial, "integer_digits": 5, "fraction_digits": 3,
                   "tariffs": ["single"], "installed_on": "2024-01-01",
                   "next_verification_on": null}),
        )
        .await
    }
}

/// Runs the `connect` CLI with `ARGS --db DB --server URL` (a fixed database key); returns
/// (success, stdout, stderr).
pub async fn cli(db: &std::path::Path, server: &str, args: &[&str]) -> (bool, String, String) {
    let mut command = std::process::Command::new(cli_binary());
    command
        .args(args)
        .arg("--db")
        .arg(db)
        .arg("--server")
        .arg(server)
        .env("CONNECT_DB_KEY", "11".repeat(32))
        .env("RUST_LOG", "warn");
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`cli`] that must succeed; returns its stdout.
pub async fn cli_ok(db: &std::path::Path, server: &str, args: &[&str]) -> String {
    let (success, stdout, stderr) = cli(db, server, args).await;
    assert!(success, "connect {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// Who calls a route in authorization tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    ResidentA,
    ResidentB,
    StaffX,
    StaffY,
    CashierP1,
    CashierP2,
    AuthorityR1,
    AuthorityR2,
    Admin,
}

impl Actor {
    pub const ALL: [Actor; 9] = [
        Actor::ResidentA,
        Actor::ResidentB,
        Actor::StaffX,
        Actor::StaffY,
        Actor::CashierP1,
        Actor::CashierP2,
        Actor::AuthorityR1,
        Actor::AuthorityR2,
        Actor::Admin,
    ];

    pub fn phone(self) -> &'static str {
        match self {
            Actor::ResidentA => "+70000000101",
            Actor::ResidentB => "+70000000102",
            Actor::StaffX => "+70000000201",
            Actor::StaffY => "+70000000202",
            Actor::CashierP1 => "+70000000301",
            Actor::CashierP2 => "+70000000302",
            Actor::AuthorityR1 => "+70000000401",
            Actor::AuthorityR2 => "+70000000402",
            Actor::Admin => ADMIN_PHONE,
        }
    }
}

/// Ids of one tenant's objects.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub company_id: String,
    pub region_id: String,
    pub partner_id: String,
    pub building_id: String,
    pub apartment_id: String,
    pub account_id: String,
    pub meter_id: String,
}

/// Two of everything: resident A lives in building X1 managed by company X (region R1), resident
/// B in building Y1 managed by company Y (region R2); one staff per company, one cashier per
/// partner, one authority per region, and an admin. Built through the real admin API.
pub struct World {
    pub server: TestServer,
    pub a: Tenant,
    pub b: Tenant,
    clients: Vec<(Actor, Client)>,
    user_ids: Vec<(Actor, String)>,
}

impl World {
    pub async fn new(server: TestServer) -> World {
        let admin = server.login(ADMIN_PHONE).await;
        let a = Self::tenant(&admin, "X", "R1", "P1", Actor::ResidentA).await;
        let b = Self::tenant(&admin, "Y", "R2", "P2", Actor::ResidentB).await;
        let grants = [
            (Actor::StaffX, "company_staff", &a.company_id),
            (Actor::StaffY, "company_staff", &b.company_id),
            (Actor::CashierP1, "partner_cashier", &a.partner_id),
            (Actor::CashierP2, "partner_cashier", &b.partner_id),
            (Actor::AuthorityR1, "authority", &a.region_id),
            (Actor::AuthorityR2, "authority", &b.region_id),
        ];
        for (actor, role, scope) in grants {
            admin
                .post_ok(
                    "/v1/admin/grants",
                    json!({ "phone": actor.phone(), "role": role, "scope": scope }),
                )
                .await;
        }
        let mut clients = vec![(Actor::Admin, admin)];
        for actor in Actor::ALL.into_iter().filter(|a| *a != Actor::Admin) {
            clients.push((actor, server.login(actor.phone()).await));
        }
        let mut user_ids = Vec::new();
        for (actor, client) in &clients {
            let (_, me) = client.get("/v1/me").await;
            user_ids.push((*actor, me["user_id"].as_str().expect("user id").to_owned()));
        }
        World {
            server,
            a,
            b,
            clients,
            user_ids,
        }
    }

    async fn tenant(
        admin: &Client,
        company: &str,
        region: &str,
        partner: &str,
        resident: Actor,
    ) -> Tenant {
        admin
            .post_ok(
                "/v1/admin/companies",
                json!({ "id": company, "name": format!("UK {company}"), "tax_id": null,
                        "phone": null, "email": null, "region_id": region }),
            )
            .await;
        let building_id = format!("{company}1");
        admin
            .post_ok(
                "/v1/admin/buildings",
                json!({ "buildings": [{ "id": building_id, "address": format!("{company} street 1"),
                        "company_id": company, "region_id": region, "lat": 59.2, "lon": 39.9 }] }),
            )
            .await;
        let apt = admin
            .post_ok(
                "/v1/admin/apartments",
                json!({ "building_id": building_id, "number": "1" }),
            )
            .await;
        let apartment_id = apt["id"].as_str().unwrap().to_owned();
        let acc = admin
            .post_ok(
                "/v1/admin/accounts",
                json!({ "apartment_id": apartment_id, "provider_id": "water",
                        "number": format!("ACC-{company}"), "holder_name": format!("Holder {company}") }),
            )
            .await;
        let account_id = acc["id"].as_str().unwrap().to_owned();
        let meter = admin
            .post_ok(
                "/v1/admin/meters",
                json!({ "apartment_id": apartment_id, "account_id": account_id, "kind": "cold_water",
                        "serial": format!("SN-{company}"), "integer_digits": 5, "fraction_digits": 3,
                        "tariffs": ["single"], "installed_on": "2023-01-01", "next_verification_on": null }),
            )
            .await;
        admin
            .post_ok(
                "/v1/admin/residents",
                json!({ "phone": resident.phone(), "apartment_id": apartment_id }),
            )
            .await;
        Tenant {
            company_id: company.to_owned(),
            region_id: region.to_owned(),
            partner_id: partner.to_owned(),
            building_id,
            apartment_id,
            account_id,
            meter_id: meter["id"].as_str().unwrap().to_owned(),
        }
    }

    /// The user id of an actor.
    pub fn user_id(&self, actor: Actor) -> &str {
        &self
            .user_ids
            .iter()
            .find(|(a, _)| *a == actor)
            .expect("every actor is logged in")
            .1
    }

    /// The logged-in client of an actor.
    pub fn client(&self, actor: Actor) -> &Client {
        &self
            .clients
            .iter()
            .find(|(a, _)| *a == actor)
            .expect("every actor is logged in")
            .1
    }
}

/// True when `body` is exactly the error shape (`{"error": {"code", "message"}}`) and nothing else.
pub fn is_bare_error(body: &Value) -> bool {
    let Some(obj) = body.as_object() else {
        return false;
    };
    let Some(err) = obj.get("error").and_then(Value::as_object) else {
        return false;
    };
    obj.len() == 1
        && err.len() == 2
        && err.get("code").is_some_and(Value::is_string)
        && err.get("message").is_some_and(Value::is_string)
}
