//! Resolving an outage's area to buildings. A building whose footprint is in the geo index
//! ([`crate::geo::GeoState`], imported with `connect-server import buildings|osm`) is hit when
//! its footprint overlaps the polygon (shares some interior: a wall on the polygon's edge does not
//! count); a building without a footprint falls back to its one WGS84 point lying inside. The store
//! narrows the point candidates by the polygon's bounding box, the index's R-tree the footprints.

use std::collections::BTreeSet;

use connect_core::{geo::BuildingIndex, ids::BuildingId, property::Building};
use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use serde_json::Value;

use crate::store::BBox;

/// Why an area is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AreaError {
    /// Not a GeoJSON `Polygon` or `MultiPolygon` geometry (a `Feature` wrapping one is accepted).
    #[error("area must be a GeoJSON Polygon or MultiPolygon")]
    NotAPolygon,
    /// A position is not `[lon, lat]` within range.
    #[error("area has a bad position: {0}")]
    BadPosition(String),
    /// A ring has fewer than four positions.
    #[error("area has a ring with fewer than 4 positions")]
    ShortRing,
}

fn position(v: &Value) -> Result<Coord<f64>, AreaError> {
    let pair = v
        .as_array()
        .filter(|a| a.len() >= 2)
        .ok_or_else(|| AreaError::BadPosition(v.to_string()))?;
    let (Some(x), Some(y)) = (pair[0].as_f64(), pair[1].as_f64()) else {
        return Err(AreaError::BadPosition(v.to_string()));
    };
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(AreaError::BadPosition(v.to_string()));
    }
    Ok(Coord { x, y })
}

fn ring(v: &Value) -> Result<LineString<f64>, AreaError> {
    let points = v.as_array().ok_or(AreaError::NotAPolygon)?;
    if points.len() < 4 {
        return Err(AreaError::ShortRing);
    }
    Ok(LineString(
        points.iter().map(position).collect::<Result<_, _>>()?,
    ))
}

fn polygon(v: &Value) -> Result<Polygon<f64>, AreaError> {
    let rings = v.as_array().ok_or(AreaError::NotAPolygon)?;
    let (outer, holes) = rings.split_first().ok_or(AreaError::NotAPolygon)?;
    Ok(Polygon::new(
        ring(outer)?,
        holes.iter().map(ring).collect::<Result<_, _>>()?,
    ))
}

/// Parses a GeoJSON Polygon/MultiPolygon geometry (or a Feature holding one).
pub fn parse(v: &Value) -> Result<MultiPolygon<f64>, AreaError> {
    let geometry = if v.get("type").and_then(Value::as_str) == Some("Feature") {
        v.get("geometry").ok_or(AreaError::NotAPolygon)?
    } else {
        v
    };
    let coords = geometry.get("coordinates").ok_or(AreaError::NotAPolygon)?;
    match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(MultiPolygon(vec![polygon(coords)?])),
        Some("MultiPolygon") => Ok(MultiPolygon(
            coords
                .as_array()
                .ok_or(AreaError::NotAPolygon)?
                .iter()
                .map(polygon)
                .collect::<Result<_, _>>()?,
        )),
        _ => Err(AreaError::NotAPolygon),
    }
}

/// The box the store should narrow to before the exact test.
pub fn bbox(area: &MultiPolygon<f64>) -> Option<BBox> {
    area.bounding_rect().map(|r| BBox {
        west: r.min().x,
        south: r.min().y,
        east: r.max().x,
        north: r.max().y,
    })
}

/// Buildings whose footprint in any of the indexes overlaps the area, by id.
pub fn footprint_hits<'a>(
    indexes: impl IntoIterator<Item = &'a BuildingIndex>,
    area: &MultiPolygon<f64>,
) -> BTreeSet<BuildingId> {
    indexes
        .into_iter()
        .flat_map(|index| {
            index
                .overlapping(area)
                .into_iter()
                .filter_map(|p| index.building(p).map(|b| b.building_id))
        })
        .collect()
}

/// Whether any of the indexes holds a footprint of this building.
pub fn has_footprint<'a>(
    indexes: impl IntoIterator<Item = &'a BuildingIndex>,
    id: &BuildingId,
) -> bool {
    indexes.into_iter().any(|i| i.position(id).is_some())
}

/// The candidates whose point lies strictly inside the area (a point on the boundary is not).
pub fn inside(area: &MultiPolygon<f64>, candidates: Vec<Building>) -> Vec<Building> {
    candidates
        .into_iter()
        .filter(|b| area.contains(&Point::new(b.lon, b.lat)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use connect_core::ids::RegionId;
    use serde_json::json;

    use super::*;

    fn building(id: &str, lat: f64, lon: f64) -> Building {
        Building {
            id: BuildingId(id.into()),
            address: id.into(),
            company_id: None,
            region_id: RegionId("r".into()),
            lat,
            lon,
        }
    }

    #[test]
    fn a_polygon_with_a_hole_keeps_only_the_points_in_its_body() {
        let area = parse(&json!({"type": "Polygon", "coordinates": [
            [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],
            [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]
        ]}))
        .unwrap();
        let hit = inside(
            &area,
            vec![
                building("in", 1.0, 1.0),
                building("hole", 5.0, 5.0),
                building("out", 11.0, 1.0),
            ],
        );
        assert_eq!(
            hit.iter().map(|b| b.id.0.as_str()).collect::<Vec<_>>(),
            ["in"]
        );
        assert_eq!(
            bbox(&area),
            Some(BBox {
                west: 0.0,
                south: 0.0,
                east: 10.0,
                north: 10.0
            })
        );
    }

    #[test]
    fn points_lines_and_bad_positions_are_refused() {
        assert_eq!(
            parse(&json!({"type": "Point", "coordinates": [1.0, 2.0]})),
            Err(AreaError::NotAPolygon)
        );
        assert!(matches!(
            parse(&json!({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]})),
            Err(AreaError::BadPosition(_))
        ));
        assert_eq!(
            parse(&json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]})),
            Err(AreaError::ShortRing)
        );
    }
}
