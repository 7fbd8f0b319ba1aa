//! `connect-server import osm` on a real `.osm.pbf`: a slice of the shared Vologda footprints is
//! written as OpenStreetMap XML (building ways with `addr:*` tags; every footprint with a courtyard,
//! and one with two parts, as a `type=multipolygon` relation whose outer ring is split over two
//! ways, one of them reversed), converted to PBF by `osmium cat`, imported by the real server binary
//! into one region, while the same slice goes in as GeoJSON into another. Every reference point in
//! the slice then gets the same answer from both regions through `GET /v1/geo/lookup`: the same
//! building (OSM ids mapped back), address and distances.
//!
//! Needs `$CONNECT_DATA_DIR/geo/vologda` and `osmium` (Debian `osmium-tool`, installed by
//! `scripts/install-deps.sh`); skipped with a printed reason when either is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, fmt::Write as _, path::Path};

use connect_tests::{
    TestServer,
    geo_data::{data_dir, load_points},
};
use serde_json::{Value, json};

/// The slice: buildings whose first vertex lies in this box (lon/lat), plus [`EXTRA`].
const WINDOW: [f64; 4] = [39.915, 59.205, 39.945, 59.225];
/// A building with two parts, outside the window.
const EXTRA: &str = "VLG-025314";
/// Ring ways of relations get ids from here on (building ids stay their VLG number).
const RING_WAY_BASE: i64 = 10_000_000;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `addr:*` tags that the importer joins back into exactly this address
/// (`city, street, housenumber`).
fn address_tags(address: &str) -> Vec<(&'static str, String)> {
    let mut parts = address.rsplitn(3, ", ");
    match (parts.next(), parts.next(), parts.next()) {
        (Some(number), Some(street), city) => {
            let mut tags = vec![
                ("addr:street", street.to_owned()),
                ("addr:housenumber", number.to_owned()),
            ];
            tags.extend(city.map(|c| ("addr:city", c.to_owned())));
            tags
        }
        _ => vec![],
    }
}

fn number(id: &str) -> i64 {
    id.trim_start_matches("VLG-").parse().unwrap()
}

/// OSM XML of the features: nodes, then ways, then relations, each in id order.
struct OsmXml {
    nodes: String,
    ways: Vec<(i64, String)>,
    relations: String,
    next_node: i64,
    next_ring_way: i64,
}

impl OsmXml {
    fn node_refs(&mut self, ring: &[Value]) -> Vec<i64> {
        let mut refs = Vec::new();
        // The closing position repeats the first: reuse its node.
        for p in &ring[..ring.len() - 1] {
            self.next_node += 1;
            let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            writeln!(
                self.nodes,
                r#"  <node id="{}" version="1" lat="{lat:.7}" lon="{lon:.7}"/>"#,
                self.next_node
            )
            .unwrap();
            refs.push(self.next_node);
        }
        refs.push(refs[0]);
        refs
    }

    fn way(&mut self, id: i64, refs: &[i64], tags: &[(&str, String)]) {
        let mut w = format!(r#"  <way id="{id}" version="1">"#);
        for r in refs {
            write!(w, r#"<nd ref="{r}"/>"#).unwrap();
        }
        for (k, v) in tags {
            write!(w, r#"<tag k="{k}" v="{}"/>"#, escape(v)).unwrap();
        }
        w.push_str("</way>\n");
        self.ways.push((id, w));
    }

    fn ring_way(&mut self, refs: &[i64]) -> i64 {
        self.next_ring_way += 1;
        let id = self.next_ring_way;
        self.way(id, refs, &[]);
        id
    }

    fn feature(&mut self, f: &Value) {
        let props = &f["properties"];
        let id = number(props["id"].as_str().unwrap());
        let mut tags = vec![("building", "yes".to_owned())];
        if let Some(a) = props["address"].as_str().filter(|a| !a.is_empty()) {
            tags.extend(address_tags(a));
        }
        let g = &f["geometry"];
        let polygons: Vec<&Vec<Value>> = match g["type"].as_str().unwrap() {
            "Polygon" => vec![g["coordinates"].as_array().unwrap()],
            _ => g["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_array().unwrap())
                .collect(),
        };
        if polygons.len() == 1 && polygons[0].len() == 1 {
            let refs = self.node_refs(polygons[0][0].as_array().unwrap());
            self.way(id, &refs, &tags);
            return;
        }
        let mut members = String::new();
        for rings in polygons {
            for (k, ring) in rings.iter().enumerate() {
                let refs = self.node_refs(ring.as_array().unwrap());
                if k == 0 {
                    // The outer ring as two open ways, the second reversed.
                    let half = refs.len() / 2;
                    let a = self.ring_way(&refs[..=half]);
                    let mut rest = refs[half..].to_vec();
                    rest.reverse();
                    let b = self.ring_way(&rest);
                    for w in [a, b] {
                        write!(members, r#"<member type="way" ref="{w}" role="outer"/>"#).unwrap();
                    }
                } else {
                    let w = self.ring_way(&refs);
                    write!(members, r#"<member type="way" ref="{w}" role="inner"/>"#).unwrap();
                }
            }
        }
        write!(
            self.relations,
            r#"  <relation id="{id}" version="1">{members}"#
        )
        .unwrap();
        self.relations
            .push_str(r#"<tag k="type" v="multipolygon"/>"#);
        for (k, v) in &tags {
            write!(self.relations, r#"<tag k="{k}" v="{}"/>"#, escape(v)).unwrap();
        }
        self.relations.push_str("</relation>\n");
    }

    fn finish(mut self) -> String {
        self.ways.sort_by_key(|w| w.0);
        let ways: String = self.ways.into_iter().map(|w| w.1).collect();
        format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"connect-tests\">\n{}{ways}{}</osm>\n",
            self.nodes, self.relations
        )
    }
}

fn first_vertex(f: &Value) -> (f64, f64) {
    let g = &f["geometry"];
    let ring = if g["type"] == "Polygon" {
        &g["coordinates"][0]
    } else {
        &g["coordinates"][0][0]
    };
    (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap())
}

fn bbox_of(f: &Value) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut visit = |p: &Value| {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    };
    fn walk(v: &Value, visit: &mut dyn FnMut(&Value)) {
        match v.as_array() {
            Some(a) if a.first().is_some_and(Value::is_number) => visit(v),
            Some(a) => a.iter().for_each(|x| walk(x, visit)),
            None => {}
        }
    }
    walk(&f["geometry"]["coordinates"], &mut visit);
    b
}

/// A lookup answer: (result, [(building id, address, distance)]).
type Answer = (String, Vec<(String, Option<String>, Option<f64>)>);

/// A lookup answer with OSM ids mapped to the GeoJSON ids.
fn normalized(v: &Value) -> Answer {
    let id = |s: &str| match s.strip_prefix('w').or_else(|| s.strip_prefix('r')) {
        Some(n) => format!("VLG-{:06}", n.parse::<i64>().unwrap()),
        None => s.to_owned(),
    };
    let building = |b: &Value, d: Option<f64>| {
        (
            id(b["id"].as_str().unwrap()),
            b["address"].as_str().map(str::to_owned),
            d,
        )
    };
    let result = v["result"].as_str().unwrap().to_owned();
    let list = match result.as_str() {
        "inside" => vec![building(&v["building"], None)],
        "near" => v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| building(&c["building"], c["distance_m"].as_f64()))
            .collect(),
        _ => vec![],
    };
    // Equally distant candidates (a shared wall) are ordered by id, and `w894` sorts after
    // `w11241` where `VLG-000894` sorts before `VLG-011241`: order ties by the mapped id.
    let mut list = list;
    list.sort_by(|a, b| {
        let d = |c: &(String, Option<String>, Option<f64>)| (c.2.unwrap_or(0.0) * 1e6).round();
        d(a).total_cmp(&d(b)).then_with(|| a.0.cmp(&b.0))
    });
    (result, list)
}

fn osmium_available() -> bool {
    std::process::Command::new("osmium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_osm_pbf_import_answers_like_the_geojson_import_of_the_same_buildings() {
    let city = data_dir().join("geo/vologda");
    if !city.join("buildings.geojson").is_file() {
        println!(
            "SKIP: no Vologda reference data under {} (set CONNECT_DATA_DIR)",
            data_dir().display()
        );
        return;
    }
    if !osmium_available() {
        println!("SKIP: `osmium` not found (Debian osmium-tool; scripts/install-deps.sh)");
        return;
    }
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(city.join("buildings.geojson")).unwrap())
            .unwrap();
    let slice: Vec<Value> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let (x, y) = first_vertex(f);
            let inside =
                (WINDOW[0]..=WINDOW[2]).contains(&x) && (WINDOW[1]..=WINDOW[3]).contains(&y);
            inside || f["properties"]["id"] == EXTRA
        })
        .cloned()
        .collect();
    let with_holes = slice
        .iter()
        .filter(|f| {
            f["geometry"]["type"] == "Polygon"
                && f["geometry"]["coordinates"].as_array().unwrap().len() > 1
        })
        .count();
    assert!(
        with_holes >= 2 && slice.len() > 500,
        "{} buildings, {with_holes} with holes",
        slice.len()
    );

    let dir = tempfile::tempdir().unwrap();
    let geojson = dir.path().join("slice.geojson");
    std::fs::write(
        &geojson,
        json!({"type": "FeatureCollection", "features": slice}).to_string(),
    )
    .unwrap();
    let mut xml = OsmXml {
        nodes: String::new(),
        ways: Vec::new(),
        relations: String::new(),
        next_node: 0,
        next_ring_way: RING_WAY_BASE,
    };
    for f in &slice {
        xml.feature(f);
    }
    let osm = dir.path().join("slice.osm");
    std::fs::write(&osm, xml.finish()).unwrap();
    let pbf = dir.path().join("slice.osm.pbf");
    let out = std::process::Command::new("osmium")
        .arg("cat")
        .arg(&osm)
        .arg("-o")
        .arg(&pbf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "osmium cat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut server = TestServer::sqlite().await;
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let out = server
        .import(&["buildings", &path(&geojson), "--region", "geojson"])
        .await;
    let imported = format!("imported {} buildings", slice.len());
    assert!(
        out.contains(&imported) && out.contains("refused 0"),
        "{out}"
    );
    let out = server
        .import(&["osm", &path(&pbf), "--region", "osm"])
        .await;
    assert!(
        out.contains(&imported) && out.contains("refused 0"),
        "{out}"
    );
    server.kill_hard().await;
    server.restart().await;
    let (_, regions) = server.anonymous().get("/v1/geo/regions").await;
    let counts: HashMap<String, u64> = regions["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["buildings"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts["osm"], slice.len() as u64);
    assert_eq!(counts["geojson"], slice.len() as u64);

    // Every reference point in the slice's boxes.
    let extra = slice
        .iter()
        .find(|f| f["properties"]["id"] == EXTRA)
        .map(bbox_of)
        .unwrap();
    let boxes = [
        WINDOW,
        [
            extra[0] - 5e-4,
            extra[1] - 5e-4,
            extra[2] + 5e-4,
            extra[3] + 5e-4,
        ],
    ];
    let points = load_points(&city.join("points.csv")).unwrap();
    let mut results: HashMap<String, usize> = HashMap::new();
    let mut courtyards = 0;
    let anon = server.anonymous();
    for p in points.iter().filter(|p| {
        boxes
            .iter()
            .any(|b| (b[0]..=b[2]).contains(&p.lon) && (b[1]..=b[3]).contains(&p.lat))
    }) {
        let ask = |region: &str| {
            format!(
                "/v1/geo/lookup?lat={}&lon={}&accuracy=15&region={region}",
                p.lat, p.lon
            )
        };
        let (_, from_geojson) = anon.get(&ask("geojson")).await;
        let (_, from_osm) = anon.get(&ask("osm")).await;
        let (g, o) = (normalized(&from_geojson), normalized(&from_osm));
        // Same buildings and addresses; distances equal up to rounding (the relations' outer
        // rings come back joined from two ways, one reversed, so edges run the other way).
        let strip = |a: &Answer| {
            (
                a.0.clone(),
                a.1.iter()
                    .map(|c| (c.0.clone(), c.1.clone()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(strip(&o), strip(&g), "point {} ({})", p.id, p.kind);
        for (x, y) in o.1.iter().zip(&g.1) {
            let gap = (x.2.unwrap_or(0.0) - y.2.unwrap_or(0.0)).abs();
            assert!(
                gap < 1e-6,
                "point {}: distance {:?} vs {:?}",
                p.id,
                x.2,
                y.2
            );
        }
        *results.entry(g.0.clone()).or_default() += 1;
        if p.kind == "courtyard" {
            assert_ne!(g.0, "inside", "courtyard point {} inside", p.id);
            courtyards += 1;
        }
    }
    println!("osm == geojson on {results:?} ({courtyards} courtyard points)");
    assert!(courtyards > 0 && results.len() == 3, "{results:?}");
}
