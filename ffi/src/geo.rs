//! Which building am I in, offline: the city's building pack loaded once, then point lookups.
//!
//! The shell downloads the pack (bytes) and hands over fused-location / CoreLocation fixes with
//! their accuracy; the answer is inside a building, a short list of buildings near, or nothing.
//!
//! Two ways in: the app object keeps packs beside its database (`update_geo_pack`, `locate`,
//! `geo_packs`), or a shell that manages files itself loads a [`BuildingPack`] from bytes.

use std::sync::Arc;

use connect_core::geo::{
    BuildingIndex, Lookup, PackError,
    offline::{GeoPackInfo, GeoPackUpdate},
};

use crate::{ConnectApp, ConnectError};

/// A downloaded pack could not be loaded; the previously loaded pack stays usable.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum GeoError {
    /// Truncated, corrupted or not a pack: download it again.
    #[error("the building pack is damaged: {reason}")]
    DamagedPack {
        /// What is wrong.
        reason: String,
    },
    /// Written by a newer format: the app needs an update.
    #[error("the building pack needs a newer app: {reason}")]
    UpdateApp {
        /// What is wrong.
        reason: String,
    },
}

impl From<PackError> for GeoError {
    fn from(error: PackError) -> Self {
        // A bad download is ordinary life on mobile networks; the producer's bugs show as Malformed.
        let reason = error.to_string();
        match error {
            PackError::UnsupportedVersion { .. } => GeoError::UpdateApp { reason },
            PackError::Malformed { .. } => {
                tracing::error!(%reason, "building pack body malformed");
                GeoError::DamagedPack { reason }
            }
            PackError::BadMagic
            | PackError::Truncated { .. }
            | PackError::TrailingBytes { .. }
            | PackError::ChecksumMismatch => {
                tracing::info!(%reason, "building pack refused");
                GeoError::DamagedPack { reason }
            }
        }
    }
}

/// A city's buildings, loaded from an offline pack.
#[derive(Debug, uniffi::Object)]
pub struct BuildingPack(BuildingIndex);

#[uniffi::export]
impl BuildingPack {
    /// Loads a pack as downloaded from the server.
    #[uniffi::constructor]
    pub fn from_pack(pack: Vec<u8>) -> Result<Arc<Self>, GeoError> {
        Ok(Arc::new(Self(BuildingIndex::from_pack(&pack)?)))
    }

    /// The building at a GPS fix (WGS84), or those within the fix's accuracy (at least 30 m).
    pub fn lookup(&self, lat: f64, lon: f64, accuracy_m: f64) -> Lookup {
        self.0.lookup(lat, lon, accuracy_m)
    }

    /// The region the pack covers.
    pub fn region(&self) -> String {
        self.0.meta().region.0.clone()
    }

    /// The source data version the pack was built from.
    pub fn data_version(&self) -> String {
        self.0.meta().data_version.clone()
    }
}

#[uniffi::export]
impl ConnectApp {
    /// Downloads a region's building pack unless the installed one is current; a damaged download
    /// is refused (`Network`: try again later) and the previous pack stays in use.
    pub fn update_geo_pack(&self, region: String) -> Result<GeoPackUpdate, ConnectError> {
        Ok(self.core().update_geo_pack(&region)?)
    }

    /// Which building is at a GPS fix, offline from the installed packs (`NotFound`: none yet).
    pub fn locate(&self, lat: f64, lon: f64, accuracy_m: f64) -> Result<Lookup, ConnectError> {
        Ok(self.core().locate(lat, lon, accuracy_m)?)
    }

    /// The building packs installed on this device.
    pub fn geo_packs(&self) -> Vec<GeoPackInfo> {
        self.core().geo_packs()
    }
}
