//! Readings on SQLite: group commit on the single writer thread, history and sync reads.
//!
//! Each request becomes one [`ReadingJob`]; the writer thread judges the jobs queued together in
//! one transaction, each inside its own savepoint (a job that fails rolls back alone), commits
//! once and only then answers every request with its own per-item outcomes. The queue in front
//! of the writer is bounded by [`MAX_QUEUED_ITEMS`](crate::store::readings::MAX_QUEUED_ITEMS); beyond it a request is refused at once.

use std::{collections::HashMap, sync::atomic::Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connect_core::{
    api::readings::{ReadingOutcome, ReadingResult, StoredReading},
    ids::{ApartmentId, CompanyId, MeterId, ProviderId, ReadingId, UserId},
    points::LedgerReason,
    property::{UtilityKind, UtilityProvider},
    readings::{Reading, validation::SubmissionWindow},
};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::{Job, SqliteStore, meter_row, uuid_col};
use crate::store::{
    MeterScope, ReadingStore, StoreError,
    readings::{
        MeterContext, StoredContent, admit, history_row, judge, micros, replay_outcome, server_now,
        stored_reading, unknown_meter, vals_json,
    },
};

/// Readings one group transaction takes at most (bounds its latency).
pub(super) const GROUP_ITEMS: usize = 5_000;

/// One request's batch, waiting for the writer.
pub(super) struct ReadingJob {
    pub(super) user: UserId,
    pub(super) items: Vec<Reading>,
    pub(super) now: DateTime<Utc>,
    pub(super) reply: oneshot::Sender<Result<Vec<ReadingResult>, StoreError>>,
}

/// Judges and stores a group of requests in one transaction; answers after the commit.
pub(super) fn commit_group(conn: &mut Connection, group: Vec<ReadingJob>) {
    let mut tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => {
            for job in group {
                let _ = job.reply.send(Err(StoreError::Task(format!("begin: {e}"))));
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(group.len());
    for job in group {
        let result = (|| {
            let sp = tx.savepoint()?;
            let results = judge_batch(&sp, job.user, &job.items, job.now)?;
            sp.commit()?;
            Ok(results)
        })();
        answers.push((job.reply, result));
    }
    match tx.commit() {
        Ok(()) => {
            for (reply, result) in answers {
                // A caller that went away (cancelled request) retries and gets `duplicate`.
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "readings group commit failed");
            for (reply, _) in answers {
                let _ = reply.send(Err(StoreError::Task(format!("commit: {e}"))));
            }
        }
    }
}

fn meter_context(
    conn: &Connection,
    user: UserId,
    meter: MeterId,
) -> Result<Option<MeterContext>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.apartment_id, m.account_id, m.kind, m.serial, m.integer_digits,
                m.fraction_digits, m.tariffs, m.installed_on, m.next_verification_on, m.replaces,
                p.window_start_day, p.window_end_day
         FROM meters m
         JOIN resident_apartments ra ON ra.apartment_id = m.apartment_id AND ra.user_id = ?2
         JOIN accounts a ON a.id = m.account_id
         LEFT JOIN providers p ON p.id = a.provider_id
         WHERE m.id = ?1",
    )?;
    let row = stmt
        .query_row(params![meter.0.to_string(), user.0.to_string()], |r| {
            let start: Option<u8> = r.get(11)?;
            let end: Option<u8> = r.get(12)?;
            Ok((meter_row(r)?, start.zip(end)))
        })
        .optional()?;
    let Some((meter, window)) = row else {
        return Ok(None);
    };
    Ok(Some(MeterContext {
        meter: meter?,
        window: window.map(|(start_day, end_day)| SubmissionWindow { start_day, end_day }),
    }))
}

/// The first and the latest readings of a meter taken at or before `taken_at_us`: all the
/// shared rules look at.
fn history(
    conn: &Connection,
    meter: MeterId,
    taken_at_us: i64,
) -> Result<Vec<Reading>, StoreError> {
    let mut out = Vec::with_capacity(2);
    for sql in [
        "SELECT id, vals, taken_at_us FROM readings WHERE meter_id = ?1 AND taken_at_us <= ?2
         ORDER BY taken_at_us, id LIMIT 1",
        "SELECT id, vals, taken_at_us FROM readings WHERE meter_id = ?1 AND taken_at_us <= ?2
         ORDER BY taken_at_us DESC, id DESC LIMIT 1",
    ] {
        let mut stmt = conn.prepare_cached(sql)?;
        let row = stmt
            .query_row(params![meter.0.to_string(), taken_at_us], |r| {
                Ok((uuid_col(r, 0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
            })
            .optional()?;
        if let Some((id, vals, taken)) = row {
            out.push(history_row(ReadingId(id), meter, &vals, taken)?);
        }
    }
    Ok(out)
}

fn judge_batch(
    conn: &Connection,
    user: UserId,
    items: &[Reading],
    now: DateTime<Utc>,
) -> Result<Vec<ReadingResult>, StoreError> {
    let now = server_now(now);
    let now_us = micros(now);
    let mut meters: HashMap<MeterId, Option<MeterContext>> = HashMap::new();
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let ctx = match meters.entry(item.meter_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(meter_context(conn, user, item.meter_id)?)
            }
        };
        let Some(ctx) = ctx.as_ref() else {
            results.push(ReadingResult {
                id: item.id,
                outcome: unknown_meter(),
            });
            continue;
        };
        let stored = conn
            .prepare_cached(
                "SELECT meter_id, vals, taken_at_us, confirmed_jump, received_at_us
                 FROM readings WHERE id = ?1",
            )?
            .query_row([item.id.0.to_string()], |r| {
                Ok(StoredContent {
                    meter_id: MeterId(uuid_col(r, 0)?),
                    vals: r.get(1)?,
                    taken_at_us: r.get(2)?,
                    confirmed_jump: r.get(3)?,
                    received_at_us: r.get(4)?,
                })
            })
            .optional()?;
        if let Some(stored) = stored {
            results.push(ReadingResult {
                id: item.id,
                outcome: replay_outcome(&stored, item)?,
            });
            continue;
        }
        let taken_at_us = micros(item.taken_at);
        let history = history(conn, item.meter_id, taken_at_us)?;
        let outcome = match judge(ctx, &history, item, now) {
            Err(rejected) => rejected,
            Ok(late) => {
                conn.prepare_cached(
                    "INSERT INTO readings (id, meter_id, vals, taken_at_us, confirmed_jump,
                        received_at_us, late) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    item.id.0.to_string(),
                    item.meter_id.0.to_string(),
                    vals_json(&item.values)?,
                    taken_at_us,
                    item.confirmed_jump,
                    now_us,
                    late
                ])?;
                if !late && ctx.window.is_some() {
                    // On time inside a known window: its points commit with the reading.
                    super::points::queue_earning(
                        conn,
                        user,
                        LedgerReason::OnTimeReading,
                        &item.id.0.to_string(),
                        now,
                    )?;
                }
                ReadingOutcome::Accepted {
                    received_at: now,
                    late,
                }
            }
        };
        results.push(ReadingResult {
            id: item.id,
            outcome,
        });
    }
    Ok(results)
}

/// The providers billing an apartment's accounts.
pub(super) fn providers_of(
    conn: &Connection,
    apartment: ApartmentId,
) -> Result<Vec<UtilityProvider>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT p.id, p.name, p.kind, p.window_start_day, p.window_end_day
         FROM providers p JOIN accounts a ON a.provider_id = p.id
         WHERE a.apartment_id = ?1 ORDER BY p.id",
    )?;
    let rows = stmt
        .query_map([apartment.0.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u8>(3)?,
                r.get::<_, u8>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, name, kind, start, end)| {
            Ok(UtilityProvider {
                id: ProviderId(id),
                name,
                kind: UtilityKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt("provider kind".into()))?,
                window_start_day: start,
                window_end_day: end,
            })
        })
        .collect()
}

type RawReading = (uuid::Uuid, uuid::Uuid, String, i64, i64, bool);

fn raw_reading(r: &rusqlite::Row<'_>, at: usize) -> Result<RawReading, rusqlite::Error> {
    Ok((
        uuid_col(r, at)?,
        uuid_col(r, at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
    ))
}

fn to_stored(raw: RawReading) -> Result<StoredReading, StoreError> {
    let (id, meter, vals, taken, received, late) = raw;
    stored_reading(ReadingId(id), MeterId(meter), &vals, taken, received, late)
}

#[async_trait]
impl ReadingStore for SqliteStore {
    async fn upsert_provider(&self, p: UtilityProvider) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO providers (id, name, kind, window_start_day, window_end_day)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                    window_start_day = excluded.window_start_day,
                    window_end_day = excluded.window_end_day",
                params![
                    p.id.0,
                    p.name,
                    p.kind.as_str(),
                    p.window_start_day,
                    p.window_end_day
                ],
            )?;
            Ok(())
        })
        .await
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
        let (reply, wait) = oneshot::channel();
        let job = ReadingJob {
            user,
            items,
            now,
            reply,
        };
        if self.writer.send(Job::Readings(job)).is_err() {
            self.queued_items.fetch_sub(n, Ordering::Relaxed);
            return Err(StoreError::WriterGone);
        }
        wait.await.map_err(|_| StoreError::WriterGone)?
    }

    async fn meter_scope(&self, meter: MeterId) -> Result<Option<MeterScope>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT m.apartment_id, b.company_id FROM meters m
                     JOIN apartments a ON a.id = m.apartment_id
                     JOIN buildings b ON b.id = a.building_id
                     WHERE m.id = ?1",
                    [meter.0.to_string()],
                    |r| {
                        Ok(MeterScope {
                            apartment_id: ApartmentId(uuid_col(r, 0)?),
                            company_id: r.get::<_, Option<String>>(1)?.map(CompanyId),
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn meter_readings(
        &self,
        meter: MeterId,
        limit: u32,
    ) -> Result<Vec<StoredReading>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, meter_id, vals, taken_at_us, received_at_us, late FROM readings
                 WHERE meter_id = ?1 ORDER BY taken_at_us DESC, id DESC LIMIT ?2",
            )?;
            let raw = stmt
                .query_map(params![meter.0.to_string(), limit], |r| raw_reading(r, 0))?
                .collect::<Result<Vec<_>, _>>()?;
            raw.into_iter().map(to_stored).collect()
        })
        .await
    }

    async fn readings_since(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, StoredReading)>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.seq, r.id, r.meter_id, r.vals, r.taken_at_us, r.received_at_us, r.late
                 FROM readings r
                 JOIN meters m ON m.id = r.meter_id
                 JOIN resident_apartments ra ON ra.apartment_id = m.apartment_id
                 WHERE ra.user_id = ?1 AND r.seq > ?2
                 ORDER BY r.seq LIMIT ?3",
            )?;
            let raw = stmt
                .query_map(params![user.0.to_string(), after, limit], |r| {
                    Ok((r.get::<_, i64>(0)?, raw_reading(r, 1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            raw.into_iter()
                .map(|(seq, raw)| Ok((seq, to_stored(raw)?)))
                .collect()
        })
        .await
    }
}
