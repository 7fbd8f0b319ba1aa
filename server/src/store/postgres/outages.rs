//! PostgreSQL side of [`OutageStore`]: outages with their building list, and repairs, each
//! multi-statement change in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use connect_core::{
    api::outages::Repair,
    ids::{BuildingId, CompanyId, OutageId, UserId},
    outages::{Outage, OutageKind},
    property::{Building, UtilityKind},
};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use super::{PgStore, building_row, classify};
use crate::store::{BBox, OutageRecord, OutageStore, StoreError};

const COLUMNS: &str = "id, company_id, utility, kind, starts_at, expected_end_at, ended_at, \
                       description, updated_at";

async fn records(c: &impl GenericClient, rows: Vec<Row>) -> Result<Vec<OutageRecord>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: Uuid = r.get(0);
        let utility: String = r.get(2);
        let kind: String = r.get(3);
        let building_ids = c
            .query(
                "SELECT building_id FROM outage_buildings WHERE outage_id = $1 ORDER BY building_id",
                &[&id],
            )
            .await?
            .iter()
            .map(|b| BuildingId(b.get(0)))
            .collect();
        out.push(OutageRecord {
            outage: Outage {
                id: OutageId(id),
                utility: UtilityKind::parse(&utility)
                    .ok_or_else(|| StoreError::Corrupt(format!("utility {utility:?}")))?,
                kind: OutageKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("outage kind {kind:?}")))?,
                starts_at: r.get::<_, DateTime<Utc>>(4),
                expected_end_at: r.get(5),
                ended_at: r.get(6),
                building_ids,
                description: r.get(7),
                updated_at: r.get(8),
            },
            company_id: r.get::<_, Option<String>>(1).map(CompanyId),
        });
    }
    Ok(out)
}

fn bbox_params(b: Option<BBox>) -> [f64; 4] {
    match b {
        Some(b) => [b.west, b.south, b.east, b.north],
        None => [-180.0, -90.0, 180.0, 90.0],
    }
}

#[async_trait]
impl OutageStore for PgStore {
    async fn put_outage(&self, record: OutageRecord) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let o = &record.outage;
        let company = record.company_id.as_ref().map(|c| c.0.clone());
        tx.execute(
            &format!(
                "INSERT INTO outages ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET company_id = excluded.company_id,
                    utility = excluded.utility, kind = excluded.kind,
                    starts_at = excluded.starts_at, expected_end_at = excluded.expected_end_at,
                    ended_at = excluded.ended_at, description = excluded.description,
                    updated_at = excluded.updated_at"
            ),
            &[
                &o.id.0,
                &company,
                &o.utility.as_str(),
                &o.kind.as_str(),
                &o.starts_at,
                &o.expected_end_at,
                &o.ended_at,
                &o.description,
                &o.updated_at,
            ],
        )
        .await
        .map_err(classify)?;
        let ids: Vec<&str> = o.building_ids.iter().map(|b| b.0.as_str()).collect();
        tx.execute(
            "INSERT INTO outage_removals (outage_id, building_id, removed_at)
             SELECT outage_id, building_id, $2 FROM outage_buildings
             WHERE outage_id = $1 AND building_id <> ALL($3::text[])
             ON CONFLICT (outage_id, building_id) DO UPDATE SET removed_at = excluded.removed_at",
            &[&o.id.0, &o.updated_at, &ids],
        )
        .await?;
        tx.execute(
            "DELETE FROM outage_removals WHERE outage_id = $1 AND building_id = ANY($2::text[])",
            &[&o.id.0, &ids],
        )
        .await?;
        tx.execute(
            "DELETE FROM outage_buildings WHERE outage_id = $1",
            &[&o.id.0],
        )
        .await?;
        tx.execute(
            "INSERT INTO outage_buildings (outage_id, building_id)
             SELECT $1, b FROM unnest($2::text[]) AS b ON CONFLICT DO NOTHING",
            &[&o.id.0, &ids],
        )
        .await
        .map_err(classify)?;
        tx.commit().await?;
        Ok(())
    }

    async fn outage(&self, id: OutageId) -> Result<Option<OutageRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {COLUMNS} FROM outages WHERE id = $1"),
                &[&id.0],
            )
            .await?;
        Ok(records(&**c, rows).await?.pop())
    }

    async fn outages_in(&self, bbox: Option<BBox>) -> Result<Vec<Outage>, StoreError> {
        let [w, s, e, n] = bbox_params(bbox);
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM outages WHERE id IN (
                        SELECT ob.outage_id FROM outage_buildings ob
                        JOIN buildings b ON b.id = ob.building_id
                        WHERE b.lon >= $1 AND b.lat >= $2 AND b.lon <= $3 AND b.lat <= $4)
                     ORDER BY starts_at, id"
                ),
                &[&w, &s, &e, &n],
            )
            .await?;
        Ok(records(&**c, rows)
            .await?
            .into_iter()
            .map(|r| r.outage)
            .collect())
    }

    async fn outages_for_buildings(
        &self,
        buildings: Vec<BuildingId>,
        since_ms: i64,
    ) -> Result<Vec<Outage>, StoreError> {
        let c = self.client().await?;
        let ids: Vec<&str> = buildings.iter().map(|b| b.0.as_str()).collect();
        let since = DateTime::from_timestamp_millis(since_ms).unwrap_or_default();
        let rows = c
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM outages WHERE updated_at > $2 AND id IN (
                        SELECT outage_id FROM outage_buildings WHERE building_id = ANY($1))
                     ORDER BY updated_at, id"
                ),
                &[&ids, &since],
            )
            .await?;
        Ok(records(&**c, rows)
            .await?
            .into_iter()
            .map(|r| r.outage)
            .collect())
    }

    async fn buildings_in(&self, bbox: Option<BBox>) -> Result<Vec<Building>, StoreError> {
        let [w, s, e, n] = bbox_params(bbox);
        let c = self.client().await?;
        Ok(c.query(
            "SELECT id, address, company_id, region_id, lat, lon FROM buildings
             WHERE lon >= $1 AND lat >= $2 AND lon <= $3 AND lat <= $4 ORDER BY id",
            &[&w, &s, &e, &n],
        )
        .await?
        .iter()
        .map(building_row)
        .collect())
    }

    async fn resident_buildings(&self, user: UserId) -> Result<Vec<BuildingId>, StoreError> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT DISTINCT a.building_id FROM resident_apartments r
             JOIN apartments a ON a.id = r.apartment_id
             WHERE r.user_id = $1 ORDER BY a.building_id",
            &[&user.0],
        )
        .await?
        .iter()
        .map(|r| BuildingId(r.get(0)))
        .collect())
    }

    async fn outage_removals(
        &self,
        buildings: Vec<BuildingId>,
        since_ms: i64,
    ) -> Result<Vec<(OutageId, i64)>, StoreError> {
        let c = self.client().await?;
        let ids: Vec<&str> = buildings.iter().map(|b| b.0.as_str()).collect();
        let since = DateTime::from_timestamp_millis(since_ms).unwrap_or_default();
        Ok(c.query(
            "SELECT outage_id, MAX(removed_at) FROM outage_removals
             WHERE removed_at > $2 AND building_id = ANY($1)
             GROUP BY outage_id ORDER BY outage_id",
            &[&ids, &since],
        )
        .await?
        .iter()
        .map(|r| {
            (
                OutageId(r.get(0)),
                r.get::<_, DateTime<Utc>>(1).timestamp_millis(),
            )
        })
        .collect())
    }

    async fn add_repair(&self, repair: Repair) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO repairs (building_id, title, date, done) VALUES ($1, $2, $3, $4)",
            &[
                &repair.building_id.0,
                &repair.title,
                &repair.date,
                &repair.done,
            ],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn repairs(&self, building: BuildingId) -> Result<Vec<Repair>, StoreError> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT title, date, done FROM repairs WHERE building_id = $1
             ORDER BY date DESC, id DESC",
            &[&building.0],
        )
        .await?
        .iter()
        .map(|r| Repair {
            building_id: building.clone(),
            title: r.get(0),
            date: r.get::<_, NaiveDate>(1),
            done: r.get(2),
        })
        .collect())
    }
}
