//! Router tests of the cabinet's plumbing: the real app over a real SQLite file, driven with
//! `tower::ServiceExt::oneshot`. Mail goes to the real [`DirMailSender`] in a temporary folder
//! (one `.eml` per message), SMS to a sender that keeps them in memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use axum::{
    Router,
    body::{Body, to_bytes},
    extract::connect_info::MockConnectInfo,
    http::{HeaderMap, Request, StatusCode, header},
};
use connect_core::{
    auth::PhoneNumber,
    ids::{ApartmentId, BuildingId, CompanyId, RegionId},
    property::{Apartment, Building, ManagingCompany},
};
use connect_server::{
    AppState, Settings, app,
    auth::sms::{SmsError, SmsSender},
    crypto::Keys,
    mail::DirMailSender,
    store::{PropertyStore, sqlite::SqliteStore},
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

struct Env {
    state: AppState,
    store: Arc<SqliteStore>,
    sms: Arc<CaptureSms>,
    outbox: PathBuf,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("cabinet.db")).unwrap());
    let sms = Arc::new(CaptureSms::default());
    let outbox = dir.path().join("outbox");
    let settings = Settings {
        public_url: "https://connect.example/".into(),
        ..Settings::default()
    };
    let state = AppState::new(store.clone(), Keys::new(SECRET), sms.clone(), settings)
        .with_mail(Arc::new(DirMailSender::new(outbox.clone())));
    Env {
        state,
        store,
        sms,
        outbox,
        _dir: dir,
    }
}

impl Env {
    fn router(&self) -> Router {
        app(self.state.clone()).layer(MockConnectInfo(SocketAddr::from(([10, 0, 0, 1], 5000))))
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn login(&self, phone: &str) -> String {
        let (s, _, _) = self
            .call("POST", "/v1/auth/code", &[], Some(json!({"phone": phone})))
            .await;
        assert_eq!(s, StatusCode::OK);
        let text = self.sms.0.lock().unwrap().last().unwrap().1.clone();
        let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
        let (s, _, body) = self
            .call(
                "POST",
                "/v1/auth/verify",
                &[],
                Some(json!({"phone": phone, "code": code})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["token"].as_str().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_report_writes_an_invite_mail_with_a_link_under_the_public_url() {
    let e = env();
    e.store
        .upsert_company(ManagingCompany {
            id: CompanyId("Z".into()),
            name: "UK Zarya".into(),
            tax_id: None,
            phone: None,
            email: Some("dispatch@uk-z.example".into()),
            region_id: RegionId("R1".into()),
        })
        .await
        .unwrap();
    e.store
        .upsert_buildings(vec![Building {
            id: BuildingId("Z1".into()),
            address: "Z street 1".into(),
            company_id: Some(CompanyId("Z".into())),
            region_id: RegionId("R1".into()),
            lat: 59.2,
            lon: 39.9,
        }])
        .await
        .unwrap();
    let apartment = Apartment {
        id: ApartmentId(uuid::Uuid::now_v7()),
        building_id: BuildingId("Z1".into()),
        number: "1".into(),
    };
    e.store.insert_apartment(apartment.clone()).await.unwrap();
    let token = e.login("+79001112233").await;
    let (_, _, me) = e
        .call(
            "GET",
            "/v1/me",
            &[("authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
    let me: Value = serde_json::from_str(&me).unwrap();
    let user = connect_core::ids::UserId(me["user_id"].as_str().unwrap().parse().unwrap());
    e.store.link_resident(user, apartment.id).await.unwrap();
    let (s, _, body) = e
        .call(
            "POST",
            "/v1/reports",
            &[("authorization", &format!("Bearer {token}"))],
            Some(
                json!({"id": uuid::Uuid::now_v7(), "building_id": "Z1", "category": "leak",
                        "text": "water", "place": "entrance 1"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let mut files = Vec::new();
    for _ in 0..100 {
        files = std::fs::read_dir(&e.outbox)
            .map(|d| {
                d.map(|f| f.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(files.len(), 1, "one invite mail");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.starts_with("To: dispatch@uk-z.example\r\n"), "{eml}");
    assert!(eml.contains("Subject: Invitation to the CommunityConnect cabinet of UK Zarya\r\n"));
    let link = eml
        .split_whitespace()
        .find(|w| w.starts_with("https://connect.example/invite/"))
        .expect("a link under the public URL");
    let path = link.trim_start_matches("https://connect.example");
    let (s, _, page) = e.call("GET", path, &[("accept", "text/html")], None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Join UK Zarya"), "{page}");
    let (s, _, _) = e
        .call(
            "GET",
            "/invite/not-a-token",
            &[("accept", "text/html")],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cookies_are_secure_http_only_and_strict_when_the_public_url_is_https() {
    let e = env();
    let (s, headers, page) = e
        .call("GET", "/cabinet/login", &[("accept", "text/html")], None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let cookie = headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("cc_login="));
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert!(page.contains("name=\"nonce\""));
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'none'"));
    // Signed out: browsers go to the sign-in page, API clients get 401 JSON.
    let (s, headers, _) = e
        .call("GET", "/cabinet", &[("accept", "text/html")], None)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/cabinet/login");
    let (s, _, body) = e.call("GET", "/cabinet", &[], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn every_new_json_route_is_in_the_openapi_document() {
    let e = env();
    let (_, _, doc) = e.call("GET", "/openapi.json", &[], None).await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    for p in [
        "/v1/invites/{token}/accept",
        "/v1/company/staff",
        "/v1/company/staff/invites",
        "/v1/company/reports/{id}/assign",
        "/v1/rating",
        "/v1/admin/rating:import",
        "/v1/authority/dashboard",
        "/v1/authority/dashboard.csv",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from openapi");
    }
}
