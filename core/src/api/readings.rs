//! Readings upload: `POST /v1/readings:batch` and per-meter history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    ids::{MeterId, ReadingId},
    readings::{Reading, TariffValue},
};

/// `POST /v1/readings:batch`: many queued readings in one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadingBatchRequest {
    /// The readings, in queue order.
    pub items: Vec<Reading>,
}

/// One outcome per submitted item, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadingBatchResponse {
    /// Outcomes.
    pub results: Vec<ReadingResult>,
}

/// The outcome for one reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadingResult {
    /// The reading's id.
    pub id: ReadingId,
    /// What the server did with it.
    #[serde(flatten)]
    pub outcome: ReadingOutcome,
}

/// What the server did with one reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReadingOutcome {
    /// Stored now.
    Accepted {
        /// Server time of storage.
        received_at: DateTime<Utc>,
        /// Submitted outside the provider's window (kept, marked late).
        late: bool,
    },
    /// Stored before with the same content: treat as accepted.
    Duplicate {
        /// Server time of the first storage.
        received_at: DateTime<Utc>,
    },
    /// The id exists with other content; nothing was written.
    Conflict,
    /// Refused by a validation rule; nothing was written.
    Rejected {
        /// Stable rule code.
        code: String,
        /// Message for the resident.
        message: String,
    },
}

/// A stored reading as history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredReading {
    /// Id.
    pub id: ReadingId,
    /// Meter.
    pub meter_id: MeterId,
    /// Values.
    pub values: Vec<TariffValue>,
    /// Device time.
    pub taken_at: DateTime<Utc>,
    /// Server time.
    pub received_at: DateTime<Utc>,
    /// Outside the submission window.
    pub late: bool,
}

/// `GET /v1/meters/{id}/readings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadingHistoryResponse {
    /// Newest first.
    pub readings: Vec<StoredReading>,
}
