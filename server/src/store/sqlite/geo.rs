//! SQLite side of [`GeoStore`]: building footprints per region (migration `0004_geo.sql`).

use async_trait::async_trait;
use connect_core::ids::{BuildingId, CompanyId, RegionId};
use rusqlite::{Row, params};

use super::SqliteStore;
use crate::store::{FootprintRow, GeoStore, ManagerKey, RegionSummary, StoreError};

fn footprint_row(r: &Row<'_>) -> rusqlite::Result<FootprintRow> {
    Ok(FootprintRow {
        building_id: BuildingId(r.get(0)?),
        region: RegionId(r.get(1)?),
        address: r.get(2)?,
        company: r.get::<_, Option<String>>(3)?.map(CompanyId),
        area_m2: r.get(4)?,
        footprint: r.get(5)?,
    })
}

#[async_trait]
impl GeoStore for SqliteStore {
    async fn upsert_footprints(
        &self,
        rows: Vec<FootprintRow>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let mut stmt = tx.prepare(
                "INSERT INTO geo_footprints
                    (building_id, region_id, address, company_id, area_m2, footprint, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (building_id) DO UPDATE SET region_id = excluded.region_id,
                    address = excluded.address, company_id = excluded.company_id,
                    area_m2 = excluded.area_m2, footprint = excluded.footprint,
                    updated_ms = excluded.updated_ms",
            )?;
            for f in rows {
                stmt.execute(params![
                    f.building_id.0,
                    f.region.0,
                    f.address,
                    f.company.map(|c| c.0),
                    f.area_m2,
                    f.footprint,
                    now_ms
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn footprints(&self, region: RegionId) -> Result<Vec<FootprintRow>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT building_id, region_id, address, company_id, area_m2, footprint
                 FROM geo_footprints WHERE region_id = ?1 ORDER BY building_id",
            )?;
            let rows = stmt
                .query_map([region.0], footprint_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn geo_regions(&self) -> Result<Vec<RegionSummary>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT region_id, count(*), max(updated_ms) FROM geo_footprints
                 GROUP BY region_id ORDER BY region_id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(RegionSummary {
                        region: RegionId(r.get(0)?),
                        buildings: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        updated_ms: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn assign_managers(
        &self,
        assignments: Vec<(ManagerKey, Option<CompanyId>)>,
        now_ms: i64,
    ) -> Result<Vec<Vec<RegionId>>, StoreError> {
        self.write(move |tx| {
            let mut by_id = tx.prepare(
                "UPDATE geo_footprints SET company_id = ?2, updated_ms = ?3
                 WHERE building_id = ?1 RETURNING region_id",
            )?;
            let mut by_address = tx.prepare(
                "UPDATE geo_footprints SET company_id = ?2, updated_ms = ?3
                 WHERE address = ?1 RETURNING region_id",
            )?;
            let mut out = Vec::with_capacity(assignments.len());
            for (key, company) in assignments {
                let company = company.map(|c| c.0);
                let stmt = match &key {
                    ManagerKey::Building(_) => &mut by_id,
                    ManagerKey::Address(_) => &mut by_address,
                };
                let k = match key {
                    ManagerKey::Building(b) => b.0,
                    ManagerKey::Address(a) => a,
                };
                let regions = stmt
                    .query_map(params![k, company, now_ms], |r| {
                        Ok(RegionId(r.get::<_, String>(0)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(regions);
            }
            Ok(out)
        })
        .await
    }
}
