//! Geo lookup benchmark: `cargo run --release -p connect-tests --bin geo-bench -- DIR` with DIR a
//! city folder of the shared geo data (e.g. `/work/shared/data/geo/vologda`).
//!
//! Prints the index build time, pack size and load time, single-thread lookups per second over all
//! query points (in the thread's CPU time, so other load on a shared machine does not count), agreement with the reference answers, the size of a synthetic 100,000-building
//! pack, and — in the same run, on the same points — PostGIS `ST_Contains` / `ST_DWithin` with GiST
//! indexes on the local PostgreSQL, in one bulk query and one query per point, with the ratios.
//! PostGIS runs in a throwaway database that is dropped afterwards.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use connect_core::geo::{
    Building, BuildingIndex, apply_managers, pack_etag, read_building_managers,
};
use connect_core::ids::BuildingId;
use connect_tests::geo_data::{RefPoint, build_index, load_buildings, load_points, score};
use geo::MapCoords;
use tokio_postgres::NoTls;

const PG_URL: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";
/// Points timed at one PostGIS query each (the bulk query covers all points).
const PER_POINT_SAMPLE: usize = 10_000;
/// Rounds over all points for our own timing, so one measurement lasts long enough to be stable.
const ROUNDS: usize = 10;

/// This thread's CPU time so far (Linux `/proc/thread-self/schedstat`), if available.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn wkt(b: &Building) -> String {
    let ring = |r: &geo::LineString<f64>| {
        let pts: Vec<String> = r.0.iter().map(|c| format!("{} {}", c.x, c.y)).collect();
        format!("({})", pts.join(","))
    };
    let polys: Vec<String> = b
        .footprint
        .0
        .iter()
        .map(|p| {
            let rings: Vec<String> = std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect();
            format!("({})", rings.join(","))
        })
        .collect();
    format!("MULTIPOLYGON({})", polys.join(","))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        bail!("usage: geo-bench DIR   (a city folder with buildings.geojson and points.csv)");
    };
    println!("geo-bench on {}", dir.display());

    let t = Instant::now();
    let buildings = load_buildings(&dir)?;
    let import_time = t.elapsed();
    let n_buildings = buildings.len();
    let for_pg = buildings.clone();
    let t = Instant::now();
    let index = build_index(&dir, buildings)?;
    let build_time = t.elapsed();
    println!(
        "buildings: {n_buildings} ({} vertices); GeoJSON import {}, index build {}",
        index.vertex_count(),
        ms(import_time),
        ms(build_time)
    );

    let t = Instant::now();
    let pack = index.to_pack();
    let encode_time = t.elapsed();
    let t = Instant::now();
    let loaded = BuildingIndex::from_pack(&pack)?;
    let load_time = t.elapsed();
    if loaded != index {
        bail!("pack round trip changed the index");
    }
    println!(
        "pack: {} bytes ({:.2} MB, {:.1} bytes/building), etag {}; encode {}, load (checksum + decode + R-tree + grid) {}",
        pack.len(),
        pack.len() as f64 / 1e6,
        pack.len() as f64 / n_buildings as f64,
        pack_etag(&pack),
        ms(encode_time),
        ms(load_time)
    );
    println!(
        "pack for 100,000 buildings extrapolated from this city: {:.2} MB",
        pack.len() as f64 / n_buildings as f64 * 100_000.0 / 1e6
    );

    let points = load_points(&dir.join("points.csv"))?;
    let agreement = score(&loaded, &points);
    println!(
        "agreement (index loaded from the pack): {}",
        agreement.summary()
    );
    for e in &agreement.examples {
        println!("  disagreement: {e}");
    }

    // Our lookups: the full owned answer (Inside / Near / Nothing, accuracy 15 m), one thread.
    // Timed in this thread's CPU time where Linux tells it, so other processes sharing the core
    // do not count; wall time is printed beside it.
    let n = points.len();
    let rtree_only = loaded.clone().without_grid();
    type Query<'a> = (&'a str, Box<dyn Fn(f64, f64) + 'a>);
    let queries: Vec<Query> = vec![
        (
            "lookup",
            Box::new(|la, lo| drop(black_box(loaded.lookup(la, lo, 15.0)))),
        ),
        (
            "find",
            Box::new(|la, lo| drop(black_box(loaded.find(la, lo, 15.0)))),
        ),
        (
            "inside",
            Box::new(|la, lo| {
                black_box(loaded.inside(la, lo));
            }),
        ),
        (
            "find, R-tree only",
            Box::new(|la, lo| drop(black_box(rtree_only.find(la, lo, 15.0)))),
        ),
    ];
    let mut rates = Vec::new();
    for (name, query) in &queries {
        let (mut best_cpu, mut best_wall) = (Duration::MAX, Duration::MAX);
        for _ in 0..ROUNDS {
            let (cpu, wall) = (thread_cpu(), Instant::now());
            for p in &points {
                query(black_box(p.lat), black_box(p.lon));
            }
            best_wall = best_wall.min(wall.elapsed());
            if let (Some(a), Some(b)) = (cpu, thread_cpu()) {
                best_cpu = best_cpu.min(b.saturating_sub(a));
            }
        }
        let best = if best_cpu == Duration::MAX {
            best_wall
        } else {
            best_cpu
        };
        println!(
            "ours, one thread, best of {ROUNDS} rounds over {n} points, {name}: {:.0}/s ({:.0} ns each; wall clock {:.0}/s)",
            per_sec(n, best),
            best.as_secs_f64() * 1e9 / n as f64,
            per_sec(n, best_wall)
        );
        rates.push(per_sec(n, best_wall));
    }
    println!(
        "(lookup = owned answer, inside else near within 30 m; find = the same without building owned records; grid in use: {})",
        loaded.uses_grid()
    );
    // PostGIS runs in another process and is timed by the wall clock: compare wall with wall.
    let (ours_full, ours_inside) = (rates[0], rates[2]);

    synthetic_100k(&dir, &index)?;

    match postgis(&for_pg, &points).await {
        Ok(pg) => {
            println!(
                "PostGIS bulk (one query, all points): ST_Contains {:.0}/s (agreement {}/{}), contains-else-ST_DWithin 30 m {:.0}/s",
                pg.bulk_contains, pg.bulk_agree, n, pg.bulk_full
            );
            println!(
                "PostGIS one query per point ({PER_POINT_SAMPLE} points): ST_Contains {:.0}/s, contains-else-ST_DWithin 30 m {:.0}/s",
                pg.each_contains, pg.each_full
            );
            println!(
                "ratio ours/PostGIS (wall clock on both sides): inside vs bulk ST_Contains {:.0}x, vs per-point ST_Contains {:.0}x; full lookup vs bulk contains+DWithin {:.0}x, vs per-point {:.0}x",
                ours_inside / pg.bulk_contains,
                ours_inside / pg.each_contains,
                ours_full / pg.bulk_full,
                ours_full / pg.each_full
            );
        }
        Err(e) => println!("PostGIS comparison not run: {e:#}"),
    }
    Ok(())
}

/// A 100,000-building city made of copies of this one moved east, every building with a company
/// (the shared synthetic assignment) so the pack carries the full attribute load.
fn synthetic_100k(dir: &std::path::Path, index: &BuildingIndex) -> anyhow::Result<()> {
    let mut base = load_buildings(dir)?;
    let managers = dir.join("synthetic_building_managers.csv");
    if let Ok(f) = std::fs::File::open(&managers) {
        let (rows, _) = read_building_managers(f, "synthetic_company_id")?;
        apply_managers(&mut base, rows);
    }
    let mut all: Vec<Building> = Vec::with_capacity(100_000);
    let mut copy = 0;
    while all.len() < 100_000 {
        let dlon = 0.5 * f64::from(copy);
        for b in &base {
            if all.len() == 100_000 {
                break;
            }
            all.push(Building {
                id: BuildingId(format!("{}-{copy}", b.id.0)),
                footprint: b.footprint.map_coords(|c| geo::Coord {
                    x: c.x + dlon,
                    y: c.y,
                }),
                ..b.clone()
            });
        }
        copy += 1;
    }
    let synthetic = BuildingIndex::new(index.meta().clone(), all)?;
    let t = Instant::now();
    let pack = synthetic.to_pack();
    let encode = t.elapsed();
    let t = Instant::now();
    let loaded = BuildingIndex::from_pack(&pack)?;
    let load = t.elapsed();
    println!(
        "synthetic 100,000 buildings ({} vertices, every one with a company): pack {} bytes ({:.2} MB), encode {}, load {}",
        loaded.vertex_count(),
        pack.len(),
        pack.len() as f64 / 1e6,
        ms(encode),
        ms(load)
    );
    Ok(())
}

struct PgResult {
    bulk_contains: f64,
    bulk_agree: usize,
    bulk_full: f64,
    each_contains: f64,
    each_full: f64,
}

const CONTAINS_SQL: &str = "SELECT id FROM b WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) ORDER BY area, id LIMIT 1";
const FULL_SQL: &str = "SELECT COALESCE(
    (SELECT id FROM b WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) ORDER BY area, id LIMIT 1),
    (SELECT id FROM b WHERE ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, 30)
       ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography), id LIMIT 1))";

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("connecting {url}"))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("postgres connection: {e}");
        }
    });
    Ok(client)
}

async fn postgis(buildings: &[Building], points: &[RefPoint]) -> anyhow::Result<PgResult> {
    let admin = connect(PG_URL).await?;
    let db = format!("geo_bench_{}", std::process::id());
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await?;
    let result = postgis_in(&db, buildings, points).await;
    // Give the bench connection time to close before dropping its database.
    tokio::time::sleep(Duration::from_millis(200)).await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .await?;
    result
}

async fn postgis_in(
    db: &str,
    buildings: &[Building],
    points: &[RefPoint],
) -> anyhow::Result<PgResult> {
    let c = connect(&PG_URL.replace("dbname=test", &format!("dbname={db}"))).await?;
    c.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS postgis;
         CREATE TABLE b (id text PRIMARY KEY, area double precision NOT NULL, geom geometry(MultiPolygon, 4326) NOT NULL);",
    )
    .await
    .context("creating the PostGIS table (is postgresql-15-postgis-3 installed?)")?;
    let ids: Vec<String> = buildings.iter().map(|b| b.id.0.clone()).collect();
    // The same area our index ranks by: the file's area_m2 (all Vologda buildings carry one).
    let areas: Vec<f64> = buildings.iter().map(|b| b.area_m2.unwrap_or(0.0)).collect();
    let wkts: Vec<String> = buildings.iter().map(wkt).collect();
    c.execute(
        "INSERT INTO b SELECT i, a, ST_GeomFromText(w, 4326) FROM unnest($1::text[], $2::float8[], $3::text[]) AS t(i, a, w)",
        &[&ids, &areas, &wkts],
    )
    .await?;
    c.batch_execute(
        "CREATE INDEX b_geom ON b USING gist (geom);
         CREATE INDEX b_geog ON b USING gist ((geom::geography));
         ANALYZE b;",
    )
    .await?;

    let lons: Vec<f64> = points.iter().map(|p| p.lon).collect();
    let lats: Vec<f64> = points.iter().map(|p| p.lat).collect();
    let bulk = |inner: &str| {
        format!(
            "SELECT u.n, ({inner}) FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, n) ORDER BY u.n"
        )
        .replace("$1, $2", "u.lon, u.lat")
    };
    let t = Instant::now();
    let rows = c.query(&bulk(CONTAINS_SQL), &[&lons, &lats]).await?;
    let bulk_contains = per_sec(points.len(), t.elapsed());
    let mut bulk_agree = 0;
    for (row, p) in rows.iter().zip(points) {
        let got: Option<String> = row.get(1);
        if got == p.expected {
            bulk_agree += 1;
        }
    }
    let t = Instant::now();
    c.query(&bulk(FULL_SQL), &[&lons, &lats]).await?;
    let bulk_full = per_sec(points.len(), t.elapsed());

    let sample = &points[..PER_POINT_SAMPLE.min(points.len())];
    let contains = c.prepare(CONTAINS_SQL).await?;
    let t = Instant::now();
    for p in sample {
        black_box(c.query_opt(&contains, &[&p.lon, &p.lat]).await?);
    }
    let each_contains = per_sec(sample.len(), t.elapsed());
    let full = c.prepare(FULL_SQL).await?;
    let t = Instant::now();
    for p in sample {
        black_box(c.query_one(&full, &[&p.lon, &p.lat]).await?);
    }
    let each_full = per_sec(sample.len(), t.elapsed());
    Ok(PgResult {
        bulk_contains,
        bulk_agree,
        bulk_full,
        each_contains,
        each_full,
    })
}
