//! The phone side of meter readings end to end: `ConnectApp` with its real store (SQLite files)
//! and real HTTP client, against a small in-process `/v1` server on loopback that deduplicates on
//! the reading id and applies the shared validation rules, as the real server will.
#![cfg(feature = "client")]
#![allow(clippy::unwrap_used, missing_docs)]

use std::{
    collections::{HashMap, VecDeque},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{NaiveDate, TimeZone, Utc};
use connect_core::{
    api::{
        ErrorBody, ErrorCode,
        auth::{SendCodeRequest, SendCodeResponse, SessionResponse, VerifyCodeRequest},
        property::{Home, PropertyResponse},
        readings::{ReadingBatchRequest, ReadingBatchResponse, ReadingOutcome, ReadingResult},
        sync::SyncResponse,
    },
    app::{AppConfig, AppError, AppEvent, AppListener, ConnectApp},
    auth::Role,
    ids::{AccountId, ApartmentId, BuildingId, MeterId, ProviderId, ReadingId, RegionId, UserId},
    property::{Apartment, Building, PersonalAccount, UtilityKind},
    readings::{
        Meter, Reading, Tariff, TariffValue,
        validation::{ValidationInput, validate},
    },
    store::{ReadingFilter, ReadingState},
    sync::{BackoffPolicy, EngineConfig, HttpTransport, RoundEnd, Transport, TransportError},
};
use uuid::Uuid;

const CODE: &str = "123456";
const ACCOUNT_NUMBER: &str = "40817810099910004312";
const HOLDER: &str = "Ivanova Maria";

fn meter() -> Meter {
    Meter {
        id: MeterId(Uuid::from_u128(0x11)),
        apartment_id: ApartmentId(Uuid::from_u128(0x22)),
        account_id: AccountId(Uuid::from_u128(0x33)),
        kind: UtilityKind::ColdWater,
        serial: "CW-0001".into(),
        integer_digits: 5,
        fraction_digits: 3,
        tariffs: vec![Tariff::Single],
        installed_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        next_verification_on: None,
        replaces: None,
    }
}

/// The server side of the test: what a real server stores, plus fault switches.
#[derive(Default)]
struct ServerState {
    sessions: Vec<String>,
    issued: u32,
    stored: HashMap<ReadingId, Reading>,
    batches: Vec<ReadingBatchRequest>,
    /// Statuses (with Retry-After seconds) to answer the next batches with, storing nothing.
    faults: VecDeque<(StatusCode, Option<u64>)>,
}

type Shared = Arc<Mutex<ServerState>>;

fn authorized(state: &ServerState, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| state.sessions.iter().any(|s| s == t))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(ErrorBody::new(ErrorCode::Unauthorized, "log in")),
    )
        .into_response()
}

async fn send_code(Json(_): Json<SendCodeRequest>) -> Json<SendCodeResponse> {
    Json(SendCodeResponse {
        expires_in_s: 300,
        resend_after_s: 60,
    })
}

async fn verify(State(s): State<Shared>, Json(req): Json<VerifyCodeRequest>) -> Response {
    if req.code != CODE {
        return (
            StatusCode::BAD_REQUEST,
            Json(ErrorBody::new(ErrorCode::InvalidCode, "wrong code")),
        )
            .into_response();
    }
    let mut s = s.lock().unwrap();
    s.issued += 1;
    let token = format!("token-{}", s.issued);
    s.sessions.push(token.clone());
    Json(SessionResponse {
        token,
        user_id: UserId(Uuid::from_u128(0x99)),
        roles: vec![Role::Resident],
        expires_at: Utc::now() + chrono::Duration::days(30),
    })
    .into_response()
}

async fn property(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&s.lock().unwrap(), &headers) {
        return unauthorized();
    }
    let m = meter();
    Json(PropertyResponse {
        homes: vec![Home {
            apartment: Apartment {
                id: m.apartment_id,
                building_id: BuildingId("VLG-000123".into()),
                number: "12".into(),
            },
            building: Building {
                id: BuildingId("VLG-000123".into()),
                address: "1 Test St".into(),
                company_id: None,
                region_id: RegionId("34".into()),
                lat: 48.7,
                lon: 44.5,
            },
            company: None,
            accounts: vec![PersonalAccount {
                id: m.account_id,
                apartment_id: m.apartment_id,
                provider_id: ProviderId("water".into()),
                number: ACCOUNT_NUMBER.into(),
                holder_name: HOLDER.into(),
            }],
            meters: vec![m],
            providers: Vec::new(),
        }],
    })
    .into_response()
}

async fn batch(
    State(s): State<Shared>,
    headers: HeaderMap,
    Json(req): Json<ReadingBatchRequest>,
) -> Response {
    let mut s = s.lock().unwrap();
    if !authorized(&s, &headers) {
        return unauthorized();
    }
    if let Some((status, retry_after)) = s.faults.pop_front() {
        let mut response =
            (status, Json(ErrorBody::new(ErrorCode::Overloaded, "busy"))).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
        }
        return response;
    }
    s.batches.push(req.clone());
    let now = Utc::now();
    let m = meter();
    let mut results = Vec::new();
    for item in req.items {
        let outcome = match s.stored.get(&item.id) {
            Some(prev) if *prev == item => ReadingOutcome::Duplicate { received_at: now },
            Some(_) => ReadingOutcome::Conflict,
            None => {
                let history: Vec<Reading> = s.stored.values().cloned().collect();
                let verdict = validate(ValidationInput {
                    meter: &m,
                    history: &history,
                    reading: &item,
                    window: None,
                    now,
                });
                match verdict.rejection {
                    Some(r) => ReadingOutcome::Rejected {
                        code: r.code.as_str().into(),
                        message: r.message,
                    },
                    None => {
                        s.stored.insert(item.id, item.clone());
                        ReadingOutcome::Accepted {
                            received_at: now,
                            late: verdict.late,
                        }
                    }
                }
            }
        };
        results.push(ReadingResult {
            id: item.id,
            outcome,
        });
    }
    Json(ReadingBatchResponse { results }).into_response()
}

async fn pull(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&s.lock().unwrap(), &headers) {
        return unauthorized();
    }
    Json(SyncResponse {
        cursor: "c1".into(),
        ..SyncResponse::default()
    })
    .into_response()
}

struct TestServer {
    state: Shared,
    url: String,
    _runtime: tokio::runtime::Runtime,
}

fn start_server() -> TestServer {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/auth/code", post(send_code))
        .route("/v1/auth/verify", post(verify))
        .route("/v1/property", get(property))
        .route("/v1/readings:batch", post(batch))
        .route("/v1/sync", get(pull))
        .with_state(Arc::clone(&state));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    TestServer {
        state,
        url,
        _runtime: runtime,
    }
}

/// Lets requests reach the server but throws away the next `lose` upload answers, as when the
/// connection drops after the server committed.
struct LosingTransport {
    inner: HttpTransport,
    lose: Mutex<u32>,
}

#[async_trait]
impl Transport for LosingTransport {
    async fn send_code(&self, r: &SendCodeRequest) -> Result<SendCodeResponse, TransportError> {
        self.inner.send_code(r).await
    }
    async fn verify_code(&self, r: &VerifyCodeRequest) -> Result<SessionResponse, TransportError> {
        self.inner.verify_code(r).await
    }
    async fn logout(&self, token: &str) -> Result<(), TransportError> {
        self.inner.logout(token).await
    }
    async fn property(&self, token: &str) -> Result<PropertyResponse, TransportError> {
        self.inner.property(token).await
    }
    async fn upload_readings(
        &self,
        token: &str,
        batch: &ReadingBatchRequest,
    ) -> Result<ReadingBatchResponse, TransportError> {
        let answer = self.inner.upload_readings(token, batch).await;
        let mut lose = self.lose.lock().unwrap();
        if *lose > 0 && answer.is_ok() {
            *lose -= 1;
            return Err(TransportError::Network("connection reset".into()));
        }
        answer
    }
    async fn pull(&self, token: &str, since: Option<&str>) -> Result<SyncResponse, TransportError> {
        self.inner.pull(token, since).await
    }
}

#[derive(Default, Clone)]
struct Events(Arc<Mutex<Vec<AppEvent>>>);

impl AppListener for Events {
    fn on_event(&self, event: AppEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Events {
    fn all(&self) -> Vec<AppEvent> {
        self.0.lock().unwrap().clone()
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

struct Phone {
    app: ConnectApp,
    events: Events,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

fn engine_config(batch_size: usize) -> EngineConfig {
    EngineConfig {
        batch_size,
        periodic: Duration::from_secs(3600),
        backoff: BackoffPolicy::default(),
    }
}

fn open_app(db: &Path, url: &str, transport: Arc<dyn Transport>, batch_size: usize) -> ConnectApp {
    ConnectApp::open_with(
        AppConfig {
            db_path: db.to_owned(),
            server_url: url.into(),
            db_key: [42; 32],
            trusted_keys: vec![],
        },
        transport,
        engine_config(batch_size),
    )
    .unwrap()
}

fn phone_with(transport: Arc<dyn Transport>, url: &str, batch_size: usize) -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("connect.db");
    let app = open_app(&db, url, transport, batch_size);
    let events = Events::default();
    app.set_listener(Box::new(events.clone()));
    Phone {
        app,
        events,
        db,
        _dir: dir,
    }
}

fn log_in(app: &ConnectApp) {
    app.request_code("+7 900 123-45-67").unwrap();
    app.verify_code("+79001234567", CODE).unwrap();
    assert_eq!(app.refresh_property().unwrap(), vec![meter()]);
}

fn logged_in_phone(server: &TestServer) -> Phone {
    let phone = phone_with(
        Arc::new(HttpTransport::new(&server.url).unwrap()),
        &server.url,
        500,
    );
    log_in(&phone.app);
    phone
}

fn value(v: &str) -> Vec<TariffValue> {
    vec![TariffValue {
        tariff: Tariff::Single,
        value: v.parse().unwrap(),
    }]
}

fn day(d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, 9, 30, 15).unwrap()
        + chrono::Duration::nanoseconds(123_456_789)
}

fn count(app: &ConnectApp, filter: ReadingFilter) -> usize {
    app.readings(filter).unwrap().len()
}

/// Manual rounds skip any backoff; a few are enough for every scripted fault to pass.
fn sync_until_synced(app: &ConnectApp) -> Vec<RoundEnd> {
    let mut ends = Vec::new();
    for _ in 0..5 {
        let end = app.sync_now_blocking().unwrap();
        ends.push(end);
        if end == RoundEnd::Synced {
            break;
        }
    }
    ends
}

#[test]
fn queued_readings_are_uploaded_and_move_to_the_accepted_history() {
    let server = start_server();
    let phone = logged_in_phone(&server);
    let ids: Vec<ReadingId> = (1..=3)
        .map(|i| {
            phone
                .app
                .submit_reading(meter().id, value(&format!("{}.5", 100 + i)), day(i), false)
                .unwrap()
        })
        .collect();
    assert_eq!(phone.app.sync_now_blocking().unwrap(), RoundEnd::Synced);
    assert_eq!(count(&phone.app, ReadingFilter::Queued), 0);
    let accepted = phone.app.readings(ReadingFilter::Accepted).unwrap();
    assert_eq!(accepted.len(), 3);
    assert!(
        accepted
            .iter()
            .all(|i| i.state == ReadingState::Accepted && i.received_at.is_some())
    );
    let s = server.state.lock().unwrap();
    assert_eq!(s.stored.len(), 3);
    for id in ids {
        let local = accepted.iter().find(|i| i.reading.id == id).unwrap();
        assert_eq!(
            s.stored[&id], local.reading,
            "the server holds exactly what the phone queued"
        );
    }
    let accepted_events = phone
        .events
        .all()
        .into_iter()
        .filter(|e| matches!(e, AppEvent::ReadingAccepted { .. }))
        .count();
    assert_eq!(accepted_events, 3);
}

#[test]
fn a_lost_answer_resends_the_same_ids_with_the_same_content_and_nothing_is_stored_twice() {
    let server = start_server();
    let transport = Arc::new(LosingTransport {
        inner: HttpTransport::new(&server.url).unwrap(),
        lose: Mutex::new(1),
    });
    let phone = phone_with(transport, &server.url, 2);
    log_in(&phone.app);
    for i in 1..=3 {
        phone
            .app
            .submit_reading(meter().id, value(&format!("{}", 200 + i)), day(i), false)
            .unwrap();
    }
    let ends = sync_until_synced(&phone.app);
    assert_eq!(ends.last(), Some(&RoundEnd::Synced), "{ends:?}");
    let s = server.state.lock().unwrap();
    assert_eq!(s.stored.len(), 3, "exactly the queued readings, once each");
    // The first batch was committed and its answer lost; a later request carried the same items.
    let lost = &s.batches[0];
    assert!(!lost.items.is_empty());
    for item in &lost.items {
        assert!(
            s.batches[1..]
                .iter()
                .any(|b| b.items.iter().any(|resent| resent == item)),
            "{} was resent with the same content",
            item.id
        );
    }
    assert_eq!(count(&phone.app, ReadingFilter::Queued), 0);
    assert_eq!(count(&phone.app, ReadingFilter::Accepted), 3);
    assert_eq!(count(&phone.app, ReadingFilter::Rejected), 0);
}

#[test]
fn a_revoked_session_keeps_readings_queued_asks_for_login_and_resumes_after_it() {
    let server = start_server();
    let phone = logged_in_phone(&server);
    phone.app.sync_now_blocking().unwrap();
    phone.events.clear();
    server.state.lock().unwrap().sessions.clear();
    phone
        .app
        .submit_reading(meter().id, value("10"), day(1), false)
        .unwrap();
    assert_eq!(phone.app.sync_now_blocking().unwrap(), RoundEnd::NeedsLogin);
    assert!(phone.events.all().contains(&AppEvent::SessionExpired));
    assert_eq!(count(&phone.app, ReadingFilter::Queued), 1);
    assert_eq!(count(&phone.app, ReadingFilter::Rejected), 0);
    phone.app.verify_code("+79001234567", CODE).unwrap();
    assert_eq!(
        sync_until_synced(&phone.app).last(),
        Some(&RoundEnd::Synced)
    );
    assert_eq!(count(&phone.app, ReadingFilter::Accepted), 1);
    assert_eq!(server.state.lock().unwrap().stored.len(), 1);
}

#[test]
fn an_overloaded_server_is_retried_after_its_retry_after_and_nothing_is_lost() {
    let server = start_server();
    let phone = logged_in_phone(&server);
    phone.app.sync_now_blocking().unwrap();
    server.state.lock().unwrap().faults.extend([
        (StatusCode::TOO_MANY_REQUESTS, Some(7)),
        (StatusCode::INTERNAL_SERVER_ERROR, None),
    ]);
    phone
        .app
        .submit_reading(meter().id, value("10"), day(1), false)
        .unwrap();
    let ends = sync_until_synced(&phone.app);
    assert_eq!(ends.last(), Some(&RoundEnd::Synced), "{ends:?}");
    let seven = RoundEnd::WillRetry {
        after: Duration::from_secs(7),
    };
    assert!(
        phone
            .events
            .all()
            .contains(&AppEvent::SyncFinished { end: seven }),
        "the server's Retry-After is the delay"
    );
    assert!(server.state.lock().unwrap().faults.is_empty());
    assert_eq!(count(&phone.app, ReadingFilter::Accepted), 1);
    assert_eq!(server.state.lock().unwrap().stored.len(), 1);
}

#[test]
fn a_reading_the_server_rejects_is_kept_with_its_reason_and_does_not_block_the_rest() {
    let server = start_server();
    let phone = logged_in_phone(&server);
    // Another device already sent a higher value this phone does not know about.
    let other = Reading {
        id: ReadingId(Uuid::now_v7()),
        meter_id: meter().id,
        values: value("500"),
        taken_at: day(1),
        confirmed_jump: false,
    };
    server.state.lock().unwrap().stored.insert(other.id, other);
    let low = phone
        .app
        .submit_reading(meter().id, value("400"), day(2), false)
        .unwrap();
    let high = phone
        .app
        .submit_reading(meter().id, value("501"), day(3), false)
        .unwrap();
    assert_eq!(
        sync_until_synced(&phone.app).last(),
        Some(&RoundEnd::Synced)
    );
    let rejected = phone.app.readings(ReadingFilter::Rejected).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].reading.id, low);
    let reason = rejected[0].rejection.as_ref().unwrap();
    assert_eq!(reason.code, "below_previous");
    assert!(reason.message.contains("500.000"), "{}", reason.message);
    let accepted: Vec<ReadingId> = phone
        .app
        .readings(ReadingFilter::Accepted)
        .unwrap()
        .iter()
        .map(|i| i.reading.id)
        .collect();
    assert_eq!(accepted, vec![high]);
    assert!(phone.events.all().iter().any(|e| matches!(
        e,
        AppEvent::ReadingRejected { id, code, .. } if *id == low && code == "below_previous"
    )));
}

#[test]
fn a_conflict_is_kept_as_rejected_with_an_already_submitted_reason() {
    let server = start_server();
    let phone = logged_in_phone(&server);
    phone.app.sync_now_blocking().unwrap();
    // Hold the upload back while the server gets other content under the same id.
    server
        .state
        .lock()
        .unwrap()
        .faults
        .push_back((StatusCode::SERVICE_UNAVAILABLE, Some(60)));
    let id = phone
        .app
        .submit_reading(meter().id, value("10"), day(1), false)
        .unwrap();
    let mut altered = phone.app.readings(ReadingFilter::Queued).unwrap()[0]
        .reading
        .clone();
    assert_eq!(altered.id, id);
    altered.values = value("11");
    server.state.lock().unwrap().stored.insert(id, altered);
    assert_eq!(
        sync_until_synced(&phone.app).last(),
        Some(&RoundEnd::Synced)
    );
    let rejected = phone.app.readings(ReadingFilter::Rejected).unwrap();
    assert_eq!(rejected.len(), 1);
    let reason = rejected[0].rejection.as_ref().unwrap();
    assert_eq!(reason.code, "conflict");
    assert!(reason.message.contains("already submitted"));
    assert_eq!(count(&phone.app, ReadingFilter::Queued), 0);
}

#[test]
fn a_reading_below_the_local_history_is_refused_at_once_and_listed_with_its_reason() {
    let server = start_server();
    let phone = logged_in_phone(&server);
    phone
        .app
        .submit_reading(meter().id, value("100"), day(1), false)
        .unwrap();
    let err = phone
        .app
        .submit_reading(meter().id, value("99"), day(2), false)
        .unwrap_err();
    let AppError::Rejected { id, code, message } = err else {
        panic!("expected a rejection, got {err:?}");
    };
    assert_eq!(code, "below_previous");
    let rejected = phone.app.readings(ReadingFilter::Rejected).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].reading.id, id);
    assert_eq!(rejected[0].rejection.as_ref().unwrap().message, message);
    assert_eq!(phone.app.sync_now_blocking().unwrap(), RoundEnd::Synced);
    assert_eq!(
        server.state.lock().unwrap().stored.len(),
        1,
        "the refused reading is never sent"
    );
}

#[test]
fn without_a_network_readings_are_queued_and_survive_a_restart() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("connect.db");
    let online = || Arc::new(HttpTransport::new(&server.url).unwrap());
    log_in(&open_app(&db, &server.url, online(), 500));
    // Port 9 on loopback: connection refused, like a basement without signal.
    let offline = "http://127.0.0.1:9";
    {
        let app = open_app(
            &db,
            offline,
            Arc::new(HttpTransport::new(offline).unwrap()),
            500,
        );
        assert_eq!(app.meters().unwrap(), vec![meter()]);
        app.submit_reading(meter().id, value("10"), day(1), false)
            .unwrap();
        assert!(matches!(
            app.sync_now_blocking().unwrap(),
            RoundEnd::WillRetry { .. }
        ));
        let queued = app.readings(ReadingFilter::Queued).unwrap();
        assert_eq!(queued.len(), 1);
        assert!(queued[0].attempts >= 1 && queued[0].last_error.is_some());
    }
    let app = open_app(&db, &server.url, online(), 500);
    assert_eq!(sync_until_synced(&app).last(), Some(&RoundEnd::Synced));
    assert_eq!(count(&app, ReadingFilter::Accepted), 1);
    assert_eq!(server.state.lock().unwrap().stored.len(), 1);
}

#[test]
fn an_unconfirmed_jump_stores_nothing_and_a_confirmed_one_is_queued() {
    let server = start_server();
    let phone = logged_in_phone(&server);
    for (i, (y, m)) in [(2025, 12), (2026, 1), (2026, 2)].into_iter().enumerate() {
        phone
            .app
            .submit_reading(
                meter().id,
                value(&format!("{}", 100 + 10 * i)),
                Utc.with_ymd_and_hms(y, m, 1, 12, 0, 0).unwrap(),
                false,
            )
            .unwrap();
    }
    let march = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let err = phone
        .app
        .submit_reading(meter().id, value("170"), march, false)
        .unwrap_err();
    assert!(matches!(err, AppError::NeedsConfirmation { .. }), "{err:?}");
    assert_eq!(count(&phone.app, ReadingFilter::All), 3);
    phone
        .app
        .submit_reading(meter().id, value("170"), march, true)
        .unwrap();
    assert_eq!(
        sync_until_synced(&phone.app).last(),
        Some(&RoundEnd::Synced)
    );
    assert_eq!(count(&phone.app, ReadingFilter::Accepted), 4);
}

#[test]
fn personal_fields_never_reach_the_database_file_in_plain_text_and_a_wrong_key_is_refused() {
    let server = start_server();
    let Phone { app, db, _dir, .. } = logged_in_phone(&server);
    drop(app);
    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    for secret in [ACCOUNT_NUMBER, HOLDER, "token-1", "79001234567"] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} found in plain text"
        );
    }
    let wrong = ConnectApp::open_with(
        AppConfig {
            db_path: db,
            server_url: server.url.clone(),
            db_key: [7; 32],
            trusted_keys: vec![],
        },
        Arc::new(HttpTransport::new(&server.url).unwrap()),
        engine_config(500),
    );
    assert!(matches!(wrong, Err(AppError::WrongKey)));
}
