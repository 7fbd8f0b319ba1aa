//! An outage's life as residents see it, on the real server binary with real app cores:
//! - a planned outage is told when it arrives, told again when it STARTS by the clock (also with
//!   the server unreachable), when the operator changes it, and when its expected end passes;
//! - a building taken out of the area: its resident's phone drops the outage and is told so,
//!   while the resident still inside is told of the change;
//! - a polygon hits buildings by footprint overlap where the geo index has their footprint
//!   (imported with `connect-server import buildings`), by point where it has none.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;
use connect_core::{
    app::{AppConfig, AppEvent, AppListener, ConnectApp},
    outages::OutageState,
    sync::RoundEnd,
};
use connect_tests::{ADMIN_PHONE, Client, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Default)]
struct Events(Mutex<Vec<AppEvent>>);

struct Listen(Arc<Events>);

impl AppListener for Listen {
    fn on_event(&self, event: AppEvent) {
        self.0.0.lock().unwrap().push(event);
    }
}

/// What a resident was told about outages, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Told {
    Changed(OutageState),
    Withdrawn,
}

impl Events {
    fn told(&self) -> Vec<Told> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                AppEvent::OutageChanged { state, .. } => Some(Told::Changed(*state)),
                AppEvent::OutageWithdrawn { .. } => Some(Told::Withdrawn),
                _ => None,
            })
            .collect()
    }
}

fn blocking<T>(f: impl FnOnce() -> T) -> T {
    // The app core blocks on its own runtime: never on an async worker.
    tokio::task::block_in_place(f)
}

/// Company X, its staff, and the given buildings `(id, lon, lat)`, each with one resident.
async fn seed(admin: &Client, buildings: &[(&str, f64, f64)]) -> Vec<String> {
    admin
        .post_ok(
            "/v1/admin/companies",
            json!({"id": "X", "name": "UK X", "tax_id": null, "phone": null, "email": null, "region_id": "R1"}),
        )
        .await;
    let list: Vec<Value> = buildings
        .iter()
        .map(|(id, lon, lat)| {
            json!({"id": id, "address": format!("{id} street"), "company_id": "X",
                   "region_id": "R1", "lat": lat, "lon": lon})
        })
        .collect();
    admin
        .post_ok("/v1/admin/buildings", json!({ "buildings": list }))
        .await;
    let phones = admin
        .resident_per_building(buildings.iter().map(|(id, _, _)| *id), "+7000000070")
        .await;
    admin
        .post_ok(
            "/v1/admin/grants",
            json!({"phone": "+70000000801", "role": "company_staff", "scope": "X"}),
        )
        .await;
    phones
}

fn resident_app(
    server: &TestServer,
    dir: &std::path::Path,
    phone: &str,
) -> (ConnectApp, Arc<Events>) {
    let app = ConnectApp::open(AppConfig {
        db_path: dir.join(format!("{phone}.db")),
        server_url: server.base.clone(),
        db_key: [8; 32],
        trusted_keys: vec![],
    })
    .unwrap();
    let events = Arc::new(Events::default());
    app.set_listener(Box::new(Listen(Arc::clone(&events))));
    app.request_code(phone).unwrap();
    let code = server.sms.last_code(phone).expect("code sms");
    app.verify_code(phone, &code).unwrap();
    (app, events)
}

async fn sleep_until(t: chrono::DateTime<Utc>) {
    let left = (t - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(200)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_are_told_when_a_planned_outage_starts_changes_narrows_and_ends() {
    let mut server = TestServer::sqlite().await;
    let admin = server.login(ADMIN_PHONE).await;
    let phones = seed(&admin, &[("A", 39.90, 59.22), ("B", 39.91, 59.22)]).await;
    let staff = server.login("+70000000801").await;
    let dir = tempfile::tempdir().unwrap();
    let apps: Vec<_> = blocking(|| {
        phones
            .iter()
            .map(|p| resident_app(&server, dir.path(), p))
            .collect()
    });
    // Starts in a few seconds and is expected to end a few seconds later.
    // (Wide margins: the steps between must fit in them on a loaded machine.)
    let starts = Utc::now() + chrono::Duration::seconds(5);
    let ends = starts + chrono::Duration::seconds(15);
    let body = |buildings: Value, text: &str| {
        json!({"utility": "heating", "kind": "planned", "starts_at": starts,
               "expected_end_at": ends, "building_ids": buildings, "description": text})
    };
    let created = staff
        .post_ok("/v1/outages", body(json!(["A", "B"]), "Pipe replacement"))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    // Rounds must reach the server (a connection pooled before a restart may fail once).
    let sync_all = |apps: &[(ConnectApp, Arc<Events>)]| {
        blocking(|| {
            for (app, _) in apps {
                let synced = (0..5).any(|_| app.sync_now_blocking().unwrap() == RoundEnd::Synced);
                assert!(synced, "sync did not reach the server");
            }
        })
    };
    sync_all(&apps);
    for (app, events) in &apps {
        assert_eq!(events.told(), [Told::Changed(OutageState::Planned)]);
        assert_eq!(app.outages().unwrap()[0].state, OutageState::Planned);
    }
    // Nothing changes on the server and nothing is told twice.
    sync_all(&apps);
    assert_eq!(apps[0].1.told().len(), 1);

    // It starts while the server is unreachable: the phones notice by the clock.
    server.kill_hard().await;
    sleep_until(starts).await;
    blocking(|| {
        for (app, _) in &apps {
            assert!(matches!(
                app.sync_now_blocking().unwrap(),
                RoundEnd::WillRetry { .. }
            ));
        }
    });
    for (app, events) in &apps {
        assert_eq!(
            events.told(),
            [
                Told::Changed(OutageState::Planned),
                Told::Changed(OutageState::AffectedNow)
            ]
        );
        assert_eq!(app.outages().unwrap()[0].state, OutageState::AffectedNow);
    }
    server.restart().await;

    // The operator takes B out of the area: A's resident is told of the change, B's phone drops
    // the outage and is told it is no longer theirs.
    let staff = server.login("+70000000801").await;
    let (status, changed) = staff
        .call(
            reqwest::Method::PUT,
            &format!("/v1/outages/{id}"),
            Some(body(json!(["A"]), "Pipe replacement, entrance 1 only")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["building_ids"], json!(["A"]));
    sync_all(&apps);
    let (a_app, a_events) = &apps[0];
    let (b_app, b_events) = &apps[1];
    assert_eq!(
        a_events.told(),
        [
            Told::Changed(OutageState::Planned),
            Told::Changed(OutageState::AffectedNow),
            Told::Changed(OutageState::AffectedNow)
        ]
    );
    assert_eq!(
        a_app.outages().unwrap()[0].outage.description,
        "Pipe replacement, entrance 1 only"
    );
    assert_eq!(
        b_events.told(),
        [
            Told::Changed(OutageState::Planned),
            Told::Changed(OutageState::AffectedNow),
            Told::Withdrawn
        ]
    );
    assert!(b_app.outages().unwrap().is_empty());
    sync_all(&apps);
    assert_eq!(b_events.told().len(), 3);

    // The expected end passes: A's resident is told it is restored, B's hears nothing more.
    sleep_until(ends).await;
    sync_all(&apps);
    assert_eq!(
        a_events.told().last(),
        Some(&Told::Changed(OutageState::Restored))
    );
    assert_eq!(a_events.told().len(), 4);
    assert_eq!(b_events.told().len(), 3);
    assert_eq!(a_app.outages().unwrap()[0].state, OutageState::Restored);
    blocking(|| drop(apps));
}

/// A footprint square of `size` degrees with its south-west corner at (lon, lat).
fn square(id: &str, lon: f64, lat: f64, size: f64) -> Value {
    json!({"type": "Feature", "properties": {"id": id},
    "geometry": {"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]
    ]]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polygon_hits_buildings_by_footprint_overlap_and_by_point_without_a_footprint() {
    let mut server = TestServer::sqlite().await;
    let admin = server.login(ADMIN_PHONE).await;
    // The polygon spans lon 39.9005–39.93, lat 59.21–59.23. Points (lon, lat) of the buildings:
    let phones = seed(
        &admin,
        &[
            // Point west of the polygon; its footprint reaches 3e-4° into it: hit.
            ("CORNER", 39.9000, 59.22),
            // Point and footprint well inside: hit.
            ("INSIDE", 39.9100, 59.22),
            // Point inside (mis-geocoded), footprint far east outside: not hit.
            ("WRONGPT", 39.9200, 59.22),
            // Footprint's west wall lies on the polygon's east edge: touches only, not hit.
            ("TOUCH", 39.9400, 59.22),
            // No footprint; point inside: hit by point.
            ("NOFP", 39.9250, 59.22),
            // No footprint; point outside: not hit.
            ("FAR", 39.9600, 59.22),
        ],
    )
    .await;
    let fc = json!({"type": "FeatureCollection", "features": [
        square("CORNER", 39.8998, 59.2195, 0.001),
        square("INSIDE", 39.9095, 59.2195, 0.001),
        square("WRONGPT", 39.9500, 59.2195, 0.001),
        square("TOUCH", 39.9300, 59.2195, 0.001),
    ]});
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("footprints.geojson");
    std::fs::write(&file, fc.to_string()).unwrap();
    let out = server
        .import(&["buildings", file.to_str().unwrap(), "--region", "R1"])
        .await;
    assert!(out.contains("imported 4 buildings"), "{out}");
    server.kill_hard().await;
    server.restart().await;

    let staff = server.login("+70000000801").await;
    let area = json!({"type": "Polygon", "coordinates": [[
        [39.9005, 59.21], [39.93, 59.21], [39.93, 59.23], [39.9005, 59.23], [39.9005, 59.21]
    ]]});
    let (status, created) = staff
        .post(
            "/v1/outages",
            json!({"utility": "electricity", "kind": "emergency", "starts_at": Utc::now(),
                   "area": area, "description": "Substation"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["building_ids"], json!(["CORNER", "INSIDE", "NOFP"]));

    // Exactly those residents get it through sync.
    let apps: Vec<_> = blocking(|| {
        phones
            .iter()
            .map(|p| resident_app(&server, dir.path(), p))
            .collect()
    });
    blocking(|| {
        for (app, _) in &apps {
            app.sync_now_blocking().unwrap();
        }
    });
    let hit: Vec<bool> = apps
        .iter()
        .map(|(app, events)| {
            let mine = !app.outages().unwrap().is_empty();
            assert_eq!(mine, !events.told().is_empty());
            mine
        })
        .collect();
    assert_eq!(hit, [true, true, false, false, true, false]);
    blocking(|| drop(apps));
}
