//! Outages end to end on the real server binary: an operator posts an outage polygon, exactly the
//! residents of the buildings inside it get it through sync and a notification event in the app
//! core, the others don't; the feed import reports bad lines; and the public map page renders in
//! headless Chromium with the filter working (screenshot under `target/screenshots/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use connect_core::{
    app::{AppConfig, AppEvent, AppListener, ConnectApp},
    outages::OutageState,
};
use connect_tests::{ADMIN_PHONE, Client, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Four buildings of company X on a line of longitudes; the polygon covers the first two.
const BUILDINGS: [(&str, f64); 4] = [
    ("IN1", 39.90),
    ("IN2", 39.91),
    ("OUT1", 39.95),
    ("OUT2", 39.97),
];

async fn seed(admin: &Client) -> Vec<String> {
    admin
        .post_ok(
            "/v1/admin/companies",
            json!({"id": "X", "name": "UK X", "tax_id": null, "phone": null, "email": null, "region_id": "R1"}),
        )
        .await;
    let buildings: Vec<Value> = BUILDINGS
        .iter()
        .map(|(id, lon)| {
            json!({"id": id, "address": format!("{id} street"), "company_id": "X",
                                "region_id": "R1", "lat": 59.22, "lon": lon})
        })
        .collect();
    admin
        .post_ok("/v1/admin/buildings", json!({ "buildings": buildings }))
        .await;
    let phones = admin
        .resident_per_building(BUILDINGS.iter().map(|(id, _)| *id), "+7000000050")
        .await;
    admin
        .post_ok(
            "/v1/admin/grants",
            json!({"phone": "+70000000601", "role": "company_staff", "scope": "X"}),
        )
        .await;
    phones
}

fn polygon() -> Value {
    json!({"type": "Polygon", "coordinates": [[
        [39.895, 59.21], [39.93, 59.21], [39.93, 59.23], [39.895, 59.23], [39.895, 59.21]
    ]]})
}

#[derive(Default)]
struct Events(Mutex<Vec<AppEvent>>);

struct Listen(Arc<Events>);

impl AppListener for Listen {
    fn on_event(&self, event: AppEvent) {
        self.0.0.lock().unwrap().push(event);
    }
}

/// A resident's app core, logged in with the real SMS flow.
fn resident_app(
    server: &TestServer,
    dir: &std::path::Path,
    phone: &str,
) -> (ConnectApp, Arc<Events>) {
    let app = ConnectApp::open(AppConfig {
        db_path: dir.join(format!("{phone}.db")),
        server_url: server.base.clone(),
        db_key: [9; 32],
        trusted_keys: vec![],
    })
    .unwrap();
    let events = Arc::new(Events::default());
    app.set_listener(Box::new(Listen(Arc::clone(&events))));
    app.request_code(phone).unwrap();
    let code = server.sms.last_code(phone).expect("code sms");
    app.verify_code(phone, &code).unwrap();
    // As the shells do after login: the homes (and where they stand) come with the property.
    app.refresh_property().unwrap();
    (app, events)
}

fn outage_events(events: &Events) -> Vec<OutageState> {
    events
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            AppEvent::OutageChanged { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

async fn polygon_reaches_exactly_the_residents_inside(server: &TestServer) {
    let admin = server.login(ADMIN_PHONE).await;
    let phones = seed(&admin).await;
    let staff = server.login("+70000000601").await;
    let starts = chrono::Utc::now() - chrono::Duration::minutes(5);
    let (status, created) = staff
        .post(
            "/v1/outages",
            json!({"utility": "hot_water", "kind": "emergency", "starts_at": starts,
                   "area": polygon(), "description": "Burst pipe"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["building_ids"], json!(["IN1", "IN2"]));
    let id = created["id"].as_str().unwrap().to_owned();

    let dir = tempfile::tempdir().unwrap();
    let server_ref = server;
    let dir_path = dir.path().to_owned();
    let phones_c = phones.clone();
    // The app core blocks on its own runtime: run the residents on a plain thread.
    let apps = tokio::task::block_in_place(|| {
        phones_c
            .iter()
            .map(|p| resident_app(server_ref, &dir_path, p))
            .collect::<Vec<_>>()
    });
    tokio::task::block_in_place(|| {
        for (app, _) in &apps {
            app.sync_now_blocking().unwrap();
        }
    });
    for (i, (app, events)) in apps.iter().enumerate() {
        let inside = i < 2;
        let list = app.outages().unwrap();
        if inside {
            assert_eq!(list.len(), 1, "resident {i}");
            assert_eq!(list[0].outage.id.0.to_string(), id);
            assert!(list[0].mine);
            assert_eq!(list[0].state, OutageState::AffectedNow);
            // Drawn at the resident's own building (the first of the outage's it knows).
            assert_eq!(
                (list[0].lat, list[0].lon),
                (Some(59.22), Some(BUILDINGS[i].1)),
                "resident {i}"
            );
            assert_eq!(
                outage_events(events),
                [OutageState::AffectedNow],
                "resident {i}"
            );
        } else {
            assert!(list.is_empty(), "resident {i} got {list:?}");
            assert!(outage_events(events).is_empty(), "resident {i}");
        }
    }

    // Closing is a change the affected residents are told about; a second sync without
    // changes tells nothing new.
    let closed = staff
        .post_ok(&format!("/v1/outages/{id}/close"), json!({}))
        .await;
    assert!(closed["ended_at"].is_string());
    tokio::task::block_in_place(|| {
        for (app, _) in &apps {
            app.sync_now_blocking().unwrap();
            app.sync_now_blocking().unwrap();
        }
    });
    for (i, (app, events)) in apps.iter().enumerate() {
        if i < 2 {
            assert_eq!(
                outage_events(events),
                [OutageState::AffectedNow, OutageState::Restored],
                "resident {i}"
            );
            assert_eq!(app.outages().unwrap()[0].state, OutageState::Restored);
        } else {
            assert!(outage_events(events).is_empty(), "resident {i}");
        }
    }
    // The public list by box: the outage is in a box around IN1, not around OUT2.
    let anon = server.anonymous();
    let (_, near) = anon.get("/v1/outages?bbox=39.89,59.2,39.905,59.24").await;
    assert_eq!(near["outages"].as_array().unwrap().len(), 1);
    let (_, far) = anon.get("/v1/outages?bbox=39.96,59.2,39.98,59.24").await;
    assert_eq!(far["outages"], json!([]));
    // Each app owns a runtime, which must not be dropped on an async worker.
    tokio::task::block_in_place(|| drop(apps));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_polygon_reaches_exactly_the_residents_inside_it_on_sqlite() {
    polygon_reaches_exactly_the_residents_inside(&TestServer::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_polygon_reaches_exactly_the_residents_inside_it_on_postgres() {
    let server = TestServer::postgres().await;
    polygon_reaches_exactly_the_residents_inside(&server).await;
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_import_reports_bad_lines_and_imports_the_rest() {
    let server = TestServer::sqlite().await;
    let admin = server.login(ADMIN_PHONE).await;
    seed(&admin).await;
    let csv = "id,utility,kind,starts_at,expected_end_at,building_ids,description\n\
               ,hot_water,planned,2026-06-01T08:00:00Z,2026-06-14T20:00:00Z,IN1;OUT1,Seasonal\n\
               ,hot_water,planned,2026-06-01T08:00:00Z,,NOPE,Unknown building\n\
               ,gas,sometimes,2026-06-01T08:00:00Z,,IN2,Bad kind\n";
    let (status, body) = admin
        .call(
            reqwest::Method::POST,
            "/v1/admin/outages:import",
            Some(Value::String(csv.into())),
        )
        .await;
    // A JSON string body is not a feed: the raw CSV must be posted as text.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let res = reqwest::Client::new()
        .post(format!("{}/v1/admin/outages:import", server.base))
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["imported"], 1, "{body}");
    let lines: Vec<u64> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4], "{body}");
    let (_, all) = server.anonymous().get("/v1/outages").await;
    assert_eq!(all["outages"][0]["building_ids"], json!(["IN1", "OUT1"]));
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_page_draws_outages_and_the_filter_hides_a_utility() {
    let web = workspace().join("server/web");
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    if !web.join("node_modules/playwright-core").exists() || !chromium.exists() {
        println!(
            "SKIP: needs `npm ci` in server/web and {} (scripts/install-deps.sh)",
            chromium.display()
        );
        return;
    }
    let server = TestServer::sqlite().await;
    let admin = server.login(ADMIN_PHONE).await;
    seed(&admin).await;
    let starts = chrono::Utc::now() - chrono::Duration::hours(1);
    for (utility, kind, ids) in [
        ("hot_water", "emergency", json!(["IN1", "IN2"])),
        ("electricity", "planned", json!(["OUT1"])),
    ] {
        admin
            .post_ok(
                "/v1/outages",
                json!({"utility": utility, "kind": kind, "starts_at": starts,
                       "building_ids": ids, "description": format!("{utility} off"), "company_id": "X"}),
            )
            .await;
    }
    let (_, repair) = admin
        .post(
            "/v1/buildings/IN1/repairs",
            json!({"title": "Roof", "date": "2026-07-01", "done": false}),
        )
        .await;
    assert_eq!(repair["title"], "Roof");
    let shots = workspace().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("map.png");
    let out = tokio::process::Command::new("node")
        .arg(web.join("map-check.mjs"))
        .arg(&server.base)
        .arg(&shot)
        .arg("electricity")
        .arg("emergency")
        .current_dir(&web)
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "map check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(
        report["before"]["list"],
        json!(["hot_water", "electricity"]),
        "{report}"
    );
    // Two buildings of the hot-water outage and one of the electricity one.
    assert_eq!(report["before"]["markers"], 3, "{report}");
    assert_eq!(report["after"]["list"], json!(["hot_water"]), "{report}");
    assert_eq!(report["after"]["markers"], 2, "{report}");
    // Planned/emergency filter: hiding emergencies leaves the planned electricity outage.
    assert_eq!(
        report["afterKind"]["list"],
        json!(["electricity"]),
        "{report}"
    );
    assert_eq!(report["afterKind"]["markers"], 1, "{report}");
    assert!(std::fs::metadata(&shot).unwrap().len() > 5_000);
}
