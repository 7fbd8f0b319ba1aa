//! The building index: which building is at a point, and who manages it, offline.
//!
//! - [`BuildingIndex`]: footprints in an R-tree; [`BuildingIndex::lookup`] answers inside / near /
//!   nothing with the reference point-in-polygon rule of `shared/data/geo`.
//! - The offline pack ([`BuildingIndex::to_pack`], [`BuildingIndex::from_pack`], [`pack_etag`]):
//!   what the app downloads and keeps per city.
//! - [`offline`] (feature `client`): the packs installed on the phone, beside its database.
//! - Importers the server calls: [`import_geojson`], [`read_building_managers`], [`apply_managers`].

mod error;
mod geojson;
mod grid;
mod index;
#[cfg(feature = "client")]
pub mod offline;
mod pack;
mod rtree;

pub use error::{GeoJsonError, IndexError, ManagersCsvError, PackError};
pub use geojson::{
    ImportReport, ManagerAssignment, apply_managers, import_geojson, read_building_managers,
};
pub use index::{
    Building, BuildingIndex, BuildingMatch, Candidate, Found, Lookup, MIN_NEAR_RADIUS_M, PackMeta,
    lookup_any,
};
pub use pack::{PACK_FORMAT_VERSION, PACK_MAGIC, pack_etag};
