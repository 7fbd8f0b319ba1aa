//! Router tests: the real app over a real SQLite file, driven with `tower::ServiceExt::oneshot`
//! (plus one over a real socket). SMS are captured by a sender that keeps them in memory; the
//! clock is injected into the OTP functions so expiry tests never sleep.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use axum::{
    Router,
    body::{Body, to_bytes},
    extract::connect_info::MockConnectInfo,
    http::{Request, StatusCode},
};
use chrono::{Duration, Utc};
use connect_core::{
    api::{ErrorBody, ErrorCode},
    auth::PhoneNumber,
};
use connect_server::{
    AppState, Settings, app,
    auth::{
        otp,
        sms::{SmsError, SmsSender},
    },
    crypto::Keys,
    error::ApiError,
    store::sqlite::SqliteStore,
};
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &str = "test-secret-test-secret-test-secret!";

#[derive(Default)]
struct CaptureSms(Mutex<Vec<(String, String)>>);

#[async_trait]
impl SmsSender for CaptureSms {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SmsError> {
        self.0
            .lock()
            .unwrap()
            .push((to.as_str().to_owned(), text.to_owned()));
        Ok(())
    }
}

impl CaptureSms {
    fn last_code(&self) -> String {
        let msgs = self.0.lock().unwrap();
        let text = &msgs.last().expect("an sms was sent").1;
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .expect("six-digit code")
            .to_owned()
    }
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

struct Env {
    state: AppState,
    sms: Arc<CaptureSms>,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn env_with(settings: Settings) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("api.db");
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let sms = Arc::new(CaptureSms::default());
    let state = AppState::new(store, Keys::new(SECRET), sms.clone(), settings);
    Env {
        state,
        sms,
        db,
        _dir: dir,
    }
}

fn env() -> Env {
    env_with(Settings {
        admin_phone: PhoneNumber::parse("+70000000009").ok(),
        ..Settings::default()
    })
}

impl Env {
    fn router(&self) -> Router {
        app(self.state.clone()).layer(MockConnectInfo(SocketAddr::from(([10, 0, 0, 1], 5000))))
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_owned())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router().oneshot(req).await.unwrap();
        let status = res.status();
        (
            status,
            to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec(),
        )
    }

    async fn login(&self, phone: &str) -> String {
        let (s, _) = self
            .call(
                "POST",
                "/v1/auth/code",
                None,
                Some(&json!({"phone": phone}).to_string()),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let code = self.sms.last_code();
        let (s, body) = self
            .call(
                "POST",
                "/v1/auth/verify",
                None,
                Some(&json!({"phone": phone, "code": code}).to_string()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["token"].as_str().unwrap().to_owned()
    }
}

fn error_code(body: &[u8]) -> ErrorCode {
    let parsed: ErrorBody = serde_json::from_slice(body).expect("error body shape");
    parsed.error.code
}

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

#[tokio::test]
async fn a_code_older_than_five_minutes_is_refused() {
    let e = env();
    let t0 = Utc::now();
    otp::send_code(&e.state, &phone("+79001112233"), "1.1.1.1", t0)
        .await
        .unwrap();
    let code = e.sms.last_code();
    let late = otp::verify(
        &e.state,
        &phone("+79001112233"),
        &code,
        t0 + Duration::seconds(300),
    )
    .await;
    assert!(matches!(late, Err(ApiError::InvalidCode)));
    otp::send_code(
        &e.state,
        &phone("+79001112233"),
        "1.1.1.1",
        t0 + Duration::seconds(301),
    )
    .await
    .unwrap();
    let code = e.sms.last_code();
    let ok = otp::verify(
        &e.state,
        &phone("+79001112233"),
        &code,
        t0 + Duration::seconds(599),
    )
    .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code_so_the_right_one_fails_too() {
    let e = env();
    let t0 = Utc::now();
    let p = phone("+79001112234");
    otp::send_code(&e.state, &p, "1.1.1.1", t0).await.unwrap();
    let code = e.sms.last_code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert!(matches!(
            otp::verify(&e.state, &p, wrong, t0).await,
            Err(ApiError::InvalidCode)
        ));
    }
    assert!(matches!(
        otp::verify(&e.state, &p, &code, t0).await,
        Err(ApiError::InvalidCode)
    ));
}

#[tokio::test]
async fn one_code_per_number_per_minute() {
    let e = env();
    let t0 = Utc::now();
    let p = phone("+79001112235");
    otp::send_code(&e.state, &p, "1.1.1.1", t0).await.unwrap();
    let again = otp::send_code(&e.state, &p, "2.2.2.2", t0 + Duration::seconds(30)).await;
    assert!(matches!(again, Err(ApiError::RateLimited(60))));
    assert_eq!(e.sms.count(), 1);
    otp::send_code(&e.state, &p, "2.2.2.2", t0 + Duration::seconds(61))
        .await
        .unwrap();
    assert_eq!(e.sms.count(), 2);
}

#[tokio::test]
async fn one_ip_gets_at_most_the_configured_codes_per_hour() {
    let e = env_with(Settings {
        otp_ip_limit: 3,
        ..Settings::default()
    });
    let t0 = Utc::now();
    for i in 0..3 {
        otp::send_code(&e.state, &phone(&format!("+7900111330{i}")), "9.9.9.9", t0)
            .await
            .unwrap();
    }
    let over = otp::send_code(&e.state, &phone("+79001113309"), "9.9.9.9", t0).await;
    assert!(matches!(over, Err(ApiError::RateLimited(_))));
    otp::send_code(&e.state, &phone("+79001113309"), "8.8.8.8", t0)
        .await
        .unwrap();
    assert_eq!(e.sms.count(), 4);
}

#[tokio::test]
async fn known_and_unknown_numbers_get_identical_answers() {
    let e = env();
    // After login the number is a known user and its code is consumed, so it may ask again.
    let _ = e.login("+79005550001").await;
    let known = e
        .call(
            "POST",
            "/v1/auth/code",
            None,
            Some(r#"{"phone":"+79005550001"}"#),
        )
        .await;
    let unknown = e
        .call(
            "POST",
            "/v1/auth/code",
            None,
            Some(r#"{"phone":"+79005550002"}"#),
        )
        .await;
    assert_eq!(known.0, StatusCode::OK);
    assert_eq!(known, unknown);
    // Throttled answers are identical too.
    let known = e
        .call(
            "POST",
            "/v1/auth/code",
            None,
            Some(r#"{"phone":"+79005550001"}"#),
        )
        .await;
    let unknown = e
        .call(
            "POST",
            "/v1/auth/code",
            None,
            Some(r#"{"phone":"+79005550002"}"#),
        )
        .await;
    assert_eq!(known.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(known, unknown);
}

#[tokio::test]
async fn codes_are_stored_only_as_keyed_hashes() {
    let e = env();
    let t0 = Utc::now();
    otp::send_code(&e.state, &phone("+79001114444"), "1.1.1.1", t0)
        .await
        .unwrap();
    let code = e.sms.last_code();
    let conn = rusqlite::Connection::open(&e.db).unwrap();
    let (index, hash): (Vec<u8>, Vec<u8>) = conn
        .query_row("SELECT phone_index, code_hash FROM otp_codes", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let keys = Keys::new(SECRET);
    assert_eq!(hash, keys.code_hash("+79001114444", &code));
    assert_eq!(index, keys.phone_index("+79001114444"));
    let dump: Vec<u8> = [index, hash].concat();
    assert!(!dump.windows(6).any(|w| w == code.as_bytes()));
    assert!(!dump.windows(12).any(|w| w == &b"+79001114444"[..]));
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let e = env();
    let token = e.login("+79001115555").await;
    assert_eq!(
        e.call("GET", "/v1/me", Some(&token), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        e.call("POST", "/v1/auth/logout", Some(&token), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (s, body) = e.call("GET", "/v1/me", Some(&token), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), ErrorCode::Unauthorized);
}

#[tokio::test]
async fn the_admin_phone_gets_the_admin_role_and_others_do_not() {
    let e = env();
    let admin = e.login("+70000000009").await;
    let (_, body) = e.call("GET", "/v1/me", Some(&admin), None).await;
    let me: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(me["roles"], json!(["resident", "admin"]));
    let resident = e.login("+79001116666").await;
    let (s, body) = e
        .call(
            "POST",
            "/v1/admin/companies",
            Some(&resident),
            Some(
                r#"{"id":"X","name":"X","tax_id":null,"phone":null,"email":null,"region_id":"R"}"#,
            ),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), ErrorCode::Forbidden);
}

#[tokio::test]
async fn bad_requests_get_a_json_error_with_a_stable_code() {
    let e = env_with(Settings {
        body_limit: 1024,
        ..Settings::default()
    });
    let cases: Vec<(&str, &str, Option<String>, StatusCode, ErrorCode)> = vec![
        (
            "POST",
            "/v1/auth/code",
            Some("{not json".into()),
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedRequest,
        ),
        (
            "POST",
            "/v1/auth/code",
            Some(r#"{"phone": 7}"#.into()),
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedRequest,
        ),
        (
            "POST",
            "/v1/auth/code",
            Some(r#"{"phone": "hello"}"#.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidInput,
        ),
        (
            "POST",
            "/v1/auth/code",
            Some(format!(r#"{{"phone": "{}"}}"#, "1".repeat(4096))),
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
        ),
        (
            "GET",
            "/v1/no/such/route",
            None,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            "GET",
            "/v1/me",
            None,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        ),
        (
            "GET",
            "/v1/buildings/nope",
            None,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
    ];
    for (method, path, body, status, code) in cases {
        let (s, b) = e.call(method, path, None, body.as_deref()).await;
        assert_eq!(s, status, "{method} {path}");
        assert_eq!(error_code(&b), code, "{method} {path}");
    }
}

#[tokio::test]
async fn a_rejected_import_writes_nothing() {
    let e = env();
    let admin = e.login("+70000000009").await;
    let company =
        r#"{"id":"X","name":"UK X","tax_id":null,"phone":null,"email":null,"region_id":"R"}"#;
    assert_eq!(
        e.call("POST", "/v1/admin/companies", Some(&admin), Some(company))
            .await
            .0,
        StatusCode::CREATED
    );
    let b = |id: &str, c: &str| json!({"id": id, "address": "a", "company_id": c, "region_id": "R", "lat": 59.0, "lon": 39.0});
    let bad = json!({"buildings": [b("B1", "X"), b("B2", "missing")]}).to_string();
    let (s, body) = e
        .call("POST", "/v1/admin/buildings", Some(&admin), Some(&bad))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), ErrorCode::InvalidInput);
    assert_eq!(
        e.call("GET", "/v1/buildings/B1", None, None).await.0,
        StatusCode::NOT_FOUND
    );
    let good = json!({"buildings": [b("B1", "X")]}).to_string();
    assert_eq!(
        e.call("POST", "/v1/admin/buildings", Some(&admin), Some(&good))
            .await
            .0,
        StatusCode::CREATED
    );
    let (s, body) = e.call("GET", "/v1/buildings/B1", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["company"]["name"], "UK X");
}

#[tokio::test]
async fn health_metrics_and_openapi_answer_over_a_real_socket() {
    let e = env();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(e.state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = http
        .post(format!("{base}/v1/auth/code"))
        .json(&json!({"phone": "+79007770000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/v1/auth/code",
        "/v1/auth/verify",
        "/v1/auth/logout",
        "/v1/me",
        "/v1/property",
        "/v1/buildings/{id}",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from openapi");
    }
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"connect_http_requests_total{route="/v1/auth/code",method="POST",status="200"}"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_per_ip_cap_uses_the_peer_address_or_the_trusted_proxy_header() {
    let e = env_with(Settings {
        otp_ip_limit: 1,
        ..Settings::default()
    });
    let send = |phone: &'static str, forwarded: Option<&'static str>| {
        let router = e.router();
        async move {
            let mut req = Request::builder()
                .method("POST")
                .uri("/v1/auth/code")
                .header("content-type", "application/json");
            if let Some(f) = forwarded {
                req = req.header("x-forwarded-for", f);
            }
            let body = Body::from(json!({ "phone": phone }).to_string());
            router
                .oneshot(req.body(body).unwrap())
                .await
                .unwrap()
                .status()
        }
    };
    // Without a configured header the peer address counts, whatever the client claims.
    assert_eq!(send("+79001230001", Some("1.1.1.1")).await, StatusCode::OK);
    assert_eq!(
        send("+79001230002", Some("2.2.2.2")).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    let e = env_with(Settings {
        otp_ip_limit: 1,
        trusted_proxy_header: Some("x-forwarded-for".into()),
        ..Settings::default()
    });
    let send = |phone: &'static str, forwarded: &'static str| {
        let router = e.router();
        async move {
            let req = Request::builder()
                .method("POST")
                .uri("/v1/auth/code")
                .header("content-type", "application/json")
                .header("x-forwarded-for", forwarded)
                .body(Body::from(json!({ "phone": phone }).to_string()))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(
        send("+79001230003", "9.9.9.9, 1.1.1.1").await,
        StatusCode::OK
    );
    assert_eq!(
        send("+79001230004", "1.1.1.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(send("+79001230005", "2.2.2.2").await, StatusCode::OK);
}
