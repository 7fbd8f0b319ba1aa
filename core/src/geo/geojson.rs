//! Importers the server's `import` commands call: a GeoJSON FeatureCollection of building
//! footprints, and a CSV saying which managing company manages which building.
//!
//! Both are forgiving per record and strict per file: a bad feature or row is reported with its
//! position and reason and the rest are imported; only a file that is not a FeatureCollection (or a
//! CSV without the needed columns) fails as a whole.

use std::collections::HashSet;
use std::io::Read;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

use crate::geo::error::{GeoJsonError, ManagersCsvError};
use crate::geo::index::Building;
use crate::ids::{BuildingId, CompanyId};

/// Outcome of an import: how many records went in, and which were refused and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Records imported.
    pub imported: usize,
    /// Refused records: (feature index from 0, or CSV line number from 1) and the reason.
    pub errors: Vec<(usize, String)>,
}

/// One CSV row: this building is managed by this company (or by none).
pub type ManagerAssignment = (BuildingId, Option<CompanyId>);

/// Parses a GeoJSON FeatureCollection of Polygon/MultiPolygon building footprints with properties
/// `id` (string or number, required, unique), `address` and `mgmt_company_id` (string or null),
/// and optionally `area_m2` (number). Rings must be closed, with at least 4 positions.
pub fn import_geojson(text: &str) -> Result<(Vec<Building>, ImportReport), GeoJsonError> {
    let root: Value = serde_json::from_str(text)?;
    if root.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(GeoJsonError::NotFeatureCollection(
            "\"type\" is not \"FeatureCollection\"".into(),
        ));
    }
    let Some(features) = root.get("features").and_then(Value::as_array) else {
        return Err(GeoJsonError::NotFeatureCollection(
            "no \"features\" array".into(),
        ));
    };
    let mut report = ImportReport::default();
    let mut buildings = Vec::with_capacity(features.len());
    let mut seen: HashSet<String> = HashSet::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        match parse_feature(f) {
            Ok(b) if !seen.insert(b.id.0.clone()) => {
                report
                    .errors
                    .push((i, format!("duplicate building id {:?}", b.id.0)));
            }
            Ok(b) => buildings.push(b),
            Err(reason) => report.errors.push((i, reason)),
        }
    }
    report.imported = buildings.len();
    Ok((buildings, report))
}

fn parse_feature(f: &Value) -> Result<Building, String> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("not a Feature".into());
    }
    let props = f
        .get("properties")
        .and_then(Value::as_object)
        .ok_or("no properties object")?;
    let id = match props.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("property \"id\" missing or empty".into()),
    };
    let opt_string = |key: &str| -> Result<Option<String>, String> {
        match props.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(format!("property {key:?} is not a string")),
        }
    };
    let address = opt_string("address")?;
    let company = opt_string("mgmt_company_id")?.map(CompanyId);
    let area_m2 = match props.get("area_m2") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(a) if a.is_finite() && a >= 0.0 => Some(a),
            _ => return Err("property \"area_m2\" is not a non-negative number".into()),
        },
    };
    let geometry = f.get("geometry").ok_or("no geometry")?;
    let coords = geometry
        .get("coordinates")
        .ok_or("geometry has no coordinates")?;
    let polygons = match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => vec![parse_polygon(coords)?],
        Some("MultiPolygon") => {
            let parts = coords
                .as_array()
                .ok_or("MultiPolygon coordinates are not an array")?;
            if parts.is_empty() {
                return Err("MultiPolygon has no polygons".into());
            }
            parts
                .iter()
                .map(parse_polygon)
                .collect::<Result<Vec<_>, _>>()?
        }
        Some(other) => {
            return Err(format!(
                "geometry type {other} is not Polygon or MultiPolygon"
            ));
        }
        None => return Err("geometry has no type".into()),
    };
    Ok(Building {
        id: BuildingId(id),
        address,
        company,
        area_m2,
        footprint: MultiPolygon(polygons),
    })
}

fn parse_polygon(v: &Value) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("polygon is not an array of rings")?;
    let mut parsed = rings.iter().map(parse_ring);
    let exterior = parsed.next().ok_or("polygon has no rings")??;
    let holes = parsed.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

fn parse_ring(v: &Value) -> Result<LineString<f64>, String> {
    let positions = v.as_array().ok_or("ring is not an array of positions")?;
    let mut coords = Vec::with_capacity(positions.len());
    for p in positions {
        let pair = p
            .as_array()
            .filter(|a| a.len() >= 2)
            .ok_or("position is not [lon, lat]")?;
        let (Some(x), Some(y)) = (pair[0].as_f64(), pair[1].as_f64()) else {
            return Err("position is not numeric".into());
        };
        if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
            return Err(format!("position [{x}, {y}] outside WGS84 range"));
        }
        coords.push(Coord { x, y });
    }
    if coords.len() < 4 {
        return Err(format!(
            "ring has {} positions, needs at least 4",
            coords.len()
        ));
    }
    if coords.first() != coords.last() {
        return Err("ring is not closed".into());
    }
    // Fewer than 3 distinct vertices encloses nothing.
    let mut distinct: Vec<(u64, u64)> = coords
        .iter()
        .map(|c| (c.x.to_bits(), c.y.to_bits()))
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 3 {
        return Err("ring has fewer than 3 distinct vertices".into());
    }
    Ok(LineString(coords))
}

/// Reads "which company manages which building" from CSV with a header row: column `building_id`
/// and the company column named `company_column` (e.g. `company_id`, or `synthetic_company_id` in
/// the shared synthetic file). An empty company cell means "no managing company". Returns the
/// assignments in file order; bad rows are reported with their 1-based line number.
pub fn read_building_managers(
    reader: impl Read,
    company_column: &str,
) -> Result<(Vec<ManagerAssignment>, ImportReport), ManagersCsvError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| ManagersCsvError::MissingColumn(name.to_owned()))
    };
    let (b_col, c_col) = (column("building_id")?, column(company_column)?);
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, rec) in csv.records().enumerate() {
        // Header is line 1; without a position (I/O error) fall back to counting records.
        let fallback_line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(fallback_line, |p| p.line() as usize);
                report.errors.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(fallback_line, |p| p.line() as usize);
        if rec.len() != headers.len() {
            report.errors.push((
                line,
                format!("row has {} fields, header has {}", rec.len(), headers.len()),
            ));
            continue;
        }
        let building = rec.get(b_col).unwrap_or("").trim();
        let company = rec.get(c_col).unwrap_or("").trim();
        if building.is_empty() {
            report.errors.push((line, "empty building_id".into()));
            continue;
        }
        if !seen.insert(building.to_owned()) {
            report
                .errors
                .push((line, format!("building {building:?} assigned twice")));
            continue;
        }
        let company = (!company.is_empty()).then(|| CompanyId(company.to_owned()));
        rows.push((BuildingId(building.to_owned()), company));
    }
    report.imported = rows.len();
    Ok((rows, report))
}

/// Applies manager assignments to imported buildings; returns the assignments whose building is
/// not among them (the caller reports these).
pub fn apply_managers(
    buildings: &mut [Building],
    assignments: Vec<ManagerAssignment>,
) -> Vec<BuildingId> {
    let mut by_id: std::collections::HashMap<BuildingId, usize> = buildings
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.clone(), i))
        .collect();
    let mut unknown = Vec::new();
    for (id, company) in assignments {
        match by_id.get_mut(&id) {
            Some(&mut i) => buildings[i].company = company,
            None => unknown.push(id),
        }
    }
    unknown
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FC: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"A","address":"ул. Мира, 1","mgmt_company_id":"rgkh-1","area_m2":10.5},
       "geometry":{"type":"Polygon","coordinates":[[[39.8,59.2],[39.801,59.2],[39.801,59.201],[39.8,59.2]]]}},
      {"type":"Feature","properties":{"id":"B","address":null,"mgmt_company_id":null},
       "geometry":{"type":"MultiPolygon","coordinates":[[[[39.9,59.2],[39.901,59.2],[39.901,59.201],[39.9,59.2]]],[[[39.91,59.2],[39.911,59.2],[39.911,59.201],[39.91,59.2]]]]}},
      {"type":"Feature","properties":{"id":"C"},"geometry":{"type":"Point","coordinates":[39.8,59.2]}},
      {"type":"Feature","properties":{"id":"D"},"geometry":{"type":"Polygon","coordinates":[[[39.8,59.2],[39.801,59.2],[39.801,59.201],[39.7,59.2]]]}},
      {"type":"Feature","properties":{"address":"x"},"geometry":{"type":"Polygon","coordinates":[[[39.8,59.2],[39.801,59.2],[39.801,59.201],[39.8,59.2]]]}},
      {"type":"Feature","properties":{"id":"A"},"geometry":{"type":"Polygon","coordinates":[[[39.8,59.2],[39.801,59.2],[39.801,59.201],[39.8,59.2]]]}},
      {"type":"Feature","properties":{"id":"E"},"geometry":{"type":"Polygon","coordinates":[[[39.8,99.2],[39.801,59.2],[39.801,59.201],[39.8,99.2]]]}}
    ]}"#;

    #[test]
    fn good_features_import_and_bad_ones_are_reported_by_index() {
        let (buildings, report) = import_geojson(FC).unwrap();
        assert_eq!(report.imported, 2);
        let ids: Vec<&str> = buildings.iter().map(|b| b.id.0.as_str()).collect();
        assert_eq!(ids, ["A", "B"]);
        assert_eq!(buildings[0].address.as_deref(), Some("ул. Мира, 1"));
        assert_eq!(buildings[0].company, Some(CompanyId("rgkh-1".into())));
        assert_eq!(buildings[0].area_m2, Some(10.5));
        assert_eq!(buildings[1].footprint.0.len(), 2);
        assert_eq!(buildings[1].company, None);
        let bad: Vec<usize> = report.errors.iter().map(|e| e.0).collect();
        assert_eq!(bad, [2, 3, 4, 5, 6]);
        assert!(report.errors[0].1.contains("Point"));
        assert!(report.errors[1].1.contains("not closed"));
        assert!(report.errors[3].1.contains("duplicate"));
        assert!(report.errors[4].1.contains("WGS84"));
    }

    #[test]
    fn a_document_that_is_not_a_feature_collection_is_refused() {
        assert!(matches!(
            import_geojson("[1,2"),
            Err(GeoJsonError::ParseJson(_))
        ));
        assert!(matches!(
            import_geojson(r#"{"type":"Feature"}"#),
            Err(GeoJsonError::NotFeatureCollection(_))
        ));
    }

    #[test]
    fn manager_rows_apply_and_bad_rows_are_reported_by_line() {
        let csv = "building_id,synthetic_company_id\nA,SYN-01\n,SYN-02\nB,\nA,SYN-03\nC,SYN-04,extra\nZ,SYN-05\n";
        let (rows, report) =
            read_building_managers(csv.as_bytes(), "synthetic_company_id").unwrap();
        assert_eq!(report.imported, 3);
        assert_eq!(
            report.errors.iter().map(|e| e.0).collect::<Vec<_>>(),
            [3, 5, 6],
            "{:?}",
            report.errors
        );
        let (mut buildings, _) = import_geojson(FC).unwrap();
        let unknown = apply_managers(&mut buildings, rows);
        assert_eq!(unknown, [BuildingId("Z".into())]);
        assert_eq!(buildings[0].company, Some(CompanyId("SYN-01".into())));
        assert_eq!(buildings[1].company, None);
    }

    #[test]
    fn a_managers_csv_without_the_company_column_is_refused() {
        let err = read_building_managers("building_id,company\nA,B\n".as_bytes(), "company_id")
            .unwrap_err();
        assert!(matches!(err, ManagersCsvError::MissingColumn(c) if c == "company_id"));
    }
}
