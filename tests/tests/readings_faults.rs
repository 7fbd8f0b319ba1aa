//! Exactly-once sync under faults: 100 devices (real `ConnectApp`s with real SQLite files) hold
//! 10,000 queued readings and sync through a fault-injecting proxy (dropped requests, responses
//! dropped after the commit, duplicated requests, delays) while the real server process is
//! killed with SIGKILL and restarted on the same port and database several times. Afterwards the
//! server holds exactly the 10,000 readings the devices queued, with their exact content, and
//! every outbox is empty. Runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{TimeZone, Utc};
use connect_core::{
    app::{AppConfig, ConnectApp},
    ids::MeterId,
    readings::{Tariff, TariffValue},
    store::readings::ReadingFilter,
    sync::{BackoffPolicy, EngineConfig, HttpTransport},
};
use connect_tests::{
    TestServer,
    faults::{FaultConfig, FaultProxy},
};
use serde_json::json;

const DEVICES: usize = 100;
const PER_DEVICE: usize = 100;
const RESTARTS: usize = 4;

/// One simulated phone: its app, its meter and what it queued (id → (value, taken_at)).
struct Device {
    app: Arc<ConnectApp>,
    meter: String,
    queued: HashMap<String, (String, chrono::DateTime<Utc>)>,
}

async fn run(mut server: TestServer, seed: u64) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let admin = server.login(connect_tests::ADMIN_PHONE).await;
    admin
        .post_ok(
            "/v1/admin/companies",
            json!({"id": "F", "name": "UK F", "tax_id": null, "phone": null, "email": null,
                   "region_id": "R1"}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/buildings",
            json!({"buildings": [{"id": "F1", "address": "F street 1", "company_id": "F",
                   "region_id": "R1", "lat": 59.2, "lon": 39.9}]}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/grants",
            json!({"phone": "+70000000201", "role": "company_staff", "scope": "F"}),
        )
        .await;
    let proxy = FaultProxy::start(
        &server.base,
        FaultConfig {
            seed,
            drop_request: 0.15,
            drop_response: 0.15,
            duplicate: 0.15,
            max_delay: Duration::from_millis(150),
        },
    )
    .await;

    // Devices: an apartment, account and meter each, logged in through the real OTP flow.
    let mut devices = Vec::with_capacity(DEVICES);
    for i in 0..DEVICES {
        let apt = admin
            .post_ok(
                "/v1/admin/apartments",
                json!({"building_id": "F1", "number": format!("{i}")}),
            )
            .await;
        let acc = admin
            .post_ok(
                "/v1/admin/accounts",
                json!({"apartment_id": apt["id"], "provider_id": "water",
                       "number": format!("A{i}"), "holder_name": "H"}),
            )
            .await;
        let meter = admin
            .post_ok(
                "/v1/admin/meters",
                json!({"apartment_id": apt["id"], "account_id": acc["id"], "kind": "cold_water",
                       "serial": format!("S{i}"), "integer_digits": 5, "fraction_digits": 3,
                       "tariffs": ["single"], "installed_on": "2024-01-01",
                       "next_verification_on": null}),
            )
            .await;
        let phone = format!("+7900000{i:04}");
        admin
            .post_ok(
                "/v1/admin/residents",
                json!({"phone": phone, "apartment_id": apt["id"]}),
            )
            .await;
        let config = AppConfig {
            db_path: dir.path().join(format!("device-{i}.db")),
            server_url: proxy.base.clone(),
            db_key: [i as u8; 32],
            trusted_keys: Vec::new(),
        };
        let transport = HttpTransport::new(&proxy.base).unwrap();
        let engine = EngineConfig {
            batch_size: 25,
            periodic: Duration::from_secs(3600),
            backoff: BackoffPolicy {
                base: Duration::from_millis(50),
                cap: Duration::from_millis(500),
            },
        };
        let meter_id = meter["id"].as_str().unwrap().to_owned();
        let sms = server.sms.clone();
        let device = tokio::task::spawn_blocking(move || {
            let app = ConnectApp::open_with(config, Arc::new(transport), engine).unwrap();
            app.request_code(&phone).unwrap();
            let code = sms.last_code(&phone).expect("sms");
            app.verify_code(&phone, &code).unwrap();
            app.refresh_property().unwrap();
            Device {
                app: Arc::new(app),
                meter: meter_id,
                queued: HashMap::new(),
            }
        })
        .await
        .unwrap();
        devices.push(device);
    }

    eprintln!("setup done in {:?}", t0.elapsed());
    // The server dies hard and comes back every few seconds while the devices queue readings
    // (each write triggers an upload, as on a phone) and sync, until they are done.
    let done = std::sync::atomic::AtomicBool::new(false);
    let killer = async {
        let mut kills = 0;
        while kills < RESTARTS || !done.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            server.kill_hard().await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            server.restart().await;
            kills += 1;
        }
        kills
    };
    let work = async {
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        let mut queued_devices = Vec::new();
        for mut d in devices {
            d = tokio::task::spawn_blocking(move || {
                let meter = MeterId(d.meter.parse().unwrap());
                for k in 0..PER_DEVICE {
                    let value = format!("{}.125", k + 1);
                    let taken = start + chrono::Duration::minutes(k as i64);
                    let id = d
                        .app
                        .submit_reading(
                            meter,
                            vec![TariffValue {
                                tariff: Tariff::Single,
                                value: value.parse().unwrap(),
                            }],
                            taken,
                            false,
                        )
                        .unwrap();
                    d.queued.insert(id.to_string(), (value, taken));
                }
                d
            })
            .await
            .unwrap();
            queued_devices.push(d);
        }
        let devices = queued_devices;
        let deadline = Instant::now() + Duration::from_secs(150);
        let results = futures::future::join_all(devices.iter().map(|d| {
            let app = d.app.clone();
            tokio::task::spawn_blocking(move || {
                loop {
                    let _ = app.sync_now_blocking();
                    if app.readings(ReadingFilter::Queued).unwrap().is_empty() {
                        return;
                    }
                    assert!(Instant::now() < deadline, "outbox not empty in time");
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        }))
        .await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        for r in results {
            r.unwrap();
        }
        devices
    };
    let (kills, devices) = tokio::join!(killer, work);
    assert!(kills >= RESTARTS);
    eprintln!(
        "synced after {:?} and {kills} kills; faults: {}",
        t0.elapsed(),
        proxy.stats.summary()
    );
    let s = &proxy.stats;
    use std::sync::atomic::Ordering::Relaxed;
    assert!(s.dropped_requests.load(Relaxed) > 0 && s.dropped_responses.load(Relaxed) > 0);
    assert!(s.duplicated.load(Relaxed) > 0);

    // What the server holds, read from the store by the company's staff, meter by meter.
    let staff = server.login("+70000000201").await;
    let mut total = 0;
    for d in &devices {
        assert!(d.app.readings(ReadingFilter::Queued).unwrap().is_empty());
        assert!(d.app.readings(ReadingFilter::Rejected).unwrap().is_empty());
        let (status, body) = staff.get(&format!("/v1/meters/{}/readings", d.meter)).await;
        assert!(status.is_success(), "{body}");
        let held = body["readings"].as_array().unwrap();
        assert_eq!(held.len(), PER_DEVICE, "meter {}", d.meter);
        for r in held {
            let id = r["id"].as_str().unwrap();
            let (value, taken) = d.queued.get(id).expect("a reading the device queued");
            assert_eq!(r["values"], json!([{"tariff": "single", "value": value}]));
            let got: chrono::DateTime<Utc> = r["taken_at"].as_str().unwrap().parse().unwrap();
            assert_eq!(got, *taken);
        }
        total += held.len();
    }
    assert_eq!(total, DEVICES * PER_DEVICE);
    // Apps own runtimes, which must be dropped outside the async context.
    tokio::task::spawn_blocking(move || drop(devices))
        .await
        .unwrap();
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_readings_arrive_exactly_once_through_faults_and_crashes_on_sqlite() {
    run(TestServer::sqlite().await, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_readings_arrive_exactly_once_through_faults_and_crashes_on_postgres() {
    run(TestServer::postgres().await, 11).await.close().await;
}
