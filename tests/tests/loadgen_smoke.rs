//! The load generator itself, small: `loadgen --spawn` starts the real server on a fresh database,
//! seeds residents with `connect-server seed-load`, offers a few seconds of load, checks the store
//! and measures the raw insert rate. The summary line must parse and report every reading sent as
//! stored exactly once, on SQLite and on PostgreSQL. (Its speed is measured in docs/BENCHMARKS.md,
//! not here.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

fn run(backend: &str) -> HashMap<String, String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args([
            "--spawn",
            backend,
            "--residents",
            "20",
            "--rate",
            "400",
            "--duration",
            "2",
            "--batch",
            "8",
            "--raw",
            "--raw-rows",
            "2000",
        ])
        .output()
        .expect("run loadgen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "loadgen failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().expect("output");
    let summary: HashMap<String, String> = last
        .strip_prefix("loadgen: ")
        .unwrap_or_else(|| panic!("last line is not the summary: {last}"))
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    // 400/s for 2 s in batches of 8: 100 requests, 800 readings, all accepted once.
    assert!(
        stdout.contains("answered: 800 accepted, 0 duplicate, 0 conflict, 0 rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("800 readings stored"), "{stdout}");
    summary
}

fn assert_clean(s: &HashMap<String, String>, backend: &str) {
    assert_eq!(s["backend"], backend);
    assert_eq!(s["errors"], "0", "{s:?}");
    assert_eq!(s["overloaded"], "0", "{s:?}");
    assert_eq!(s["lost"], "0", "{s:?}");
    assert_eq!(s["duplicated"], "0", "{s:?}");
    let achieved: f64 = s["achieved"].parse().unwrap();
    assert!(achieved > 100.0, "{s:?}");
    let p99: f64 = s["p99_ms"].parse().unwrap();
    assert!(p99.is_finite() && p99 > 0.0, "{s:?}");
    let raw: f64 = s["raw"].parse().unwrap();
    assert!(raw > 0.0, "{s:?}");
}

#[test]
fn loadgen_on_sqlite_reports_every_reading_stored_once() {
    assert_clean(&run("sqlite"), "sqlite");
}

#[test]
fn loadgen_on_postgres_reports_every_reading_stored_once() {
    assert_clean(&run("postgres"), "postgres");
}
