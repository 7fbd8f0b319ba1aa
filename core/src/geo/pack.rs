//! The offline pack: a city's building index as one compact, versioned, checksummed blob that the
//! app downloads once (`GET /v1/geo/pack?region=…`), stores, and loads fast.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `CCGEOPAK` |
//! | 4 | format version (u32), currently 1 |
//! | 8 | body length (u64) |
//! | 32 | SHA-256 of the body |
//! | n | body |
//!
//! The body is a sequence of LEB128 varints and length-prefixed UTF-8 strings: region id, data
//! version, the managing-company table, then per building (in id order) its id front-coded against
//! the previous id, company (table index + 1, 0 = none), address (length + 1, 0 = none), area in
//! 0.01 m², and its polygons → rings → vertex counts. All vertices follow as zigzag deltas of
//! 1e-7-degree fixed-point (lon, lat), each from the previous vertex, which keeps a typical vertex
//! at 4–5 bytes. A refused pack never changes anything: loading builds a new index or fails.

use ring::digest::{SHA256, digest};

use crate::geo::error::PackError;
use crate::geo::index::{BuildingIndex, IndexData, PackMeta, Record};
use crate::ids::{BuildingId, CompanyId, RegionId};

/// First bytes of every pack.
pub const PACK_MAGIC: [u8; 8] = *b"CCGEOPAK";
/// The pack format version this build writes and reads.
pub const PACK_FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// The HTTP ETag of a pack: a quoted prefix of the SHA-256 of the whole pack, so it changes exactly
/// when the bytes change.
pub fn pack_etag(pack: &[u8]) -> String {
    let hash = digest(&SHA256, pack);
    format!("\"{}\"", hex::encode(&hash.as_ref()[..16]))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl BuildingIndex {
    /// Encodes the index as an offline pack.
    pub fn to_pack(&self) -> Vec<u8> {
        let d = &self.data;
        let mut body = Vec::with_capacity(d.verts.len() * 5 + d.records.len() * 12 + 64);
        put_str(&mut body, &d.meta.region.0);
        put_str(&mut body, &d.meta.data_version);
        put_varint(&mut body, d.companies.len() as u64);
        for c in &d.companies {
            put_str(&mut body, &c.0);
        }
        put_varint(&mut body, d.records.len() as u64);
        let mut prev_id: &str = "";
        for (b, r) in d.records.iter().enumerate() {
            let shared = common_prefix(prev_id, &r.id.0);
            put_varint(&mut body, shared as u64);
            put_str(&mut body, &r.id.0[shared..]);
            prev_id = &r.id.0;
            put_varint(&mut body, r.company.map_or(0, |c| u64::from(c) + 1));
            match &r.address {
                None => put_varint(&mut body, 0),
                Some(a) => {
                    put_varint(&mut body, a.len() as u64 + 1);
                    body.extend_from_slice(a.as_bytes());
                }
            }
            put_varint(&mut body, (r.area_m2 * 100.0).round() as u64);
            let (p0, p1) = (
                d.building_polys[b] as usize,
                d.building_polys[b + 1] as usize,
            );
            put_varint(&mut body, (p1 - p0) as u64);
            for p in p0..p1 {
                let (r0, r1) = (d.poly_rings[p] as usize, d.poly_rings[p + 1] as usize);
                put_varint(&mut body, (r1 - r0) as u64);
                for ring in r0..r1 {
                    put_varint(
                        &mut body,
                        u64::from(d.ring_verts[ring + 1] - d.ring_verts[ring]),
                    );
                }
            }
        }
        let mut prev = [0i64; 2];
        for v in &d.verts {
            for k in 0..2 {
                put_varint(&mut body, zigzag(i64::from(v[k]) - prev[k]));
                prev[k] = i64::from(v[k]);
            }
        }
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(&PACK_MAGIC);
        out.extend_from_slice(&PACK_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(digest(&SHA256, &body).as_ref());
        out.extend_from_slice(&body);
        out
    }

    /// Loads a pack. A truncated, corrupted, foreign or newer-format pack is refused with the
    /// matching [`PackError`]; nothing else is affected, so the caller keeps its previous index.
    pub fn from_pack(pack: &[u8]) -> Result<Self, PackError> {
        let magic_len = pack.len().min(PACK_MAGIC.len());
        if pack[..magic_len] != PACK_MAGIC[..magic_len] {
            return Err(PackError::BadMagic);
        }
        if pack.len() < HEADER_LEN {
            return Err(PackError::Truncated {
                expected: HEADER_LEN as u64,
                actual: pack.len() as u64,
            });
        }
        let version = u32::from_le_bytes([pack[8], pack[9], pack[10], pack[11]]);
        if version != PACK_FORMAT_VERSION {
            return Err(PackError::UnsupportedVersion {
                found: version,
                supported: PACK_FORMAT_VERSION,
            });
        }
        let mut len_bytes = [0u8; 8];
        len_bytes.copy_from_slice(&pack[12..20]);
        let body_len = u64::from_le_bytes(len_bytes);
        let expected = body_len.saturating_add(HEADER_LEN as u64);
        let actual = pack.len() as u64;
        if actual < expected {
            return Err(PackError::Truncated { expected, actual });
        }
        if actual > expected {
            return Err(PackError::TrailingBytes {
                extra: actual - expected,
            });
        }
        let body = &pack[HEADER_LEN..];
        if digest(&SHA256, body).as_ref() != &pack[20..52] {
            return Err(PackError::ChecksumMismatch);
        }
        let data = Reader { buf: body, pos: 0 }.decode()?;
        Ok(Self::from_data(data))
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !b.is_char_boundary(n) {
        n -= 1;
    }
    n
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// Longest coordinate magnitudes in 1e-7 degree.
const MAX_LON: i64 = 1_800_000_000;
const MAX_LAT: i64 = 900_000_000;

impl Reader<'_> {
    fn fail<T>(&self, reason: impl Into<String>) -> Result<T, PackError> {
        Err(PackError::Malformed {
            offset: self.pos,
            reason: reason.into(),
        })
    }

    fn varint(&mut self) -> Result<u64, PackError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.buf.get(self.pos) else {
                return self.fail("varint runs past the end");
            };
            self.pos += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        self.fail("varint longer than 64 bits")
    }

    /// A count of items that each take at least one byte; bounded by what is left so a corrupt
    /// count cannot make us allocate gigabytes.
    fn count(&mut self, what: &str) -> Result<usize, PackError> {
        let n = self.varint()?;
        let left = (self.buf.len() - self.pos) as u64;
        if n > left {
            return self.fail(format!(
                "{what} count {n} exceeds the remaining {left} bytes"
            ));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], PackError> {
        if self.buf.len() - self.pos < n {
            return self.fail("string runs past the end");
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn string_of(&mut self, n: usize) -> Result<String, PackError> {
        let start = self.pos;
        let bytes = self.bytes(n)?.to_vec();
        String::from_utf8(bytes).map_err(|_| PackError::Malformed {
            offset: start,
            reason: "string is not UTF-8".into(),
        })
    }

    fn string(&mut self) -> Result<String, PackError> {
        let n = self.count("string length")?;
        self.string_of(n)
    }

    fn decode(mut self) -> Result<IndexData, PackError> {
        let region = RegionId(self.string()?);
        let data_version = self.string()?;
        let n_companies = self.count("company")?;
        let mut companies = Vec::with_capacity(n_companies);
        for _ in 0..n_companies {
            companies.push(CompanyId(self.string()?));
        }
        let n_buildings = self.count("building")?;
        let mut data = IndexData {
            meta: PackMeta {
                region,
                data_version,
            },
            companies,
            records: Vec::with_capacity(n_buildings),
            building_polys: Vec::with_capacity(n_buildings + 1),
            poly_rings: vec![0],
            ring_verts: vec![0],
            verts: Vec::new(),
        };
        data.building_polys.push(0);
        let mut total_verts: u64 = 0;
        for _ in 0..n_buildings {
            let shared = self.count("id prefix")?;
            let prev = data.records.last().map_or("", |r: &Record| r.id.0.as_str());
            if shared > prev.len() || !prev.is_char_boundary(shared) {
                return self.fail("id prefix longer than the previous id");
            }
            let mut id = prev[..shared].to_owned();
            id.push_str(&self.string()?);
            if id.as_str() <= prev && !data.records.is_empty() {
                return self.fail(format!("building ids out of order at {id:?}"));
            }
            let company = match self.varint()? {
                0 => None,
                c if c <= n_companies as u64 => Some((c - 1) as u32),
                c => {
                    return self.fail(format!(
                        "company index {c} beyond the {n_companies} companies"
                    ));
                }
            };
            let address = match self.count("address length")? {
                0 => None,
                n => Some(self.string_of(n - 1)?),
            };
            let area_m2 = self.varint()? as f64 / 100.0;
            let n_polys = self.count("polygon")?;
            if n_polys == 0 {
                return self.fail(format!("building {id:?} has no polygon"));
            }
            for _ in 0..n_polys {
                let n_rings = self.count("ring")?;
                if n_rings == 0 {
                    return self.fail(format!("building {id:?} has a polygon without rings"));
                }
                for _ in 0..n_rings {
                    let n = self.varint()?;
                    if n < 3 {
                        return self.fail(format!("building {id:?} has a ring of {n} vertices"));
                    }
                    total_verts += n;
                    // Each vertex takes at least two bytes; refuse counts the body cannot hold.
                    if total_verts > self.buf.len() as u64 / 2 || total_verts > u64::from(u32::MAX)
                    {
                        return self.fail("vertex count exceeds the body");
                    }
                    data.ring_verts.push(total_verts as u32);
                }
                data.poly_rings.push((data.ring_verts.len() - 1) as u32);
            }
            data.building_polys.push((data.poly_rings.len() - 1) as u32);
            data.records.push(Record {
                id: BuildingId(id),
                address,
                company,
                area_m2,
            });
        }
        data.verts.reserve(total_verts as usize);
        let mut prev = [0i64; 2];
        for _ in 0..total_verts {
            let mut v = [0i32; 2];
            for (k, max) in [MAX_LON, MAX_LAT].into_iter().enumerate() {
                let delta = unzigzag(self.varint()?);
                let c = prev[k].saturating_add(delta);
                if c.abs() > max {
                    return self.fail("coordinate outside WGS84 range");
                }
                prev[k] = c;
                v[k] = c as i32;
            }
            data.verts.push(v);
        }
        if self.pos != self.buf.len() {
            return self.fail("unread bytes after the last vertex");
        }
        Ok(data)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::geo::index::Building;
    use geo::{MultiPolygon, Polygon, polygon};

    fn sample() -> BuildingIndex {
        let outer = polygon![(x: 39.8, y: 59.2), (x: 39.801, y: 59.2), (x: 39.801, y: 59.201), (x: 39.8, y: 59.201), (x: 39.8, y: 59.2)];
        let hole = polygon![(x: 39.8004, y: 59.2004), (x: 39.8006, y: 59.2004), (x: 39.8006, y: 59.2006), (x: 39.8004, y: 59.2006), (x: 39.8004, y: 59.2004)];
        let with_hole = Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()]);
        let small = polygon![(x: 39.81, y: 59.21), (x: 39.8101234, y: 59.21), (x: 39.8101234, y: 59.2101234), (x: 39.81, y: 59.21)];
        let buildings = vec![
            Building {
                id: BuildingId("VLG-000002".into()),
                address: Some("Вологда, ул. Мира, 1".into()),
                company: Some(CompanyId("rgkh-1".into())),
                area_m2: Some(1234.5),
                footprint: MultiPolygon(vec![with_hole]),
            },
            Building {
                id: BuildingId("VLG-000010".into()),
                address: None,
                company: None,
                area_m2: None,
                footprint: MultiPolygon(vec![small.clone(), small]),
            },
            Building {
                id: BuildingId("VLG-000011".into()),
                address: Some(String::new()),
                company: Some(CompanyId("rgkh-0".into())),
                area_m2: Some(0.0),
                footprint: MultiPolygon(vec![
                    polygon![(x: -179.9, y: -89.9), (x: 179.9, y: -89.9), (x: 0.0, y: 89.9)],
                ]),
            },
        ];
        BuildingIndex::new(
            PackMeta {
                region: RegionId("vologda".into()),
                data_version: "2024-07-24".into(),
            },
            buildings,
        )
        .unwrap()
    }

    #[test]
    fn a_pack_round_trips_to_an_equal_index_that_answers_the_same() {
        let index = sample();
        let pack = index.to_pack();
        let loaded = BuildingIndex::from_pack(&pack).unwrap();
        assert_eq!(loaded, index);
        assert_eq!(loaded.meta().region.0, "vologda");
        assert_eq!(
            loaded.lookup(59.2001, 39.8001, 10.0),
            index.lookup(59.2001, 39.8001, 10.0)
        );
        assert_eq!(
            loaded.lookup(59.2005, 39.8005, 10.0),
            index.lookup(59.2005, 39.8005, 10.0)
        );
        assert_eq!(loaded.to_pack(), pack);
    }

    #[test]
    fn the_etag_changes_exactly_when_the_pack_changes() {
        let pack = sample().to_pack();
        assert_eq!(pack_etag(&pack), pack_etag(&pack.clone()));
        let mut other = pack.clone();
        let last = other.len() - 1;
        other[last] ^= 1;
        assert_ne!(pack_etag(&pack), pack_etag(&other));
        assert_eq!(pack_etag(&pack).len(), 34);
    }

    #[test]
    fn every_truncation_of_a_pack_is_refused_without_panicking() {
        let pack = sample().to_pack();
        for cut in 0..pack.len() {
            let err = BuildingIndex::from_pack(&pack[..cut]).unwrap_err();
            assert!(
                matches!(err, PackError::Truncated { .. }),
                "cut {cut}: {err:?}"
            );
        }
    }

    #[test]
    fn a_flipped_byte_in_the_body_is_refused_as_a_checksum_mismatch() {
        let pack = sample().to_pack();
        for i in HEADER_LEN..pack.len() {
            let mut bad = pack.clone();
            bad[i] ^= 0x40;
            assert_eq!(
                BuildingIndex::from_pack(&bad).unwrap_err(),
                PackError::ChecksumMismatch
            );
        }
    }

    #[test]
    fn foreign_bytes_newer_versions_and_trailing_garbage_are_refused() {
        let pack = sample().to_pack();
        assert_eq!(
            BuildingIndex::from_pack(b"{\"type\":\"FeatureCollection\"}").unwrap_err(),
            PackError::BadMagic
        );
        let mut newer = pack.clone();
        newer[8..12].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(
            BuildingIndex::from_pack(&newer).unwrap_err(),
            PackError::UnsupportedVersion {
                found: 2,
                supported: 1
            }
        );
        let mut longer = pack.clone();
        longer.push(0);
        assert_eq!(
            BuildingIndex::from_pack(&longer).unwrap_err(),
            PackError::TrailingBytes { extra: 1 }
        );
    }

    #[test]
    fn a_well_checksummed_but_malformed_body_is_refused_as_malformed() {
        // A producer bug, not transport damage: the checksum is right but the content is not.
        let reseal = |body: &[u8]| {
            let mut out = Vec::new();
            out.extend_from_slice(&PACK_MAGIC);
            out.extend_from_slice(&PACK_FORMAT_VERSION.to_le_bytes());
            out.extend_from_slice(&(body.len() as u64).to_le_bytes());
            out.extend_from_slice(digest(&SHA256, body).as_ref());
            out.extend_from_slice(body);
            out
        };
        let pack = sample().to_pack();
        let body = &pack[HEADER_LEN..];
        // Cut the body short but reseal it: decoding runs out of bytes.
        let err = BuildingIndex::from_pack(&reseal(&body[..body.len() - 3])).unwrap_err();
        assert!(matches!(err, PackError::Malformed { .. }), "{err:?}");
        // Huge building count.
        let mut huge = Vec::new();
        put_str(&mut huge, "r");
        put_str(&mut huge, "v");
        put_varint(&mut huge, 0);
        put_varint(&mut huge, u64::MAX);
        let err = BuildingIndex::from_pack(&reseal(&huge)).unwrap_err();
        assert!(matches!(err, PackError::Malformed { .. }), "{err:?}");
    }

    #[test]
    fn zigzag_round_trips_extremes() {
        for v in [
            0i64,
            1,
            -1,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            3_600_000_000,
            -3_600_000_000,
        ] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
