//! [`RatingStore`] on PostgreSQL.

use async_trait::async_trait;
use connect_core::{
    api::rating::RatingCriteria, ids::CompanyId, ids::RegionId, property::ManagingCompany,
};
use tokio_postgres::Row;

use super::{PgStore, classify, company_row};
use crate::store::{RatingStore, StoreError};

const COLUMNS: &str = "c.company_id, c.period, c.buildings, c.area_m2, c.years_managed, \
     c.inspections, c.orders_issued, c.orders_unfulfilled, c.penalties, c.undisclosed";

fn count(r: &Row, i: usize) -> Result<u32, StoreError> {
    u32::try_from(r.get::<_, i64>(i)).map_err(|_| StoreError::Corrupt(format!("rating column {i}")))
}

fn criteria_row(r: &Row) -> Result<RatingCriteria, StoreError> {
    Ok(RatingCriteria {
        company_id: CompanyId(r.get(0)),
        period: r.get(1),
        buildings: count(r, 2)?,
        area_m2: r.get(3),
        years_managed: count(r, 4)?,
        inspections: count(r, 5)?,
        orders_issued: count(r, 6)?,
        orders_unfulfilled: count(r, 7)?,
        penalties: count(r, 8)?,
        undisclosed: count(r, 9)?,
    })
}

#[async_trait]
impl RatingStore for PgStore {
    async fn upsert_rating_criteria(
        &self,
        rows: Vec<RatingCriteria>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let stmt = tx
            .prepare(
                "INSERT INTO rating_criteria (company_id, period, buildings, area_m2,
                    years_managed, inspections, orders_issued, orders_unfulfilled, penalties,
                    undisclosed, imported_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (company_id) DO UPDATE SET period = excluded.period,
                    buildings = excluded.buildings, area_m2 = excluded.area_m2,
                    years_managed = excluded.years_managed, inspections = excluded.inspections,
                    orders_issued = excluded.orders_issued,
                    orders_unfulfilled = excluded.orders_unfulfilled,
                    penalties = excluded.penalties, undisclosed = excluded.undisclosed,
                    imported_ms = excluded.imported_ms",
            )
            .await?;
        for r in rows {
            tx.execute(
                &stmt,
                &[
                    &r.company_id.0,
                    &r.period,
                    &i64::from(r.buildings),
                    &r.area_m2,
                    &i64::from(r.years_managed),
                    &i64::from(r.inspections),
                    &i64::from(r.orders_issued),
                    &i64::from(r.orders_unfulfilled),
                    &i64::from(r.penalties),
                    &i64::from(r.undisclosed),
                    &now_ms,
                ],
            )
            .await
            .map_err(classify)?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rating_criteria(&self, region: RegionId) -> Result<Vec<RatingCriteria>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM rating_criteria c
                     JOIN companies co ON co.id = c.company_id
                     WHERE co.region_id = $1 ORDER BY c.company_id"
                ),
                &[&region.0],
            )
            .await?;
        rows.iter().map(criteria_row).collect()
    }

    async fn companies_in(&self, region: RegionId) -> Result<Vec<ManagingCompany>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, name, tax_id, phone, email, region_id FROM companies
                 WHERE region_id = $1 ORDER BY id",
                &[&region.0],
            )
            .await?;
        Ok(rows.iter().map(company_row).collect())
    }

    async fn company_regions(&self) -> Result<Vec<RegionId>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT DISTINCT region_id FROM companies ORDER BY region_id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| RegionId(r.get(0))).collect())
    }
}
