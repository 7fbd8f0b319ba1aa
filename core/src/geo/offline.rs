//! The app's offline building packs: one file per region in a folder beside the phone's database
//! (`phone.db` → `phone.db-geo/<region>.pack`), loaded at start and swapped whole on update.
//!
//! The file is the only state: its ETag is [`pack_etag`] of its bytes (what the server sends), so
//! `If-None-Match` needs no bookkeeping and a file damaged on disk simply stops matching. A new pack
//! is checked completely ([`BuildingIndex::from_pack`]) before anything changes; only then is it
//! written to a temporary file, synced and renamed over the old one, and swapped in memory. A
//! refused or unwritable pack leaves the previous one on disk and in use.

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
};

use crate::{
    geo::{BuildingIndex, Lookup, PackError, lookup_any, pack_etag},
    ids::RegionId,
};

/// What the app knows about one installed pack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct GeoPackInfo {
    /// The region it covers.
    pub region: RegionId,
    /// The server's data version it was built from.
    pub data_version: String,
    /// Buildings in it.
    pub buildings: u64,
    /// Size of the pack in bytes.
    pub bytes: u64,
}

/// The outcome of asking the server for a region's pack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum GeoPackUpdate {
    /// A new pack was downloaded, checked, stored and is now in use.
    Installed(GeoPackInfo),
    /// The server's pack is the one already installed (HTTP 304): nothing was downloaded.
    Unchanged(GeoPackInfo),
}

/// Why a pack was not installed. The previously installed pack (if any) stays in use.
#[derive(Debug, thiserror::Error)]
pub enum PackStoreError {
    /// The region id cannot name a file (empty, too long, or not `[A-Za-z0-9_-]`).
    #[error("{0:?} is not a region id")]
    InvalidRegion(String),
    /// The downloaded pack is truncated, corrupted, foreign or of a newer format.
    #[error("the downloaded building pack was refused ({0}); the previous pack stays in use")]
    Refused(#[source] PackError),
    /// The pack is valid but covers another region than the one asked for.
    #[error("asked for the pack of {asked:?} but got the pack of {found:?}")]
    WrongRegion {
        /// The region asked for.
        asked: String,
        /// The region in the pack.
        found: String,
    },
    /// Writing the pack to the device failed; the previous pack stays in use.
    #[error("could not store the building pack")]
    Save(#[source] std::io::Error),
}

#[derive(Debug)]
struct Installed {
    index: BuildingIndex,
    etag: String,
    bytes: u64,
}

impl Installed {
    fn info(&self) -> GeoPackInfo {
        GeoPackInfo {
            region: self.index.meta().region.clone(),
            data_version: self.index.meta().data_version.clone(),
            buildings: self.index.len() as u64,
            bytes: self.bytes,
        }
    }
}

/// The packs installed on this device.
#[derive(Debug)]
pub struct OfflinePacks {
    dir: PathBuf,
    loaded: RwLock<Arc<BTreeMap<RegionId, Arc<Installed>>>>,
    /// Held while a pack is written and swapped in, so two updates never share the temporary file.
    installing: Mutex<()>,
}

/// The folder holding the packs of the database at `db_path`.
pub fn pack_dir(db_path: &Path) -> PathBuf {
    let mut name = db_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "connect.db".into());
    name.push("-geo");
    db_path.with_file_name(name)
}

/// Checks that a region id is safe as a file name.
pub fn valid_region(region: &str) -> Result<RegionId, PackStoreError> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(RegionId(region.to_owned()))
    } else {
        Err(PackStoreError::InvalidRegion(region.to_owned()))
    }
}

impl OfflinePacks {
    /// Loads every pack stored in `dir` (which need not exist yet). A stored pack that no longer
    /// loads (damaged on disk, or from an older app's format) is skipped with a warning; the next
    /// update of its region downloads it whole, since its ETag no longer matches the server's.
    pub fn open(dir: PathBuf) -> OfflinePacks {
        let mut loaded = BTreeMap::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(_) => Vec::new(),
        };
        for path in entries {
            if path.extension().and_then(|e| e.to_str()) != Some("pack") {
                continue;
            }
            let Some(region) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| valid_region(s).ok())
            else {
                continue;
            };
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(error) => {
                    tracing::warn!(%error, region = %region.0, "cannot read a stored building pack");
                    continue;
                }
            };
            match BuildingIndex::from_pack(&bytes) {
                Ok(index) if index.meta().region == region => {
                    let installed = Installed {
                        etag: pack_etag(&bytes),
                        bytes: bytes.len() as u64,
                        index,
                    };
                    loaded.insert(region, Arc::new(installed));
                }
                Ok(index) => tracing::warn!(
                    region = %region.0, found = %index.meta().region.0,
                    "a stored building pack names another region; ignored"
                ),
                Err(error) => {
                    tracing::warn!(%error, region = %region.0, "a stored building pack does not load; ignored")
                }
            }
        }
        OfflinePacks {
            dir,
            loaded: RwLock::new(Arc::new(loaded)),
            installing: Mutex::new(()),
        }
    }

    fn snapshot(&self) -> Arc<BTreeMap<RegionId, Arc<Installed>>> {
        match self.loaded.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// The ETag of the installed pack of `region`, for `If-None-Match`.
    pub fn etag(&self, region: &RegionId) -> Option<String> {
        self.snapshot().get(region).map(|i| i.etag.clone())
    }

    /// The installed pack of `region`.
    pub fn info(&self, region: &RegionId) -> Option<GeoPackInfo> {
        self.snapshot().get(region).map(|i| i.info())
    }

    /// Every installed pack, by region.
    pub fn installed(&self) -> Vec<GeoPackInfo> {
        self.snapshot().values().map(|i| i.info()).collect()
    }

    /// Checks a downloaded pack, stores it as `region`'s pack and puts it in use. On any error
    /// nothing changes, on disk or in memory.
    pub fn install(&self, region: &RegionId, pack: &[u8]) -> Result<GeoPackInfo, PackStoreError> {
        let region = valid_region(&region.0)?;
        let index = BuildingIndex::from_pack(pack).map_err(PackStoreError::Refused)?;
        if index.meta().region != region {
            return Err(PackStoreError::WrongRegion {
                asked: region.0,
                found: index.meta().region.0.clone(),
            });
        }
        let _installing = match self.installing.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        self.write_file(&region, pack)
            .map_err(PackStoreError::Save)?;
        let installed = Arc::new(Installed {
            index,
            etag: pack_etag(pack),
            bytes: pack.len() as u64,
        });
        let info = installed.info();
        let mut guard = match self.loaded.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut next = BTreeMap::clone(&guard);
        next.insert(region, installed);
        *guard = Arc::new(next);
        Ok(info)
    }

    /// Writes `<region>.pack` atomically: a synced temporary file renamed over the old one.
    fn write_file(&self, region: &RegionId, pack: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{}.pack", region.0));
        let tmp = self.dir.join(format!("{}.pack.tmp", region.0));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(pack)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &path)?;
            // Make the rename itself durable where the platform allows syncing a directory.
            if let Ok(d) = std::fs::File::open(&self.dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Which building is at the point, from the installed packs; `None` when none is installed.
    pub fn locate(&self, lat: f64, lon: f64, accuracy_m: f64) -> Option<Lookup> {
        let all = self.snapshot();
        if all.is_empty() {
            return None;
        }
        Some(lookup_any(
            all.values().map(|i| &i.index),
            lat,
            lon,
            accuracy_m,
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use geo::{MultiPolygon, polygon};

    use super::*;
    use crate::{
        geo::{Building, PackMeta},
        ids::{BuildingId, CompanyId},
    };

    fn pack(region: &str, company: &str) -> Vec<u8> {
        let square = polygon![(x: 39.8, y: 59.2), (x: 39.801, y: 59.2), (x: 39.801, y: 59.201), (x: 39.8, y: 59.201), (x: 39.8, y: 59.2)];
        BuildingIndex::new(
            PackMeta {
                region: RegionId(region.into()),
                data_version: company.into(),
            },
            vec![Building {
                id: BuildingId("B1".into()),
                address: Some("Mira 1".into()),
                company: Some(CompanyId(company.into())),
                area_m2: None,
                footprint: MultiPolygon(vec![square]),
            }],
        )
        .unwrap()
        .to_pack()
    }

    fn company_at_b1(packs: &OfflinePacks) -> Option<String> {
        match packs.locate(59.2005, 39.8005, 10.0) {
            Some(Lookup::Inside(b)) => b.company.map(|c| c.0),
            other => panic!("expected inside B1, got {other:?}"),
        }
    }

    #[test]
    fn a_damaged_pack_is_refused_and_the_previous_one_stays_in_use_and_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let packs = OfflinePacks::open(pack_dir(&dir.path().join("phone.db")));
        assert_eq!(packs.locate(59.2005, 39.8005, 10.0), None);
        let region = RegionId("vologda".into());
        let first = pack("vologda", "UK-1");
        let info = packs.install(&region, &first).unwrap();
        assert_eq!((info.buildings, info.bytes), (1, first.len() as u64));
        assert_eq!(packs.etag(&region), Some(pack_etag(&first)));
        assert_eq!(company_at_b1(&packs).as_deref(), Some("UK-1"));

        let second = pack("vologda", "UK-2");
        let mut flipped = second.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x55;
        for bad in [&second[..second.len() / 2], &flipped[..]] {
            let err = packs.install(&region, bad).unwrap_err();
            assert!(matches!(err, PackStoreError::Refused(_)), "{err}");
            assert!(err.to_string().contains("previous pack stays in use"));
            assert_eq!(company_at_b1(&packs).as_deref(), Some("UK-1"));
            assert_eq!(packs.etag(&region), Some(pack_etag(&first)));
        }
        let other = pack("moscow", "UK-3");
        assert!(matches!(
            packs.install(&region, &other),
            Err(PackStoreError::WrongRegion { .. })
        ));
        // What is on disk is still the first pack.
        let reopened = OfflinePacks::open(pack_dir(&dir.path().join("phone.db")));
        assert_eq!(company_at_b1(&reopened).as_deref(), Some("UK-1"));

        packs.install(&region, &second).unwrap();
        assert_eq!(company_at_b1(&packs).as_deref(), Some("UK-2"));
        let reopened = OfflinePacks::open(pack_dir(&dir.path().join("phone.db")));
        assert_eq!(company_at_b1(&reopened).as_deref(), Some("UK-2"));
        assert_eq!(reopened.installed().len(), 1);
    }

    #[test]
    fn a_pack_damaged_on_disk_is_skipped_at_open_and_region_ids_must_name_files() {
        let dir = tempfile::tempdir().unwrap();
        let packs_dir = pack_dir(&dir.path().join("phone.db"));
        assert_eq!(packs_dir, dir.path().join("phone.db-geo"));
        let packs = OfflinePacks::open(packs_dir.clone());
        packs
            .install(&RegionId("vologda".into()), &pack("vologda", "UK-1"))
            .unwrap();
        let file = packs_dir.join("vologda.pack");
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.truncate(100);
        std::fs::write(&file, &bytes).unwrap();
        let reopened = OfflinePacks::open(packs_dir);
        assert!(reopened.installed().is_empty());
        assert_eq!(reopened.etag(&RegionId("vologda".into())), None);
        for bad in ["", "../x", "a/b", "a.pack", &"x".repeat(65)] {
            assert!(matches!(
                valid_region(bad),
                Err(PackStoreError::InvalidRegion(_))
            ));
        }
        assert!(valid_region("spb-vasileostrovsky_1").is_ok());
    }
}
