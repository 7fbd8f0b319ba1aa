//! The building index: footprints in flat arrays plus an R-tree over polygon bounding boxes,
//! answering "which building is this phone in, and who manages it".
//!
//! The inside test is the reference rule from `shared/data/geo`: a planar crossing-number test on
//! (lon, lat) exactly as stored, inside the exterior ring and outside every hole; when several
//! footprints contain the point the smallest by area wins, ties by building id. Coordinates are kept
//! at 1e-7 degree (about 1 cm), the resolution of the source files and of the offline pack, so an
//! index built from a file and one loaded from its pack answer identically. The crossing test is
//! half-open (a point exactly on a shared wall belongs to exactly one side), so edges are deterministic.
//!
//! Distances for the "near" answer are metres in a local projection around the query point, using
//! the WGS84 metres-per-degree series; over a few tens of metres this agrees with UTM to millimetres.

use geo::{LineString, MultiPolygon};

use crate::geo::error::IndexError;
use crate::geo::grid::Grid;
use crate::geo::rtree::{BBox, PackedRTree};
use crate::ids::{BuildingId, CompanyId, RegionId};

/// Radius within which buildings are offered when the point is in none, whatever the accuracy.
pub const MIN_NEAR_RADIUS_M: f64 = 30.0;

/// Fixed-point scale of stored coordinates: 1e-7 degree.
pub(crate) const COORD_SCALE: f64 = 1e7;

/// One building to put into an index.
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    /// Stable building id.
    pub id: BuildingId,
    /// Postal address, when known.
    pub address: Option<String>,
    /// Managing company, when known.
    pub company: Option<CompanyId>,
    /// Footprint area in m² from the source; computed from the footprint when absent.
    pub area_m2: Option<f64>,
    /// Footprint in WGS84, x = longitude, y = latitude. Holes are interior rings.
    pub footprint: MultiPolygon<f64>,
}

/// Which region an index covers and which data version it was built from (travels in the pack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackMeta {
    /// Region the pack covers, e.g. `vologda`.
    pub region: RegionId,
    /// Version or date of the source data, e.g. `2024-07-24`.
    pub data_version: String,
}

/// A building found by a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct BuildingMatch {
    /// The building.
    pub building_id: BuildingId,
    /// Its address, when known.
    pub address: Option<String>,
    /// Its managing company, when known.
    pub company: Option<CompanyId>,
}

/// A building near the point, with its distance.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Candidate {
    /// The building.
    pub building: BuildingMatch,
    /// Distance in metres from the point to the footprint's outline.
    pub distance_m: f64,
}

/// Answer to "which building am I in".
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Lookup {
    /// The point lies inside this building's footprint.
    Inside(BuildingMatch),
    /// The point is in no footprint; these are within max(accuracy, 30 m), nearest first (ties by id).
    Near(Vec<Candidate>),
    /// No footprint contains the point and none is near.
    Nothing,
}

/// Allocation-free form of [`Lookup`]: building positions in the index instead of owned records.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Inside the building at this position.
    Inside(usize),
    /// Near these buildings (position, distance in metres), nearest first.
    Near(Vec<(usize, f64)>),
    /// Nothing inside or near.
    Nothing,
}

/// Attributes of one building, in id order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub(crate) id: BuildingId,
    pub(crate) address: Option<String>,
    pub(crate) company: Option<u32>,
    pub(crate) area_m2: f64,
}

/// The flat geometry and attributes; everything the pack stores. The R-tree is derived from it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexData {
    pub(crate) meta: PackMeta,
    pub(crate) companies: Vec<CompanyId>,
    pub(crate) records: Vec<Record>,
    /// Building `b` owns polygons `building_polys[b]..building_polys[b + 1]`.
    pub(crate) building_polys: Vec<u32>,
    /// Polygon `p` owns rings `poly_rings[p]..poly_rings[p + 1]`; the first is the exterior.
    pub(crate) poly_rings: Vec<u32>,
    /// Ring `r` owns vertices `ring_verts[r]..ring_verts[r + 1]`, without the closing repeat.
    pub(crate) ring_verts: Vec<u32>,
    /// Vertices as (lon, lat) in fixed point, 1e-7 degree.
    pub(crate) verts: Vec<[i32; 2]>,
}

/// Building footprints with ids, addresses and managing companies, ready for point lookups.
#[derive(Debug, Clone)]
pub struct BuildingIndex {
    pub(crate) data: IndexData,
    /// Vertices in degrees, (lon, lat), exactly `verts / 1e7`.
    coords: Vec<[f64; 2]>,
    poly_building: Vec<u32>,
    poly_boxes: Vec<BBox>,
    tree: PackedRTree,
    /// The fast path for point and near queries when the polygons are spread evenly enough.
    grid: Option<Grid>,
}

impl PartialEq for BuildingIndex {
    fn eq(&self, other: &Self) -> bool {
        // Everything else is derived from `data`.
        self.data == other.data
    }
}

/// Metres per degree of longitude and latitude at a latitude (WGS84 series). The cosines of the
/// multiples of the latitude come from one cosine by the Chebyshev recurrences (one `cos` instead
/// of five on every near query).
pub(crate) fn metres_per_degree(lat_deg: f64) -> (f64, f64) {
    let c = lat_deg.to_radians().cos();
    let c2 = c * c;
    let cos2 = 2.0 * c2 - 1.0;
    let cos3 = c * (4.0 * c2 - 3.0);
    let cos4 = 2.0 * cos2 * cos2 - 1.0;
    let cos5 = c * (16.0 * c2 * c2 - 20.0 * c2 + 5.0);
    let m_lat = 111_132.954 - 559.822 * cos2 + 1.175 * cos4;
    let m_lon = 111_412.84 * c - 93.5 * cos3 + 0.118 * cos5;
    (m_lon, m_lat)
}

fn to_fixed(v: f64) -> i32 {
    // Callers have checked the range, so the cast cannot saturate.
    (v * COORD_SCALE).round() as i32
}

fn ring_to_fixed(ring: &LineString<f64>, id: &BuildingId) -> Result<Vec<[i32; 2]>, IndexError> {
    let invalid = |reason: &str| IndexError::InvalidFootprint {
        id: id.0.clone(),
        reason: reason.to_owned(),
    };
    let mut out = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        if !(c.x.is_finite() && c.y.is_finite()) || c.x.abs() > 180.0 || c.y.abs() > 90.0 {
            return Err(invalid("coordinate outside WGS84 range"));
        }
        out.push([to_fixed(c.x), to_fixed(c.y)]);
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    if out.len() < 3 {
        return Err(invalid("ring with fewer than 3 distinct vertices"));
    }
    Ok(out)
}

/// Area in m² of one ring (absolute), in a local projection at its first vertex.
fn ring_area_m2(ring: &[[f64; 2]]) -> f64 {
    let Some(first) = ring.first() else {
        return 0.0;
    };
    let (mx, my) = metres_per_degree(first[1]);
    let mut twice = 0.0;
    let n = ring.len();
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + 1) % n];
        let (ax, ay) = ((a[0] - first[0]) * mx, (a[1] - first[1]) * my);
        let (bx, by) = ((b[0] - first[0]) * mx, (b[1] - first[1]) * my);
        twice += ax * by - bx * ay;
    }
    (twice / 2.0).abs()
}

/// Areas are kept at 0.01 m² so they survive the pack unchanged.
pub(crate) fn quantize_area(a: f64) -> f64 {
    (a * 100.0).round() / 100.0
}

/// Crossing-number test, half-open on y so shared edges belong to exactly one side.
#[inline]
fn ring_contains(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    let Some(&last) = ring.last() else {
        return false;
    };
    let mut prev = last;
    for &cur in ring {
        if (cur[1] > y) != (prev[1] > y)
            && x < (prev[0] - cur[0]) * (y - cur[1]) / (prev[1] - cur[1]) + cur[0]
        {
            inside = !inside;
        }
        prev = cur;
    }
    inside
}

/// The largest of three finite numbers.
#[inline]
fn max3(a: f64, b: f64, c: f64) -> f64 {
    let m = if a > b { a } else { b };
    if m > c { m } else { c }
}

/// Squared distance from the origin to segment a–b (metric plane): the closest point is a when the
/// origin projects before a, b (as a + (b − a)) after b, else the projection; only the last case
/// divides.
#[inline]
fn seg_dist2(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let along = -(ax * dx + ay * dy);
    let (px, py) = if along <= 0.0 || len2 <= 0.0 {
        (ax, ay)
    } else if along >= len2 {
        (ax + dx, ay + dy)
    } else {
        let t = along / len2;
        (ax + t * dx, ay + t * dy)
    };
    px * px + py * py
}

impl BuildingIndex {
    /// Builds an index. Buildings are kept in id order; ids must be unique and every footprint
    /// must have rings of at least 3 vertices within WGS84 range. Coordinates are rounded to 1e-7°.
    pub fn new(meta: PackMeta, mut buildings: Vec<Building>) -> Result<Self, IndexError> {
        buildings.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = buildings.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(IndexError::DuplicateBuilding(w[0].id.0.clone()));
        }
        let mut companies: Vec<CompanyId> =
            buildings.iter().filter_map(|b| b.company.clone()).collect();
        companies.sort();
        companies.dedup();

        let mut data = IndexData {
            meta,
            companies,
            records: Vec::with_capacity(buildings.len()),
            building_polys: vec![0],
            poly_rings: vec![0],
            ring_verts: vec![0],
            verts: Vec::new(),
        };
        for b in buildings {
            if b.footprint.0.is_empty() {
                return Err(IndexError::InvalidFootprint {
                    id: b.id.0.clone(),
                    reason: "no polygon".to_owned(),
                });
            }
            let mut area = 0.0;
            for poly in &b.footprint.0 {
                let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
                for (k, ring) in rings.enumerate() {
                    let fixed = ring_to_fixed(ring, &b.id)?;
                    let degrees: Vec<[f64; 2]> = fixed
                        .iter()
                        .map(|v| [f64::from(v[0]) / COORD_SCALE, f64::from(v[1]) / COORD_SCALE])
                        .collect();
                    let a = ring_area_m2(&degrees);
                    area += if k == 0 { a } else { -a };
                    data.verts.extend_from_slice(&fixed);
                    data.ring_verts.push(len_u32(data.verts.len()));
                }
                data.poly_rings.push(len_u32(data.ring_verts.len() - 1));
            }
            data.building_polys.push(len_u32(data.poly_rings.len() - 1));
            let company = b
                .company
                .as_ref()
                .and_then(|c| data.companies.binary_search(c).ok())
                .map(len_u32);
            let area_m2 = quantize_area(
                b.area_m2
                    .filter(|a| a.is_finite() && *a >= 0.0)
                    .unwrap_or(area.max(0.0)),
            );
            data.records.push(Record {
                id: b.id,
                address: b.address,
                company,
                area_m2,
            });
        }
        Ok(Self::from_data(data))
    }

    /// Derives the degree coordinates and the R-tree from validated flat data.
    pub(crate) fn from_data(data: IndexData) -> Self {
        let coords: Vec<[f64; 2]> = data
            .verts
            .iter()
            .map(|v| [f64::from(v[0]) / COORD_SCALE, f64::from(v[1]) / COORD_SCALE])
            .collect();
        let n_polys = data.poly_rings.len().saturating_sub(1);
        let mut poly_building = vec![0u32; n_polys];
        for b in 0..data.records.len() {
            for p in data.building_polys[b]..data.building_polys[b + 1] {
                poly_building[p as usize] = len_u32(b);
            }
        }
        let mut boxes = Vec::with_capacity(n_polys);
        for p in 0..n_polys {
            // The exterior ring bounds the polygon; holes lie inside it.
            let r = data.poly_rings[p] as usize;
            let ring = &coords[data.ring_verts[r] as usize..data.ring_verts[r + 1] as usize];
            let mut lo = [f64::INFINITY; 2];
            let mut hi = [f64::NEG_INFINITY; 2];
            for c in ring {
                lo = [lo[0].min(c[0]), lo[1].min(c[1])];
                hi = [hi[0].max(c[0]), hi[1].max(c[1])];
            }
            boxes.push([lo[0], lo[1], hi[0], hi[1]]);
        }
        Self {
            data,
            coords,
            poly_building,
            tree: PackedRTree::new(&boxes),
            grid: Grid::new(&boxes),
            poly_boxes: boxes,
        }
    }

    /// Region and data version of this index.
    pub fn meta(&self) -> &PackMeta {
        &self.data.meta
    }

    /// Number of buildings.
    pub fn len(&self) -> usize {
        self.data.records.len()
    }

    /// True when the index holds no building.
    pub fn is_empty(&self) -> bool {
        self.data.records.is_empty()
    }

    /// Number of stored vertices (without ring closing repeats).
    pub fn vertex_count(&self) -> usize {
        self.data.verts.len()
    }

    /// The building at a position (as returned by [`Self::find`]), as an owned match.
    pub fn building(&self, pos: usize) -> Option<BuildingMatch> {
        let r = self.data.records.get(pos)?;
        Some(BuildingMatch {
            building_id: r.id.clone(),
            address: r.address.clone(),
            company: r
                .company
                .and_then(|c| self.data.companies.get(c as usize))
                .cloned(),
        })
    }

    /// The position of a building by id.
    pub fn position(&self, id: &BuildingId) -> Option<usize> {
        self.data.records.binary_search_by(|r| r.id.cmp(id)).ok()
    }

    /// One polygon of the index as a `geo` polygon (exterior, then holes).
    fn polygon(&self, p: usize) -> geo::Polygon<f64> {
        let ring = |r: usize| {
            LineString::from(
                self.ring(r)
                    .iter()
                    .map(|c| (c[0], c[1]))
                    .collect::<Vec<_>>(),
            )
        };
        let (first, end) = (
            self.data.poly_rings[p] as usize,
            self.data.poly_rings[p + 1] as usize,
        );
        geo::Polygon::new(ring(first), (first + 1..end).map(ring).collect())
    }

    /// Positions (in id order) of the buildings whose footprint overlaps `area` (WGS84, x = lon):
    /// they share some interior, so a footprint only touching the area's edge is not hit, and a
    /// footprint in a hole of the area is not hit.
    pub fn overlapping(&self, area: &MultiPolygon<f64>) -> Vec<usize> {
        use geo::{BoundingRect, Relate};
        let Some(rect) = area.bounding_rect() else {
            return Vec::new();
        };
        let env: BBox = [rect.min().x, rect.min().y, rect.max().x, rect.max().y];
        let mut candidates = Vec::new();
        self.tree.search(&env, |p| candidates.push(p));
        let mut hit: Vec<usize> = candidates
            .into_iter()
            .filter(|&p| {
                let m = area.relate(&self.polygon(p));
                m.is_intersects() && !m.is_touches()
            })
            .map(|p| self.poly_building[p] as usize)
            .collect();
        hit.sort_unstable();
        hit.dedup();
        hit
    }

    /// Footprint area used to pick the smallest of overlapping buildings.
    pub fn area_m2(&self, pos: usize) -> Option<f64> {
        self.data.records.get(pos).map(|r| r.area_m2)
    }

    /// Which building the phone is in, else the buildings within max(accuracy, 30 m), else nothing.
    pub fn lookup(&self, lat: f64, lon: f64, accuracy_m: f64) -> Lookup {
        match self.find(lat, lon, accuracy_m) {
            Found::Inside(b) => match self.building(b) {
                Some(m) => Lookup::Inside(m),
                None => Lookup::Nothing,
            },
            Found::Near(c) => {
                let mut out = Vec::with_capacity(c.len());
                out.extend(c.into_iter().filter_map(|(b, d)| {
                    self.building(b).map(|building| Candidate {
                        building,
                        distance_m: d,
                    })
                }));
                Lookup::Near(out)
            }
            Found::Nothing => Lookup::Nothing,
        }
    }

    /// [`Self::lookup`] without building owned records: positions usable with [`Self::building`].
    pub fn find(&self, lat: f64, lon: f64, accuracy_m: f64) -> Found {
        if let Some(b) = self.inside(lat, lon) {
            return Found::Inside(b);
        }
        let radius = if accuracy_m.is_finite() {
            accuracy_m.max(MIN_NEAR_RADIUS_M)
        } else {
            MIN_NEAR_RADIUS_M
        };
        let near = self.near(lat, lon, radius);
        if near.is_empty() {
            Found::Nothing
        } else {
            Found::Near(near)
        }
    }

    /// The building whose footprint contains the point (smallest by area, ties by id), if any.
    pub fn inside(&self, lat: f64, lon: f64) -> Option<usize> {
        if !(lat.is_finite() && lon.is_finite()) {
            return None;
        }
        let mut best: Option<usize> = None;
        self.candidates(&[lon, lat, lon, lat], |p| {
            if self.polygon_contains(p, lon, lat) {
                let b = self.poly_building[p] as usize;
                best = Some(match best {
                    Some(cur) if !self.smaller(b, cur) => cur,
                    _ => b,
                });
            }
        });
        best
    }

    /// The same index searching its R-tree only (no grid): for tests and benchmarks that check the
    /// two search paths answer identically.
    #[doc(hidden)]
    pub fn without_grid(mut self) -> Self {
        self.grid = None;
        self
    }

    /// Whether point and near queries use the grid (false: the R-tree).
    pub fn uses_grid(&self) -> bool {
        self.grid.is_some()
    }

    /// Calls `visit` with every polygon whose box intersects `q`: from the grid when there is one,
    /// else from the R-tree.
    #[inline]
    fn candidates(&self, q: &BBox, visit: impl FnMut(usize)) {
        match &self.grid {
            Some(grid) => grid.search(q, &self.poly_boxes, visit),
            None => self.tree.search(q, visit),
        }
    }

    /// True when building `a` wins over `b` as the answer: smaller area, then smaller id. Records
    /// are in id order, so the id tie-break is the position.
    fn smaller(&self, a: usize, b: usize) -> bool {
        let (ra, rb) = (&self.data.records[a], &self.data.records[b]);
        ra.area_m2 < rb.area_m2 || (ra.area_m2 == rb.area_m2 && a < b)
    }

    fn ring(&self, r: usize) -> &[[f64; 2]] {
        &self.coords[self.data.ring_verts[r] as usize..self.data.ring_verts[r + 1] as usize]
    }

    fn polygon_contains(&self, p: usize, x: f64, y: f64) -> bool {
        let (first, end) = (
            self.data.poly_rings[p] as usize,
            self.data.poly_rings[p + 1] as usize,
        );
        if !ring_contains(self.ring(first), x, y) {
            return false;
        }
        (first + 1..end).all(|h| !ring_contains(self.ring(h), x, y))
    }

    /// Buildings whose outline is within `radius_m` of the point, nearest first, ties by id.
    pub fn near(&self, lat: f64, lon: f64, radius_m: f64) -> Vec<(usize, f64)> {
        if !(lat.is_finite() && lon.is_finite() && radius_m.is_finite()) {
            return Vec::new();
        }
        let (mx, my) = metres_per_degree(lat);
        let (dlon, dlat) = (radius_m / mx, radius_m / my);
        let env: BBox = [lon - dlon, lat - dlat, lon + dlon, lat + dlat];
        let r2 = radius_m * radius_m;
        let mut found: Vec<(usize, f64)> = Vec::new();
        self.candidates(&env, |p| {
            // The box reaches into the query square but may still be farther than the radius
            // (a corner); that is cheap to rule out before measuring every edge.
            // (Plain comparisons, not `f64::min`/`max`: every value here is finite, and the NaN
            // handling of those costs as much as the arithmetic in this loop.)
            let bb = &self.poly_boxes[p];
            let bx = max3(bb[0] - lon, lon - bb[2], 0.0) * mx;
            let by = max3(bb[1] - lat, lat - bb[3], 0.0) * my;
            if bx * bx + by * by > r2 {
                return;
            }
            let mut best = f64::INFINITY;
            for r in self.data.poly_rings[p] as usize..self.data.poly_rings[p + 1] as usize {
                let ring = self.ring(r);
                let Some(&last) = ring.last() else { continue };
                let mut a = [(last[0] - lon) * mx, (last[1] - lat) * my];
                for c in ring {
                    let b = [(c[0] - lon) * mx, (c[1] - lat) * my];
                    let d = seg_dist2(a[0], a[1], b[0], b[1]);
                    if d < best {
                        best = d;
                    }
                    a = b;
                }
            }
            if best <= r2 {
                let b = self.poly_building[p] as usize;
                match found.iter_mut().find(|(fb, _)| *fb == b) {
                    Some(entry) if best < entry.1 => entry.1 = best,
                    Some(_) => {}
                    None => {
                        // Most answers hold a handful of buildings: one allocation, no regrowth.
                        if found.capacity() == 0 {
                            found.reserve_exact(8);
                        }
                        found.push((b, best));
                    }
                }
            }
        });
        for f in &mut found {
            f.1 = f.1.sqrt();
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found
    }
}

/// The answer across several indexes (regions): the first index with the point inside wins;
/// otherwise the near candidates of all of them, nearest first, ties by id.
pub fn lookup_any<'a>(
    indexes: impl IntoIterator<Item = &'a BuildingIndex>,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
) -> Lookup {
    let mut near = Vec::new();
    for index in indexes {
        match index.lookup(lat, lon, accuracy_m) {
            Lookup::Inside(b) => return Lookup::Inside(b),
            Lookup::Near(c) => near.extend(c),
            Lookup::Nothing => {}
        }
    }
    if near.is_empty() {
        return Lookup::Nothing;
    }
    near.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then_with(|| a.building.building_id.cmp(&b.building.building_id))
    });
    Lookup::Near(near)
}

/// Index lengths are far below 2^32 (a city has well under a billion vertices); saturate rather
/// than wrap if that ever stops being true, and let the pack reader refuse it.
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::{Polygon, polygon};

    fn meta() -> PackMeta {
        PackMeta {
            region: RegionId("test".into()),
            data_version: "1".into(),
        }
    }

    fn square(x0: f64, y0: f64, size: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x0 + size, y: y0), (x: x0 + size, y: y0 + size), (x: x0, y: y0 + size), (x: x0, y: y0)]
    }

    fn building(id: &str, polys: Vec<Polygon<f64>>, company: Option<&str>) -> Building {
        Building {
            id: BuildingId(id.into()),
            address: Some(format!("{id} street")),
            company: company.map(|c| CompanyId(c.into())),
            area_m2: None,
            footprint: MultiPolygon(polys),
        }
    }

    fn inside_id(index: &BuildingIndex, lat: f64, lon: f64) -> Option<String> {
        index
            .inside(lat, lon)
            .map(|b| index.data.records[b].id.0.clone())
    }

    #[test]
    fn a_point_in_a_courtyard_hole_is_not_inside_the_building() {
        let outer = square(40.0, 59.0, 0.001);
        let hole = square(40.0004, 59.0004, 0.0002);
        let with_hole = Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()]);
        let index =
            BuildingIndex::new(meta(), vec![building("A", vec![with_hole], Some("UK-1"))]).unwrap();
        assert_eq!(inside_id(&index, 59.0001, 40.0001).as_deref(), Some("A"));
        assert_eq!(inside_id(&index, 59.0005, 40.0005), None);
        match index.lookup(59.0005, 40.0005, 5.0) {
            Lookup::Near(c) => {
                assert_eq!(c[0].building.building_id.0, "A");
                // 1e-4 degree of longitude to the hole's wall is about 5.74 m at 59°N.
                assert!((c[0].distance_m - 5.74).abs() < 0.05, "{}", c[0].distance_m);
            }
            other => panic!("expected Near, got {other:?}"),
        }
    }

    #[test]
    fn every_part_of_a_multipolygon_belongs_to_its_building() {
        let index = BuildingIndex::new(
            meta(),
            vec![building(
                "M",
                vec![square(40.0, 59.0, 0.001), square(40.01, 59.0, 0.001)],
                None,
            )],
        )
        .unwrap();
        assert_eq!(inside_id(&index, 59.0005, 40.0005).as_deref(), Some("M"));
        assert_eq!(inside_id(&index, 59.0005, 40.0105).as_deref(), Some("M"));
        assert_eq!(inside_id(&index, 59.0005, 40.005), None);
    }

    #[test]
    fn a_point_on_a_shared_wall_belongs_to_exactly_one_building_every_time() {
        let index = BuildingIndex::new(
            meta(),
            vec![
                building("L", vec![square(40.0, 59.0, 0.001)], None),
                building("R", vec![square(40.001, 59.0, 0.001)], None),
            ],
        )
        .unwrap();
        let first = inside_id(&index, 59.0005, 40.001);
        assert!(first.is_some());
        for _ in 0..3 {
            assert_eq!(inside_id(&index, 59.0005, 40.001), first);
        }
        assert_eq!(inside_id(&index, 59.0005, 40.0009).as_deref(), Some("L"));
        assert_eq!(inside_id(&index, 59.0005, 40.0011).as_deref(), Some("R"));
    }

    #[test]
    fn overlapping_footprints_answer_the_smaller_one() {
        let index = BuildingIndex::new(
            meta(),
            vec![
                building("BIG", vec![square(40.0, 59.0, 0.01)], None),
                building("SMALL", vec![square(40.001, 59.001, 0.001)], None),
            ],
        )
        .unwrap();
        assert_eq!(
            inside_id(&index, 59.0015, 40.0015).as_deref(),
            Some("SMALL")
        );
        assert_eq!(inside_id(&index, 59.005, 40.005).as_deref(), Some("BIG"));
    }

    #[test]
    fn near_candidates_are_ranked_by_distance_within_the_accuracy_radius() {
        // Metres per degree at 59°: lon ≈ 57.4 km, lat ≈ 111.4 km.
        let index = BuildingIndex::new(
            meta(),
            vec![
                building("FAR", vec![square(40.0005, 59.0, 0.0002)], None), // ~28.7 m east
                building("NEAR", vec![square(39.9996, 59.0, 0.0002)], None), // ~11.5 m west
                building("GONE", vec![square(40.002, 59.0, 0.0002)], None), // ~115 m east
            ],
        )
        .unwrap();
        match index.lookup(59.0001, 40.0, 10.0) {
            Lookup::Near(c) => {
                let ids: Vec<&str> = c
                    .iter()
                    .map(|c| c.building.building_id.0.as_str())
                    .collect();
                assert_eq!(ids, ["NEAR", "FAR"]);
                assert!(
                    (c[0].distance_m - 11.48).abs() < 0.05,
                    "{}",
                    c[0].distance_m
                );
                assert!(
                    (c[1].distance_m - 28.70).abs() < 0.05,
                    "{}",
                    c[1].distance_m
                );
            }
            other => panic!("expected Near, got {other:?}"),
        }
        // A wide accuracy widens the radius.
        match index.lookup(59.0001, 40.0, 150.0) {
            Lookup::Near(c) => assert_eq!(c.len(), 3),
            other => panic!("expected Near, got {other:?}"),
        }
    }

    #[test]
    fn a_point_far_from_every_building_finds_nothing() {
        let index = BuildingIndex::new(
            meta(),
            vec![building("A", vec![square(40.0, 59.0, 0.001)], None)],
        )
        .unwrap();
        assert_eq!(index.lookup(59.1, 40.1, 15.0), Lookup::Nothing);
        assert_eq!(index.lookup(f64::NAN, 40.0, 15.0), Lookup::Nothing);
    }

    #[test]
    fn inside_answer_carries_address_and_company() {
        let index = BuildingIndex::new(
            meta(),
            vec![building("A", vec![square(40.0, 59.0, 0.001)], Some("UK-7"))],
        )
        .unwrap();
        assert_eq!(
            index.lookup(59.0005, 40.0005, 15.0),
            Lookup::Inside(BuildingMatch {
                building_id: BuildingId("A".into()),
                address: Some("A street".into()),
                company: Some(CompanyId("UK-7".into())),
            })
        );
    }

    #[test]
    fn an_area_hits_the_footprints_it_overlaps_not_those_it_touches_or_holds_in_a_hole() {
        // Four 0.001° squares along a line; the area covers the first fully, a corner of the
        // second, ends exactly on the west wall of the third, and has a hole around the fourth.
        let index = BuildingIndex::new(
            meta(),
            vec![
                building("A", vec![square(40.000, 59.0, 0.001)], None),
                building("B", vec![square(40.002, 59.0, 0.001)], None),
                building("C", vec![square(40.004, 59.0, 0.001)], None),
                building("D", vec![square(40.010, 59.0, 0.001)], None),
            ],
        )
        .unwrap();
        let area = MultiPolygon(vec![
            square(39.999, 58.999, 0.0035),
            Polygon::new(
                square(40.0085, 58.998, 0.004).exterior().clone(),
                vec![square(40.0095, 58.9995, 0.002).exterior().clone()],
            ),
        ]);
        let wall = MultiPolygon(vec![polygon![
            (x: 40.003, y: 59.0), (x: 40.004, y: 59.0), (x: 40.004, y: 59.001), (x: 40.003, y: 59.001), (x: 40.003, y: 59.0)
        ]]);
        let ids = |hit: Vec<usize>| -> Vec<String> {
            hit.into_iter()
                .map(|p| index.building(p).unwrap().building_id.0)
                .collect()
        };
        assert_eq!(ids(index.overlapping(&area)), ["A", "B"]);
        // Touching B's east wall and C's west wall only.
        assert!(index.overlapping(&wall).is_empty());
        assert_eq!(index.position(&BuildingId("C".into())), Some(2));
        assert_eq!(index.position(&BuildingId("Z".into())), None);
    }

    #[test]
    fn duplicate_ids_and_degenerate_rings_are_refused() {
        let dup = BuildingIndex::new(
            meta(),
            vec![
                building("A", vec![square(40.0, 59.0, 0.001)], None),
                building("A", vec![square(41.0, 59.0, 0.001)], None),
            ],
        );
        assert_eq!(dup.unwrap_err(), IndexError::DuplicateBuilding("A".into()));
        let line = polygon![(x: 40.0, y: 59.0), (x: 40.001, y: 59.0), (x: 40.0, y: 59.0)];
        assert!(matches!(
            BuildingIndex::new(meta(), vec![building("B", vec![line], None)]),
            Err(IndexError::InvalidFootprint { .. })
        ));
    }
}
