//! Wire types of the problem-report loop: the published categories, filing a report (idempotent
//! on the client's UUIDv7), the resident's and the staff's views, status changes, comments,
//! ratings and reopening. The canonical filed content and its SHA-256 are defined here once, so
//! the phone can check the digest the server returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    ids::{BuildingId, CompanyId, ReportId},
    reports::ReportStatus,
};

/// At most this many photos per report.
pub const MAX_PHOTOS: usize = 5;
/// Largest accepted photo (decoded JPEG bytes).
pub const MAX_PHOTO_BYTES: usize = 400 * 1024;

/// Whether bytes start like a JPEG (SOI marker and the next marker's 0xFF): the check the server
/// applies to filed photos and the phone to photos it downloads.
pub fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}
/// Longest accepted report text (characters).
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest accepted place in the building (characters).
pub const MAX_PLACE_CHARS: usize = 500;

/// One category of the list the server publishes (`GET /v1/report-categories`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReportCategory {
    /// Stable code ("leak", "lift", …).
    pub code: String,
    /// Title shown to people.
    pub title: String,
    /// Emergency: the deadline counts in hours, not days.
    pub emergency: bool,
    /// Time allowed for an answer, in hours.
    pub deadline_hours: u32,
}

/// `GET /v1/report-categories`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoriesResponse {
    /// Every category residents may choose.
    pub categories: Vec<ReportCategory>,
}

/// `POST /v1/reports`: a report as the resident filed it. Sending the same id again with the
/// same content returns the same answer; with other content it is refused (409).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileReportRequest {
    /// Client-generated UUIDv7, the one id end to end.
    pub id: ReportId,
    /// One of the resident's buildings.
    pub building_id: BuildingId,
    /// Category code.
    pub category: String,
    /// What is wrong.
    pub text: String,
    /// Where in the building.
    pub place: String,
    /// Up to [`MAX_PHOTOS`] JPEG photos, base64 (standard alphabet), each ≤ [`MAX_PHOTO_BYTES`].
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The content the digest covers, in this field order, serialised as compact JSON. Photos are
/// covered by their own SHA-256 (hex) so the digest stays cheap to recompute.
#[derive(Serialize)]
struct CanonicalContent<'a> {
    id: &'a ReportId,
    building_id: &'a BuildingId,
    category: &'a str,
    text: &'a str,
    place: &'a str,
    photos_sha256: Vec<String>,
}

/// SHA-256 (hex) of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

impl FileReportRequest {
    /// SHA-256 (hex) of the canonical filed content: compact JSON of `{id, building_id,
    /// category, text, place, photos_sha256}` in that order, where `photos_sha256` lists the hex
    /// SHA-256 of each photo's base64 text as sent.
    pub fn content_sha256(&self) -> String {
        let canonical = CanonicalContent {
            id: &self.id,
            building_id: &self.building_id,
            category: &self.category,
            text: &self.text,
            place: &self.place,
            photos_sha256: self
                .photos
                .iter()
                .map(|p| sha256_hex(p.as_bytes()))
                .collect(),
        };
        // Serialising plain strings into a Vec cannot fail.
        let json = serde_json::to_vec(&canonical).unwrap_or_default();
        sha256_hex(&json)
    }
}

/// The answer to `POST /v1/reports` (the same for every repeat of the same filing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FiledReportResponse {
    /// The report id (the client's).
    pub id: ReportId,
    /// Public number, e.g. `2026-000123`.
    pub number: String,
    /// SHA-256 (hex) of the canonical filed content ([`FileReportRequest::content_sha256`]).
    pub content_sha256: String,
    /// Status now.
    pub status: ReportStatus,
    /// When the server accepted it.
    pub filed_at: DateTime<Utc>,
    /// When an answer is due.
    pub due_at: DateTime<Utc>,
}

/// What staff may do to a report (`POST /v1/company/reports/{id}/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaffAction {
    /// new | reopened → accepted.
    Accept,
    /// accepted → in progress.
    InProgress,
    /// accepted | in progress → resolved.
    Resolve,
    /// new | accepted | in progress | reopened → rejected (a reason is required).
    Reject,
}

impl StaffAction {
    /// The status this action leads to from `from`, or `None` when the lifecycle forbids it.
    pub fn apply(self, from: ReportStatus) -> Option<ReportStatus> {
        use ReportStatus as S;
        match (self, from) {
            (StaffAction::Accept, S::New | S::Reopened) => Some(S::Accepted),
            (StaffAction::InProgress, S::Accepted) => Some(S::InProgress),
            (StaffAction::Resolve, S::Accepted | S::InProgress) => Some(S::Resolved),
            (StaffAction::Reject, S::New | S::Accepted | S::InProgress | S::Reopened) => {
                Some(S::Rejected)
            }
            _ => None,
        }
    }
}

/// `POST /v1/company/reports/{id}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChangeRequest {
    /// What to do.
    pub action: StaffAction,
    /// Answer to the resident; required for `reject`.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /v1/reports/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentRequest {
    /// The words.
    pub text: String,
}

/// `POST /v1/reports/{id}/rating`: once, when the report is resolved or rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingRequest {
    /// 1 (bad) … 5 (good).
    pub stars: u8,
    /// Optional words.
    #[serde(default)]
    pub comment: Option<String>,
    /// The client's UUIDv7 of this rating, its idempotency key: a repeat with the same id gets
    /// the report's current view instead of a refusal, so a retried upload is never refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<uuid::Uuid>,
}

/// `POST /v1/reports/{id}/reopen`: the problem is back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReopenRequest {
    /// Why.
    pub text: String,
    /// The client's UUIDv7 of this reopening, its idempotency key (as in [`RatingRequest::id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<uuid::Uuid>,
}

/// Who wrote an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum EventAuthor {
    /// The resident who filed the report.
    Resident,
    /// The managing company.
    Company,
}

/// One thing that happened to a report, visible to the resident (and pulled through sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReportEvent {
    /// Position in the report's history (1, 2, …).
    pub seq: i64,
    /// The report.
    pub report_id: ReportId,
    /// When (server clock).
    pub at: DateTime<Utc>,
    /// Who.
    pub author: EventAuthor,
    /// The status after this event, when it changed the status.
    pub status: Option<ReportStatus>,
    /// Words (answer, reason, comment).
    pub text: Option<String>,
}

/// A report as its resident and the company's staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportView {
    /// Id.
    pub id: ReportId,
    /// Public number.
    pub number: String,
    /// Building.
    pub building_id: BuildingId,
    /// Address of the building.
    pub address: String,
    /// Responsible company.
    pub company_id: Option<CompanyId>,
    /// Category code.
    pub category: String,
    /// Filed text (immutable).
    pub text: String,
    /// Filed place (immutable).
    pub place: String,
    /// Number of photos (`GET /v1/reports/{id}/photos/{n}`, n from 0).
    pub photo_count: u32,
    /// SHA-256 of the filed content.
    pub content_sha256: String,
    /// Status now.
    pub status: ReportStatus,
    /// Filed at.
    pub filed_at: DateTime<Utc>,
    /// Due at.
    pub due_at: DateTime<Utc>,
    /// Past its deadline and not closed, by the server clock at the time of the request.
    pub overdue: bool,
    /// The resident's stars, once rated.
    pub rating: Option<u8>,
    /// History, oldest first.
    #[serde(default)]
    pub events: Vec<ReportEvent>,
}

/// `GET /v1/reports` and `GET /v1/company/reports`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportsResponse {
    /// Reports (resident: newest first; staff: by deadline).
    pub reports: Vec<ReportView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> FileReportRequest {
        FileReportRequest {
            id: ReportId(uuid::Uuid::nil()),
            building_id: BuildingId("b1".into()),
            category: "leak".into(),
            text: "water".into(),
            place: "entrance 2".into(),
            photos: vec!["AAAA".into()],
        }
    }

    #[test]
    fn digest_changes_with_any_filed_field_and_not_otherwise() {
        let a = request();
        assert_eq!(a.content_sha256(), request().content_sha256());
        assert_eq!(a.content_sha256().len(), 64);
        let mut b = request();
        b.text.push('!');
        assert_ne!(a.content_sha256(), b.content_sha256());
        let mut c = request();
        c.photos.push("BBBB".into());
        assert_ne!(a.content_sha256(), c.content_sha256());
    }

    #[test]
    fn lifecycle_refuses_resolving_a_new_report_and_rejecting_a_resolved_one() {
        assert_eq!(StaffAction::Resolve.apply(ReportStatus::New), None);
        assert_eq!(
            StaffAction::Accept.apply(ReportStatus::New),
            Some(ReportStatus::Accepted)
        );
        assert_eq!(StaffAction::Reject.apply(ReportStatus::Resolved), None);
        assert_eq!(
            StaffAction::Accept.apply(ReportStatus::Reopened),
            Some(ReportStatus::Accepted)
        );
    }
}
