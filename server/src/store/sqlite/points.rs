//! SQLite side of [`PointsStore`]: every write runs on the one writer thread, so the balance
//! check and the ledger write of one job can never interleave with another job's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connect_core::{
    api::points::RedeemResponse,
    ids::{PartnerId, UserId, VoucherId},
    points::{LedgerEntry, LedgerReason, Offer, VoucherError},
};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{SqliteStore, classify, uuid_col};
use crate::store::{
    AwardOutcome, NewAward, NewVoucher, PendingEarning, PointsStore, RedeemCommand, RedeemOutcome,
    ReserveOutcome, SettlementRow, StoreError, month_of, refusal_from_db,
};

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn balance(tx: &rusqlite::Connection, user: UserId) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "SELECT COALESCE(SUM(delta), 0) FROM points_ledger WHERE user_id = ?1",
        [user.0.to_string()],
        |r| r.get(0),
    )?)
}

/// Queues an earning in the caller's transaction (the one storing the event that earned it); the
/// settler awards it after the commit. Queuing the same source twice keeps one row.
pub(super) fn queue_earning(
    conn: &rusqlite::Connection,
    user: UserId,
    reason: LedgerReason,
    source_id: &str,
    earned_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO points_earnings (user_id, reason, source_id, earned_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        user.0.to_string(),
        reason.as_str(),
        source_id,
        ms(earned_at)
    ])?;
    Ok(())
}

fn expire(
    tx: &Transaction<'_>,
    user: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let user = user.map(|u| u.0.to_string());
    let expired: Vec<(String, String, i64)> = {
        let mut stmt = tx.prepare(
            "UPDATE vouchers SET status = 'expired'
             WHERE status = 'issued' AND expires_at <= ?1 AND (?2 IS NULL OR user_id = ?2)
             RETURNING id, user_id, points",
        )?;
        let rows = stmt.query_map(params![ms(now), user], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, user, points) in &expired {
        tx.execute(
            "INSERT INTO points_ledger (user_id, delta, reason, source_id, month, at)
             VALUES (?1, ?2, 'voucher_expired', ?3, ?4, ?5)
             ON CONFLICT (user_id, reason, source_id) DO NOTHING",
            params![user, points, id, month_of(now), ms(now)],
        )?;
    }
    Ok(expired.len() as u64)
}

fn redeemed_answer(tx: &Transaction<'_>, voucher: VoucherId) -> Result<RedeemOutcome, StoreError> {
    let row = tx
        .query_row(
            "SELECT points, redeemed_by_partner, redeemed_at FROM vouchers
             WHERE id = ?1 AND status = 'redeemed'",
            [voucher.0.to_string()],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| StoreError::Corrupt("redeemed attempt without a redeemed voucher".into()))?;
    Ok(RedeemOutcome::Redeemed(RedeemResponse {
        voucher_id: voucher,
        points: u32::try_from(row.0).map_err(|_| StoreError::Corrupt("voucher points".into()))?,
        partner_id: PartnerId(row.1),
        redeemed_at: at(row.2),
    }))
}

fn redeem(tx: &Transaction<'_>, c: &RedeemCommand) -> Result<RedeemOutcome, StoreError> {
    let vid = c.voucher_id.0.to_string();
    let earlier: Option<(String, String, String)> = tx
        .query_row(
            "SELECT voucher_id, cashier_id, outcome FROM redemption_attempts WHERE attempt_id = ?1",
            [c.attempt_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((voucher, cashier, outcome)) = earlier {
        if voucher != vid || cashier != c.cashier.0.to_string() {
            return Ok(RedeemOutcome::Refused(VoucherError::Malformed));
        }
        return if outcome == "redeemed" {
            redeemed_answer(tx, c.voucher_id)
        } else {
            Ok(RedeemOutcome::Refused(refusal_from_db(&outcome)))
        };
    }
    let taken: Option<i64> = tx
        .query_row(
            "UPDATE vouchers SET status = 'redeemed', redeemed_at = ?2, redeemed_by_partner = ?3,
                redeemed_by_user = ?4
             WHERE id = ?1 AND status = 'issued' AND expires_at > ?2
               AND (partner_id IS NULL OR partner_id = ?3)
             RETURNING points",
            params![vid, ms(c.now), c.partner_id.0, c.cashier.0.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let outcome = match taken {
        Some(points) => RedeemOutcome::Redeemed(RedeemResponse {
            voucher_id: c.voucher_id,
            points: u32::try_from(points).map_err(|_| StoreError::Corrupt("points".into()))?,
            partner_id: c.partner_id.clone(),
            redeemed_at: at(ms(c.now)),
        }),
        None => {
            let row: Option<(String, i64, Option<String>)> = tx
                .query_row(
                    "SELECT status, expires_at, partner_id FROM vouchers WHERE id = ?1",
                    [&vid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            RedeemOutcome::Refused(match row {
                None => VoucherError::Forged,
                Some((_, _, Some(p))) if p != c.partner_id.0 => VoucherError::WrongPartner,
                Some((status, _, _)) if status == "redeemed" => VoucherError::AlreadyRedeemed,
                Some(_) => VoucherError::Expired,
            })
        }
    };
    let code = match &outcome {
        RedeemOutcome::Redeemed(_) => "redeemed",
        RedeemOutcome::Refused(e) => e.code(),
    };
    tx.execute(
        "INSERT INTO redemption_attempts (attempt_id, voucher_id, cashier_id, partner_id, outcome, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            c.attempt_id.to_string(),
            vid,
            c.cashier.0.to_string(),
            c.partner_id.0,
            code,
            ms(c.now)
        ],
    )?;
    Ok(outcome)
}

/// [`PointsStore::award`] inside the caller's transaction.
fn award_in(tx: &Transaction<'_>, a: &NewAward) -> Result<AwardOutcome, StoreError> {
    let user = a.user.0.to_string();
    let reason = a.reason.as_str();
    // Settled whatever the outcome: a duplicate or capped earning is not retried.
    tx.execute(
        "DELETE FROM points_earnings WHERE user_id = ?1 AND reason = ?2 AND source_id = ?3",
        params![user, reason, a.source_id],
    )?;
    let seen: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM points_ledger
         WHERE user_id = ?1 AND reason = ?2 AND source_id = ?3)",
        params![user, reason, a.source_id],
        |r| r.get(0),
    )?;
    if seen {
        return Ok(AwardOutcome::Duplicate);
    }
    let month = month_of(a.now);
    let used: i64 = tx.query_row(
        "SELECT COALESCE(SUM(delta), 0) FROM points_ledger
         WHERE user_id = ?1 AND reason = ?2 AND month = ?3",
        params![user, reason, month],
        |r| r.get(0),
    )?;
    let points = a.amount.min(a.monthly_cap - used);
    if points <= 0 {
        return Ok(AwardOutcome::Capped);
    }
    tx.execute(
        "INSERT INTO points_ledger (user_id, delta, reason, source_id, month, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user, points, reason, a.source_id, month, ms(a.now)],
    )
    .map_err(classify)?;
    Ok(AwardOutcome::Awarded(points))
}

#[async_trait]
impl PointsStore for SqliteStore {
    async fn upsert_partner(
        &self,
        id: PartnerId,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO partners (id, name, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                params![id.0, name, ms(now)],
            )?;
            Ok(())
        })
        .await
    }

    async fn insert_offer(&self, o: Offer, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO partner_offers (id, partner_id, title, points, discount, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    o.id.to_string(),
                    o.partner_id.0,
                    o.title,
                    o.points,
                    o.discount,
                    ms(now)
                ],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn offers(&self) -> Result<Vec<Offer>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT o.id, o.partner_id, p.name, o.title, o.points, o.discount
                 FROM partner_offers o JOIN partners p ON p.id = o.partner_id
                 ORDER BY o.partner_id, o.points, o.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Offer {
                    id: uuid_col(r, 0)?,
                    partner_id: PartnerId(r.get(1)?),
                    partner_name: r.get(2)?,
                    title: r.get(3)?,
                    points: r.get(4)?,
                    discount: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn award(&self, a: NewAward) -> Result<AwardOutcome, StoreError> {
        self.write(move |tx| award_in(tx, &a)).await
    }

    async fn award_all(&self, awards: Vec<NewAward>) -> Result<Vec<AwardOutcome>, StoreError> {
        self.write(move |tx| awards.iter().map(|a| award_in(tx, a)).collect())
            .await
    }

    async fn pending_earnings(&self, limit: u32) -> Result<Vec<PendingEarning>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT user_id, reason, source_id, earned_at FROM points_earnings
                 ORDER BY earned_at, user_id, source_id LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok((
                        uuid_col(r, 0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(user, reason, source_id, earned)| {
                    Ok(PendingEarning {
                        user: UserId(user),
                        reason: LedgerReason::parse(&reason).ok_or_else(|| {
                            StoreError::Corrupt(format!("earning reason {reason:?}"))
                        })?,
                        source_id,
                        earned_at: at(earned),
                    })
                })
                .collect()
        })
        .await
    }

    async fn expire_vouchers(
        &self,
        user: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.write(move |tx| expire(tx, user, now)).await
    }

    async fn reserve_voucher(&self, v: NewVoucher) -> Result<ReserveOutcome, StoreError> {
        self.write(move |tx| {
            expire(tx, Some(v.user), v.now)?;
            let have = balance(tx, v.user)?;
            let want = i64::from(v.points);
            if have < want {
                return Ok(ReserveOutcome::Insufficient(have));
            }
            let id = v.id.0.to_string();
            tx.execute(
                "INSERT INTO vouchers (id, user_id, points, partner_id, status, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, 'issued', ?5, ?6)",
                params![
                    id,
                    v.user.0.to_string(),
                    v.points,
                    v.partner_id.as_ref().map(|p| p.0.clone()),
                    ms(v.now),
                    ms(v.expires_at)
                ],
            )
            .map_err(classify)?;
            tx.execute(
                "INSERT INTO points_ledger (user_id, delta, reason, source_id, month, at)
                 VALUES (?1, ?2, 'voucher_reserved', ?3, ?4, ?5)",
                params![v.user.0.to_string(), -want, id, month_of(v.now), ms(v.now)],
            )
            .map_err(classify)?;
            Ok(ReserveOutcome::Reserved(have - want))
        })
        .await
    }

    async fn redeem_voucher(&self, cmd: RedeemCommand) -> Result<RedeemOutcome, StoreError> {
        self.write(move |tx| redeem(tx, &cmd)).await
    }

    async fn points_summary(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<(i64, Vec<LedgerEntry>), StoreError> {
        // Lazy expiry: a reader never sees points locked in a voucher that is already void.
        self.write(move |tx| {
            expire(tx, Some(user), now)?;
            let total = balance(tx, user)?;
            let mut stmt = tx.prepare(
                "SELECT delta, reason, at, source_id FROM points_ledger
                 WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![user.0.to_string(), limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            let mut history = Vec::new();
            for row in rows {
                let (delta, reason, t, source) = row?;
                history.push(LedgerEntry {
                    delta,
                    reason: LedgerReason::parse(&reason)
                        .ok_or_else(|| StoreError::Corrupt(format!("ledger reason {reason:?}")))?,
                    at: at(t),
                    source_id: Some(source),
                });
            }
            Ok((total, history))
        })
        .await
    }

    async fn settlement(
        &self,
        partner: PartnerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, points, redeemed_at, redeemed_by_user FROM vouchers
                 WHERE redeemed_by_partner = ?1 AND status = 'redeemed'
                   AND redeemed_at >= ?2 AND redeemed_at < ?3
                 ORDER BY redeemed_at, id",
            )?;
            let rows = stmt.query_map(params![partner.0, ms(from), ms(to)], |r| {
                Ok(SettlementRow {
                    voucher_id: VoucherId(uuid_col(r, 0)?),
                    points: r.get(1)?,
                    redeemed_at: at(r.get(2)?),
                    cashier: UserId(uuid_col(r, 3)?),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}
