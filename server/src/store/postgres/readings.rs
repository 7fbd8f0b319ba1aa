//! Readings on PostgreSQL: group commit. Requests queue for one writer task per server process
//! ([`readings_writer`]), which takes every request that arrived while the previous group
//! committed and stores them in one transaction with a handful of set-wise statements for the
//! whole group (the residents' meters, the ids already stored, the two history rows per item
//! through `LATERAL`, one multi-row `INSERT … ON CONFLICT DO NOTHING`, the on-time points
//! earnings), and a read-back of the ids another replica stored first. One commit (one WAL
//! flush) then answers hundreds of requests. UUIDv7 keys keep the inserts appending.
//!
//! The insert runs under a transaction-scoped advisory lock so `seq` order equals commit order:
//! a `/v1/sync` cursor can then never pass a row that commits later with a smaller number.

use std::{
    collections::{HashMap, HashSet},
    sync::atomic::Ordering,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connect_core::{
    api::readings::{ReadingOutcome, ReadingResult, StoredReading},
    ids::{ApartmentId, CompanyId, MeterId, ProviderId, ReadingId, UserId},
    points::LedgerReason,
    property::{UtilityKind, UtilityProvider},
    readings::{Reading, validation::SubmissionWindow},
};
use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use super::{PgStore, meter_row};
use crate::store::{
    MeterScope, ReadingStore, StoreError,
    readings::{
        MeterContext, StoredContent, admit, from_micros, history_row, judge, micros,
        replay_outcome, server_now, stored_reading, unknown_meter, vals_json,
    },
};

/// Advisory lock key serialising reading inserts (see the module header).
const SEQ_LOCK: i64 = 727_002;

/// Releases the queue slots of a request however it ends.
struct Slots<'a>(&'a std::sync::atomic::AtomicUsize, usize);

impl Drop for Slots<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(self.1, Ordering::Relaxed);
    }
}

fn stored_content(r: &Row) -> StoredContent {
    StoredContent {
        meter_id: MeterId(r.get(1)),
        vals: r.get(2),
        taken_at_us: micros(r.get(3)),
        confirmed_jump: r.get(4),
        received_at_us: micros(r.get(5)),
    }
}

async fn stored_by_id(
    c: &impl GenericClient,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, StoredContent>, StoreError> {
    Ok(c.query(
        "SELECT id, meter_id, vals, taken_at, confirmed_jump, received_at
             FROM readings WHERE id = ANY($1)",
        &[&ids],
    )
    .await?
    .iter()
    .map(|r| (r.get::<_, Uuid>(0), stored_content(r)))
    .collect())
}

/// The providers billing an apartment's accounts.
pub(super) async fn providers_of(
    c: &impl GenericClient,
    apartment: ApartmentId,
) -> Result<Vec<UtilityProvider>, StoreError> {
    c.query(
        "SELECT DISTINCT p.id, p.name, p.kind, p.window_start_day, p.window_end_day
         FROM providers p JOIN accounts a ON a.provider_id = p.id
         WHERE a.apartment_id = $1 ORDER BY p.id",
        &[&apartment.0],
    )
    .await?
    .iter()
    .map(|r| {
        let day = |i: usize| u8::try_from(r.get::<_, i16>(i)).unwrap_or(0);
        Ok(UtilityProvider {
            id: ProviderId(r.get(0)),
            name: r.get(1),
            kind: UtilityKind::parse(r.get(2))
                .ok_or_else(|| StoreError::Corrupt("provider kind".into()))?,
            window_start_day: day(3),
            window_end_day: day(4),
        })
    })
    .collect()
}

fn stored_row(r: &Row, at: usize) -> Result<StoredReading, StoreError> {
    stored_reading(
        ReadingId(r.get(at)),
        MeterId(r.get(at + 1)),
        r.get(at + 2),
        micros(r.get(at + 3)),
        micros(r.get(at + 4)),
        r.get(at + 5),
    )
}

/// Readings one group transaction takes at most (bounds its latency).
const GROUP_ITEMS: usize = 5_000;

/// One request's batch, waiting for the writer.
pub(super) struct ReadingJob {
    user: UserId,
    items: Vec<Reading>,
    now: DateTime<Utc>,
    reply: oneshot::Sender<Result<Vec<ReadingResult>, StoreError>>,
}

/// The group-commit writer: takes every request queued while the previous group committed (up to
/// [`GROUP_ITEMS`] readings), judges and stores them in one transaction with set-wise statements,
/// and answers each request after the commit. A group that fails is retried one request at a
/// time, so a request that breaks a statement fails alone.
pub(super) async fn readings_writer(pool: Pool, mut jobs: mpsc::UnboundedReceiver<ReadingJob>) {
    while let Some(first) = jobs.recv().await {
        let mut items = first.items.len();
        let mut group = vec![first];
        while items < GROUP_ITEMS {
            match jobs.try_recv() {
                Ok(job) => {
                    items += job.items.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        metrics::histogram!("connect_readings_group_items").record(items as f64);
        match commit_group(&pool, &group).await {
            Ok(answers) => {
                for (job, answer) in group.into_iter().zip(answers) {
                    // A caller that went away (cancelled request) retries and gets `duplicate`.
                    let _ = job.reply.send(Ok(answer));
                }
            }
            Err(e) if group.len() == 1 => {
                tracing::error!(error = %e, "readings commit failed");
                if let Some(job) = group.pop() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, requests = group.len(), "readings group commit failed; retrying one by one");
                for job in group {
                    let one = std::slice::from_ref(&job);
                    let answer = commit_group(&pool, one)
                        .await
                        .map(|mut a| a.pop().unwrap_or_default());
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// Judges and stores the readings of `group` (in request order, items in queue order) in one
/// transaction; one list of per-item outcomes per request.
async fn commit_group(
    pool: &Pool,
    group: &[ReadingJob],
) -> Result<Vec<Vec<ReadingResult>>, StoreError> {
    let mut c = pool
        .get()
        .await
        .map_err(|e| StoreError::Pool(e.to_string()))?;
    let tx = c.transaction().await?;

    // The residents' meters, keyed by (resident, meter): a meter the request's resident does not
    // live with is unknown to that request.
    let meter_ids: Vec<Uuid> = group
        .iter()
        .flat_map(|j| j.items.iter().map(|i| i.meter_id.0))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let user_ids: Vec<Uuid> = group
        .iter()
        .map(|j| j.user.0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut meters: HashMap<(Uuid, MeterId), MeterContext> = HashMap::new();
    for r in tx
        .query(
            "SELECT m.id, m.apartment_id, m.account_id, m.kind, m.serial, m.integer_digits,
                    m.fraction_digits, m.tariffs, m.installed_on, m.next_verification_on,
                    m.replaces, p.window_start_day, p.window_end_day, ra.user_id
             FROM meters m
             JOIN resident_apartments ra ON ra.apartment_id = m.apartment_id
                  AND ra.user_id = ANY($2)
             JOIN accounts a ON a.id = m.account_id
             LEFT JOIN providers p ON p.id = a.provider_id
             WHERE m.id = ANY($1)",
            &[&meter_ids, &user_ids],
        )
        .await?
    {
        let meter = meter_row(&r)?;
        let start: Option<i16> = r.get(11);
        let end: Option<i16> = r.get(12);
        let window = start.zip(end).map(|(s, e)| SubmissionWindow {
            start_day: u8::try_from(s).unwrap_or(1),
            end_day: u8::try_from(e).unwrap_or(31),
        });
        meters.insert((r.get(13), meter.id), MeterContext { meter, window });
    }

    let ids: Vec<Uuid> = group
        .iter()
        .flat_map(|j| j.items.iter().map(|i| i.id.0))
        .collect();
    let stored = stored_by_id(&*tx, &ids).await?;

    // The two history rows of every new item on one of its resident's meters, in one query.
    let fresh: Vec<&Reading> = group
        .iter()
        .flat_map(|j| j.items.iter().map(move |i| (j.user.0, i)))
        .filter(|(u, i)| meters.contains_key(&(*u, i.meter_id)) && !stored.contains_key(&i.id.0))
        .map(|(_, i)| i)
        .collect();
    let mut history: Vec<Vec<Reading>> = vec![Vec::new(); fresh.len()];
    if !fresh.is_empty() {
        let f_meters: Vec<Uuid> = fresh.iter().map(|i| i.meter_id.0).collect();
        let f_times: Vec<DateTime<Utc>> = fresh
            .iter()
            .map(|i| from_micros(micros(i.taken_at)))
            .collect();
        for r in tx
            .query(
                "SELECT q.ord, f.id, f.vals, f.taken_at, l.id, l.vals, l.taken_at
                 FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY
                      AS q(meter_id, taken_at, ord)
                 LEFT JOIN LATERAL (SELECT id, vals, taken_at FROM readings r
                      WHERE r.meter_id = q.meter_id AND r.taken_at <= q.taken_at
                      ORDER BY r.taken_at, r.id LIMIT 1) f ON true
                 LEFT JOIN LATERAL (SELECT id, vals, taken_at FROM readings r
                      WHERE r.meter_id = q.meter_id AND r.taken_at <= q.taken_at
                      ORDER BY r.taken_at DESC, r.id DESC LIMIT 1) l ON true",
                &[&f_meters, &f_times],
            )
            .await?
        {
            let ord: i64 = r.get(0);
            let Some(at) = usize::try_from(ord - 1).ok().filter(|i| *i < fresh.len()) else {
                continue;
            };
            let meter = fresh[at].meter_id;
            for col in [1, 4] {
                if let Some(id) = r.get::<_, Option<Uuid>>(col) {
                    history[at].push(history_row(
                        ReadingId(id),
                        meter,
                        r.get(col + 1),
                        micros(r.get(col + 2)),
                    )?);
                }
            }
        }
    }

    let mut answers: Vec<Vec<ReadingResult>> = Vec::with_capacity(group.len());
    // Accepted earlier in this group: later items see them as history and as duplicates.
    let mut batch: HashMap<Uuid, StoredContent> = HashMap::new();
    let mut batch_history: HashMap<MeterId, Vec<Reading>> = HashMap::new();
    let mut rows: Vec<InsertRow> = Vec::new();
    // Accepted inside a known submission window: they earn points (resident, time).
    let mut on_time: HashMap<Uuid, (UserId, DateTime<Utc>)> = HashMap::new();
    let mut fresh_at = 0usize;
    for job in group {
        let now = job.now;
        let mut results: Vec<ReadingResult> = Vec::with_capacity(job.items.len());
        for item in &job.items {
            let outcome = match meters.get(&(job.user.0, item.meter_id)) {
                None => unknown_meter(),
                Some(ctx) => {
                    if let Some(s) = stored.get(&item.id.0) {
                        replay_outcome(s, item)?
                    } else {
                        let mut hist = std::mem::take(&mut history[fresh_at]);
                        fresh_at += 1;
                        if let Some(s) = batch.get(&item.id.0) {
                            replay_outcome(s, item)?
                        } else {
                            if let Some(more) = batch_history.get(&item.meter_id) {
                                hist.extend(more.iter().cloned());
                            }
                            match judge(ctx, &hist, item, now) {
                                Err(rejected) => rejected,
                                Ok(late) => {
                                    if !late && ctx.window.is_some() {
                                        on_time.insert(item.id.0, (job.user, now));
                                    }
                                    let vals = vals_json(&item.values)?;
                                    let taken = from_micros(micros(item.taken_at));
                                    batch.insert(
                                        item.id.0,
                                        StoredContent {
                                            meter_id: item.meter_id,
                                            vals: vals.clone(),
                                            taken_at_us: micros(taken),
                                            confirmed_jump: item.confirmed_jump,
                                            received_at_us: micros(now),
                                        },
                                    );
                                    batch_history
                                        .entry(item.meter_id)
                                        .or_default()
                                        .push(item.clone());
                                    rows.push((
                                        item.id.0,
                                        item.meter_id.0,
                                        vals,
                                        taken,
                                        item.confirmed_jump,
                                        late,
                                        now,
                                    ));
                                    ReadingOutcome::Accepted {
                                        received_at: now,
                                        late,
                                    }
                                }
                            }
                        }
                    }
                }
            };
            results.push(ReadingResult {
                id: item.id,
                outcome,
            });
        }
        answers.push(results);
    }

    if !rows.is_empty() {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQ_LOCK])
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
        let meter_col: Vec<Uuid> = rows.iter().map(|r| r.1).collect();
        let vals: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        let taken: Vec<DateTime<Utc>> = rows.iter().map(|r| r.3).collect();
        let confirmed: Vec<bool> = rows.iter().map(|r| r.4).collect();
        let late: Vec<bool> = rows.iter().map(|r| r.5).collect();
        let received: Vec<DateTime<Utc>> = rows.iter().map(|r| r.6).collect();
        let inserted: HashSet<Uuid> = tx
            .query(
                "INSERT INTO readings (id, meter_id, vals, taken_at, confirmed_jump,
                    received_at, late)
                 SELECT i, m, v, t, c, r, l
                 FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],
                             $5::bool[], $6::timestamptz[], $7::bool[])
                      AS x(i, m, v, t, c, r, l)
                 ON CONFLICT (id) DO NOTHING RETURNING id",
                &[
                    &ids, &meter_col, &vals, &taken, &confirmed, &received, &late,
                ],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        // Their points commit with the readings (settled by server::points).
        let earned: Vec<(UserId, String, DateTime<Utc>)> = ids
            .iter()
            .filter(|id| inserted.contains(id))
            .filter_map(|id| on_time.get(id).map(|(u, at)| (*u, id.to_string(), *at)))
            .collect();
        super::points::queue_earnings_of(&tx, LedgerReason::OnTimeReading, &earned).await?;
        // A concurrent request (another replica) stored some of these ids first: answer as a
        // replay of it.
        let raced: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|i| !inserted.contains(i))
            .collect();
        if !raced.is_empty() {
            let theirs = stored_by_id(&*tx, &raced).await?;
            for (results, job) in answers.iter_mut().zip(group) {
                for (res, item) in results.iter_mut().zip(&job.items) {
                    if let Some(s) = theirs.get(&item.id.0)
                        && matches!(res.outcome, ReadingOutcome::Accepted { .. })
                    {
                        res.outcome = replay_outcome(s, item)?;
                    }
                }
            }
        }
    }
    tx.commit().await?;
    Ok(answers)
}

/// A row to insert: id, meter, values JSON, taken at, confirmed jump, late, received at.
type InsertRow = (Uuid, Uuid, String, DateTime<Utc>, bool, bool, DateTime<Utc>);

#[async_trait]
impl ReadingStore for PgStore {
    async fn upsert_provider(&self, p: UtilityProvider) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO providers (id, name, kind, window_start_day, window_end_day)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                window_start_day = excluded.window_start_day,
                window_end_day = excluded.window_end_day",
            &[
                &p.id.0,
                &p.name,
                &p.kind.as_str(),
                &i16::from(p.window_start_day),
                &i16::from(p.window_end_day),
            ],
        )
        .await?;
        Ok(())
    }

    async fn submit_readings(
        &self,
        user: UserId,
        items: Vec<Reading>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReadingResult>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let n = items.len();
        admit(&self.queued_items, n)?;
        let _slots = Slots(&self.queued_items, n);
        let (reply, answer) = oneshot::channel();
        self.readings
            .send(ReadingJob {
                user,
                items,
                now: server_now(now),
                reply,
            })
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    async fn meter_scope(&self, meter: MeterId) -> Result<Option<MeterScope>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT m.apartment_id, b.company_id FROM meters m
                 JOIN apartments a ON a.id = m.apartment_id
                 JOIN buildings b ON b.id = a.building_id
                 WHERE m.id = $1",
            &[&meter.0],
        )
        .await?
        .map(|r| MeterScope {
            apartment_id: ApartmentId(r.get(0)),
            company_id: r.get::<_, Option<String>>(1).map(CompanyId),
        }))
    }

    async fn meter_readings(
        &self,
        meter: MeterId,
        limit: u32,
    ) -> Result<Vec<StoredReading>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT id, meter_id, vals, taken_at, received_at, late FROM readings
             WHERE meter_id = $1 ORDER BY taken_at DESC, id DESC LIMIT $2",
            &[&meter.0, &i64::from(limit)],
        )
        .await?
        .iter()
        .map(|r| stored_row(r, 0))
        .collect()
    }

    async fn readings_since(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, StoredReading)>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT r.seq, r.id, r.meter_id, r.vals, r.taken_at, r.received_at, r.late
             FROM readings r
             JOIN meters m ON m.id = r.meter_id
             JOIN resident_apartments ra ON ra.apartment_id = m.apartment_id
             WHERE ra.user_id = $1 AND r.seq > $2
             ORDER BY r.seq LIMIT $3",
            &[&user.0, &after, &i64::from(limit)],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get(0), stored_row(r, 1)?)))
        .collect()
    }
}
