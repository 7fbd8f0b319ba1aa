//! Outages cached on the phone: the ones hitting the resident's buildings (from sync) and nearby
//! ones (from a map area), each with the server's change stamp and the time this device got it,
//! so the app shows them offline and says how fresh they are.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{
    ids::OutageId,
    outages::{Outage, OutageState, sort_for_resident},
    store::Error,
};

/// One cached outage with what the app shows about it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct OutageItem {
    /// The server's record.
    pub outage: Outage,
    /// Affected now, planned or restored, at the time of the call.
    pub state: OutageState,
    /// It hits one of the resident's buildings.
    pub mine: bool,
    /// When this device last received it.
    pub fetched_at: DateTime<Utc>,
    /// Where to draw it: the position of the first of its buildings this device knows (the
    /// resident's homes), or none.
    pub lat: Option<f64>,
    /// See [`OutageItem::lat`].
    pub lon: Option<f64>,
}

/// Stores outages from a pull; returns those that are new or whose server stamp changed (the
/// ones to tell the resident about). `mine` marks outages hitting the resident's buildings; a
/// nearby refresh never clears that mark.
pub fn merge(
    tx: &Transaction<'_>,
    outages: &[Outage],
    mine: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Outage>, Error> {
    let mut changed = Vec::new();
    for o in outages {
        let id = o.id.0.to_string();
        let stamp = o.updated_at.to_rfc3339();
        let previous: Option<String> = tx
            .query_row("SELECT updated_at FROM outages WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(Error::Read)?;
        if previous.as_deref() != Some(stamp.as_str()) {
            changed.push(o.clone());
        }
        let record = serde_json::to_string(o).map_err(|_| Error::Corrupt { what: "outage" })?;
        tx.execute(
            "INSERT INTO outages (id, record, updated_at, fetched_at, mine)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record,
                updated_at = excluded.updated_at, fetched_at = excluded.fetched_at,
                mine = max(outages.mine, excluded.mine)",
            params![id, record, stamp, now.to_rfc3339(), mine],
        )
        .map_err(Error::Write)?;
    }
    Ok(changed)
}

/// What the resident must be told after a pull: each of their outages that is new or changed on
/// the server (`changed`), was never told (first seen on the map, then found to be theirs), or
/// whose state moved on by the clock alone (a planned outage started, an expected end passed).
/// Records the state told, so each transition is told once; returns (outage, state now).
pub fn notifications(
    tx: &Transaction<'_>,
    changed: &[OutageId],
    now: DateTime<Utc>,
) -> Result<Vec<(OutageId, OutageState)>, Error> {
    let rows = {
        let mut stmt = tx
            .prepare("SELECT record, notified_state FROM outages WHERE mine = 1 ORDER BY id")
            .map_err(Error::Read)?;
        stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .map_err(Error::Read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Read)?
    };
    let mut out = Vec::new();
    for (record, told) in rows {
        let outage: Outage =
            serde_json::from_str(&record).map_err(|_| Error::Corrupt { what: "outage" })?;
        let state = outage.state_at(now);
        let told = told.as_deref().and_then(OutageState::parse);
        if changed.contains(&outage.id) || told != Some(state) {
            tx.execute(
                "UPDATE outages SET notified_state = ?2 WHERE id = ?1",
                params![outage.id.0.to_string(), state.as_str()],
            )
            .map_err(Error::Write)?;
            out.push((outage.id, state));
        }
    }
    Ok(out)
}

/// Drops outages the server says no longer hit the resident's buildings; returns those that were
/// cached as the resident's (the ones to tell about).
pub fn withdraw(tx: &Transaction<'_>, ids: &[OutageId]) -> Result<Vec<OutageId>, Error> {
    let mut dropped = Vec::new();
    for id in ids {
        let n = tx
            .execute(
                "DELETE FROM outages WHERE id = ?1 AND mine = 1",
                [id.0.to_string()],
            )
            .map_err(Error::Write)?;
        if n > 0 {
            dropped.push(*id);
        }
    }
    Ok(dropped)
}

/// Every cached outage, the resident's first, then affected-now before planned before restored.
pub fn list(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<OutageItem>, Error> {
    let mut stmt = conn
        .prepare("SELECT record, fetched_at, mine FROM outages")
        .map_err(Error::Read)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })
        .map_err(Error::Read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Read)?;
    let mut positions: HashMap<String, (f64, f64)> = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT id, lat, lon FROM buildings WHERE lat IS NOT NULL AND lon IS NOT NULL")
        .map_err(Error::Read)?;
    let known = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))
        .map_err(Error::Read)?;
    for row in known {
        let (id, at) = row.map_err(Error::Read)?;
        positions.insert(id, at);
    }
    let mut items = Vec::with_capacity(rows.len());
    for (record, fetched, mine) in rows {
        let outage: Outage =
            serde_json::from_str(&record).map_err(|_| Error::Corrupt { what: "outage" })?;
        let fetched_at = DateTime::parse_from_rfc3339(&fetched)
            .map_err(|_| Error::Corrupt {
                what: "outage fetch time",
            })?
            .with_timezone(&Utc);
        let at = outage
            .building_ids
            .iter()
            .find_map(|b| positions.get(&b.0).copied());
        items.push(OutageItem {
            lat: at.map(|p| p.0),
            lon: at.map(|p| p.1),
            state: outage.state_at(now),
            outage,
            mine,
            fetched_at,
        });
    }
    let mine: Vec<_> = items
        .iter()
        .filter(|i| i.mine)
        .flat_map(|i| i.outage.building_ids.clone())
        .collect();
    let mut outages: Vec<Outage> = items.iter().map(|i| i.outage.clone()).collect();
    sort_for_resident(&mut outages, &mine, now);
    let order: Vec<_> = outages.iter().map(|o| o.id).collect();
    items.sort_by_key(|i| (!i.mine, order.iter().position(|id| *id == i.outage.id)));
    Ok(items)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::{
        ids::{BuildingId, OutageId},
        outages::OutageKind,
        property::UtilityKind,
        store::Store,
    };

    fn outage(n: u128, start_h: u32, stamp_min: u32) -> Outage {
        let at = |h, m| {
            Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0)
                .single()
                .unwrap()
        };
        Outage {
            id: OutageId(Uuid::from_u128(n)),
            utility: UtilityKind::Heating,
            kind: OutageKind::Emergency,
            starts_at: at(start_h, 0),
            expected_end_at: None,
            ended_at: None,
            building_ids: vec![BuildingId(format!("b{n}"))],
            description: "pipe".into(),
            updated_at: at(1, stamp_min),
        }
    }

    #[test]
    fn only_new_or_restamped_outages_count_as_changes_and_all_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.db");
        let key = [7u8; 32];
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
            .single()
            .unwrap();
        {
            let store = Store::open(&path, &key).unwrap();
            let first = store
                .write(|tx| merge(tx, &[outage(1, 10, 0), outage(2, 14, 0)], true, now))
                .unwrap();
            assert_eq!(first.len(), 2);
            let again = store
                .write(|tx| merge(tx, &[outage(1, 10, 0), outage(2, 14, 5)], true, now))
                .unwrap();
            assert_eq!(
                again.iter().map(|o| o.id.0.as_u128()).collect::<Vec<_>>(),
                [2]
            );
            // A nearby refresh of the same outage keeps it marked as the resident's.
            store
                .write(|tx| merge(tx, &[outage(1, 10, 0), outage(3, 9, 0)], false, now))
                .unwrap();
        }
        let store = Store::open(&path, &key).unwrap();
        let items = store.read(|c| list(c, now)).unwrap();
        let view: Vec<_> = items
            .iter()
            .map(|i| (i.outage.id.0.as_u128(), i.mine, i.state))
            .collect();
        assert_eq!(
            view,
            [
                (1, true, OutageState::AffectedNow),
                (2, true, OutageState::Planned),
                (3, false, OutageState::AffectedNow)
            ]
        );
        assert_eq!(items[0].fetched_at, now);
    }

    fn ids(list: &[(OutageId, OutageState)]) -> Vec<(u128, OutageState)> {
        list.iter().map(|(id, s)| (id.0.as_u128(), *s)).collect()
    }

    #[test]
    fn the_resident_is_told_each_change_and_each_start_and_end_by_the_clock_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("phone.db"), &[7u8; 32]).unwrap();
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0)
                .single()
                .unwrap()
        };
        // Planned 14:00–18:00, seen at 12:00.
        let mut planned = outage(1, 14, 0);
        planned.expected_end_at = Some(at(18));
        let told = store
            .write(|tx| {
                let changed = merge(tx, std::slice::from_ref(&planned), true, at(12))?;
                let ids: Vec<_> = changed.iter().map(|o| o.id).collect();
                notifications(tx, &ids, at(12))
            })
            .unwrap();
        assert_eq!(ids(&told), [(1, OutageState::Planned)]);
        // Nothing new at 13:00; it starts by the clock at 14:00 and is told once.
        let check = |h| store.write(|tx| notifications(tx, &[], at(h))).unwrap();
        assert!(check(13).is_empty());
        assert_eq!(ids(&check(15)), [(1, OutageState::AffectedNow)]);
        assert!(check(16).is_empty());
        // A change on the server is told even in the same state.
        let told = store
            .write(|tx| notifications(tx, &[planned.id], at(16)))
            .unwrap();
        assert_eq!(ids(&told), [(1, OutageState::AffectedNow)]);
        assert_eq!(ids(&check(19)), [(1, OutageState::Restored)]);
        assert!(check(20).is_empty());
        // Seen first on the map (not told), then found to be the resident's with the same stamp.
        let other = outage(2, 10, 0);
        store
            .write(|tx| merge(tx, std::slice::from_ref(&other), false, at(20)))
            .unwrap();
        assert!(check(20).is_empty());
        let told = store
            .write(|tx| {
                let changed = merge(tx, std::slice::from_ref(&other), true, at(20))?;
                assert!(changed.is_empty());
                notifications(tx, &[], at(20))
            })
            .unwrap();
        assert_eq!(ids(&told), [(2, OutageState::AffectedNow)]);
        // Withdrawn: dropped, and only the resident's count.
        let nearby = outage(3, 10, 0);
        store
            .write(|tx| merge(tx, std::slice::from_ref(&nearby), false, at(20)))
            .unwrap();
        let dropped = store
            .write(|tx| withdraw(tx, &[other.id, nearby.id, OutageId(Uuid::from_u128(9))]))
            .unwrap();
        assert_eq!(dropped, [other.id]);
        let left: Vec<u128> = store
            .read(|c| list(c, at(20)))
            .unwrap()
            .iter()
            .map(|i| i.outage.id.0.as_u128())
            .collect();
        assert_eq!(left, [1, 3]);
    }

    #[test]
    fn outages_cached_before_version_5_keep_their_data_and_are_not_told_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        crate::store::schema::migrate_to(&mut conn, 3).unwrap();
        let now = Utc::now();
        let mut running = outage(1, 0, 0);
        running.starts_at = now - chrono::Duration::hours(1);
        let mut planned = outage(2, 0, 0);
        planned.starts_at = now + chrono::Duration::hours(5);
        let mut over = outage(3, 0, 0);
        over.starts_at = now - chrono::Duration::hours(5);
        over.expected_end_at = Some(now - chrono::Duration::hours(1));
        for o in [&running, &planned, &over] {
            conn.execute(
                "INSERT INTO outages (id, record, updated_at, fetched_at, mine)
                 VALUES (?1, ?2, ?3, ?4, 1)",
                params![
                    o.id.0.to_string(),
                    serde_json::to_string(o).unwrap(),
                    o.updated_at.to_rfc3339(),
                    now.to_rfc3339()
                ],
            )
            .unwrap();
        }
        drop(conn);
        let store = Store::open(&path, &[7u8; 32]).unwrap();
        let items = store.read(|c| list(c, now)).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].outage, running);
        let told = store.write(|tx| notifications(tx, &[], now)).unwrap();
        assert!(told.is_empty(), "{told:?}");
    }
}
