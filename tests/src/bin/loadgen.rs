//! The end-of-month peak on one machine: an open-model load generator for `POST /v1/readings:batch`.
//!
//! ```text
//! cargo build --release -p connect-server -p connect-tests --bins
//! target/release/loadgen --spawn sqlite --rate 10000 --duration 60 --batch 10 --raw
//! target/release/loadgen --target http://host:8080 --residents-file load.json \
//!     --database sqlite:///path/to/connect.db --rate 5000 --duration 60 --batch 10
//! ```
//!
//! - **Open model**: request `i` is due at `t0 + i·batch/rate` whether or not earlier ones were
//!   answered, and its latency is measured from that intended time, so a server that falls behind
//!   shows its queueing in the percentiles instead of slowing the generator down (no coordinated
//!   omission).
//! - **Real residents**: `connect-server seed-load` creates them with a meter and a live session
//!   each (`--spawn` runs it), and every request is authenticated with the resident's token.
//!   Readings are UUIDv7, per meter increasing at a steady rate, on time (they queue points).
//! - **Checked against the store**: at the end every reading the server answered `accepted` or
//!   `duplicate` is looked up in the database itself; a missing one or one with other content is
//!   lost, a stored reading nobody sent (or a content stored twice) is a duplicate.
//! - `--raw`: afterwards, the raw insert rate of the same database (same row shape, 1,000 rows per
//!   transaction, no HTTP, no validation) as the physical limit, and the ratio.
//!
//! The last line is a one-line summary (`loadgen: key=value …`).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::{DateTime, TimeZone, Utc};
use clap::{Parser, ValueEnum};
use connect_core::{
    api::readings::{ReadingBatchRequest, ReadingBatchResponse, ReadingOutcome},
    ids::{MeterId, ReadingId},
    readings::{MeterValue, Reading, Tariff, TariffValue},
};
use connect_tests::TestServer;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug)]
#[command(
    name = "loadgen",
    about = "Open-model load generator for POST /v1/readings:batch"
)]
struct Args {
    /// Base URL of a running server (with --residents-file); or use --spawn.
    #[arg(long)]
    target: Option<String>,
    /// Start the server binary built next to this one on a fresh database of this kind and seed it.
    #[arg(long, value_enum)]
    spawn: Option<Backend>,
    /// JSON written by `connect-server seed-load` (with --target).
    #[arg(long)]
    residents_file: Option<PathBuf>,
    /// The server's database (`sqlite://FILE` or a postgres URL), for the end check and --raw.
    #[arg(long)]
    database: Option<String>,
    /// Residents to seed with --spawn.
    #[arg(long, default_value_t = 1000)]
    residents: usize,
    /// Readings per second to offer.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds to offer load.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Readings per request (one resident's queue).
    #[arg(long, default_value_t = 10)]
    batch: usize,
    /// Give up on a request after this many seconds (counted as an error).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Requests in flight at most; a due request beyond it is counted as a client-side error.
    #[arg(long, default_value_t = 20_000)]
    max_in_flight: usize,
    /// Also measure the raw insert rate of the database.
    #[arg(long)]
    raw: bool,
    /// Rows the raw insert writes.
    #[arg(long, default_value_t = 300_000)]
    raw_rows: usize,
    /// Print achieved rate and p99 for every second of the run.
    #[arg(long)]
    timeline: bool,
}

#[derive(Deserialize)]
struct Seed {
    residents: Vec<SeedResident>,
}

#[derive(Deserialize, Clone)]
struct SeedResident {
    token: String,
    meter_id: Uuid,
}

/// What a reading was sent with: meter, stored values JSON, taken_at (µs).
type Sent = (Uuid, String, i64);

/// A row of the raw insert: id, meter, values JSON, taken_at.
type RawRow = (Uuid, Uuid, String, DateTime<Utc>);

#[derive(Default)]
struct Tally {
    /// Latency of every answered request (µs from its intended send time), with its due second.
    latencies: Vec<(u32, u64)>,
    /// Readings answered accepted or duplicate: must be in the store with this content.
    acked: HashMap<Uuid, Sent>,
    /// Readings whose fate is unknown (timeout, transport error, 5xx): may or may not be stored.
    unknown: HashMap<Uuid, Sent>,
    accepted: usize,
    duplicate: usize,
    conflict: usize,
    rejected: BTreeMap<String, usize>,
    overloaded: usize,
    errors: BTreeMap<String, usize>,
    last_answer: Option<Instant>,
}

fn reading_for(meter: Uuid, k: u64, start: DateTime<Utc>) -> Reading {
    Reading {
        id: ReadingId(Uuid::now_v7()),
        meter_id: MeterId(meter),
        // 0.250 m³ per reading, one reading a minute: a steady rate, never a jump.
        values: vec![TariffValue {
            tariff: Tariff::Single,
            value: MeterValue(250 * (k + 1)),
        }],
        taken_at: start + chrono::Duration::minutes(k as i64),
        confirmed_jump: false,
    }
}

fn sent_of(r: &Reading) -> anyhow::Result<Sent> {
    Ok((
        r.meter_id.0,
        serde_json::to_string(&r.values)?,
        r.taken_at.timestamp_micros(),
    ))
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.rate <= 0.0 || args.duration <= 0.0 || args.batch == 0 || args.batch > 1000 {
        bail!("--rate and --duration must be positive and --batch between 1 and 1000");
    }
    let server = match args.spawn {
        Some(Backend::Sqlite) => Some(TestServer::sqlite().await),
        Some(Backend::Postgres) => Some(TestServer::postgres().await),
        None => None,
    };
    let backend = match (args.spawn, args.database.as_deref()) {
        (Some(Backend::Sqlite), _) => "sqlite",
        (Some(Backend::Postgres), _) => "postgres",
        (None, Some(d)) if d.starts_with("sqlite:") => "sqlite",
        (None, Some(_)) => "postgres",
        (None, None) => "unknown",
    };
    let (target, database, residents) = match &server {
        Some(s) => {
            let dir = tempfile::tempdir()?;
            let out = dir.path().join("load.json");
            let t = Instant::now();
            let n = args.residents.to_string();
            let o = out.display().to_string();
            let run = s
                .run_command(&["seed-load", "--residents", &n, "--out", &o], &[])
                .await;
            if !run.status.success() {
                bail!(
                    "seed-load failed: {}",
                    String::from_utf8_lossy(&run.stderr).trim()
                );
            }
            let seed: Seed = serde_json::from_slice(&std::fs::read(&out)?)?;
            eprintln!(
                "spawned {} on {backend}, seeded {} residents in {:.1} s",
                s.base,
                seed.residents.len(),
                t.elapsed().as_secs_f64()
            );
            (
                s.base.clone(),
                Some(s.database().to_owned()),
                seed.residents,
            )
        }
        None => {
            let target = args
                .target
                .clone()
                .context("--target URL (or --spawn sqlite|postgres)")?;
            let file = args
                .residents_file
                .clone()
                .context("--residents-file from `connect-server seed-load` (with --target)")?;
            let seed: Seed = serde_json::from_slice(
                &std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
            )
            .with_context(|| format!("parsing {}", file.display()))?;
            (target, args.database.clone(), seed.residents)
        }
    };
    if residents.is_empty() {
        bail!("no residents to send as");
    }

    let tally = Arc::new(Mutex::new(Tally::default()));
    let (requests, elapsed) = offer_load(&args, &target, &residents, tally.clone()).await?;
    let mut tally = std::mem::take(&mut *tally.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);

    // Results.
    let mut lat: Vec<u64> = tally.latencies.iter().map(|l| l.1).collect();
    lat.sort_unstable();
    let stored_ok = tally.accepted + tally.duplicate;
    let achieved = stored_ok as f64 / elapsed.as_secs_f64();
    let errors: usize = tally.errors.values().sum::<usize>() + tally.overloaded;
    println!(
        "offered {:.0} readings/s for {:.0} s in batches of {} from {} residents: {} requests",
        args.rate,
        args.duration,
        args.batch,
        residents.len(),
        requests
    );
    println!(
        "answered: {} accepted, {} duplicate, {} conflict, {} rejected {:?}; 429: {}; errors: {:?}",
        tally.accepted,
        tally.duplicate,
        tally.conflict,
        tally.rejected.values().sum::<usize>(),
        tally.rejected,
        tally.overloaded,
        tally.errors
    );
    println!(
        "achieved {:.0} readings/s; latency from intended send: p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms",
        achieved,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        percentile(&lat, 1.0)
    );
    if args.timeline {
        let mut by_second: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for (s, l) in &tally.latencies {
            by_second.entry(*s).or_default().push(*l);
        }
        for (s, mut l) in by_second {
            l.sort_unstable();
            println!(
                "  second {s:>3}: {:>5} requests, p99 {:.1} ms",
                l.len(),
                percentile(&l, 0.99)
            );
        }
    }

    let (lost, duplicated) = match &database {
        Some(db) => {
            let stored = stored_readings(db, &residents).await?;
            let check = check(&tally.acked, &mut tally.unknown, &stored);
            println!(
                "store check: {} readings stored; {} acknowledged all present with their content: {}; \
                 {} of {} unanswered requests' readings were stored anyway (answer lost, not a loss)",
                stored.len(),
                tally.acked.len(),
                check.lost == 0,
                check.unknown_stored,
                check.unknown_total
            );
            (Some(check.lost), Some(check.duplicated))
        }
        None => {
            println!(
                "store check skipped: pass --database (or --spawn) to check loss and duplicates"
            );
            (None, None)
        }
    };

    let mut raw_rate = None;
    if args.raw {
        match &database {
            Some(db) => {
                let meters: Vec<Uuid> = residents.iter().map(|r| r.meter_id).collect();
                let rate = raw_insert(db, &meters, args.raw_rows).await?;
                println!(
                    "raw insert into the same database: {rate:.0} rows/s ({} rows, 1,000 per transaction, no HTTP); loadgen/raw = {:.2}",
                    args.raw_rows,
                    achieved / rate
                );
                raw_rate = Some(rate);
            }
            None => println!("raw insert skipped: pass --database (or --spawn)"),
        }
    }

    let opt = |v: Option<usize>| v.map_or("unchecked".to_owned(), |v| v.to_string());
    println!(
        "loadgen: backend={backend} rate={:.0} duration={:.0} batch={} achieved={achieved:.0} p50_ms={:.1} p99_ms={:.1} p999_ms={:.1} errors={errors} overloaded={} lost={} duplicated={} raw={}",
        args.rate,
        args.duration,
        args.batch,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        tally.overloaded,
        opt(lost),
        opt(duplicated),
        raw_rate.map_or("-".to_owned(), |r| format!("{r:.0}"))
    );
    if let Some(s) = server {
        s.close().await;
    }
    Ok(())
}

/// Fires the requests on schedule and waits for the last answer. Returns the number of requests
/// and the time from the first due request to the last answer.
async fn offer_load(
    args: &Args,
    target: &str,
    residents: &[SeedResident],
    tally: Arc<Mutex<Tally>>,
) -> anyhow::Result<(usize, Duration)> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs_f64(args.timeout))
        .pool_max_idle_per_host(args.max_in_flight)
        .build()?;
    let url = format!("{}/v1/readings:batch", target.trim_end_matches('/'));
    let interval = args.batch as f64 / args.rate;
    let total = ((args.duration * args.rate) / args.batch as f64).ceil() as usize;
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .context("start time")?;
    let mut next_k = vec![0u64; residents.len()];
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let t0 = Instant::now();
    for i in 0..total {
        let due = t0 + Duration::from_secs_f64(i as f64 * interval);
        tokio::time::sleep_until(due.into()).await;
        let who = i % residents.len();
        let items: Vec<Reading> = (0..args.batch)
            .map(|_| {
                let k = next_k[who];
                next_k[who] += 1;
                reading_for(residents[who].meter_id, k, start)
            })
            .collect();
        let sent: Vec<(Uuid, Sent)> = items
            .iter()
            .map(|r| Ok((r.id.0, sent_of(r)?)))
            .collect::<anyhow::Result<_>>()?;
        let second = (i as f64 * interval) as u32;
        if in_flight.load(Ordering::Relaxed) >= args.max_in_flight {
            let mut t = tally.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            *t.errors.entry("client_max_in_flight".into()).or_default() += 1;
            continue;
        }
        in_flight.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::to_vec(&ReadingBatchRequest { items })?;
        let req = http
            .post(&url)
            .bearer_auth(&residents[who].token)
            .header("content-type", "application/json")
            .body(body);
        let tally = tally.clone();
        let in_flight = in_flight.clone();
        tasks.spawn(async move {
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let bytes = resp.bytes().await;
                    match (status.as_u16(), bytes) {
                        (200, Ok(b)) => match serde_json::from_slice::<ReadingBatchResponse>(&b) {
                            Ok(r) => Ok(r),
                            Err(e) => Err(format!("bad body: {e}")),
                        },
                        (429, _) => Err("429".into()),
                        (s, _) => Err(format!("http_{s}")),
                    }
                }
                Err(e) if e.is_timeout() => Err("timeout".into()),
                Err(e) if e.is_connect() => Err("connect".into()),
                Err(_) => Err("transport".into()),
            };
            let now = Instant::now();
            in_flight.fetch_sub(1, Ordering::Relaxed);
            let Ok(mut t) = tally.lock() else { return };
            t.last_answer = Some(now);
            match outcome {
                Ok(resp) => {
                    t.latencies.push((
                        second,
                        now.saturating_duration_since(due).as_micros() as u64,
                    ));
                    let sent: HashMap<Uuid, Sent> = sent.into_iter().collect();
                    for r in resp.results {
                        match r.outcome {
                            ReadingOutcome::Accepted { .. } => t.accepted += 1,
                            ReadingOutcome::Duplicate { .. } => t.duplicate += 1,
                            ReadingOutcome::Conflict => {
                                t.conflict += 1;
                                continue;
                            }
                            ReadingOutcome::Rejected { code, .. } => {
                                *t.rejected.entry(code).or_default() += 1;
                                continue;
                            }
                        }
                        if let Some(s) = sent.get(&r.id.0) {
                            t.acked.insert(r.id.0, s.clone());
                        }
                    }
                }
                Err(kind) if kind == "429" => {
                    t.latencies.push((
                        second,
                        now.saturating_duration_since(due).as_micros() as u64,
                    ));
                    t.overloaded += 1;
                }
                Err(kind) => {
                    *t.errors.entry(kind).or_default() += 1;
                    t.unknown.extend(sent);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let last = tally
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .last_answer
        .unwrap_or(t0);
    Ok((total, last.saturating_duration_since(t0)))
}

struct Check {
    lost: usize,
    duplicated: usize,
    unknown_stored: usize,
    unknown_total: usize,
}

/// Compares what the server acknowledged with what the database holds.
fn check(
    acked: &HashMap<Uuid, Sent>,
    unknown: &mut HashMap<Uuid, Sent>,
    stored: &[(Uuid, Sent)],
) -> Check {
    let mut by_id: HashMap<Uuid, Vec<&Sent>> = HashMap::new();
    let mut contents: HashSet<&Sent> = HashSet::new();
    let mut duplicated = 0;
    for (id, s) in stored {
        by_id.entry(*id).or_default().push(s);
        if !contents.insert(s) {
            duplicated += 1; // the same reading content stored under two ids
        }
    }
    let mut lost = 0;
    for (id, s) in acked {
        match by_id.get(id).map(Vec::as_slice) {
            Some([one]) if *one == s => {}
            _ => lost += 1,
        }
    }
    let mut unknown_stored = 0;
    for (id, rows) in &by_id {
        if rows.len() > 1 {
            duplicated += rows.len() - 1;
        }
        if acked.contains_key(id) {
            continue;
        }
        match unknown.get(id) {
            Some(s) if rows.iter().all(|r| *r == s) => unknown_stored += 1,
            // Stored but never sent by this run (or with other content).
            _ => duplicated += 1,
        }
    }
    Check {
        lost,
        duplicated,
        unknown_stored,
        unknown_total: std::mem::take(unknown).len(),
    }
}

/// Every reading stored for the load residents' meters.
async fn stored_readings(
    db: &str,
    residents: &[SeedResident],
) -> anyhow::Result<Vec<(Uuid, Sent)>> {
    let meters: HashSet<Uuid> = residents.iter().map(|r| r.meter_id).collect();
    let mut out = Vec::new();
    if let Some(path) = db.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let mut stmt = conn.prepare("SELECT id, meter_id, vals, taken_at_us FROM readings")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let meter = Uuid::parse_str(&r.get::<_, String>(1)?)?;
            if meters.contains(&meter) {
                let id = Uuid::parse_str(&r.get::<_, String>(0)?)?;
                out.push((id, (meter, r.get(2)?, r.get(3)?)));
            }
        }
    } else {
        let (client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        for r in client
            .query("SELECT id, meter_id, vals, taken_at FROM readings", &[])
            .await?
        {
            let meter: Uuid = r.get(1);
            if meters.contains(&meter) {
                let taken: DateTime<Utc> = r.get(3);
                out.push((r.get(0), (meter, r.get(2), taken.timestamp_micros())));
            }
        }
    }
    Ok(out)
}

/// Inserts `rows` readings straight into the database, 1,000 per transaction, the way the server
/// stores them (UUIDv7 ids, same columns and indexes); returns rows per second.
async fn raw_insert(db: &str, meters: &[Uuid], rows: usize) -> anyhow::Result<f64> {
    const PER_TX: usize = 1000;
    let start = Utc
        .with_ymd_and_hms(2010, 1, 1, 0, 0, 0)
        .single()
        .context("start time")?;
    let batch = |n: usize, from: usize| -> anyhow::Result<Vec<RawRow>> {
        (from..from + n)
            .map(|i| {
                let r = reading_for(meters[i % meters.len()], (i / meters.len()) as u64, start);
                let (m, v, _) = sent_of(&r)?;
                Ok((r.id.0, m, v, r.taken_at))
            })
            .collect()
    };
    let t = Instant::now();
    if let Some(path) = db.strip_prefix("sqlite://") {
        let mut conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let mut done = 0;
        while done < rows {
            let n = PER_TX.min(rows - done);
            let b = batch(n, done)?;
            let now = Utc::now().timestamp_micros();
            let tx = conn.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO readings (id, meter_id, vals, taken_at_us, confirmed_jump,
                        received_at_us, late) VALUES (?1, ?2, ?3, ?4, 0, ?5, 0)",
                )?;
                for (id, m, v, at) in b {
                    stmt.execute(rusqlite::params![
                        id.to_string(),
                        m.to_string(),
                        v,
                        at.timestamp_micros(),
                        now
                    ])?;
                }
            }
            tx.commit()?;
            done += n;
        }
    } else {
        let (mut client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        let mut done = 0;
        while done < rows {
            let n = PER_TX.min(rows - done);
            let b = batch(n, done)?;
            let ids: Vec<Uuid> = b.iter().map(|r| r.0).collect();
            let ms: Vec<Uuid> = b.iter().map(|r| r.1).collect();
            let vs: Vec<&str> = b.iter().map(|r| r.2.as_str()).collect();
            let ts: Vec<DateTime<Utc>> = b.iter().map(|r| r.3).collect();
            let tx = client.transaction().await?;
            tx.execute(
                "INSERT INTO readings (id, meter_id, vals, taken_at, confirmed_jump, received_at,
                    late)
                 SELECT i, m, v, t, false, now(), false
                 FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[])
                      AS x(i, m, v, t)",
                &[&ids, &ms, &vs, &ts],
            )
            .await?;
            tx.commit().await?;
            done += n;
        }
    }
    Ok(rows as f64 / t.elapsed().as_secs_f64())
}
