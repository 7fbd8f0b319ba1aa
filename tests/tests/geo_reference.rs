//! The building index against the shared reference answers: every query point of every city folder
//! under `$CONNECT_DATA_DIR/geo` must get the reference's building (or none) and managing company,
//! and the same nearest building within 15 m; the grid and the R-tree search paths must answer
//! identically; the city's pack must load back into an index that answers identically.
#![allow(clippy::unwrap_used)]

use connect_core::geo::BuildingIndex;
use connect_tests::geo_data::{build_index, data_dir, load_buildings, load_points, score};

#[test]
fn every_reference_point_gets_the_reference_building_and_company() {
    let geo = data_dir().join("geo");
    let Ok(entries) = std::fs::read_dir(&geo) else {
        println!(
            "SKIP: no geo reference data at {} (set CONNECT_DATA_DIR)",
            geo.display()
        );
        return;
    };
    let mut cities: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("buildings.geojson").is_file() && p.join("points.csv").is_file())
        .collect();
    cities.sort();
    assert!(
        !cities.is_empty(),
        "{} has no city folder with buildings.geojson and points.csv",
        geo.display()
    );
    for city in cities {
        let buildings = load_buildings(&city).unwrap();
        let n = buildings.len();
        let index = build_index(&city, buildings).unwrap();
        assert_eq!(index.len(), n);
        let points = load_points(&city.join("points.csv")).unwrap();
        let agreement = score(&index, &points);
        println!(
            "{}: {} buildings, {} points: {}",
            city.display(),
            n,
            points.len(),
            agreement.summary()
        );
        for e in &agreement.examples {
            println!("  disagreement: {e}");
        }
        assert!(agreement.all_agree(), "{}", agreement.summary());

        // The grid (the fast path) and the R-tree answer identically on every point, also the
        // near candidates and their distances.
        assert!(index.uses_grid(), "a city this even must get the grid");
        let rtree_only = index.clone().without_grid();
        for p in &points {
            assert_eq!(
                index.find(p.lat, p.lon, 15.0),
                rtree_only.find(p.lat, p.lon, 15.0),
                "point {}",
                p.id
            );
        }

        // The pack answers exactly like the index it came from.
        let pack = index.to_pack();
        let loaded = BuildingIndex::from_pack(&pack).unwrap();
        assert!(loaded == index, "pack round trip changed the index");
        println!("{}: pack {} bytes", city.display(), pack.len());
        let again = score(&loaded, &points);
        assert_eq!(again.summary(), agreement.summary());
    }
}
