//! Bonus points on the phone: the balance, the newest ledger entries, the partners' offers and the
//! voucher keys, as the last pull delivered them. Each pull replaces them whole (the server sends
//! the current view, not changes), so the app shows them offline and a till checks vouchers
//! offline.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{
    api::points::PointsResponse,
    ids::PartnerId,
    points::{LedgerEntry, LedgerReason, Offer},
    store::Error,
};

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::Corrupt {
            what: "points time",
        })
}

/// Stores a pull's points; returns the new balance when it differs from the stored one (a
/// device that never synced points counts as 0), i.e. when the resident should be told.
pub fn save(
    tx: &Transaction<'_>,
    points: &PointsResponse,
    now: DateTime<Utc>,
) -> Result<Option<i64>, Error> {
    let before = balance(tx)?;
    set_balance(tx, points.balance, now)?;
    tx.execute("DELETE FROM points_history", [])
        .map_err(Error::Write)?;
    for (pos, e) in points.history.iter().enumerate() {
        tx.execute(
            "INSERT INTO points_history (pos, delta, reason, at, source_id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                pos as i64,
                e.delta,
                e.reason.as_str(),
                stamp(e.at),
                e.source_id
            ],
        )
        .map_err(Error::Write)?;
    }
    tx.execute("DELETE FROM partner_offers", [])
        .map_err(Error::Write)?;
    for o in &points.offers {
        tx.execute(
            "INSERT INTO partner_offers (id, partner_id, partner_name, title, points, discount)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO NOTHING",
            params![
                o.id.to_string(),
                o.partner_id.0,
                o.partner_name,
                o.title,
                o.points,
                o.discount
            ],
        )
        .map_err(Error::Write)?;
    }
    // An empty list is a server without voucher keys configured: keep the ones we have.
    if !points.voucher_keys.is_empty() {
        tx.execute("DELETE FROM voucher_keys", [])
            .map_err(Error::Write)?;
        for entry in &points.voucher_keys {
            tx.execute(
                "INSERT INTO voucher_keys (entry) VALUES (?1) ON CONFLICT DO NOTHING",
                [entry],
            )
            .map_err(Error::Write)?;
        }
    }
    Ok((before != points.balance).then_some(points.balance))
}

/// Stores a balance the server answered outside a pull (after reserving a voucher).
pub fn set_balance(tx: &Transaction<'_>, balance: i64, now: DateTime<Utc>) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO points_balance (id, balance, synced_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET balance = excluded.balance, synced_at = excluded.synced_at",
        params![balance, stamp(now)],
    )
    .map_err(Error::Write)?;
    Ok(())
}

/// The balance as last received (0 before the first sync).
pub fn balance(conn: &Connection) -> Result<i64, Error> {
    Ok(conn
        .query_row("SELECT balance FROM points_balance WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(Error::Read)?
        .unwrap_or(0))
}

/// The newest ledger entries, newest first.
pub fn history(conn: &Connection) -> Result<Vec<LedgerEntry>, Error> {
    let mut stmt = conn
        .prepare("SELECT delta, reason, at, source_id FROM points_history ORDER BY pos")
        .map_err(Error::Read)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .map_err(Error::Read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Read)?;
    rows.into_iter()
        .map(|(delta, reason, at, source_id)| {
            Ok(LedgerEntry {
                delta,
                reason: LedgerReason::parse(&reason).ok_or(Error::Corrupt {
                    what: "ledger reason",
                })?,
                at: parse_time(&at)?,
                source_id,
            })
        })
        .collect()
}

/// The partners' offers, by partner then points.
pub fn offers(conn: &Connection) -> Result<Vec<Offer>, Error> {
    let mut stmt = conn
        .prepare(
            "SELECT id, partner_id, partner_name, title, points, discount FROM partner_offers
             ORDER BY partner_id, points, id",
        )
        .map_err(Error::Read)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u32>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(Error::Read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Read)?;
    rows.into_iter()
        .map(|(id, partner, partner_name, title, points, discount)| {
            Ok(Offer {
                id: uuid::Uuid::parse_str(&id).map_err(|_| Error::Corrupt { what: "offer id" })?,
                partner_id: PartnerId(partner),
                partner_name,
                title,
                points,
                discount,
            })
        })
        .collect()
}

/// Trust entries of the server's voucher keys.
pub fn voucher_keys(conn: &Connection) -> Result<Vec<String>, Error> {
    let mut stmt = conn
        .prepare("SELECT entry FROM voucher_keys ORDER BY entry")
        .map_err(Error::Read)?;
    let keys = stmt
        .query_map([], |r| r.get(0))
        .map_err(Error::Read)?
        .collect::<Result<Vec<String>, _>>()
        .map_err(Error::Read)?;
    Ok(keys)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn response(balance: i64) -> PointsResponse {
        PointsResponse {
            balance,
            history: vec![
                LedgerEntry {
                    delta: -40,
                    reason: LedgerReason::VoucherReserved,
                    at: DateTime::from_timestamp(1_800_000_100, 0).unwrap(),
                    source_id: Some("v1".into()),
                },
                LedgerEntry {
                    delta: 50,
                    reason: LedgerReason::HouseInspection,
                    at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
                    source_id: Some("insp".into()),
                },
            ],
            offers: vec![Offer {
                id: uuid::Uuid::from_u128(5),
                partner_id: PartnerId("cafe".into()),
                partner_name: "Cafe".into(),
                title: "Coffee".into(),
                points: 40,
                discount: "-100 RUB".into(),
            }],
            voucher_keys: vec!["0001:AAAA".into()],
        }
    }

    #[test]
    fn a_pull_replaces_the_points_and_reports_only_a_changed_balance() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("p.db"), &[3; 32]).unwrap();
        let now = Utc::now();
        assert_eq!(store.read(balance).unwrap(), 0);
        let changed = store.write(|tx| save(tx, &response(10), now)).unwrap();
        assert_eq!(changed, Some(10));
        let unchanged = store.write(|tx| save(tx, &response(10), now)).unwrap();
        assert_eq!(unchanged, None);
        assert_eq!(store.read(history).unwrap(), response(10).history);
        assert_eq!(store.read(offers).unwrap(), response(10).offers);
        assert_eq!(store.read(voucher_keys).unwrap(), vec!["0001:AAAA"]);
        // A later pull with fewer entries and no keys: history and offers follow it, keys stay.
        let mut later = response(0);
        later.history.truncate(1);
        later.offers.clear();
        later.voucher_keys.clear();
        assert_eq!(store.write(|tx| save(tx, &later, now)).unwrap(), Some(0));
        assert_eq!(store.read(history).unwrap().len(), 1);
        assert!(store.read(offers).unwrap().is_empty());
        assert_eq!(store.read(voucher_keys).unwrap(), vec!["0001:AAAA"]);
    }

    #[test]
    fn a_first_pull_with_a_zero_balance_is_not_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("p.db"), &[3; 32]).unwrap();
        let changed = store
            .write(|tx| save(tx, &PointsResponse::default(), Utc::now()))
            .unwrap();
        assert_eq!(changed, None);
    }
}
