//! [`RatingStore`]: the regulator's criteria per company and the companies of a region.

use async_trait::async_trait;
use connect_core::{api::rating::RatingCriteria, ids::RegionId, property::ManagingCompany};

use super::StoreError;

/// The regional rating's inputs.
#[async_trait]
pub trait RatingStore: Send + Sync {
    /// Inserts or replaces criteria rows by company, all or nothing;
    /// [`StoreError::MissingReference`] when a company is unknown.
    async fn upsert_rating_criteria(
        &self,
        rows: Vec<RatingCriteria>,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// The criteria of the companies of a region, by company id.
    async fn rating_criteria(&self, region: RegionId) -> Result<Vec<RatingCriteria>, StoreError>;
    /// The companies of a region, by id.
    async fn companies_in(&self, region: RegionId) -> Result<Vec<ManagingCompany>, StoreError>;
    /// Regions that have companies, by id.
    async fn company_regions(&self) -> Result<Vec<RegionId>, StoreError>;
}
