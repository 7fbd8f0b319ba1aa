//! PostgreSQL side of [`PointsStore`]. Writers that check a balance lock the user's row first
//! (`SELECT … FOR UPDATE`), so two processes can never both spend the same points. Redemption is a
//! conditional `UPDATE vouchers … WHERE status = 'issued' RETURNING`: under READ COMMITTED a
//! concurrent second update waits for the first, re-reads the row, sees `redeemed` and matches
//! nothing, so exactly one redemption wins. The attempt row is claimed first with
//! `INSERT … ON CONFLICT DO NOTHING`, so a retry with the same attempt id, even one racing the
//! first, answers the first outcome.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connect_core::{
    api::points::RedeemResponse,
    ids::{PartnerId, UserId, VoucherId},
    points::{LedgerEntry, LedgerReason, Offer, VoucherError},
};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::{PgStore, classify};
use crate::store::{
    AwardOutcome, NewAward, NewVoucher, PendingEarning, PointsStore, RedeemCommand, RedeemOutcome,
    ReserveOutcome, SettlementRow, StoreError, month_of, refusal_from_db,
};

/// `FOR NO KEY UPDATE`: serialises the balance writers of one user with each other, but not with
/// the foreign-key checks (`FOR KEY SHARE`) of transactions that merely insert rows naming the
/// user, such as a readings batch queueing its earnings.
async fn lock_user(c: &impl GenericClient, user: UserId) -> Result<(), StoreError> {
    c.query_opt(
        "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE",
        &[&user.0],
    )
    .await?
    .ok_or(StoreError::MissingReference)?;
    Ok(())
}

async fn balance(c: &impl GenericClient, user: UserId) -> Result<i64, StoreError> {
    Ok(c.query_one(
        "SELECT COALESCE(SUM(delta), 0)::bigint FROM points_ledger WHERE user_id = $1",
        &[&user.0],
    )
    .await?
    .get(0))
}

/// Queues earnings in the caller's transaction (the one storing the events that earned them); the
/// settler awards them after the commit. Queuing a source twice keeps one row.
pub(super) async fn queue_earnings(
    c: &impl GenericClient,
    user: UserId,
    reason: LedgerReason,
    sources: &[String],
    earned_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<(UserId, String, DateTime<Utc>)> = sources
        .iter()
        .map(|s| (user, s.clone(), earned_at))
        .collect();
    queue_earnings_of(c, reason, &rows).await
}

/// [`queue_earnings`] for several users at once (user, source, earned at): one statement for a
/// whole group commit of readings.
pub(super) async fn queue_earnings_of(
    c: &impl GenericClient,
    reason: LedgerReason,
    rows: &[(UserId, String, DateTime<Utc>)],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let users: Vec<Uuid> = rows.iter().map(|r| r.0.0).collect();
    let sources: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let at: Vec<DateTime<Utc>> = rows.iter().map(|r| r.2).collect();
    c.execute(
        "INSERT INTO points_earnings (user_id, reason, source_id, earned_at)
         SELECT u, $1, s, t FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS x(u, s, t)
         ON CONFLICT DO NOTHING",
        &[&reason.as_str(), &users, &sources, &at],
    )
    .await?;
    Ok(())
}

async fn expire(
    c: &impl GenericClient,
    user: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let user = user.map(|u| u.0);
    let rows = c
        .query(
            "UPDATE vouchers SET status = 'expired'
             WHERE status = 'issued' AND expires_at <= $1 AND ($2::uuid IS NULL OR user_id = $2)
             RETURNING id, user_id, points",
            &[&now, &user],
        )
        .await?;
    for r in &rows {
        let id: Uuid = r.get(0);
        let owner: Uuid = r.get(1);
        let points: i32 = r.get(2);
        c.execute(
            "INSERT INTO points_ledger (user_id, delta, reason, source_id, month, at)
             VALUES ($1, $2, 'voucher_expired', $3, $4, $5)
             ON CONFLICT (user_id, reason, source_id) DO NOTHING",
            &[
                &owner,
                &i64::from(points),
                &id.to_string(),
                &month_of(now),
                &now,
            ],
        )
        .await?;
    }
    Ok(rows.len() as u64)
}

fn points_u32(p: i32) -> Result<u32, StoreError> {
    u32::try_from(p).map_err(|_| StoreError::Corrupt("voucher points".into()))
}

async fn redeem(c: &impl GenericClient, cmd: &RedeemCommand) -> Result<RedeemOutcome, StoreError> {
    let vid = cmd.voucher_id.0;
    let claimed = c
        .query_opt(
            "INSERT INTO redemption_attempts (attempt_id, voucher_id, cashier_id, partner_id, outcome, at)
             VALUES ($1, $2, $3, $4, 'pending', $5)
             ON CONFLICT (attempt_id) DO NOTHING RETURNING 1",
            &[&cmd.attempt_id, &vid, &cmd.cashier.0, &cmd.partner_id.0, &cmd.now],
        )
        .await
        .map_err(classify)?;
    if claimed.is_none() {
        let r = c
            .query_one(
                "SELECT voucher_id, cashier_id, outcome FROM redemption_attempts WHERE attempt_id = $1",
                &[&cmd.attempt_id],
            )
            .await?;
        let (voucher, cashier, outcome): (Uuid, Uuid, String) = (r.get(0), r.get(1), r.get(2));
        if voucher != vid || cashier != cmd.cashier.0 {
            return Ok(RedeemOutcome::Refused(VoucherError::Malformed));
        }
        if outcome != "redeemed" {
            return Ok(RedeemOutcome::Refused(refusal_from_db(&outcome)));
        }
        let v = c
            .query_one(
                "SELECT points, redeemed_by_partner, redeemed_at FROM vouchers WHERE id = $1",
                &[&vid],
            )
            .await?;
        return Ok(RedeemOutcome::Redeemed(RedeemResponse {
            voucher_id: cmd.voucher_id,
            points: points_u32(v.get(0))?,
            partner_id: PartnerId(v.get(1)),
            redeemed_at: v.get(2),
        }));
    }
    let taken = c
        .query_opt(
            "UPDATE vouchers SET status = 'redeemed', redeemed_at = $2, redeemed_by_partner = $3,
                redeemed_by_user = $4
             WHERE id = $1 AND status = 'issued' AND expires_at > $2
               AND (partner_id IS NULL OR partner_id = $3)
             RETURNING points, redeemed_at",
            &[&vid, &cmd.now, &cmd.partner_id.0, &cmd.cashier.0],
        )
        .await?;
    let outcome = match taken {
        Some(r) => RedeemOutcome::Redeemed(RedeemResponse {
            voucher_id: cmd.voucher_id,
            points: points_u32(r.get(0))?,
            partner_id: cmd.partner_id.clone(),
            redeemed_at: r.get(1),
        }),
        None => {
            let row = c
                .query_opt(
                    "SELECT status, partner_id FROM vouchers WHERE id = $1",
                    &[&vid],
                )
                .await?;
            RedeemOutcome::Refused(match row {
                None => VoucherError::Forged,
                Some(r) => {
                    let status: String = r.get(0);
                    let partner: Option<String> = r.get(1);
                    match partner {
                        Some(p) if p != cmd.partner_id.0 => VoucherError::WrongPartner,
                        _ if status == "redeemed" => VoucherError::AlreadyRedeemed,
                        _ => VoucherError::Expired,
                    }
                }
            })
        }
    };
    let code = match &outcome {
        RedeemOutcome::Redeemed(_) => "redeemed",
        RedeemOutcome::Refused(e) => e.code(),
    };
    c.execute(
        "UPDATE redemption_attempts SET outcome = $2 WHERE attempt_id = $1",
        &[&cmd.attempt_id, &code],
    )
    .await?;
    Ok(outcome)
}

/// [`PointsStore::award`] inside the caller's transaction.
async fn award_in(tx: &impl GenericClient, a: &NewAward) -> Result<AwardOutcome, StoreError> {
    lock_user(tx, a.user).await?;
    let reason = a.reason.as_str();
    // Settled whatever the outcome: a duplicate or capped earning is not retried.
    tx.execute(
        "DELETE FROM points_earnings WHERE user_id = $1 AND reason = $2 AND source_id = $3",
        &[&a.user.0, &reason, &a.source_id],
    )
    .await?;
    let seen = tx
        .query_opt(
            "SELECT 1 FROM points_ledger WHERE user_id = $1 AND reason = $2 AND source_id = $3",
            &[&a.user.0, &reason, &a.source_id],
        )
        .await?
        .is_some();
    if seen {
        return Ok(AwardOutcome::Duplicate);
    }
    let month = month_of(a.now);
    let used: i64 = tx
        .query_one(
            "SELECT COALESCE(SUM(delta), 0)::bigint FROM points_ledger
             WHERE user_id = $1 AND reason = $2 AND month = $3",
            &[&a.user.0, &reason, &month],
        )
        .await?
        .get(0);
    let points = a.amount.min(a.monthly_cap - used);
    if points <= 0 {
        return Ok(AwardOutcome::Capped);
    }
    tx.execute(
        "INSERT INTO points_ledger (user_id, delta, reason, source_id, month, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&a.user.0, &points, &reason, &a.source_id, &month, &a.now],
    )
    .await
    .map_err(classify)?;
    Ok(AwardOutcome::Awarded(points))
}

#[async_trait]
impl PointsStore for PgStore {
    async fn upsert_partner(
        &self,
        id: PartnerId,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO partners (id, name, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                &[&id.0, &name, &now],
            )
            .await?;
        Ok(())
    }

    async fn insert_offer(&self, o: Offer, now: DateTime<Utc>) -> Result<(), StoreError> {
        let points = i32::try_from(o.points).map_err(|_| StoreError::Corrupt("points".into()))?;
        self.client()
            .await?
            .execute(
                "INSERT INTO partner_offers (id, partner_id, title, points, discount, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&o.id, &o.partner_id.0, &o.title, &points, &o.discount, &now],
            )
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn offers(&self) -> Result<Vec<Offer>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT o.id, o.partner_id, p.name, o.title, o.points, o.discount
                 FROM partner_offers o JOIN partners p ON p.id = o.partner_id
                 ORDER BY o.partner_id, o.points, o.id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Offer {
                    id: r.get(0),
                    partner_id: PartnerId(r.get(1)),
                    partner_name: r.get(2),
                    title: r.get(3),
                    points: points_u32(r.get(4))?,
                    discount: r.get(5),
                })
            })
            .collect()
    }

    async fn award(&self, a: NewAward) -> Result<AwardOutcome, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let outcome = award_in(&tx, &a).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn award_all(&self, awards: Vec<NewAward>) -> Result<Vec<AwardOutcome>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Users are locked in one order, so two settlers' batches cannot deadlock.
        let mut order: Vec<usize> = (0..awards.len()).collect();
        order.sort_by_key(|&i| awards[i].user.0);
        let mut outcomes = vec![AwardOutcome::Duplicate; awards.len()];
        for i in order {
            outcomes[i] = award_in(&tx, &awards[i]).await?;
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn pending_earnings(&self, limit: u32) -> Result<Vec<PendingEarning>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT user_id, reason, source_id, earned_at FROM points_earnings
                 ORDER BY earned_at, user_id, source_id LIMIT $1",
                &[&i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let reason: String = r.get(1);
                Ok(PendingEarning {
                    user: UserId(r.get(0)),
                    reason: LedgerReason::parse(&reason)
                        .ok_or_else(|| StoreError::Corrupt(format!("earning reason {reason:?}")))?,
                    source_id: r.get(2),
                    earned_at: r.get(3),
                })
            })
            .collect()
    }

    async fn expire_vouchers(
        &self,
        user: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = expire(&tx, user, now).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn reserve_voucher(&self, v: NewVoucher) -> Result<ReserveOutcome, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        lock_user(&tx, v.user).await?;
        expire(&tx, Some(v.user), v.now).await?;
        let have = balance(&tx, v.user).await?;
        let want = i64::from(v.points);
        if have < want {
            return Ok(ReserveOutcome::Insufficient(have));
        }
        let points = i32::try_from(v.points).map_err(|_| StoreError::Corrupt("points".into()))?;
        tx.execute(
            "INSERT INTO vouchers (id, user_id, points, partner_id, status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, 'issued', $5, $6)",
            &[
                &v.id.0,
                &v.user.0,
                &points,
                &v.partner_id.as_ref().map(|p| p.0.clone()),
                &v.now,
                &v.expires_at,
            ],
        )
        .await
        .map_err(classify)?;
        tx.execute(
            "INSERT INTO points_ledger (user_id, delta, reason, source_id, month, at)
             VALUES ($1, $2, 'voucher_reserved', $3, $4, $5)",
            &[
                &v.user.0,
                &-want,
                &v.id.0.to_string(),
                &month_of(v.now),
                &v.now,
            ],
        )
        .await
        .map_err(classify)?;
        tx.commit().await?;
        Ok(ReserveOutcome::Reserved(have - want))
    }

    async fn redeem_voucher(&self, cmd: RedeemCommand) -> Result<RedeemOutcome, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let outcome = redeem(&tx, &cmd).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn points_summary(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<(i64, Vec<LedgerEntry>), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        expire(&tx, Some(user), now).await?;
        let total = balance(&tx, user).await?;
        let rows = tx
            .query(
                "SELECT delta, reason, at, source_id FROM points_ledger
                 WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
                &[&user.0, &i64::from(limit)],
            )
            .await?;
        tx.commit().await?;
        let history = rows
            .iter()
            .map(|r| {
                let reason: String = r.get(1);
                Ok(LedgerEntry {
                    delta: r.get(0),
                    reason: LedgerReason::parse(&reason)
                        .ok_or_else(|| StoreError::Corrupt(format!("ledger reason {reason:?}")))?,
                    at: r.get(2),
                    source_id: Some(r.get(3)),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((total, history))
    }

    async fn settlement(
        &self,
        partner: PartnerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, points, redeemed_at, redeemed_by_user FROM vouchers
                 WHERE redeemed_by_partner = $1 AND status = 'redeemed'
                   AND redeemed_at >= $2 AND redeemed_at < $3
                 ORDER BY redeemed_at, id",
                &[&partner.0, &from, &to],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SettlementRow {
                    voucher_id: VoucherId(r.get(0)),
                    points: points_u32(r.get(1))?,
                    redeemed_at: r.get(2),
                    cashier: UserId(r.get(3)),
                })
            })
            .collect()
    }
}
