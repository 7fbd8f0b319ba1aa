//! Problem reports: a resident tells the managing company about a leak, a broken lift, a dark
//! stairwell. Filed content is immutable once the server accepts it; later words are comments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BuildingId, CompanyId, ReportId};

#[cfg(feature = "client")]
pub mod photos;

/// Where a report is in its lifecycle:
/// new → accepted → in progress → resolved | rejected → rated (or reopened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Filed by the resident, not yet looked at by the company.
    New,
    /// The company took it.
    Accepted,
    /// Someone is working on it.
    InProgress,
    /// The company says it is fixed.
    Resolved,
    /// The company refused it, with a reason.
    Rejected,
    /// The resident rated the result.
    Rated,
    /// The resident says the problem is back.
    Reopened,
}

/// A problem report as filed by a resident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemReport {
    /// Client-generated UUIDv7: one id end to end.
    pub id: ReportId,
    /// Public number given by the server once filed, e.g. `2026-000123`.
    pub number: Option<String>,
    /// The building it is about.
    pub building_id: BuildingId,
    /// The company responsible (resolved by the server from the building).
    pub company_id: Option<CompanyId>,
    /// Category code from the list the server publishes.
    pub category: String,
    /// What the resident wrote.
    pub text: String,
    /// Where in the building ("entrance 2, 5th floor").
    pub place: String,
    /// Current status.
    pub status: ReportStatus,
    /// When the server accepted it (server clock).
    pub filed_at: Option<DateTime<Utc>>,
    /// When an answer is due (server clock).
    pub due_at: Option<DateTime<Utc>>,
    /// SHA-256 (hex) of the filed content, returned by the server.
    pub content_sha256: Option<String>,
}

impl ReportStatus {
    /// The wire (and storage) name, e.g. `in_progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::New => "new",
            ReportStatus::Accepted => "accepted",
            ReportStatus::InProgress => "in_progress",
            ReportStatus::Resolved => "resolved",
            ReportStatus::Rejected => "rejected",
            ReportStatus::Rated => "rated",
            ReportStatus::Reopened => "reopened",
        }
    }

    /// Reads a wire name.
    pub fn parse(s: &str) -> Option<ReportStatus> {
        [
            ReportStatus::New,
            ReportStatus::Accepted,
            ReportStatus::InProgress,
            ReportStatus::Resolved,
            ReportStatus::Rejected,
            ReportStatus::Rated,
            ReportStatus::Reopened,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// The resident may rate a report in this status (once).
    pub fn is_rateable(self) -> bool {
        matches!(self, ReportStatus::Resolved | ReportStatus::Rejected)
    }

    /// The resident may reopen a report in this status.
    pub fn is_reopenable(self) -> bool {
        matches!(
            self,
            ReportStatus::Resolved | ReportStatus::Rejected | ReportStatus::Rated
        )
    }
}

/// Why the app refused to file, rate or reopen a report: what the resident must change. Nothing
/// was stored when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The category is not one the server publishes.
    #[error("unknown category {code:?}: choose one of the published categories")]
    UnknownCategory {
        /// The code given.
        code: String,
    },
    /// A required text is empty.
    #[error("the {field} must not be empty")]
    Empty {
        /// `text` or `place` or `reason`.
        field: &'static str,
    },
    /// A text is longer than the server accepts.
    #[error("the {field} is longer than {max} characters")]
    TooLong {
        /// Which text.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// More photos than a report may carry.
    #[error("a report carries at most {max} photos")]
    TooManyPhotos {
        /// The limit.
        max: usize,
    },
    /// A photo is not an image this app can read.
    #[error("photo {index} could not be read: {reason}")]
    UnreadablePhoto {
        /// Its position, from 0.
        index: usize,
        /// Why (no personal data).
        reason: String,
    },
    /// No building is known on this device: refresh the property first.
    #[error("no home is known on this device yet: refresh your property while online")]
    NoBuilding,
    /// The resident has homes in several buildings: the shell must ask which one.
    #[error("you have homes in several buildings: choose the building")]
    ChooseBuilding,
    /// The building is not one of the resident's.
    #[error("this building is not one of your homes")]
    UnknownBuilding,
    /// No such report on this device.
    #[error("unknown report")]
    UnknownReport,
    /// Stars outside 1–5.
    #[error("the rating must be 1 to 5 stars")]
    InvalidStars,
    /// Only a resolved or rejected report may be rated.
    #[error("only a resolved or rejected report can be rated")]
    NotRateable,
    /// A report is rated once.
    #[error("this report is already rated")]
    AlreadyRated,
    /// Only a resolved, rejected or rated report may be reopened.
    #[error("only a resolved, rejected or rated report can be reopened")]
    NotReopenable,
}

impl ReportError {
    /// A stable code for the shells (`unknown_category`, `too_many_photos`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ReportError::UnknownCategory { .. } => "unknown_category",
            ReportError::Empty { .. } => "empty_text",
            ReportError::TooLong { .. } => "text_too_long",
            ReportError::TooManyPhotos { .. } => "too_many_photos",
            ReportError::UnreadablePhoto { .. } => "unreadable_photo",
            ReportError::NoBuilding => "no_building",
            ReportError::ChooseBuilding => "choose_building",
            ReportError::UnknownBuilding => "unknown_building",
            ReportError::UnknownReport => "unknown_report",
            ReportError::InvalidStars => "invalid_stars",
            ReportError::NotRateable => "not_rateable",
            ReportError::AlreadyRated => "already_rated",
            ReportError::NotReopenable => "not_reopenable",
        }
    }
}

/// Checks a required text the way the server does: not blank, at most `max` characters.
pub fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), ReportError> {
    if text.trim().is_empty() {
        return Err(ReportError::Empty { field });
    }
    if text.chars().count() > max {
        return Err(ReportError::TooLong { field, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_match_the_wire_format() {
        for status in [
            ReportStatus::New,
            ReportStatus::Accepted,
            ReportStatus::InProgress,
            ReportStatus::Resolved,
            ReportStatus::Rejected,
            ReportStatus::Rated,
            ReportStatus::Reopened,
        ] {
            let wire = serde_json::to_value(status).unwrap_or_default();
            assert_eq!(wire.as_str(), Some(status.as_str()));
            assert_eq!(ReportStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ReportStatus::parse("done"), None);
    }

    #[test]
    fn texts_are_refused_when_blank_or_too_long_counting_characters_not_bytes() {
        assert_eq!(
            check_text("text", "  \n", 10),
            Err(ReportError::Empty { field: "text" })
        );
        assert_eq!(check_text("text", &"ж".repeat(10), 10), Ok(()));
        assert_eq!(
            check_text("text", &"ж".repeat(11), 10),
            Err(ReportError::TooLong {
                field: "text",
                max: 10
            })
        );
    }
}
