//! Wire types of the public rating of managing companies: the regional regulator's criteria
//! (imported from the CSV it publishes) beside the residents' part computed from reports, and
//! every score with the inputs and arithmetic behind it (the formula: `docs/RATING.md`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CompanyId, RegionId};

/// One company's row of the regulator's rating, as imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingCriteria {
    /// The company.
    pub company_id: CompanyId,
    /// The regulator's period, e.g. `2025-Q4`.
    pub period: String,
    /// Apartment buildings managed.
    pub buildings: u32,
    /// Their total area, m².
    pub area_m2: f64,
    /// Years the company has managed buildings (under its licence).
    pub years_managed: u32,
    /// Inspections of the company in the period.
    pub inspections: u32,
    /// Orders (предписания) issued to it.
    pub orders_issued: u32,
    /// Of those, not fulfilled by their deadline.
    pub orders_unfulfilled: u32,
    /// Administrative penalties imposed.
    pub penalties: u32,
    /// Violations of the information-disclosure standard (reports not disclosed).
    pub undisclosed: u32,
}

/// One term of a score: what went in, the arithmetic, and the points it gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreTerm {
    /// Stable key (`orders_fulfilled`, `average_rating`, …).
    pub key: String,
    /// What it measures, for people.
    pub label: String,
    /// The inputs in words and numbers.
    pub inputs: String,
    /// The arithmetic with the numbers put in; "not scored: …" when an input is missing.
    pub formula: String,
    /// Points earned; `None` when the term could not be scored.
    pub points: Option<f64>,
    /// Points this term is worth.
    pub max_points: f64,
}

/// A part of the rating (the regulator's or the residents'), 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScorePart {
    /// 100 × points earned / points possible over the scored terms; `None` when no term scored.
    pub score: Option<f64>,
    /// That sentence with the numbers.
    pub explanation: String,
    /// The terms.
    pub terms: Vec<ScoreTerm>,
}

/// What residents' reports say about a company.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResidentFigures {
    /// Reports filed about its buildings.
    pub reports: u32,
    /// Reports whose deadline decided them: answered, or still open past the deadline.
    pub decided: u32,
    /// Of those, answered (resolved or rejected) by the deadline.
    pub answered_on_time: u32,
    /// Distinct residents who rated.
    pub residents_rated: u32,
    /// Rated reports.
    pub ratings: u32,
    /// Ratings of 4 or 5.
    pub positive: u32,
    /// Ratings of 1 or 2.
    pub negative: u32,
    /// Mean stars of the rated reports.
    pub average_rating: Option<f64>,
    /// `answered_on_time / decided`.
    pub on_time_share: Option<f64>,
}

/// One company in the rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyRating {
    /// Place by total (1 = best); `None` when the company has no score at all.
    pub rank: Option<u32>,
    /// The company.
    pub company_id: CompanyId,
    /// Its name.
    pub name: String,
    /// Mean of the parts that have a score, 0–100.
    pub total: Option<f64>,
    /// The arithmetic of the total.
    pub total_explanation: String,
    /// The regulator's row, when imported.
    pub criteria: Option<RatingCriteria>,
    /// The regulator's part.
    pub regulator: ScorePart,
    /// The residents' figures.
    pub resident_figures: ResidentFigures,
    /// The residents' part.
    pub residents: ScorePart,
}

/// `GET /v1/rating?region=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingResponse {
    /// The region.
    pub region_id: RegionId,
    /// Computed at (server clock; overdue and on-time depend on it).
    pub generated_at: DateTime<Utc>,
    /// Companies by rank, unrated ones last by name.
    pub companies: Vec<CompanyRating>,
}

/// The result of importing the regulator's CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingImportResponse {
    /// Rows imported (created or replaced).
    pub imported: usize,
    /// Rows refused, with their line.
    pub errors: Vec<crate::api::outages::ImportRowError>,
}
