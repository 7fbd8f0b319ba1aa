//! SQLite side of [`OutageStore`]: outages with their building list, and repairs. Times are unix
//! millis, ids text.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use connect_core::{
    api::outages::Repair,
    ids::{BuildingId, CompanyId, OutageId, UserId},
    outages::{Outage, OutageKind},
    property::{Building, UtilityKind},
};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{SqliteStore, building_row, classify};
use crate::store::{BBox, OutageRecord, OutageStore, StoreError};

const COLUMNS: &str = "id, company_id, utility, kind, starts_at, expected_end_at, ended_at, \
                       description, updated_at";

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

type RawRow = (
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    i64,
);

fn raw(r: &rusqlite::Row<'_>) -> Result<RawRow, rusqlite::Error> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

/// Turns raw rows into records, loading each outage's buildings.
fn records(conn: &Connection, rows: Vec<RawRow>) -> Result<Vec<OutageRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT building_id FROM outage_buildings WHERE outage_id = ?1 ORDER BY building_id",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, company, utility, kind, starts, expected, ended, description, updated) in rows {
        let building_ids = stmt
            .query_map([&id], |r| r.get::<_, String>(0).map(BuildingId))?
            .collect::<Result<Vec<_>, _>>()?;
        out.push(OutageRecord {
            outage: Outage {
                id: OutageId(
                    Uuid::parse_str(&id)
                        .map_err(|_| StoreError::Corrupt(format!("outage id {id:?}")))?,
                ),
                utility: UtilityKind::parse(&utility)
                    .ok_or_else(|| StoreError::Corrupt(format!("utility {utility:?}")))?,
                kind: OutageKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("outage kind {kind:?}")))?,
                starts_at: ts(starts),
                expected_end_at: expected.map(ts),
                ended_at: ended.map(ts),
                building_ids,
                description,
                updated_at: ts(updated),
            },
            company_id: company.map(CompanyId),
        });
    }
    Ok(out)
}

fn query(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<OutageRecord>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map(params, raw)?
        .collect::<Result<Vec<_>, _>>()?;
    records(conn, rows)
}

fn bbox_params(b: Option<BBox>) -> [f64; 4] {
    match b {
        Some(b) => [b.west, b.south, b.east, b.north],
        None => [-180.0, -90.0, 180.0, 90.0],
    }
}

#[async_trait]
impl OutageStore for SqliteStore {
    async fn put_outage(&self, record: OutageRecord) -> Result<(), StoreError> {
        self.write(move |tx| {
            let o = &record.outage;
            let id = o.id.0.to_string();
            tx.execute(
                &format!(
                    "INSERT INTO outages ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (id) DO UPDATE SET company_id = excluded.company_id,
                        utility = excluded.utility, kind = excluded.kind,
                        starts_at = excluded.starts_at, expected_end_at = excluded.expected_end_at,
                        ended_at = excluded.ended_at, description = excluded.description,
                        updated_at = excluded.updated_at"
                ),
                params![
                    id,
                    record.company_id.as_ref().map(|c| c.0.clone()),
                    o.utility.as_str(),
                    o.kind.as_str(),
                    o.starts_at.timestamp_millis(),
                    o.expected_end_at.map(|t| t.timestamp_millis()),
                    o.ended_at.map(|t| t.timestamp_millis()),
                    o.description,
                    o.updated_at.timestamp_millis(),
                ],
            )
            .map_err(classify)?;
            let listed = serde_json::to_string(&o.building_ids.iter().map(|b| &b.0).collect::<Vec<_>>())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO outage_removals (outage_id, building_id, removed_at)
                 SELECT outage_id, building_id, ?2 FROM outage_buildings
                 WHERE outage_id = ?1 AND building_id NOT IN (SELECT value FROM json_each(?3))
                 ON CONFLICT (outage_id, building_id) DO UPDATE SET removed_at = excluded.removed_at",
                params![id, o.updated_at.timestamp_millis(), listed],
            )?;
            tx.execute(
                "DELETE FROM outage_removals
                 WHERE outage_id = ?1 AND building_id IN (SELECT value FROM json_each(?2))",
                params![id, listed],
            )?;
            tx.execute("DELETE FROM outage_buildings WHERE outage_id = ?1", [&id])?;
            let mut stmt = tx.prepare(
                "INSERT OR IGNORE INTO outage_buildings (outage_id, building_id) VALUES (?1, ?2)",
            )?;
            for b in &o.building_ids {
                stmt.execute(params![id, b.0]).map_err(classify)?;
            }
            Ok(())
        })
        .await
    }

    async fn outage(&self, id: OutageId) -> Result<Option<OutageRecord>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM outages WHERE id = ?1"),
                    [id.0.to_string()],
                    raw,
                )
                .optional()?;
            Ok(records(conn, row.into_iter().collect())?.pop())
        })
        .await
    }

    async fn outages_in(&self, bbox: Option<BBox>) -> Result<Vec<Outage>, StoreError> {
        let [w, s, e, n] = bbox_params(bbox);
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM outages WHERE id IN (
                    SELECT ob.outage_id FROM outage_buildings ob
                    JOIN buildings b ON b.id = ob.building_id
                    WHERE b.lon >= ?1 AND b.lat >= ?2 AND b.lon <= ?3 AND b.lat <= ?4)
                 ORDER BY starts_at, id"
            );
            Ok(query(conn, &sql, params![w, s, e, n])?
                .into_iter()
                .map(|r| r.outage)
                .collect())
        })
        .await
    }

    async fn outages_for_buildings(
        &self,
        buildings: Vec<BuildingId>,
        since_ms: i64,
    ) -> Result<Vec<Outage>, StoreError> {
        self.read(move |conn| {
            let ids = serde_json::to_string(&buildings.iter().map(|b| &b.0).collect::<Vec<_>>())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let sql = format!(
                "SELECT {COLUMNS} FROM outages WHERE updated_at > ?2 AND id IN (
                    SELECT outage_id FROM outage_buildings
                    WHERE building_id IN (SELECT value FROM json_each(?1)))
                 ORDER BY updated_at, id"
            );
            Ok(query(conn, &sql, params![ids, since_ms])?
                .into_iter()
                .map(|r| r.outage)
                .collect())
        })
        .await
    }

    async fn buildings_in(&self, bbox: Option<BBox>) -> Result<Vec<Building>, StoreError> {
        let [w, s, e, n] = bbox_params(bbox);
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, address, company_id, region_id, lat, lon FROM buildings
                 WHERE lon >= ?1 AND lat >= ?2 AND lon <= ?3 AND lat <= ?4 ORDER BY id",
            )?;
            let rows = stmt
                .query_map(params![w, s, e, n], building_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn resident_buildings(&self, user: UserId) -> Result<Vec<BuildingId>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT DISTINCT a.building_id FROM resident_apartments r
                 JOIN apartments a ON a.id = r.apartment_id
                 WHERE r.user_id = ?1 ORDER BY a.building_id",
            )?;
            let rows = stmt
                .query_map([user.0.to_string()], |r| {
                    r.get::<_, String>(0).map(BuildingId)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn outage_removals(
        &self,
        buildings: Vec<BuildingId>,
        since_ms: i64,
    ) -> Result<Vec<(OutageId, i64)>, StoreError> {
        self.read(move |conn| {
            let ids = serde_json::to_string(&buildings.iter().map(|b| &b.0).collect::<Vec<_>>())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let mut stmt = conn.prepare(
                "SELECT outage_id, MAX(removed_at) FROM outage_removals
                 WHERE removed_at > ?2 AND building_id IN (SELECT value FROM json_each(?1))
                 GROUP BY outage_id ORDER BY outage_id",
            )?;
            let rows = stmt
                .query_map(params![ids, since_ms], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(id, at)| {
                    let id = Uuid::parse_str(&id)
                        .map_err(|_| StoreError::Corrupt(format!("outage id {id:?}")))?;
                    Ok((OutageId(id), at))
                })
                .collect()
        })
        .await
    }

    async fn add_repair(&self, repair: Repair) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO repairs (building_id, title, date, done) VALUES (?1, ?2, ?3, ?4)",
                params![
                    repair.building_id.0,
                    repair.title,
                    repair.date.to_string(),
                    repair.done
                ],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn repairs(&self, building: BuildingId) -> Result<Vec<Repair>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT title, date, done FROM repairs WHERE building_id = ?1
                 ORDER BY date DESC, id DESC",
            )?;
            let rows = stmt
                .query_map([&building.0], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(title, date, done)| {
                    Ok(Repair {
                        building_id: building.clone(),
                        title,
                        date: date
                            .parse::<NaiveDate>()
                            .map_err(|_| StoreError::Corrupt(format!("repair date {date:?}")))?,
                        done,
                    })
                })
                .collect()
        })
        .await
    }
}
