//! Outages and planned works for the shells: the resident's outages and those nearby, cached on the
//! device with their state now (affected now / planned / restored), for the list and the native
//! map. Changes arrive as `AppEvent::OutageChanged` / `OutageWithdrawn` through the listener.

use connect_core::store::outages::OutageItem;

use crate::{ConnectApp, ConnectError};

#[uniffi::export]
impl ConnectApp {
    /// The cached outages, the resident's first, then affected now before planned before
    /// restored. Works offline.
    pub fn outages(&self) -> Result<Vec<OutageItem>, ConnectError> {
        Ok(self.core().outages()?)
    }

    /// Fetches the outages around the visible map area into the cache and returns the whole
    /// cached list (`Network` when offline: show the cached list).
    pub fn refresh_nearby_outages(
        &self,
        west: f64,
        south: f64,
        east: f64,
        north: f64,
    ) -> Result<Vec<OutageItem>, ConnectError> {
        Ok(self
            .core()
            .refresh_nearby_outages(west, south, east, north)?)
    }
}
