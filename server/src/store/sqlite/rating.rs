//! [`RatingStore`] on SQLite.

use async_trait::async_trait;
use connect_core::{
    api::rating::RatingCriteria, ids::CompanyId, ids::RegionId, property::ManagingCompany,
};
use rusqlite::{Row, params};

use super::{SqliteStore, classify, company_row};
use crate::store::{RatingStore, StoreError};

const COLUMNS: &str = "c.company_id, c.period, c.buildings, c.area_m2, c.years_managed, \
     c.inspections, c.orders_issued, c.orders_unfulfilled, c.penalties, c.undisclosed";

fn criteria_row(r: &Row<'_>) -> Result<RatingCriteria, rusqlite::Error> {
    Ok(RatingCriteria {
        company_id: CompanyId(r.get(0)?),
        period: r.get(1)?,
        buildings: r.get(2)?,
        area_m2: r.get(3)?,
        years_managed: r.get(4)?,
        inspections: r.get(5)?,
        orders_issued: r.get(6)?,
        orders_unfulfilled: r.get(7)?,
        penalties: r.get(8)?,
        undisclosed: r.get(9)?,
    })
}

#[async_trait]
impl RatingStore for SqliteStore {
    async fn upsert_rating_criteria(
        &self,
        rows: Vec<RatingCriteria>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let mut stmt = tx.prepare(
                "INSERT INTO rating_criteria (company_id, period, buildings, area_m2,
                    years_managed, inspections, orders_issued, orders_unfulfilled, penalties,
                    undisclosed, imported_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (company_id) DO UPDATE SET period = excluded.period,
                    buildings = excluded.buildings, area_m2 = excluded.area_m2,
                    years_managed = excluded.years_managed, inspections = excluded.inspections,
                    orders_issued = excluded.orders_issued,
                    orders_unfulfilled = excluded.orders_unfulfilled,
                    penalties = excluded.penalties, undisclosed = excluded.undisclosed,
                    imported_ms = excluded.imported_ms",
            )?;
            for c in rows {
                stmt.execute(params![
                    c.company_id.0,
                    c.period,
                    c.buildings,
                    c.area_m2,
                    c.years_managed,
                    c.inspections,
                    c.orders_issued,
                    c.orders_unfulfilled,
                    c.penalties,
                    c.undisclosed,
                    now_ms
                ])
                .map_err(classify)?;
            }
            Ok(())
        })
        .await
    }

    async fn rating_criteria(&self, region: RegionId) -> Result<Vec<RatingCriteria>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM rating_criteria c
                 JOIN companies co ON co.id = c.company_id
                 WHERE co.region_id = ?1 ORDER BY c.company_id"
            ))?;
            let rows = stmt
                .query_map([region.0], criteria_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn companies_in(&self, region: RegionId) -> Result<Vec<ManagingCompany>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, tax_id, phone, email, region_id FROM companies
                 WHERE region_id = ?1 ORDER BY id",
            )?;
            let rows = stmt
                .query_map([region.0], company_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn company_regions(&self) -> Result<Vec<RegionId>, StoreError> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare("SELECT DISTINCT region_id FROM companies ORDER BY region_id")?;
            let rows = stmt
                .query_map([], |r| r.get(0).map(RegionId))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}
