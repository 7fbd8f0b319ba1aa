//! The client process killed in the middle of a sync loses nothing and sends nothing twice.
//!
//! A resident queues readings offline with the real `connect` CLI, then `connect sync
//! --batch-size 8` sends them through a proxy in front of the real server: the first two requests
//! pass, the third reaches the server (which commits it) but its answer is held back, and the test
//! kills the CLI with SIGKILL while it waits. A second `connect sync` finishes the job. Afterwards
//! the server holds exactly the queued readings with their content, the device's queue is empty,
//! the readings answered before the kill were never sent again, and only the batch whose answer
//! was lost was replayed (and stored once). On SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::HashMap,
    process::Stdio,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use chrono::{TimeZone, Utc};
use connect_core::api::readings::ReadingBatchRequest;
use connect_tests::{
    ADMIN_PHONE, TestServer, cli_binary, cli_ok,
    faults::{Fault, FaultConfig, FaultProxy},
};
use serde_json::Value;

const RESIDENT: &str = "+79005550301";
const STAFF: &str = "+79005550302";
const READINGS: usize = 40;
const BATCH: usize = 8;
const BATCH_PATH: &str = "/v1/readings:batch";

async fn run(server: TestServer) {
    let admin = server.login(ADMIN_PHONE).await;
    let apartment = admin.seed_home("K", "K1", "7", RESIDENT, STAFF).await;
    let meter = admin.seed_meter(&apartment, "water", "K-1").await;
    let meter_id = meter["id"].as_str().unwrap().to_owned();
    let proxy = FaultProxy::start(&server.base, FaultConfig::scripted_only()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.db");

    cli_ok(&db, &proxy.base, &["login", "--phone", RESIDENT]).await;
    let code = server.sms.last_code(RESIDENT).unwrap();
    cli_ok(
        &db,
        &proxy.base,
        &["login", "--phone", RESIDENT, "--code", &code],
    )
    .await;

    // In the basement: every reading is queued while no server can be reached.
    let offline = "http://127.0.0.1:9";
    let start = Utc.with_ymd_and_hms(2026, 2, 1, 8, 0, 0).unwrap();
    let mut queued: HashMap<String, String> = HashMap::new(); // taken_at → value
    for k in 0..READINGS {
        let value = format!("{}.250", 10 + k);
        let taken = (start + chrono::Duration::hours(k as i64)).to_rfc3339();
        cli_ok(
            &db,
            offline,
            &[
                "readings",
                "submit",
                "--meter",
                &meter_id,
                "--value",
                &value,
                "--taken-at",
                &taken,
            ],
        )
        .await;
        queued.insert(taken, value);
    }
    assert!(proxy.requests("POST", BATCH_PATH).is_empty());

    // Two batches pass, the third is committed by the server but its answer never comes back.
    proxy.script("POST", BATCH_PATH, &[Fault::Pass, Fault::Pass, Fault::Hold]);
    let mut child = tokio::process::Command::new(cli_binary())
        .args(["sync", "--batch-size", &BATCH.to_string(), "--db"])
        .arg(&db)
        .args(["--server", &proxy.base])
        .env("CONNECT_DB_KEY", "11".repeat(32))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.stats.held.load(Ordering::SeqCst) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sync ended before its third request was held"
        );
        assert!(Instant::now() < deadline, "no request was held in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the CLI must still be waiting"
    );
    child.kill().await.unwrap(); // SIGKILL: no shutdown of any kind
    proxy.release_held();
    let resident = server.login(RESIDENT).await;
    let history = |resident: &connect_tests::Client| {
        let path = format!("/v1/meters/{meter_id}/readings?limit=1000");
        let resident = resident.clone();
        async move {
            let (status, body) = resident.get(&path).await;
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    let stored = stored_items(&history(&resident).await);
    assert_eq!(stored.len(), 3 * BATCH, "three batches reached the server");

    // A new process finishes the sync.
    let out = cli_ok(
        &db,
        &proxy.base,
        &["sync", "--batch-size", &BATCH.to_string()],
    )
    .await;
    assert!(out.contains("synced; 0 queued, 0 rejected"), "{out}");

    // The server holds exactly what was queued, each reading once, with its content.
    let stored = stored_items(&history(&resident).await);
    assert_eq!(stored.len(), READINGS, "{stored:?}");
    let mut ids = std::collections::HashSet::new();
    for (id, taken, value) in &stored {
        assert!(ids.insert(id.clone()), "reading {id} stored twice");
        assert_eq!(queued.get(taken), Some(value), "content of {id} at {taken}");
    }

    // What the devices sent: the batch held at the kill was replayed once, nothing else twice.
    let requests: Vec<Vec<String>> = proxy
        .requests("POST", BATCH_PATH)
        .iter()
        .map(|body| {
            let batch: ReadingBatchRequest = serde_json::from_slice(body).unwrap();
            batch.items.iter().map(|r| r.id.to_string()).collect()
        })
        .collect();
    let sizes: Vec<usize> = requests.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![BATCH; 6], "3 before the kill, 3 after");
    let held = &requests[2];
    assert_eq!(
        &requests[3], held,
        "the unanswered batch is sent again first"
    );
    let mut sent: HashMap<&String, usize> = HashMap::new();
    for id in requests.iter().flatten() {
        *sent.entry(id).or_default() += 1;
    }
    for (id, n) in &sent {
        let expected = if held.contains(id) { 2 } else { 1 };
        assert_eq!(*n, expected, "reading {id} sent {n} times");
    }
    assert_eq!(sent.len(), READINGS);
    assert!(ids.iter().all(|id| sent.contains_key(id)));
    server.close().await;
}

/// (id, taken_at as RFC 3339 of the queued value, value) of a meter's history page.
fn stored_items(history: &Value) -> Vec<(String, String, String)> {
    let items = history["readings"]
        .as_array()
        .or_else(|| history.as_array())
        .unwrap_or_else(|| panic!("history: {history}"));
    items
        .iter()
        .map(|r| {
            let taken = chrono::DateTime::parse_from_rfc3339(r["taken_at"].as_str().unwrap())
                .unwrap()
                .with_timezone(&Utc)
                .to_rfc3339();
            let values = r["values"].as_array().unwrap();
            assert_eq!(values.len(), 1, "{r}");
            (
                r["id"].as_str().unwrap().to_owned(),
                taken,
                values[0]["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_mid_sync_loses_nothing_and_resends_only_the_unanswered_batch_on_sqlite() {
    run(TestServer::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_mid_sync_loses_nothing_and_resends_only_the_unanswered_batch_on_postgres()
{
    run(TestServer::postgres().await).await;
}
