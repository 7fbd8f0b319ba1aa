//! Problem reports for the shells: file offline with photos, list with status and history, rate
//! and reopen. One line per method into core; refusals arrive as `ConnectError::Rejected` with a
//! stable code (`unknown_category`, `too_many_photos`, `not_rateable`, …), an unknown report as
//! `ConnectError::NotFound`. Status changes reach the listener as `AppEvent::ReportStatusChanged`.

use connect_core::{
    api::reports::ReportCategory,
    ids::{BuildingId, ReportId},
    store::reports::{ReportBuilding, ReportItem},
};
use uuid::Uuid;

use crate::{app::ConnectApp, error::ConnectError};

#[uniffi::export]
impl ConnectApp {
    /// Files a report offline: photos (JPEG or PNG, at most 5) are downscaled and re-encoded on
    /// the device, the report is queued and sent by the sync engine. `building_id` may be null
    /// when the resident has one building. Returns the report's id.
    pub fn file_report(
        &self,
        building_id: Option<BuildingId>,
        category: String,
        text: String,
        place: String,
        photos: Vec<Vec<u8>>,
    ) -> Result<ReportId, ConnectError> {
        Ok(self
            .core()
            .file_report(building_id, &category, &text, &place, photos)?)
    }

    /// The reports on this device, newest first, with status, history and queued actions.
    pub fn reports(&self) -> Result<Vec<ReportItem>, ConnectError> {
        Ok(self.core().reports()?)
    }

    /// One report, or null.
    pub fn report(&self, id: ReportId) -> Result<Option<ReportItem>, ConnectError> {
        Ok(self.core().report(id)?)
    }

    /// Photo `n` (from 0) of a report filed on this device, as sent.
    pub fn report_photo(&self, id: ReportId, n: u32) -> Result<Option<Vec<u8>>, ConnectError> {
        Ok(self.core().report_photo(id, n)?)
    }

    /// Rates a resolved or rejected report once (1–5 stars); queued, works offline.
    pub fn rate_report(
        &self,
        id: ReportId,
        stars: u8,
        comment: Option<String>,
    ) -> Result<Uuid, ConnectError> {
        Ok(self.core().rate_report(id, stars, comment)?)
    }

    /// Reopens a resolved, rejected or rated report; queued, works offline.
    pub fn reopen_report(&self, id: ReportId, reason: String) -> Result<Uuid, ConnectError> {
        Ok(self.core().reopen_report(id, &reason)?)
    }

    /// The buildings where the resident may file (their homes).
    pub fn report_buildings(&self) -> Result<Vec<ReportBuilding>, ConnectError> {
        Ok(self.core().report_buildings()?)
    }

    /// The cached report categories (empty until fetched once online).
    pub fn report_categories(&self) -> Result<Vec<ReportCategory>, ConnectError> {
        Ok(self.core().report_categories()?)
    }

    /// Fetches the published report categories into the cache.
    pub fn refresh_report_categories(&self) -> Result<Vec<ReportCategory>, ConnectError> {
        Ok(self.core().refresh_report_categories()?)
    }
}
