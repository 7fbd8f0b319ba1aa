//! Outages cached on the phone: the ones hitting the resident's buildings (from sync) and nearby
//! ones (from a map area), each with the server's change stamp and the time this device got it,
//! so the app shows them offline and says how fresh they are.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{
    outages::{Outage, OutageState, sort_for_resident},
    store::Error,
};

/// One cached outage with what the app shows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageItem {
    /// The server's record.
    pub outage: Outage,
    /// Affected now, planned or restored, at the time of the call.
    pub state: OutageState,
    /// It hits one of the resident's buildings.
    pub mine: bool,
    /// When this device last received it.
    pub fetched_at: DateTime<Utc>,
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
    let mut items = Vec::with_capacity(rows.len());
    for (record, fetched, mine) in rows {
        let outage: Outage =
            serde_json::from_str(&record).map_err(|_| Error::Corrupt { what: "outage" })?;
        let fetched_at = DateTime::parse_from_rfc3339(&fetched)
            .map_err(|_| Error::Corrupt {
                what: "outage fetch time",
            })?
            .with_timezone(&Utc);
        items.push(OutageItem {
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
}
