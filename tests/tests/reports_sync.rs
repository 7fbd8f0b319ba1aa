//! A problem report end to end, on SQLite and on PostgreSQL: a resident (a real `ConnectApp`
//! with its SQLite file) files a report with photos while the server is unreachable, comes
//! online through a fault-injecting proxy (the filing's answer is dropped after the server
//! committed it, then the request is duplicated; the pull's answer is dropped), and the server
//! holds exactly one report, with the digest and photos the phone sent. Staff sign in to the web
//! cabinet and accept and resolve it there (CSRF-checked forms over HTTP); the resident's sync
//! shows the status and the listener hears it. The resident rates it (answer dropped, request
//! duplicated: one rating) and the public rating of the company changes (JSON and page); a second
//! rating is refused on the phone and by the server, and reopening works (request lost, answer
//! lost, request duplicated: one reopening). The whole loop of issue 6 in one test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Cursor,
    net::TcpListener,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use connect_core::{
    api::reports::FileReportRequest,
    app::{AppConfig, AppError, AppEvent, AppListener, ConnectApp},
    ids::{BuildingId, ReportId},
    reports::{ReportError, ReportStatus},
    store::{
        Store,
        reports::{ReportActionState, ReportDelivery, ReportItem},
    },
    sync::{BackoffPolicy, EngineConfig, HttpTransport, RoundEnd},
};
use connect_tests::{
    ADMIN_PHONE, Client, TestServer,
    faults::{Fault, FaultConfig, FaultProxy},
    web::{Browser, company_rating, hidden, location, sign_in},
};
use image::{ImageFormat, Rgb, RgbImage};
use reqwest::StatusCode;
use serde_json::{Value, json};

const RESIDENT: &str = "+79005550001";
const STAFF: &str = "+79005550002";
const KEY: [u8; 32] = [42; 32];

/// A loopback URL where nothing listens: the phone is offline.
fn offline_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

/// The listener: keeps every event.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<AppEvent>>>);

impl AppListener for Recorder {
    fn on_event(&self, event: AppEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    fn events(&self) -> Vec<AppEvent> {
        self.0.lock().unwrap().clone()
    }
}

/// The phone: opened on `db` against `url`, with quick retries.
fn open(db: &Path, url: &str) -> ConnectApp {
    let config = AppConfig {
        db_path: db.to_owned(),
        server_url: url.to_owned(),
        db_key: KEY,
        trusted_keys: Vec::new(),
    };
    let engine = EngineConfig {
        batch_size: 100,
        periodic: Duration::from_secs(3600),
        backoff: BackoffPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(200),
        },
    };
    ConnectApp::open_with(config, Arc::new(HttpTransport::new(url).unwrap()), engine).unwrap()
}

/// Runs phone code off the async runtime (the app blocks on its own runtime).
async fn phone<T: Send + 'static>(
    app: &Arc<ConnectApp>,
    f: impl FnOnce(&ConnectApp) -> T + Send + 'static,
) -> T {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app)).await.unwrap()
}

async fn close(app: Arc<ConnectApp>) {
    tokio::task::spawn_blocking(move || drop(app))
        .await
        .unwrap();
}

/// Syncs until `done` holds for the report (a few rounds: faults make some fail).
async fn sync_until(
    app: &Arc<ConnectApp>,
    id: ReportId,
    what: &str,
    done: fn(&ReportItem) -> bool,
) {
    let what = what.to_owned();
    phone(app, move |app| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let end = app.sync_now_blocking().unwrap();
            let item = app.report(id).unwrap().expect("the report is on the phone");
            if done(&item) && end == RoundEnd::Synced {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not reached; last {item:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
}

/// A large photo as a camera makes it (PNG here, so the phone has to re-encode it) and a small JPEG.
fn photos() -> Vec<Vec<u8>> {
    let big = RgbImage::from_fn(2400, 1800, |x, y| {
        Rgb([(x / 10) as u8, (y / 8) as u8, ((x + y) / 20) as u8])
    });
    let small = RgbImage::from_fn(320, 240, |x, _| {
        if x < 160 {
            Rgb([200, 30, 30])
        } else {
            Rgb([30, 30, 200])
        }
    });
    [(big, ImageFormat::Png), (small, ImageFormat::Jpeg)]
        .into_iter()
        .map(|(img, format)| {
            let mut out = Cursor::new(Vec::new());
            img.write_to(&mut out, format).unwrap();
            out.into_inner()
        })
        .collect()
}

async fn status(staff: &Client, id: ReportId, action: &str, comment: &str) -> Value {
    staff
        .post_ok(
            &format!("/v1/company/reports/{}/status", id.0),
            json!({"action": action, "comment": comment}),
        )
        .await
}

fn statuses(view: &Value) -> Vec<String> {
    view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["status"].as_str().map(str::to_owned))
        .collect()
}

fn status_changes(recorder: &Recorder, id: ReportId) -> Vec<(ReportStatus, Option<String>)> {
    recorder
        .events()
        .into_iter()
        .filter_map(|e| match e {
            AppEvent::ReportStatusChanged {
                id: of,
                status,
                message,
                ..
            } if of == id => Some((status, message)),
            _ => None,
        })
        .collect()
}

async fn run(server: TestServer) -> TestServer {
    let admin = server.login(ADMIN_PHONE).await;
    admin.seed_home("R", "R1", "12", RESIDENT, STAFF).await;
    let staff = server.login(STAFF).await;
    let proxy = FaultProxy::start(&server.base, FaultConfig::scripted_only()).await;
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("phone.db");

    // Online once: log in, fetch the home (where reports can be filed) and the categories.
    let app = Arc::new(
        tokio::task::spawn_blocking({
            let (db, url) = (db.clone(), proxy.base.clone());
            move || open(&db, &url)
        })
        .await
        .unwrap(),
    );
    phone(&app, |app| app.request_code(RESIDENT).unwrap()).await;
    let code = server.sms.last_code(RESIDENT).unwrap();
    phone(&app, move |app| {
        app.verify_code(RESIDENT, &code).unwrap();
        app.refresh_property().unwrap();
        let buildings = app.report_buildings().unwrap();
        assert_eq!(buildings.len(), 1);
        assert_eq!(buildings[0].id, BuildingId("R1".into()));
        assert!(
            app.report_categories()
                .unwrap()
                .iter()
                .any(|c| c.code == "leak")
        );
    })
    .await;
    close(app).await;

    // Offline: the report is filed and queued, the photos prepared on the phone.
    let app = Arc::new(
        tokio::task::spawn_blocking({
            let (db, url) = (db.clone(), offline_url());
            move || open(&db, &url)
        })
        .await
        .unwrap(),
    );
    let originals = photos();
    let id = phone(&app, move |app| {
        let id = app
            .file_report(
                None,
                "leak",
                "water from the ceiling",
                "entrance 1, floor 3",
                originals,
            )
            .unwrap();
        assert!(matches!(
            app.sync_now_blocking().unwrap(),
            RoundEnd::WillRetry { .. }
        ));
        let item = app.report(id).unwrap().unwrap();
        assert_eq!(item.delivery, ReportDelivery::Queued);
        assert_eq!((item.number.clone(), item.photo_count), (None, 2));
        assert!(item.attempts >= 1, "{item:?}");
        let first = image::load_from_memory(&app.report_photo(id, 0).unwrap().unwrap()).unwrap();
        assert_eq!((first.width(), first.height()), (1600, 1200));
        id
    })
    .await;
    let (_, listed) = staff.get("/v1/company/reports").await;
    assert_eq!(listed["reports"], json!([]), "nothing reached the server");
    close(app).await;

    // Online through faults: the filing's answer is lost after the commit, then the request is
    // duplicated; the first pull's answer is lost too.
    let recorder = Recorder::default();
    let app = Arc::new(
        tokio::task::spawn_blocking({
            let (db, url, recorder) = (db.clone(), proxy.base.clone(), recorder.clone());
            move || {
                let app = open(&db, &url);
                app.set_listener(Box::new(recorder));
                app
            }
        })
        .await
        .unwrap(),
    );
    proxy.script(
        "POST",
        "/v1/reports",
        &[Fault::DropResponse, Fault::Duplicate],
    );
    proxy.script("GET", "/v1/sync", &[Fault::DropResponse]);
    sync_until(&app, id, "filed", |i| i.delivery == ReportDelivery::Filed).await;
    assert_eq!(proxy.scripted_left(), 0, "every scripted fault was met");
    let (item, sent) = phone(&app, move |app| {
        let item = app.report(id).unwrap().unwrap();
        // The request the phone sent, rebuilt from what it stored.
        let sent = FileReportRequest {
            id,
            building_id: item.building_id.clone(),
            category: item.category.clone(),
            text: item.text.clone(),
            place: item.place.clone(),
            photos: (0..item.photo_count)
                .map(|n| STANDARD.encode(app.report_photo(id, n).unwrap().unwrap()))
                .collect(),
        };
        (item, sent)
    })
    .await;
    let number = item.number.clone().expect("a public number");
    assert!(item.content_verified);
    assert!(recorder.events().contains(&AppEvent::ReportFiled {
        id,
        number: number.clone(),
        content_verified: true
    }));
    let (_, listed) = staff.get("/v1/company/reports").await;
    let listed = listed["reports"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "exactly one report: {listed:?}");
    assert_eq!(listed[0]["id"], id.0.to_string());
    assert_eq!(listed[0]["number"], number.as_str());
    assert_eq!(listed[0]["content_sha256"], sent.content_sha256().as_str());
    assert_eq!(listed[0]["photo_count"], 2);
    let served = reqwest::Client::new()
        .get(format!("{}/v1/reports/{}/photos/0", server.base, id.0))
        .bearer_auth(staff.token.clone().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        STANDARD.encode(&served),
        sent.photos[0],
        "the photo as the phone sent it"
    );

    // The public rating before: company R has no rated report yet.
    let (_, before) = server.anonymous().get("/v1/rating?region=R1").await;
    let r = company_rating(&before, "R");
    assert_eq!(r["resident_figures"]["residents_rated"], 0, "{r}");
    assert_eq!(r["residents"]["score"], Value::Null, "{r}");

    // Staff accept and resolve in the web cabinet; the resident's sync shows it and the listener
    // hears it.
    let mut browser = Browser::new(&server.base);
    sign_in(&mut browser, &server, STAFF).await;
    let page_path = format!("/cabinet/reports/{}", id.0);
    let (st, _, page) = browser.get(&page_path).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(
        page.contains(&number),
        "the cabinet shows the public number"
    );
    let csrf = hidden(&page, "csrf");
    for (action, comment) in [("accept", "on our way"), ("resolve", "fixed the pipe")] {
        let (st, h, body) = browser
            .post(
                &format!("{page_path}/status"),
                &[("action", action), ("comment", comment), ("csrf", &csrf)],
                &[],
            )
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{action}: {body}");
        assert_eq!(location(&h), page_path);
    }
    proxy.script("GET", "/v1/sync", &[Fault::Duplicate]);
    sync_until(&app, id, "resolved", |i| i.status == ReportStatus::Resolved).await;
    assert_eq!(proxy.scripted_left(), 0);
    assert_eq!(
        status_changes(&recorder, id),
        vec![
            (ReportStatus::Accepted, Some("on our way".into())),
            (ReportStatus::Resolved, Some("fixed the pipe".into())),
        ]
    );

    // The rating's answer is lost after the commit, then the request is duplicated: one rating.
    proxy.script(
        "POST",
        &format!("/v1/reports/{}/rating", id.0),
        &[Fault::DropResponse, Fault::Duplicate],
    );
    phone(&app, move |app| {
        app.rate_report(id, 4, Some("quick and clean".into()))
            .unwrap();
    })
    .await;
    sync_until(&app, id, "rated", |i| {
        i.status == ReportStatus::Rated
            && i.actions.iter().all(|a| a.state == ReportActionState::Done)
    })
    .await;
    assert_eq!(proxy.scripted_left(), 0);
    let again = phone(&app, move |app| app.rate_report(id, 5, None)).await;
    assert!(
        matches!(again, Err(AppError::Report(ReportError::AlreadyRated))),
        "{again:?}"
    );
    // The server refuses a second rating too (with the phone's own session).
    let session = tokio::task::spawn_blocking({
        let db = db.clone();
        move || {
            let store = Store::open(&db, &KEY).unwrap();
            store
                .read(|c| connect_core::store::session::load(c, store.cipher()))
                .unwrap()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let mut resident = server.anonymous();
    resident.token = Some(session.token.clone());
    let (s, body) = resident
        .post(
            &format!("/v1/reports/{}/rating", id.0),
            json!({"stars": 5, "id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (_, view) = staff.get(&format!("/v1/reports/{}", id.0)).await;
    assert_eq!(view["rating"], 4);
    assert_eq!(statuses(&view), ["accepted", "resolved", "rated"]);

    // The public rating now counts the resident's 4 stars, answered on time.
    let (_, after) = server.anonymous().get("/v1/rating?region=R1").await;
    let r = company_rating(&after, "R");
    let f = &r["resident_figures"];
    assert_eq!(
        (&f["residents_rated"], &f["positive"], &f["negative"]),
        (&json!(1), &json!(1), &json!(0)),
        "{r}"
    );
    assert_eq!(f["average_rating"], 4.0, "{r}");
    assert_eq!(f["on_time_share"], 1.0, "{r}");
    assert!(r["residents"]["score"].as_f64().unwrap() > 0.0, "{r}");
    let page = server.anonymous().get_text("/rating?region=R1").await;
    let row = page
        .split("<tr class=\"company\" data-id=\"R\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no row for R: {page}"));
    assert!(
        row.contains("<td class=\"num raters\">1</td>")
            && row.contains("<td class=\"num\">4.00</td>"),
        "{row}"
    );
    assert!(row.contains(&format!("Why {}?", r["total"])), "{row}");

    // Reopening, through a lost request, a lost answer and a duplicated request.
    proxy.script(
        "POST",
        &format!("/v1/reports/{}/reopen", id.0),
        &[Fault::DropRequest, Fault::DropResponse, Fault::Duplicate],
    );
    phone(&app, move |app| {
        app.reopen_report(id, "dripping again").unwrap();
    })
    .await;
    sync_until(&app, id, "reopened", |i| {
        i.status == ReportStatus::Reopened
            && i.actions.iter().all(|a| a.state == ReportActionState::Done)
    })
    .await;
    assert_eq!(proxy.scripted_left(), 0);
    status(&staff, id, "accept", "coming back").await;
    sync_until(&app, id, "accepted again", |i| {
        i.status == ReportStatus::Accepted
    })
    .await;
    let (_, view) = staff.get(&format!("/v1/reports/{}", id.0)).await;
    assert_eq!(
        statuses(&view),
        ["accepted", "resolved", "rated", "reopened", "accepted"]
    );
    let item = phone(&app, move |app| app.report(id).unwrap().unwrap()).await;
    let local: Vec<&str> = item
        .events
        .iter()
        .filter_map(|e| e.status.map(|s| s.as_str()))
        .collect();
    assert_eq!(local, statuses(&view), "the phone holds the whole history");
    assert_eq!(item.rating, Some(4));
    assert!(
        status_changes(&recorder, id).ends_with(&[
            (ReportStatus::Rated, Some("quick and clean".into())),
            (ReportStatus::Reopened, Some("dripping again".into())),
            (ReportStatus::Accepted, Some("coming back".into())),
        ]),
        "{:?}",
        status_changes(&recorder, id)
    );
    let (_, listed) = staff.get("/v1/company/reports").await;
    assert_eq!(listed["reports"].as_array().unwrap().len(), 1);

    // The feed from the start carries the report once with its whole history; from its cursor,
    // nothing.
    let (s, feed) = resident.get("/v1/sync").await;
    assert_eq!(s, StatusCode::OK, "{feed}");
    assert_eq!(feed["reports"].as_array().unwrap().len(), 1);
    let seqs: Vec<i64> = feed["report_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=view["events"].as_array().unwrap().len() as i64).collect::<Vec<_>>()
    );
    let cursor = feed["cursor"].as_str().unwrap();
    assert!(cursor.contains(".e"), "{cursor}");
    let (_, after) = resident.get(&format!("/v1/sync?since={cursor}")).await;
    assert_eq!(after["reports"], json!([]));
    assert_eq!(after["report_events"], json!([]));

    close(app).await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_filed_offline_arrives_once_through_faults_and_comes_back_resolved_rated_and_reopened_on_sqlite()
 {
    run(TestServer::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_filed_offline_arrives_once_through_faults_and_comes_back_resolved_rated_and_reopened_on_postgres()
 {
    run(TestServer::postgres().await).await.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_action_id_gets_the_current_view_and_cannot_be_spent_on_another_report() {
    use connect_tests::{Actor::*, World};
    let w = World::new(TestServer::sqlite().await).await;
    let resident = w.client(ResidentA);
    let mut ids = Vec::new();
    for text in ["leak one", "leak two"] {
        let req = FileReportRequest {
            id: ReportId(uuid::Uuid::now_v7()),
            building_id: BuildingId(w.a.building_id.clone()),
            category: "leak".into(),
            text: text.into(),
            place: "hall".into(),
            photos: vec![],
        };
        resident
            .post_ok("/v1/reports", serde_json::to_value(&req).unwrap())
            .await;
        for action in ["accept", "resolve"] {
            status(w.client(StaffX), req.id, action, "done").await;
        }
        ids.push(req.id);
    }
    let op = uuid::Uuid::now_v7();
    let rate = |id: ReportId| format!("/v1/reports/{}/rating", id.0);
    let first = resident
        .post_ok(&rate(ids[0]), json!({"stars": 3, "id": op}))
        .await;
    assert_eq!(
        (first["status"].as_str(), first["rating"].as_u64()),
        (Some("rated"), Some(3))
    );
    // The staff move on; the repeat still gets an answer, the report as it is now.
    let reopen = resident
        .post_ok(
            &format!("/v1/reports/{}/reopen", ids[0].0),
            json!({"text": "back", "id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(reopen["status"], "reopened");
    let repeat = resident
        .post_ok(&rate(ids[0]), json!({"stars": 3, "id": op}))
        .await;
    assert_eq!(repeat["status"], "reopened");
    assert_eq!(
        statuses(&repeat),
        ["accepted", "resolved", "rated", "reopened"]
    );
    // Without an id a second rating is refused; the spent id cannot rate another report.
    let (s, _) = resident.post(&rate(ids[0]), json!({"stars": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, body) = resident
        .post(&rate(ids[1]), json!({"stars": 5, "id": op}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (_, other) = w
        .client(StaffX)
        .get(&format!("/v1/reports/{}", ids[1].0))
        .await;
    assert_eq!(other["status"], "resolved");
}

/// A report filed with photos on one phone arrives on the resident's second phone (a fresh local
/// store, same account) with its photos, downloaded by the sync exactly as they were filed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_filed_on_one_phone_arrives_on_another_with_its_photos() {
    const OWNER: &str = "+79005550011";
    let server = TestServer::sqlite().await;
    let admin = server.login(ADMIN_PHONE).await;
    admin.seed_home("Q", "Q1", "4", OWNER, "+79005550012").await;
    let dir = tempfile::tempdir().unwrap();
    let login = |db: PathBuf| {
        let (url, sms) = (server.base.clone(), server.sms.clone());
        async move {
            let app = Arc::new(
                tokio::task::spawn_blocking(move || open(&db, &url))
                    .await
                    .unwrap(),
            );
            phone(&app, move |app| {
                app.request_code(OWNER).unwrap();
                app.verify_code(OWNER, &sms.last_code(OWNER).unwrap())
                    .unwrap();
                app.refresh_property().unwrap();
            })
            .await;
            app
        }
    };

    let first = login(dir.path().join("first.db")).await;
    let id = phone(&first, |app| {
        app.file_report(
            None,
            "leak",
            "water from the ceiling",
            "entrance 1",
            photos(),
        )
        .unwrap()
    })
    .await;
    sync_until(&first, id, "filed", |i| i.delivery == ReportDelivery::Filed).await;
    let sent: Vec<Vec<u8>> = phone(&first, move |app| {
        (0..2)
            .map(|n| app.report_photo(id, n).unwrap().unwrap())
            .collect()
    })
    .await;

    let second = login(dir.path().join("second.db")).await;
    sync_until(&second, id, "arrived", |i| i.photo_count == 2).await;
    let got: Vec<Option<Vec<u8>>> = phone(&second, move |app| {
        (0..2).map(|n| app.report_photo(id, n).unwrap()).collect()
    })
    .await;
    assert_eq!(got, sent.into_iter().map(Some).collect::<Vec<_>>());
    let item = phone(&second, move |app| app.report(id).unwrap().unwrap()).await;
    assert_eq!(item.delivery, ReportDelivery::Filed);
    assert_eq!(item.text, "water from the ceiling");
    close(first).await;
    close(second).await;
    server.close().await;
}
