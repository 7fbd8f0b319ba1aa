//! The app's offline building lookup end to end: the real server binary imports the shared Vologda
//! footprints (`connect-server import buildings`), the app core downloads the region's pack through
//! a loopback proxy, a second update is answered 304, and `ConnectApp::locate` answers exactly what
//! the server's `GET /v1/geo/lookup` answers on a sample of the reference points. Then the server's
//! pack changes and the proxy damages the download (truncated, one byte flipped): the app refuses
//! it with a clear error and keeps answering from the previous pack, also after a restart, until an
//! intact download arrives.
//!
//! Needs `$CONNECT_DATA_DIR/geo/vologda`; skipped with a printed reason when it is absent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use connect_core::{
    app::{AppConfig, AppError, ConnectApp},
    geo::{Lookup, PackError, offline::GeoPackUpdate, offline::PackStoreError},
};
use connect_tests::{
    TestServer,
    faults::{BodyFault, FaultConfig, FaultProxy},
    geo_data::{RefPoint, data_dir, load_points},
};
use serde_json::Value;

/// Every n-th reference point is compared with the server (about 500 points).
const SAMPLE_EVERY: usize = 199;

fn vologda() -> Option<PathBuf> {
    let city = data_dir().join("geo/vologda");
    (city.join("buildings.geojson").is_file() && city.join("points.csv").is_file()).then_some(city)
}

fn open_app(db: &Path, server_url: &str) -> ConnectApp {
    ConnectApp::open(AppConfig {
        db_path: db.to_owned(),
        server_url: server_url.to_owned(),
        db_key: [4; 32],
        trusted_keys: vec![],
    })
    .unwrap()
}

/// The server's JSON answer in the app's terms: (result, [(building, company, distance)]).
type Answer = (String, Vec<(String, Option<String>, Option<f64>)>);

fn from_app(l: &Lookup) -> Answer {
    let company = |c: &Option<connect_core::ids::CompanyId>| c.as_ref().map(|c| c.0.clone());
    match l {
        Lookup::Inside(b) => (
            "inside".into(),
            vec![(b.building_id.0.clone(), company(&b.company), None)],
        ),
        Lookup::Near(c) => (
            "near".into(),
            c.iter()
                .map(|c| {
                    (
                        c.building.building_id.0.clone(),
                        company(&c.building.company),
                        Some(c.distance_m),
                    )
                })
                .collect(),
        ),
        Lookup::Nothing => ("nothing".into(), vec![]),
    }
}

fn from_server(v: &Value) -> Answer {
    let building = |b: &Value| {
        (
            b["id"].as_str().unwrap().to_owned(),
            b["company"]["id"].as_str().map(str::to_owned),
        )
    };
    let result = v["result"].as_str().unwrap().to_owned();
    let list = match result.as_str() {
        "inside" => {
            let (id, c) = building(&v["building"]);
            vec![(id, c, None)]
        }
        "near" => v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let (id, co) = building(&c["building"]);
                (id, co, c["distance_m"].as_f64())
            })
            .collect(),
        _ => vec![],
    };
    (result, list)
}

/// Same answer: result, buildings and companies exactly, distances to the last bits JSON keeps
/// (serde_json's default float parsing may be one ulp off).
fn assert_same(ours: &Answer, theirs: &Answer, p: &RefPoint) {
    let strip = |a: &Answer| {
        (
            a.0.clone(),
            a.1.iter()
                .map(|c| (c.0.clone(), c.1.clone()))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(strip(ours), strip(theirs), "point {} ({})", p.id, p.kind);
    for (a, b) in ours.1.iter().zip(&theirs.1) {
        let gap = (a.2.unwrap_or(0.0) - b.2.unwrap_or(0.0)).abs();
        assert!(gap < 1e-9, "point {}: {:?} vs {:?}", p.id, a.2, b.2);
    }
}

async fn server_answer(server: &TestServer, p: &RefPoint) -> Answer {
    let (status, body) = server
        .anonymous()
        .get(&format!(
            "/v1/geo/lookup?lat={}&lon={}&accuracy=15&region=vologda",
            p.lat, p.lon
        ))
        .await;
    assert!(status.is_success(), "{status} {body}");
    from_server(&body)
}

fn blocking<T>(f: impl FnOnce() -> T) -> T {
    // The app core blocks on its own runtime: never on an async worker.
    tokio::task::block_in_place(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_downloads_the_pack_once_locates_like_the_server_and_survives_damaged_downloads() {
    let Some(city) = vologda() else {
        println!(
            "SKIP: no Vologda reference data under {} (set CONNECT_DATA_DIR)",
            data_dir().display()
        );
        return;
    };
    let mut server = TestServer::sqlite().await;
    let geojson = city.join("buildings.geojson");
    let out = server
        .import(&[
            "buildings",
            geojson.to_str().unwrap(),
            "--region",
            "vologda",
        ])
        .await;
    assert!(out.contains("imported 25324 buildings"), "{out}");
    server.kill_hard().await;
    server.restart().await;

    let proxy = FaultProxy::start(&server.base, FaultConfig::scripted_only()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.db");
    let app = blocking(|| open_app(&db, &proxy.base));
    assert!(matches!(
        app.locate(59.2, 39.9, 10.0),
        Err(AppError::NoGeoPack)
    ));

    let first = blocking(|| app.update_geo_pack("vologda")).unwrap();
    let GeoPackUpdate::Installed(info) = first else {
        panic!("first update must download: {first:?}");
    };
    assert_eq!(info.buildings, 25_324);
    assert!(dir.path().join("phone.db-geo/vologda.pack").is_file());
    let forwarded = proxy
        .stats
        .forwarded
        .load(std::sync::atomic::Ordering::Relaxed);
    let again = blocking(|| app.update_geo_pack("vologda")).unwrap();
    assert_eq!(again, GeoPackUpdate::Unchanged(info.clone()));
    assert_eq!(
        proxy
            .stats
            .forwarded
            .load(std::sync::atomic::Ordering::Relaxed),
        forwarded + 1
    );
    // The server's own 304, seen directly.
    let (_, regions) = server.anonymous().get("/v1/geo/regions").await;
    let etag = regions["regions"][0]["pack_etag"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = reqwest::Client::new()
        .get(format!("{}/v1/geo/pack?region=vologda", server.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_MODIFIED);

    // The offline answer equals the server's on a sample of the reference points.
    let points = load_points(&city.join("points.csv")).unwrap();
    let sample: Vec<&RefPoint> = points.iter().step_by(SAMPLE_EVERY).collect();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for p in &sample {
        let ours = from_app(&app.locate(p.lat, p.lon, 15.0).unwrap());
        let theirs = server_answer(&server, p).await;
        assert_same(&ours, &theirs, p);
        *kinds.entry(ours.0).or_default() += 1;
    }
    println!("{} points agree: {kinds:?}", sample.len());
    assert!(
        kinds.len() == 3,
        "the sample covers inside, near and nothing: {kinds:?}"
    );

    // The server's pack changes: one building gets a (new) managing company.
    let probe = points.iter().find(|p| p.kind == "inside").unwrap();
    let building = probe.expected.clone().unwrap();
    let csv = dir.path().join("managers.csv");
    std::fs::write(
        &csv,
        format!("building_id,company_id\n{building},TEST-UK\n"),
    )
    .unwrap();
    server.import(&["managers", csv.to_str().unwrap()]).await;
    server.kill_hard().await;
    server.restart().await;
    let company_at_probe = |app: &ConnectApp| match app.locate(probe.lat, probe.lon, 15.0).unwrap()
    {
        Lookup::Inside(b) => {
            assert_eq!(b.building_id.0, building);
            b.company.map(|c| c.0)
        }
        other => panic!("expected inside {building}, got {other:?}"),
    };
    let before = company_at_probe(&app);
    assert_ne!(before.as_deref(), Some("TEST-UK"));

    // Damaged downloads are refused; the previous pack stays in use.
    let size = info.bytes as usize;
    for (fault, expect) in [
        (BodyFault::Truncate(size / 2), "truncated"),
        (BodyFault::FlipByte(size - 10), "checksum"),
    ] {
        proxy.set_body_fault("/v1/geo/pack", Some(fault));
        let err = blocking(|| app.update_geo_pack("vologda")).unwrap_err();
        println!("{fault:?}: {err}");
        match &err {
            AppError::GeoPack(PackStoreError::Refused(e)) => match (fault, e) {
                (BodyFault::Truncate(_), PackError::Truncated { .. })
                | (BodyFault::FlipByte(_), PackError::ChecksumMismatch) => {}
                _ => panic!("{fault:?} refused as {e:?}"),
            },
            other => panic!("{fault:?}: expected a refused pack, got {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains(expect) && text.contains("previous pack stays in use"),
            "{text}"
        );
        assert_eq!(company_at_probe(&app), before);
        assert_eq!(app.geo_packs(), vec![info.clone()]);
    }
    // Also after a restart of the app: the file on disk is still the previous pack.
    blocking(|| drop(app));
    let app = blocking(|| open_app(&db, &proxy.base));
    assert_eq!(app.geo_packs(), vec![info.clone()]);
    assert_eq!(company_at_probe(&app), before);

    // An intact download is installed.
    proxy.set_body_fault("/v1/geo/pack", None);
    let updated = blocking(|| app.update_geo_pack("vologda")).unwrap();
    assert!(
        matches!(updated, GeoPackUpdate::Installed(ref i) if i.data_version != info.data_version),
        "{updated:?}"
    );
    assert_eq!(company_at_probe(&app).as_deref(), Some("TEST-UK"));
    assert!(matches!(
        blocking(|| app.update_geo_pack("vologda")).unwrap(),
        GeoPackUpdate::Unchanged(_)
    ));
    // Regions the server does not have.
    assert!(matches!(
        blocking(|| app.update_geo_pack("atlantis")),
        Err(AppError::FetchGeoPack(
            connect_core::sync::TransportError::NotFound
        ))
    ));
    assert!(matches!(
        blocking(|| app.update_geo_pack("../etc")),
        Err(AppError::GeoPack(PackStoreError::InvalidRegion(_)))
    ));
    blocking(|| drop(app));
}
