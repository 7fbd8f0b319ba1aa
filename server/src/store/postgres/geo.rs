//! PostgreSQL side of [`GeoStore`]: building footprints per region (migration `0004_geo.sql`).

use async_trait::async_trait;
use connect_core::ids::{BuildingId, CompanyId, RegionId};

use super::PgStore;
use crate::store::{FootprintRow, GeoStore, ManagerKey, RegionSummary, StoreError};

#[async_trait]
impl GeoStore for PgStore {
    async fn upsert_footprints(
        &self,
        rows: Vec<FootprintRow>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let stmt = tx
            .prepare(
                "INSERT INTO geo_footprints
                    (building_id, region_id, address, company_id, area_m2, footprint, updated_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (building_id) DO UPDATE SET region_id = excluded.region_id,
                    address = excluded.address, company_id = excluded.company_id,
                    area_m2 = excluded.area_m2, footprint = excluded.footprint,
                    updated_ms = excluded.updated_ms",
            )
            .await?;
        for f in &rows {
            let company = f.company.as_ref().map(|c| c.0.as_str());
            tx.execute(
                &stmt,
                &[
                    &f.building_id.0,
                    &f.region.0,
                    &f.address,
                    &company,
                    &f.area_m2,
                    &f.footprint,
                    &now_ms,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn footprints(&self, region: RegionId) -> Result<Vec<FootprintRow>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT building_id, region_id, address, company_id, area_m2, footprint
                 FROM geo_footprints WHERE region_id = $1 ORDER BY building_id",
                &[&region.0],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(FootprintRow {
                    building_id: BuildingId(r.try_get(0)?),
                    region: RegionId(r.try_get(1)?),
                    address: r.try_get(2)?,
                    company: r.try_get::<_, Option<String>>(3)?.map(CompanyId),
                    area_m2: r.try_get(4)?,
                    footprint: r.try_get(5)?,
                })
            })
            .collect()
    }

    async fn geo_regions(&self) -> Result<Vec<RegionSummary>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT region_id, count(*), max(updated_ms) FROM geo_footprints
                 GROUP BY region_id ORDER BY region_id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RegionSummary {
                    region: RegionId(r.try_get(0)?),
                    buildings: u64::try_from(r.try_get::<_, i64>(1)?).unwrap_or(0),
                    updated_ms: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn assign_managers(
        &self,
        assignments: Vec<(ManagerKey, Option<CompanyId>)>,
        now_ms: i64,
    ) -> Result<Vec<Vec<RegionId>>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let by_id = tx
            .prepare(
                "UPDATE geo_footprints SET company_id = $2, updated_ms = $3
                 WHERE building_id = $1 RETURNING region_id",
            )
            .await?;
        let by_address = tx
            .prepare(
                "UPDATE geo_footprints SET company_id = $2, updated_ms = $3
                 WHERE address = $1 RETURNING region_id",
            )
            .await?;
        let mut out = Vec::with_capacity(assignments.len());
        for (key, company) in &assignments {
            let company = company.as_ref().map(|c| c.0.as_str());
            let (stmt, k) = match key {
                ManagerKey::Building(b) => (&by_id, b.0.as_str()),
                ManagerKey::Address(a) => (&by_address, a.as_str()),
            };
            let rows = tx.query(stmt, &[&k, &company, &now_ms]).await?;
            out.push(
                rows.iter()
                    .map(|r| Ok(RegionId(r.try_get(0)?)))
                    .collect::<Result<Vec<_>, StoreError>>()?,
            );
        }
        tx.commit().await?;
        Ok(out)
    }
}
