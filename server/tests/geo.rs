//! Geo router and import tests: the real app over a real SQLite file; footprints go in through the
//! real importers (GeoJSON file, managers CSV) and come out through `/v1/geo/…`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::{
    body::{Body, to_bytes},
    http::{Request, StatusCode, header},
};
use connect_core::{
    api::{
        ErrorBody, ErrorCode,
        geo::{GeoLookupResponse, GeoRegionsResponse},
    },
    geo::{BuildingIndex, Lookup},
    ids::{BuildingId, CompanyId, RegionId},
    property::ManagingCompany,
};
use connect_server::{
    AppState, Settings, app,
    auth::sms::LogSmsSender,
    crypto::Keys,
    geo::import::{self, ManagerMatch},
    store::{PropertyStore, sqlite::SqliteStore},
};
use indicatif::ProgressBar;
use tower::ServiceExt;

// Two squares about 110 m apart (0.001° of latitude), one with a hole; one bad feature.
const FC: &str = r#"{"type":"FeatureCollection","features":[
  {"type":"Feature","properties":{"id":"A","address":"Mira 1","mgmt_company_id":"uk-1"},
   "geometry":{"type":"Polygon","coordinates":[[[39.8,59.2],[39.8004,59.2],[39.8004,59.2004],[39.8,59.2004],[39.8,59.2]],
     [[39.8001,59.2001],[39.8002,59.2001],[39.8002,59.2002],[39.8001,59.2002],[39.8001,59.2001]]]}},
  {"type":"Feature","properties":{"id":"B","address":"Mira 3","mgmt_company_id":null},
   "geometry":{"type":"Polygon","coordinates":[[[39.8,59.201],[39.8004,59.201],[39.8004,59.2014],[39.8,59.2014],[39.8,59.201]]]}},
  {"type":"Feature","properties":{"id":"C"},"geometry":{"type":"Point","coordinates":[39.8,59.2]}}
]}"#;

struct Env {
    state: AppState,
    dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("geo.db")).unwrap());
    store
        .upsert_company(ManagingCompany {
            id: CompanyId("uk-1".into()),
            name: "UK One".into(),
            tax_id: None,
            phone: None,
            email: None,
            region_id: RegionId("RU-VLG".into()),
        })
        .await
        .unwrap();
    let state = AppState::new(
        store,
        Keys::new("test-secret-test-secret-test-secret!"),
        Arc::new(LogSmsSender),
        Settings::default(),
    );
    let path = dir.path().join("b.geojson");
    std::fs::write(&path, FC).unwrap();
    let report = import::import_buildings(
        state.store.as_ref(),
        Some(&state.geo),
        &path,
        &RegionId("RU-VLG".into()),
        &ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].0, 2, "{:?}", report.errors);
    Env { state, dir }
}

impl Env {
    async fn get(&self, uri: &str, inm: Option<&str>) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut req = Request::builder().uri(uri);
        if let Some(t) = inm {
            req = req.header(header::IF_NONE_MATCH, t);
        }
        let res = app(self.state.clone())
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let etag = res
            .headers()
            .get(header::ETAG)
            .map(|v| v.to_str().unwrap().to_owned());
        let status = res.status();
        let body = to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        (status, etag, body)
    }

    async fn lookup(&self, q: &str) -> GeoLookupResponse {
        let (s, _, body) = self.get(&format!("/v1/geo/lookup?{q}"), None).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }
}

#[tokio::test]
async fn lookup_answers_inside_with_company_name_near_and_nothing() {
    let env = env().await;
    match env.lookup("lat=59.20005&lon=39.80005&accuracy=5").await {
        GeoLookupResponse::Inside { building } => {
            assert_eq!(building.id, BuildingId("A".into()));
            assert_eq!(building.address.as_deref(), Some("Mira 1"));
            let company = building.company.unwrap();
            assert_eq!(company.id, CompanyId("uk-1".into()));
            assert_eq!(company.name.as_deref(), Some("UK One"));
        }
        other => panic!("expected inside, got {other:?}"),
    }
    // In the hole of A: not inside A; A's inner wall is a few metres away.
    match env.lookup("lat=59.20015&lon=39.80015").await {
        GeoLookupResponse::Near { candidates } => {
            assert_eq!(candidates[0].building.id, BuildingId("A".into()));
            assert!(candidates[0].distance_m < 10.0);
        }
        other => panic!("expected near, got {other:?}"),
    }
    // 10 m north of B.
    match env.lookup("lat=59.20149&lon=39.8002").await {
        GeoLookupResponse::Near { candidates } => {
            assert_eq!(candidates.len(), 1);
            assert_eq!(candidates[0].building.id, BuildingId("B".into()));
            assert!(candidates[0].building.company.is_none());
            assert!((candidates[0].distance_m - 10.0).abs() < 1.0);
        }
        other => panic!("expected near, got {other:?}"),
    }
    assert_eq!(
        env.lookup("lat=59.3&lon=39.9").await,
        GeoLookupResponse::Nothing
    );
}

#[tokio::test]
async fn bad_coordinates_are_refused_with_400_invalid_input() {
    let env = env().await;
    for q in [
        "lat=91&lon=39.8",
        "lat=abc&lon=39.8",
        "lon=39.8",
        "lat=59.2&lon=39.8&accuracy=-1",
        "lat=NaN&lon=39.8",
    ] {
        let (s, _, body) = env.get(&format!("/v1/geo/lookup?{q}"), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        let err: ErrorBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(err.error.code, ErrorCode::InvalidInput, "{q}");
    }
}

#[tokio::test]
async fn pack_is_served_with_a_strong_etag_and_304_when_unchanged() {
    let env = env().await;
    let (s, etag, body) = env.get("/v1/geo/pack?region=RU-VLG", None).await;
    assert_eq!(s, StatusCode::OK);
    let etag = etag.unwrap();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"));
    assert_eq!(etag, connect_core::geo::pack_etag(&body));
    let index = BuildingIndex::from_pack(&body).unwrap();
    assert_eq!(index.len(), 2);
    assert!(
        matches!(index.lookup(59.20005, 39.80005, 0.0), Lookup::Inside(b) if b.building_id.0 == "A")
    );

    let (s, etag2, body) = env.get("/v1/geo/pack?region=RU-VLG", Some(&etag)).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert_eq!(etag2.as_deref(), Some(etag.as_str()));
    assert!(body.is_empty());
    let (s, _, _) = env
        .get("/v1/geo/pack?region=RU-VLG", Some("\"other\""))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = env.get("/v1/geo/pack?region=nowhere", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = env.get("/v1/geo/pack", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (s, _, body) = env.get("/v1/geo/regions", None).await;
    assert_eq!(s, StatusCode::OK);
    let regions: GeoRegionsResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(regions.regions.len(), 1);
    assert_eq!(regions.regions[0].buildings, 2);
    assert_eq!(regions.regions[0].pack_etag, etag);
}

#[tokio::test]
async fn manager_import_changes_the_answer_and_the_pack_and_reports_bad_lines() {
    let env = env().await;
    let (_, etag_before, _) = env.get("/v1/geo/pack?region=RU-VLG", None).await;
    let csv = "building_id,company_id\nB,uk-1\nZ,uk-1\n,uk-2\nA,\n";
    let report = import::import_managers(
        env.state.store.as_ref(),
        Some(&env.state.geo),
        csv.as_bytes(),
        "company_id",
        ManagerMatch::BuildingId,
        &ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 2);
    let lines: Vec<usize> = report.errors.iter().map(|e| e.0).collect();
    assert_eq!(lines, [3, 4], "{:?}", report.errors);
    match env.lookup("lat=59.2012&lon=39.8002").await {
        GeoLookupResponse::Inside { building } => {
            assert_eq!(building.company.unwrap().name.as_deref(), Some("UK One"));
        }
        other => panic!("expected inside B, got {other:?}"),
    }
    match env.lookup("lat=59.20005&lon=39.80005").await {
        GeoLookupResponse::Inside { building } => assert!(building.company.is_none()),
        other => panic!("expected inside A, got {other:?}"),
    }
    let (_, etag_after, _) = env.get("/v1/geo/pack?region=RU-VLG", None).await;
    assert_ne!(etag_before, etag_after);

    let csv = "address,mc\nMira 1,uk-9\nNowhere 5,uk-1\n";
    let report = import::import_managers(
        env.state.store.as_ref(),
        Some(&env.state.geo),
        csv.as_bytes(),
        "mc",
        ManagerMatch::Address,
        &ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].0, 3);
    match env.lookup("lat=59.20005&lon=39.80005").await {
        GeoLookupResponse::Inside { building } => {
            let c = building.company.unwrap();
            assert_eq!(c.id, CompanyId("uk-9".into()));
            assert_eq!(c.name, None, "uk-9 is not a known company");
        }
        other => panic!("expected inside A, got {other:?}"),
    }
}

#[tokio::test]
async fn indexes_are_rebuilt_from_the_store_at_start_up() {
    let env = env().await;
    let (_, etag, _) = env.get("/v1/geo/pack?region=RU-VLG", None).await;
    let store = Arc::new(SqliteStore::open(&env.dir.path().join("geo.db")).unwrap());
    let fresh = AppState::new(
        store,
        Keys::new("test-secret-test-secret-test-secret!"),
        Arc::new(LogSmsSender),
        Settings::default(),
    );
    assert!(fresh.geo.regions().is_empty());
    fresh.geo.load_all(fresh.store.as_ref()).await.unwrap();
    let r = fresh.geo.region(&RegionId("RU-VLG".into())).unwrap();
    assert_eq!(Some(r.etag.clone()), etag, "same rows give the same pack");
}
