//! What both backends share when judging a batch of readings: the stored shape of a reading's
//! content, the exact-equality test behind duplicate/conflict, and the call into the shared
//! validation rules of `connect_core::readings::validation` with server time.
//!
//! The rules only look at the first and the latest earlier reading of a meter (the average rate
//! and the previous value), so the backends load just those two rows per item instead of the
//! whole history; readings accepted earlier in the same batch are added by the caller.

use chrono::{DateTime, Utc};
use connect_core::{
    api::readings::{ReadingOutcome, StoredReading},
    ids::{MeterId, ReadingId},
    readings::{
        Meter, Reading, TariffValue,
        validation::{self, SubmissionWindow, ValidationInput},
    },
};

use super::StoreError;

/// The longest batch one request may carry.
pub const MAX_BATCH: usize = 1000;

/// Readings waiting for the writer (all requests together) before new ones get 429.
pub const MAX_QUEUED_ITEMS: usize = 50_000;

/// The `Retry-After` an overloaded ingest answers with, in seconds.
pub const OVERLOAD_RETRY_SECS: u32 = 1;

/// Admits a request's `n` readings into the bounded ingest queue counted by `queued`, or refuses
/// it with [`StoreError::Overloaded`] (answered as 429 + `Retry-After`). An empty queue always
/// takes one batch, however large, so a big request is never refused forever. The caller gives
/// the slots back when the readings leave the queue.
pub fn admit(queued: &std::sync::atomic::AtomicUsize, n: usize) -> Result<(), StoreError> {
    use std::sync::atomic::Ordering;
    let before = queued.fetch_add(n, Ordering::Relaxed);
    if before > 0 && before + n > MAX_QUEUED_ITEMS {
        queued.fetch_sub(n, Ordering::Relaxed);
        metrics::counter!("connect_readings_overloaded_total").increment(1);
        return Err(StoreError::Overloaded);
    }
    metrics::gauge!("connect_readings_queue_items").set((before + n) as f64);
    Ok(())
}

/// A reading id already stored, with the content it was stored with.
#[derive(Debug, Clone)]
pub struct StoredContent {
    /// Meter.
    pub meter_id: MeterId,
    /// Values as stored ([`vals_json`]).
    pub vals: String,
    /// Device time, unix microseconds.
    pub taken_at_us: i64,
    /// Jump confirmed by the resident.
    pub confirmed_jump: bool,
    /// Server time of the first storage, unix microseconds.
    pub received_at_us: i64,
}

/// A meter as the rules need it, and whether the submitting resident may write to it.
#[derive(Debug, Clone)]
pub struct MeterContext {
    /// The meter.
    pub meter: Meter,
    /// The window of the provider billing its account.
    pub window: Option<SubmissionWindow>,
}

/// Values in their stored form: the wire JSON, so equality is exact and reading back is lossless.
pub fn vals_json(values: &[TariffValue]) -> Result<String, StoreError> {
    serde_json::to_string(values).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Values from their stored form.
pub fn vals_from_json(s: &str) -> Result<Vec<TariffValue>, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt("reading values".into()))
}

/// Unix microseconds: the precision both backends store (the client cuts `taken_at` to it).
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// An instant from unix microseconds.
pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// Server time cut to what the stores keep, so an `accepted` answer and a later `duplicate`
/// answer name the same `received_at`.
pub fn server_now(now: DateTime<Utc>) -> DateTime<Utc> {
    from_micros(micros(now))
}

/// Whether a stored reading has exactly the submitted content.
pub fn same_content(stored: &StoredContent, item: &Reading) -> Result<bool, StoreError> {
    Ok(stored.meter_id == item.meter_id
        && stored.taken_at_us == micros(item.taken_at)
        && stored.confirmed_jump == item.confirmed_jump
        && stored.vals == vals_json(&item.values)?)
}

/// The answer for an id that is already stored.
pub fn replay_outcome(
    stored: &StoredContent,
    item: &Reading,
) -> Result<ReadingOutcome, StoreError> {
    Ok(if same_content(stored, item)? {
        ReadingOutcome::Duplicate {
            received_at: from_micros(stored.received_at_us),
        }
    } else {
        ReadingOutcome::Conflict
    })
}

/// The answer for a meter that does not exist or is not the resident's: the same either way, so
/// other tenants' meters cannot be probed.
pub fn unknown_meter() -> ReadingOutcome {
    ReadingOutcome::Rejected {
        code: "not_found".into(),
        message: "This meter is not one of yours.".into(),
    }
}

/// Applies the shared rules to a new reading. `Ok(late)` means store it.
pub fn judge(
    ctx: &MeterContext,
    history: &[Reading],
    item: &Reading,
    now: DateTime<Utc>,
) -> Result<bool, ReadingOutcome> {
    let verdict = validation::validate(ValidationInput {
        meter: &ctx.meter,
        history,
        reading: item,
        window: ctx.window,
        now,
    });
    match verdict.rejection {
        Some(r) => Err(ReadingOutcome::Rejected {
            code: r.code.as_str().to_owned(),
            message: r.message,
        }),
        None => Ok(verdict.late),
    }
}

/// A history row as the rules see it (only meter, values and time matter to them).
pub fn history_row(
    id: ReadingId,
    meter_id: MeterId,
    vals: &str,
    taken_at_us: i64,
) -> Result<Reading, StoreError> {
    Ok(Reading {
        id,
        meter_id,
        values: vals_from_json(vals)?,
        taken_at: from_micros(taken_at_us),
        confirmed_jump: false,
    })
}

/// A stored reading for history and sync.
pub fn stored_reading(
    id: ReadingId,
    meter_id: MeterId,
    vals: &str,
    taken_at_us: i64,
    received_at_us: i64,
    late: bool,
) -> Result<StoredReading, StoreError> {
    Ok(StoredReading {
        id,
        meter_id,
        values: vals_from_json(vals)?,
        taken_at: from_micros(taken_at_us),
        received_at: from_micros(received_at_us),
        late,
    })
}
