//! The `connect-server import …` commands: building footprints from GeoJSON or an OpenStreetMap
//! `.osm.pbf` extract, and which company manages which building from CSV.
//!
//! Every importer is forgiving per record: a bad feature, element or row is reported with its
//! position and reason and the rest go in. Footprints are written in chunks (the progress bar
//! advances per chunk) and the region's in-memory index is rebuilt when a [`GeoState`] is given.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    io::Read,
    path::{Path, PathBuf},
};

use connect_core::{
    geo::{Building, GeoJsonError, ImportReport, ManagersCsvError, import_geojson},
    ids::{BuildingId, CompanyId, RegionId},
};
use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use indicatif::ProgressBar;

use super::{GeoError, GeoState, encode_footprint};
use crate::store::{FootprintRow, ManagerKey, Store, StoreError};

/// Footprints written per store transaction.
const CHUNK: usize = 2_000;

/// Why an import stopped as a whole (per-record problems go into the [`ImportReport`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input file could not be read.
    #[error("reading {0}: {1}")]
    ReadFile(PathBuf, String),
    /// The GeoJSON is not a FeatureCollection.
    #[error("geojson: {0}")]
    GeoJson(#[from] GeoJsonError),
    /// The managers CSV lacks a needed column or header.
    #[error("managers csv: {0}")]
    ManagersCsv(#[from] ManagersCsvError),
    /// The OSM PBF file could not be decoded.
    #[error("osm pbf: {0}")]
    ReadOsm(String),
    /// Writing to the store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Rebuilding the region's index failed.
    #[error("rebuilding the index: {0}")]
    Rebuild(#[from] GeoError),
}

/// How a managers CSV names its buildings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ManagerMatch {
    /// Column `building_id`.
    #[value(name = "building_id")]
    BuildingId,
    /// Column `address`, matched exactly against the footprints' addresses.
    #[value(name = "address")]
    Address,
}

/// The closing line of an import: `imported N <what>, refused M`.
pub fn summary_line(what: &str, report: &ImportReport) -> String {
    format!(
        "imported {} {what}, refused {}",
        report.imported,
        report.errors.len()
    )
}

/// Writes footprints of one region in chunks, then rebuilds its index when `geo` is given.
pub async fn store_buildings(
    store: &dyn Store,
    geo: Option<&GeoState>,
    region: &RegionId,
    buildings: Vec<Building>,
    progress: &ProgressBar,
) -> Result<(), ImportError> {
    progress.set_length(buildings.len() as u64);
    let now = chrono::Utc::now().timestamp_millis();
    let rows: Vec<FootprintRow> = buildings
        .into_iter()
        .map(|b| FootprintRow {
            footprint: encode_footprint(&b.footprint),
            building_id: b.id,
            region: region.clone(),
            address: b.address,
            company: b.company,
            area_m2: b.area_m2,
        })
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<FootprintRow> = rows.by_ref().take(CHUNK).collect();
        let n = chunk.len() as u64;
        store.upsert_footprints(chunk, now).await?;
        progress.inc(n);
    }
    if let Some(geo) = geo {
        geo.rebuild(store, region).await?;
    }
    progress.finish_and_clear();
    Ok(())
}

/// Imports a GeoJSON FeatureCollection of footprints (format of
/// [`connect_core::geo::import_geojson`]) into `region`.
pub async fn import_buildings(
    store: &dyn Store,
    geo: Option<&GeoState>,
    path: &Path,
    region: &RegionId,
    progress: &ProgressBar,
) -> Result<ImportReport, ImportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ImportError::ReadFile(path.to_owned(), e.to_string()))?;
    let (buildings, report) = import_geojson(&text)?;
    store_buildings(store, geo, region, buildings, progress).await?;
    Ok(report)
}

/// Imports building footprints from an OpenStreetMap `.osm.pbf` extract into `region`.
pub async fn import_osm(
    store: &dyn Store,
    geo: Option<&GeoState>,
    path: &Path,
    region: &RegionId,
    progress: &ProgressBar,
) -> Result<ImportReport, ImportError> {
    let owned = path.to_owned();
    let (buildings, report) = tokio::task::spawn_blocking(move || read_osm(&owned))
        .await
        .map_err(|e| ImportError::ReadOsm(e.to_string()))??;
    store_buildings(store, geo, region, buildings, progress).await?;
    Ok(report)
}

/// Imports "which company manages which building" (by building id or exact address). Rows naming
/// no known footprint are reported; affected regions are rebuilt when `geo` is given.
pub async fn import_managers(
    store: &dyn Store,
    geo: Option<&GeoState>,
    reader: impl Read,
    company_column: &str,
    by: ManagerMatch,
    progress: &ProgressBar,
) -> Result<ImportReport, ImportError> {
    let (rows, mut report, lines) = read_managers(reader, company_column, by)?;
    progress.set_length(rows.len() as u64);
    let now = chrono::Utc::now().timestamp_millis();
    let mut touched: BTreeSet<RegionId> = BTreeSet::new();
    let mut imported = 0;
    let mut rows = rows.into_iter().zip(lines).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        let n = chunk.len() as u64;
        let (keys, lines): (Vec<_>, Vec<_>) = chunk.into_iter().unzip();
        let described: Vec<String> = keys
            .iter()
            .map(|(k, _)| match k {
                ManagerKey::Building(b) => format!("no footprint with building id {:?}", b.0),
                ManagerKey::Address(_) => "no footprint with this address".to_owned(),
            })
            .collect();
        let changed = store.assign_managers(keys, now).await?;
        for ((regions, line), why) in changed.into_iter().zip(lines).zip(described) {
            if regions.is_empty() {
                report.errors.push((line, why));
            } else {
                imported += 1;
                touched.extend(regions);
            }
        }
        progress.inc(n);
    }
    report.imported = imported;
    report.errors.sort_by_key(|e| e.0);
    if let Some(geo) = geo {
        for region in &touched {
            geo.rebuild(store, region).await?;
        }
    }
    progress.finish_and_clear();
    Ok(report)
}

type ManagerRows = (
    Vec<(ManagerKey, Option<CompanyId>)>,
    ImportReport,
    Vec<usize>,
);

/// Reads `building_id` (or `address`) and company columns; returns the rows, the report of bad
/// rows, and each row's 1-based line number. An empty company cell clears the manager.
fn read_managers(
    reader: impl Read,
    company_column: &str,
    by: ManagerMatch,
) -> Result<ManagerRows, ImportError> {
    let key_column = match by {
        ManagerMatch::BuildingId => "building_id",
        ManagerMatch::Address => "address",
    };
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv.headers().map_err(ManagersCsvError::ReadHeader)?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| ManagersCsvError::MissingColumn(name.to_owned()))
    };
    let (a_col, c_col) = (column(key_column)?, column(company_column)?);
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, rec) in csv.records().enumerate() {
        let fallback = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(fallback, |p| p.line() as usize);
                report.errors.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(fallback, |p| p.line() as usize);
        if rec.len() != headers.len() {
            report.errors.push((
                line,
                format!("row has {} fields, header has {}", rec.len(), headers.len()),
            ));
            continue;
        }
        let key = rec.get(a_col).unwrap_or("").trim();
        let company = rec.get(c_col).unwrap_or("").trim();
        if key.is_empty() {
            report.errors.push((line, format!("empty {key_column}")));
            continue;
        }
        if !seen.insert(key.to_owned()) {
            report
                .errors
                .push((line, format!("{key_column} assigned twice")));
            continue;
        }
        let company = (!company.is_empty()).then(|| CompanyId(company.to_owned()));
        let key = match by {
            ManagerMatch::BuildingId => ManagerKey::Building(BuildingId(key.to_owned())),
            ManagerMatch::Address => ManagerKey::Address(key.to_owned()),
        };
        rows.push((key, company));
        lines.push(line);
    }
    Ok((rows, report, lines))
}

/// An OSM way as the importer needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsmWay {
    /// Way id.
    pub id: i64,
    /// Node ids in order.
    pub refs: Vec<i64>,
    /// Tags.
    pub tags: HashMap<String, String>,
}

/// An OSM relation as the importer needs it: its tags and its way members with their roles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsmRelation {
    /// Relation id.
    pub id: i64,
    /// Tags.
    pub tags: HashMap<String, String>,
    /// Way members: (way id, role).
    pub ways: Vec<(i64, String)>,
}

/// Everything read from an extract that the footprints need.
#[derive(Debug, Clone, Default)]
pub struct OsmElements {
    /// Building ways (tag `building`).
    pub building_ways: Vec<OsmWay>,
    /// Building multipolygon relations (`type=multipolygon` and `building`).
    pub relations: Vec<OsmRelation>,
    /// Node refs of the relations' member ways.
    pub member_ways: HashMap<i64, Vec<i64>>,
    /// Coordinates (lon, lat) of every needed node.
    pub nodes: HashMap<i64, (f64, f64)>,
}

fn is_building(tags: &HashMap<String, String>) -> bool {
    tags.get("building").is_some_and(|v| v != "no")
}

fn tags_of<'a>(it: impl Iterator<Item = (&'a str, &'a str)>) -> HashMap<String, String> {
    it.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// Reads the elements of an extract in three passes (relations; ways; the needed nodes), so only
/// the nodes of buildings are kept in memory.
pub fn read_osm_elements(path: &Path) -> Result<OsmElements, ImportError> {
    use osmpbf::{Element, ElementReader, RelMemberType};
    let err = |e: osmpbf::Error| ImportError::ReadOsm(e.to_string());
    let mut out = OsmElements::default();
    ElementReader::from_path(path)
        .map_err(err)?
        .for_each(|el| {
            if let Element::Relation(r) = el {
                let tags = tags_of(r.tags());
                if tags.get("type").map(String::as_str) == Some("multipolygon")
                    && is_building(&tags)
                {
                    let ways = r
                        .members()
                        .filter(|m| m.member_type == RelMemberType::Way)
                        .map(|m| (m.member_id, m.role().unwrap_or("").to_owned()))
                        .collect();
                    out.relations.push(OsmRelation {
                        id: r.id(),
                        tags,
                        ways,
                    });
                }
            }
        })
        .map_err(err)?;
    let wanted: HashSet<i64> = out
        .relations
        .iter()
        .flat_map(|r| r.ways.iter().map(|w| w.0))
        .collect();
    ElementReader::from_path(path)
        .map_err(err)?
        .for_each(|el| {
            if let Element::Way(w) = el {
                let tags = tags_of(w.tags());
                if wanted.contains(&w.id()) {
                    out.member_ways.insert(w.id(), w.refs().collect());
                }
                if is_building(&tags) {
                    out.building_ways.push(OsmWay {
                        id: w.id(),
                        refs: w.refs().collect(),
                        tags,
                    });
                }
            }
        })
        .map_err(err)?;
    let needed: HashSet<i64> = out
        .building_ways
        .iter()
        .flat_map(|w| w.refs.iter().copied())
        .chain(out.member_ways.values().flatten().copied())
        .collect();
    ElementReader::from_path(path)
        .map_err(err)?
        .for_each(|el| match el {
            Element::Node(n) if needed.contains(&n.id()) => {
                out.nodes.insert(n.id(), (n.lon(), n.lat()));
            }
            Element::DenseNode(n) if needed.contains(&n.id()) => {
                out.nodes.insert(n.id(), (n.lon(), n.lat()));
            }
            _ => {}
        })
        .map_err(err)?;
    Ok(out)
}

/// Reads an extract and turns its buildings into footprints.
pub fn read_osm(path: &Path) -> Result<(Vec<Building>, ImportReport), ImportError> {
    Ok(osm_buildings(&read_osm_elements(path)?))
}

/// `city, street, housenumber` from `addr:*` tags, when street and house number are both there.
fn osm_address(tags: &HashMap<String, String>) -> Option<String> {
    let street = tags.get("addr:street")?;
    let number = tags.get("addr:housenumber")?;
    Some(match tags.get("addr:city") {
        Some(city) => format!("{city}, {street}, {number}"),
        None => format!("{street}, {number}"),
    })
}

fn ring_coords(refs: &[i64], nodes: &HashMap<i64, (f64, f64)>) -> Result<LineString<f64>, String> {
    refs.iter()
        .map(|id| {
            nodes
                .get(id)
                .map(|&(x, y)| Coord { x, y })
                .ok_or_else(|| format!("node {id} missing from the extract"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString)
}

/// Joins way segments into closed rings (segments may be reversed); fails when one cannot close.
fn join_rings(mut segments: Vec<Vec<i64>>) -> Result<Vec<Vec<i64>>, String> {
    let mut rings = Vec::new();
    while let Some(mut ring) = segments.pop() {
        while ring.first() != ring.last() || ring.len() < 4 {
            let end = ring.last().copied();
            let next = segments
                .iter()
                .position(|s| s.first().copied() == end || s.last().copied() == end);
            let Some(i) = next else {
                return Err("a ring does not close".into());
            };
            let mut s = segments.swap_remove(i);
            if s.first().copied() != end {
                s.reverse();
            }
            ring.extend(s.into_iter().skip(1));
        }
        rings.push(ring);
    }
    Ok(rings)
}

/// Turns building ways and multipolygon relations into footprints: a way must be closed with at
/// least 4 refs; a relation's outer ways are joined into rings and each inner ring becomes a hole
/// of the outer ring containing it. Ids are `w<way id>` and `r<relation id>`; the address comes
/// from `addr:street` + `addr:housenumber`. Refused elements are reported by OSM id.
pub fn osm_buildings(el: &OsmElements) -> (Vec<Building>, ImportReport) {
    let mut report = ImportReport::default();
    let mut out = Vec::new();
    for w in &el.building_ways {
        let closed = w.refs.len() >= 4 && w.refs.first() == w.refs.last();
        if !closed {
            report
                .errors
                .push((w.id as usize, format!("way {}: not a closed ring", w.id)));
            continue;
        }
        match ring_coords(&w.refs, &el.nodes) {
            Ok(ring) => out.push(Building {
                id: BuildingId(format!("w{}", w.id)),
                address: osm_address(&w.tags),
                company: None,
                area_m2: None,
                footprint: MultiPolygon(vec![Polygon::new(ring, vec![])]),
            }),
            Err(e) => report
                .errors
                .push((w.id as usize, format!("way {}: {e}", w.id))),
        }
    }
    for r in &el.relations {
        match relation_footprint(r, el) {
            Ok(footprint) => out.push(Building {
                id: BuildingId(format!("r{}", r.id)),
                address: osm_address(&r.tags),
                company: None,
                area_m2: None,
                footprint,
            }),
            Err(e) => report
                .errors
                .push((r.id as usize, format!("relation {}: {e}", r.id))),
        }
    }
    report.imported = out.len();
    (out, report)
}

fn relation_footprint(r: &OsmRelation, el: &OsmElements) -> Result<MultiPolygon<f64>, String> {
    let segments = |role: &str| -> Result<Vec<Vec<i64>>, String> {
        r.ways
            .iter()
            .filter(|(_, rl)| rl == role || (role == "outer" && rl.is_empty()))
            .map(|(id, _)| {
                el.member_ways
                    .get(id)
                    .cloned()
                    .ok_or_else(|| format!("member way {id} missing from the extract"))
            })
            .collect()
    };
    let outers = join_rings(segments("outer")?)?;
    if outers.is_empty() {
        return Err("no outer ring".into());
    }
    let inners = join_rings(segments("inner")?)?;
    let mut polys: Vec<(LineString<f64>, Vec<LineString<f64>>)> = outers
        .iter()
        .map(|o| Ok((ring_coords(o, &el.nodes)?, Vec::new())))
        .collect::<Result<_, String>>()?;
    for inner in inners {
        let ring = ring_coords(&inner, &el.nodes)?;
        let Some(&first) = ring.0.first() else {
            continue;
        };
        let host = polys
            .iter_mut()
            .find(|(o, _)| Polygon::new(o.clone(), vec![]).contains(&Point::from(first)));
        match host {
            Some((_, holes)) => holes.push(ring),
            None => return Err("an inner ring lies in no outer ring".into()),
        }
    }
    Ok(MultiPolygon(
        polys
            .into_iter()
            .map(|(o, holes)| Polygon::new(o, holes))
            .collect(),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tags(kv: &[(&str, &str)]) -> HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // Conversion logic on in-memory elements. `read_osm_elements` on a real `.osm.pbf` (made by
    // osmium from the shared Vologda footprints) is tested in `tests/tests/osm_import.rs`.
    #[test]
    fn building_ways_and_multipolygons_become_footprints_and_bad_ones_are_reported() {
        let mut el = OsmElements::default();
        for (id, x, y) in [
            (1, 0.0, 0.0),
            (2, 1.0, 0.0),
            (3, 1.0, 1.0),
            (4, 0.0, 1.0),
            (5, 0.4, 0.4),
            (6, 0.6, 0.4),
            (7, 0.6, 0.6),
            (8, 0.4, 0.6),
        ] {
            el.nodes.insert(id, (39.0 + x * 0.001, 59.0 + y * 0.001));
        }
        let addr = tags(&[
            ("building", "yes"),
            ("addr:street", "Mira"),
            ("addr:housenumber", "1"),
        ]);
        el.building_ways = vec![
            OsmWay {
                id: 10,
                refs: vec![1, 2, 3, 4, 1],
                tags: addr.clone(),
            },
            OsmWay {
                id: 11,
                refs: vec![1, 2, 3],
                tags: tags(&[("building", "yes")]),
            },
            OsmWay {
                id: 12,
                refs: vec![1, 2, 99, 1],
                tags: tags(&[("building", "yes")]),
            },
        ];
        // Outer ring split into two open ways (one reversed), one inner ring.
        el.member_ways.insert(20, vec![1, 2, 3]);
        el.member_ways.insert(21, vec![1, 4, 3]);
        el.member_ways.insert(22, vec![5, 6, 7, 8, 5]);
        el.relations = vec![
            OsmRelation {
                id: 30,
                tags: addr,
                ways: vec![
                    (20, "outer".into()),
                    (21, "outer".into()),
                    (22, "inner".into()),
                ],
            },
            OsmRelation {
                id: 31,
                tags: tags(&[("building", "yes"), ("type", "multipolygon")]),
                ways: vec![(20, "outer".into())],
            },
        ];
        let (buildings, report) = osm_buildings(&el);
        let ids: Vec<&str> = buildings.iter().map(|b| b.id.0.as_str()).collect();
        assert_eq!(ids, ["w10", "r30"]);
        assert_eq!(buildings[0].address.as_deref(), Some("Mira, 1"));
        assert_eq!(buildings[1].footprint.0.len(), 1);
        assert_eq!(buildings[1].footprint.0[0].interiors().len(), 1);
        let refused: Vec<usize> = report.errors.iter().map(|e| e.0).collect();
        assert_eq!(refused, [11, 12, 31], "{:?}", report.errors);
        assert!(report.errors[0].1.contains("not a closed ring"));
        assert!(report.errors[1].1.contains("node 99"));
        assert!(report.errors[2].1.contains("does not close"));
    }
}
