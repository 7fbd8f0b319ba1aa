//! The shared geo reference data (`$CONNECT_DATA_DIR/geo/<city>`): loading the buildings and the
//! query points with their reference answers, and scoring a [`BuildingIndex`] against them. Used by
//! the `geo_reference` test and the `geo-bench` binary so both count agreement the same way.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use connect_core::geo::{Building, BuildingIndex, Found, PackMeta, import_geojson};
use connect_core::ids::RegionId;

/// The shared data folder: `$CONNECT_DATA_DIR`, else `../shared/data` beside the workspace root.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("CONNECT_DATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    }
}

/// One query point with the reference implementation's answers.
#[derive(Debug, Clone)]
pub struct RefPoint {
    /// Point id from the file.
    pub id: u64,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// The building containing the point, if any.
    pub expected: Option<String>,
    /// How the point was generated (`inside`, `edge_out`, `street`…).
    pub kind: String,
    /// For points in no building: the nearest footprint within 15 m (UTM metric).
    pub nearest: Option<String>,
    /// Distance to `nearest` in metres (UTM, 2 decimals).
    pub nearest_dist_m: Option<f64>,
    /// Managing company of the expected building, if it has one.
    pub expected_company: Option<String>,
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Reads `points.csv` (plain comma-separated, no quoting in this file).
pub fn load_points(path: &Path) -> anyhow::Result<Vec<RefPoint>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    if header
        != "point_id,lat,lon,expected_building_id,kind,all_building_ids,nearest_building_id,nearest_dist_m,expected_mgmt_company_id"
    {
        bail!("unexpected points.csv header {header:?}");
    }
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 9 {
            bail!("points.csv line {}: {} fields", i + 2, f.len());
        }
        out.push(RefPoint {
            id: f[0].parse()?,
            lat: f[1].parse()?,
            lon: f[2].parse()?,
            expected: opt(f[3]),
            kind: f[4].to_owned(),
            nearest: opt(f[6]),
            nearest_dist_m: if f[7].is_empty() {
                None
            } else {
                Some(f[7].parse()?)
            },
            expected_company: opt(f[8]),
        });
    }
    Ok(out)
}

/// Imports `buildings.geojson` of a city folder; fails if any feature is refused.
pub fn load_buildings(city: &Path) -> anyhow::Result<Vec<Building>> {
    let path = city.join("buildings.geojson");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let (buildings, report) = import_geojson(&text)?;
    if !report.errors.is_empty() {
        bail!(
            "{} features refused, first: {:?}",
            report.errors.len(),
            report.errors[0]
        );
    }
    Ok(buildings)
}

/// Builds the index of a city folder (region named after the folder).
pub fn build_index(city: &Path, buildings: Vec<Building>) -> anyhow::Result<BuildingIndex> {
    let region = city
        .file_name()
        .map_or("city".into(), |n| n.to_string_lossy().into_owned());
    Ok(BuildingIndex::new(
        PackMeta {
            region: RegionId(region),
            data_version: "shared-data".into(),
        },
        buildings,
    )?)
}

/// Near answers closer than this to the runner-up are a tie the reference's UTM metric may break
/// the other way; they are counted apart, not as disagreements.
pub const NEAR_TIE_M: f64 = 0.05;

/// Agreement of an index with the reference answers.
#[derive(Debug, Default, Clone)]
pub struct Agreement {
    /// Points checked.
    pub points: usize,
    /// Points expecting a building where the index answered Inside with that building.
    pub inside_ok: usize,
    /// Points expecting a building.
    pub inside_expected: usize,
    /// Points expecting no building where the index did not answer Inside.
    pub outside_ok: usize,
    /// Points expecting no building.
    pub outside_expected: usize,
    /// Points whose expected company matched the answer's company (or both none).
    pub company_ok: usize,
    /// Points with a reference nearest building within 15 m.
    pub nearest_expected: usize,
    /// … where the first Near candidate (accuracy 15 m) is that building.
    pub nearest_ok: usize,
    /// … where it is another building but within [`NEAR_TIE_M`] of the reference's.
    pub nearest_tie: usize,
    /// Points with no reference building within 15 m where the first candidate (if any) is
    /// farther than 15 m minus [`NEAR_TIE_M`].
    pub no_nearest_ok: usize,
    /// Points with no reference building within 15 m.
    pub no_nearest_expected: usize,
    /// Largest gap between our first candidate and the reference's building among the ties.
    pub max_tie_gap_m: f64,
    /// Largest |our distance − reference distance| for agreeing nearest answers, metres.
    pub max_dist_diff_m: f64,
    /// Up to 10 disagreements, described.
    pub examples: Vec<String>,
}

impl Agreement {
    /// True when every point agrees (near ties excepted).
    pub fn all_agree(&self) -> bool {
        self.inside_ok == self.inside_expected
            && self.outside_ok == self.outside_expected
            && self.company_ok == self.points
            && self.nearest_ok + self.nearest_tie == self.nearest_expected
            && self.no_nearest_ok == self.no_nearest_expected
    }

    /// Counts, one line per check.
    pub fn summary(&self) -> String {
        format!(
            "inside {}/{}, not inside {}/{}, company {}/{}, nearest within 15 m {}/{} (+{} near-ties, gap at most {:.4} m), no building within 15 m {}/{}, max nearest distance gap {:.3} m",
            self.inside_ok,
            self.inside_expected,
            self.outside_ok,
            self.outside_expected,
            self.company_ok,
            self.points,
            self.nearest_ok,
            self.nearest_expected,
            self.nearest_tie,
            self.max_tie_gap_m,
            self.no_nearest_ok,
            self.no_nearest_expected,
            self.max_dist_diff_m
        )
    }

    fn example(&mut self, s: String) {
        if self.examples.len() < 10 {
            self.examples.push(s);
        }
    }
}

/// Scores `index` on every point (accuracy 15 m, so Near covers the default 30 m radius).
pub fn score(index: &BuildingIndex, points: &[RefPoint]) -> Agreement {
    let mut a = Agreement::default();
    let id_of = |b: usize| index.building(b).map(|m| m.building_id.0);
    for p in points {
        a.points += 1;
        let found = index.find(p.lat, p.lon, 15.0);
        let inside = match &found {
            Found::Inside(b) => index.building(*b),
            _ => None,
        };
        let company = inside
            .as_ref()
            .and_then(|m| m.company.as_ref().map(|c| c.0.clone()));
        if company == p.expected_company {
            a.company_ok += 1;
        } else {
            a.example(format!(
                "point {}: company {company:?}, expected {:?}",
                p.id, p.expected_company
            ));
        }
        match &p.expected {
            Some(exp) => {
                a.inside_expected += 1;
                if inside.as_ref().map(|m| &m.building_id.0) == Some(exp) {
                    a.inside_ok += 1;
                } else {
                    a.example(format!(
                        "point {} ({}): got {found:?}, expected inside {exp}",
                        p.id, p.kind
                    ));
                }
            }
            None => {
                a.outside_expected += 1;
                if inside.is_none() {
                    a.outside_ok += 1;
                } else {
                    a.example(format!(
                        "point {} ({}): got {inside:?}, expected no building",
                        p.id, p.kind
                    ));
                }
                let near = match &found {
                    Found::Near(c) => c.as_slice(),
                    _ => &[],
                };
                match (&p.nearest, p.nearest_dist_m) {
                    (Some(exp), Some(d)) => {
                        a.nearest_expected += 1;
                        let first = near.first().map(|&(b, dist)| (id_of(b), dist));
                        match first {
                            Some((Some(id), dist)) if &id == exp => {
                                a.nearest_ok += 1;
                                a.max_dist_diff_m = a.max_dist_diff_m.max((dist - d).abs());
                            }
                            _ => {
                                // Tie: the reference's building is ours too, within NEAR_TIE_M of our first.
                                let theirs =
                                    near.iter().find(|&&(b, _)| id_of(b).as_ref() == Some(exp));
                                match (near.first(), theirs) {
                                    (Some(&(_, d0)), Some(&(_, d1))) if d1 - d0 <= NEAR_TIE_M => {
                                        a.nearest_tie += 1
                                    }
                                    _ => a.example(format!(
                                        "point {} ({}): nearest {first:?}, expected {exp} at {d} m",
                                        p.id, p.kind
                                    )),
                                }
                            }
                        }
                    }
                    _ => {
                        a.no_nearest_expected += 1;
                        match near.first() {
                            Some(&(b, d)) if d <= 15.0 - NEAR_TIE_M => a.example(format!(
                                "point {} ({}): nearest {:?} at {d:.3} m, expected none within 15 m",
                                p.id,
                                p.kind,
                                id_of(b)
                            )),
                            _ => a.no_nearest_ok += 1,
                        }
                    }
                }
            }
        }
    }
    a
}
