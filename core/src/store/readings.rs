//! Meters, readings, the upload outbox and rejected readings in the local store.
//!
//! A reading's content lives once, in `readings`; its state says where it is: `queued` (it has an
//! outbox row), `accepted` (the server stored it) or `rejected` (a `rejected_readings` row says
//! why). The outbox row is created in the same transaction as the reading and deleted only in the
//! transaction that records the server's answer for that very item.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    api::{property::PropertyResponse, readings::StoredReading},
    ids::{MeterId, ReadingId},
    readings::{Meter, Reading, TariffValue, validation::SubmissionWindow},
    store::{Error, FieldCipher},
};

/// Where a reading is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ReadingState {
    /// In the outbox, waiting for the server's answer.
    Queued,
    /// Stored by the server (a duplicate answer counts as accepted).
    Accepted,
    /// Refused by a rule (on this device or by the server); kept with its reason.
    Rejected,
}

impl ReadingState {
    fn as_str(self) -> &'static str {
        match self {
            ReadingState::Queued => "queued",
            ReadingState::Accepted => "accepted",
            ReadingState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "queued" => Ok(ReadingState::Queued),
            "accepted" => Ok(ReadingState::Accepted),
            "rejected" => Ok(ReadingState::Rejected),
            _ => Err(Error::Corrupt {
                what: "reading state",
            }),
        }
    }
}

/// Which readings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ReadingFilter {
    /// Waiting in the outbox.
    Queued,
    /// Stored by the server.
    Accepted,
    /// Refused, with their reason.
    Rejected,
    /// Everything.
    All,
}

/// Why a reading was refused, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct StoredRejection {
    /// Stable rule code (`below_previous`, `conflict`, …).
    pub code: String,
    /// Message for the resident.
    pub message: String,
    /// When it was refused.
    pub rejected_at: DateTime<Utc>,
}

/// One reading as the app lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReadingItem {
    /// The content, exactly as submitted.
    pub reading: Reading,
    /// Where it is.
    pub state: ReadingState,
    /// Server time of storage, once accepted.
    pub received_at: Option<DateTime<Utc>>,
    /// Accepted outside the provider's window.
    pub late: bool,
    /// Why it was refused, when rejected.
    pub rejection: Option<StoredRejection>,
    /// Upload attempts so far, while queued.
    pub attempts: u32,
    /// The last upload failure, while queued (no personal data).
    pub last_error: Option<String>,
}

/// What to do with one outbox item after an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxResolution {
    /// The server stored it (now or before): move it to history.
    Accepted {
        /// The reading.
        id: ReadingId,
        /// Server time of storage.
        received_at: DateTime<Utc>,
        /// Outside the submission window.
        late: bool,
    },
    /// The server refused it: move it to the rejected list with the reason.
    Rejected {
        /// The reading.
        id: ReadingId,
        /// Stable code.
        code: String,
        /// Message for the resident.
        message: String,
    },
    /// No answer for it: keep it queued and count the attempt.
    Retry {
        /// The reading.
        id: ReadingId,
        /// What went wrong (no personal data).
        error: String,
    },
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::Corrupt { what: "timestamp" })
}

fn parse_uuid(s: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(s).map_err(|_| Error::Corrupt { what: "id" })
}

fn json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|_| Error::Corrupt { what: "json" })
}

/// Replaces the meters and accounts with what `GET /v1/property` returned. Account numbers and
/// holder names are sealed.
pub fn replace_property(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    property: &PropertyResponse,
) -> Result<(), Error> {
    tx.execute("DELETE FROM meters", []).map_err(Error::Write)?;
    tx.execute("DELETE FROM accounts", [])
        .map_err(Error::Write)?;
    for home in &property.homes {
        for account in &home.accounts {
            tx.execute(
                "INSERT OR REPLACE INTO accounts (id, apartment_id, provider_id, number, holder_name)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    account.id.0.to_string(),
                    account.apartment_id.0.to_string(),
                    account.provider_id.0,
                    cipher
                        .seal_str("account_number", &account.number)
                        .map_err(Error::Seal)?,
                    cipher
                        .seal_str("holder_name", &account.holder_name)
                        .map_err(Error::Seal)?,
                ],
            )
            .map_err(Error::Write)?;
        }
        for meter in &home.meters {
            // The window is the one of the provider billing the meter's account; a server that
            // does not send providers leaves a window stored earlier in place, and the server
            // decides `late` with its own clock anyway.
            let window = home
                .accounts
                .iter()
                .find(|a| a.id == meter.account_id)
                .and_then(|a| home.providers.iter().find(|p| p.id == a.provider_id))
                .map(|p| SubmissionWindow {
                    start_day: p.window_start_day,
                    end_day: p.window_end_day,
                });
            upsert_meter(tx, meter, window)?;
        }
    }
    Ok(())
}

/// Stores one meter (and its provider's window, when known).
pub fn upsert_meter(
    tx: &Transaction<'_>,
    meter: &Meter,
    window: Option<SubmissionWindow>,
) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO meters (id, apartment_id, account_id, body, window_start_day, window_end_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET apartment_id = excluded.apartment_id,
             account_id = excluded.account_id, body = excluded.body,
             window_start_day = COALESCE(excluded.window_start_day, meters.window_start_day),
             window_end_day = COALESCE(excluded.window_end_day, meters.window_end_day)",
        params![
            meter.id.0.to_string(),
            meter.apartment_id.0.to_string(),
            meter.account_id.0.to_string(),
            json(meter)?,
            window.map(|w| w.start_day),
            window.map(|w| w.end_day),
        ],
    )
    .map_err(Error::Write)?;
    Ok(())
}

/// The account number and holder name of an account, opened.
pub fn account_personal_fields(
    conn: &Connection,
    cipher: &FieldCipher,
    account_id: &str,
) -> Result<Option<(String, String)>, Error> {
    let row: Option<(Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT number, holder_name FROM accounts WHERE id = ?1",
            [account_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(Error::Read)?;
    row.map(|(number, holder)| {
        Ok((
            cipher
                .open_str("account_number", &number)
                .map_err(|source| Error::Unseal {
                    field: "account number",
                    source,
                })?,
            cipher
                .open_str("holder_name", &holder)
                .map_err(|source| Error::Unseal {
                    field: "holder name",
                    source,
                })?,
        ))
    })
    .transpose()
}

/// All meters, by serial.
pub fn meters(conn: &Connection) -> Result<Vec<Meter>, Error> {
    let mut stmt = conn
        .prepare("SELECT body FROM meters")
        .map_err(Error::Read)?;
    let bodies = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(Error::Read)?;
    let mut out = Vec::new();
    for body in bodies {
        let body = body.map_err(Error::Read)?;
        out.push(
            serde_json::from_str::<Meter>(&body).map_err(|_| Error::Corrupt { what: "meter" })?,
        );
    }
    out.sort_by(|a, b| a.serial.cmp(&b.serial));
    Ok(out)
}

/// One meter with its provider's submission window.
pub fn meter(
    conn: &Connection,
    id: MeterId,
) -> Result<Option<(Meter, Option<SubmissionWindow>)>, Error> {
    let row: Option<(String, Option<u8>, Option<u8>)> = conn
        .query_row(
            "SELECT body, window_start_day, window_end_day FROM meters WHERE id = ?1",
            [id.0.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(Error::Read)?;
    row.map(|(body, start, end)| {
        let meter = serde_json::from_str(&body).map_err(|_| Error::Corrupt { what: "meter" })?;
        let window = start
            .zip(end)
            .map(|(start_day, end_day)| SubmissionWindow { start_day, end_day });
        Ok((meter, window))
    })
    .transpose()
}

const READING_COLUMNS: &str = "r.id, r.meter_id, r.reading_values, r.taken_at, r.confirmed_jump";

fn reading_from_row(row: &Row<'_>) -> Result<Reading, Error> {
    let get = |i| row.get::<_, String>(i).map_err(Error::Read);
    let values: Vec<TariffValue> = serde_json::from_str(&get(2)?).map_err(|_| Error::Corrupt {
        what: "reading values",
    })?;
    Ok(Reading {
        id: ReadingId(parse_uuid(&get(0)?)?),
        meter_id: MeterId(parse_uuid(&get(1)?)?),
        values,
        taken_at: parse_ts(&get(3)?)?,
        confirmed_jump: row.get::<_, bool>(4).map_err(Error::Read)?,
    })
}

/// The meter's readings the rules compare against: accepted ones and those still queued (they
/// will most likely be accepted, and a new value must not fall below them either).
pub fn validation_history(conn: &Connection, meter_id: MeterId) -> Result<Vec<Reading>, Error> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {READING_COLUMNS} FROM readings r
             WHERE r.meter_id = ?1 AND r.state IN ('accepted', 'queued') ORDER BY r.taken_at"
        ))
        .map_err(Error::Read)?;
    let mut rows = stmt.query([meter_id.0.to_string()]).map_err(Error::Read)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::Read)? {
        out.push(reading_from_row(row)?);
    }
    Ok(out)
}

fn insert_reading(
    tx: &Transaction<'_>,
    reading: &Reading,
    state: ReadingState,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO readings (id, meter_id, reading_values, taken_at, confirmed_jump, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            reading.id.0.to_string(),
            reading.meter_id.0.to_string(),
            json(&reading.values)?,
            ts(reading.taken_at),
            reading.confirmed_jump,
            state.as_str(),
            ts(now),
        ],
    )
    .map_err(Error::Write)?;
    Ok(())
}

/// Records a new reading and queues it for upload, in the caller's transaction.
pub fn enqueue(tx: &Transaction<'_>, reading: &Reading, now: DateTime<Utc>) -> Result<(), Error> {
    insert_reading(tx, reading, ReadingState::Queued, now)?;
    tx.execute(
        "INSERT INTO outbox (reading_id) VALUES (?1)",
        [reading.id.0.to_string()],
    )
    .map_err(Error::Write)?;
    Ok(())
}

/// Records a reading this device's rules refused, kept visible with its reason.
pub fn record_rejected(
    tx: &Transaction<'_>,
    reading: &Reading,
    code: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    insert_reading(tx, reading, ReadingState::Rejected, now)?;
    tx.execute(
        "INSERT INTO rejected_readings (reading_id, code, message, rejected_at) VALUES (?1, ?2, ?3, ?4)",
        params![reading.id.0.to_string(), code, message, ts(now)],
    )
    .map_err(Error::Write)?;
    record_event(tx, "reading_rejected", Some(reading.id), Some(code), now)
}

/// The oldest queued readings, at most `limit`, in queue order.
pub fn next_batch(conn: &Connection, limit: usize) -> Result<Vec<Reading>, Error> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {READING_COLUMNS} FROM outbox o JOIN readings r ON r.id = o.reading_id
             ORDER BY o.seq LIMIT ?1"
        ))
        .map_err(Error::Read)?;
    let mut rows = stmt
        .query([i64::try_from(limit).unwrap_or(i64::MAX)])
        .map_err(Error::Read)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::Read)? {
        out.push(reading_from_row(row)?);
    }
    Ok(out)
}

/// How many readings wait in the outbox.
pub fn outbox_len(conn: &Connection) -> Result<usize, Error> {
    conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))
        .map(|n| usize::try_from(n).unwrap_or(0))
        .map_err(Error::Read)
}

/// Applies the server's answers: the outbox row of an item goes only with its answer.
pub fn resolve(
    tx: &Transaction<'_>,
    resolutions: &[OutboxResolution],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for r in resolutions {
        match r {
            OutboxResolution::Accepted {
                id,
                received_at,
                late,
            } => {
                tx.execute(
                    "UPDATE readings SET state = 'accepted', received_at = ?2, late = ?3 WHERE id = ?1",
                    params![id.0.to_string(), ts(*received_at), late],
                )
                .map_err(Error::Write)?;
                delete_outbox(tx, *id)?;
                record_event(tx, "reading_accepted", Some(*id), None, now)?;
            }
            OutboxResolution::Rejected { id, code, message } => {
                tx.execute(
                    "UPDATE readings SET state = 'rejected' WHERE id = ?1",
                    [id.0.to_string()],
                )
                .map_err(Error::Write)?;
                tx.execute(
                    "INSERT OR REPLACE INTO rejected_readings (reading_id, code, message, rejected_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id.0.to_string(), code, message, ts(now)],
                )
                .map_err(Error::Write)?;
                delete_outbox(tx, *id)?;
                record_event(tx, "reading_rejected", Some(*id), Some(code), now)?;
            }
            OutboxResolution::Retry { id, error } => {
                tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, last_attempt_at = ?3
                     WHERE reading_id = ?1",
                    params![id.0.to_string(), error, ts(now)],
                )
                .map_err(Error::Write)?;
            }
        }
    }
    Ok(())
}

fn delete_outbox(tx: &Transaction<'_>, id: ReadingId) -> Result<(), Error> {
    tx.execute(
        "DELETE FROM outbox WHERE reading_id = ?1",
        [id.0.to_string()],
    )
    .map_err(Error::Write)?;
    Ok(())
}

/// Merges the server-side history from a pull. Readings this device already has keep their
/// local record; the outbox is left alone (only an upload answer removes an outbox row).
pub fn merge_server_history(
    tx: &Transaction<'_>,
    readings: &[StoredReading],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for r in readings {
        tx.execute(
            "INSERT INTO readings
                 (id, meter_id, reading_values, taken_at, confirmed_jump, state, received_at, late, created_at)
             VALUES (?1, ?2, ?3, ?4, 0, 'accepted', ?5, ?6, ?7)
             ON CONFLICT (id) DO NOTHING",
            params![
                r.id.0.to_string(),
                r.meter_id.0.to_string(),
                json(&r.values)?,
                ts(r.taken_at),
                ts(r.received_at),
                r.late,
                ts(now),
            ],
        )
        .map_err(Error::Write)?;
    }
    Ok(())
}

/// The readings matching `filter`, newest first.
pub fn list(conn: &Connection, filter: ReadingFilter) -> Result<Vec<ReadingItem>, Error> {
    let condition = match filter {
        ReadingFilter::Queued => "WHERE r.state = 'queued'",
        ReadingFilter::Accepted => "WHERE r.state = 'accepted'",
        ReadingFilter::Rejected => "WHERE r.state = 'rejected'",
        ReadingFilter::All => "",
    };
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {READING_COLUMNS}, r.state, r.received_at, r.late,
                    x.code, x.message, x.rejected_at, o.attempts, o.last_error
             FROM readings r
             LEFT JOIN rejected_readings x ON x.reading_id = r.id
             LEFT JOIN outbox o ON o.reading_id = r.id
             {condition}
             ORDER BY r.taken_at DESC, r.id DESC"
        ))
        .map_err(Error::Read)?;
    let mut rows = stmt.query([]).map_err(Error::Read)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::Read)? {
        let reading = reading_from_row(row)?;
        let state = ReadingState::parse(&row.get::<_, String>(5).map_err(Error::Read)?)?;
        let received_at = row
            .get::<_, Option<String>>(6)
            .map_err(Error::Read)?
            .map(|s| parse_ts(&s))
            .transpose()?;
        let code: Option<String> = row.get(8).map_err(Error::Read)?;
        let rejection = match code {
            Some(code) => Some(StoredRejection {
                code,
                message: row.get(9).map_err(Error::Read)?,
                rejected_at: parse_ts(&row.get::<_, String>(10).map_err(Error::Read)?)?,
            }),
            None => None,
        };
        out.push(ReadingItem {
            reading,
            state,
            received_at,
            late: row.get(7).map_err(Error::Read)?,
            rejection,
            attempts: row
                .get::<_, Option<u32>>(11)
                .map_err(Error::Read)?
                .unwrap_or(0),
            last_error: row.get(12).map_err(Error::Read)?,
        });
    }
    Ok(out)
}

/// The cursor of the last pull.
pub fn sync_cursor(conn: &Connection) -> Result<Option<String>, Error> {
    conn.query_row("SELECT cursor FROM sync_cursor WHERE id = 1", [], |r| {
        r.get(0)
    })
    .optional()
    .map_err(Error::Read)
}

/// Stores the cursor of a pull (in the transaction that stored what it returned).
pub fn set_sync_cursor(tx: &Transaction<'_>, cursor: &str) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO sync_cursor (id, cursor) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor",
        [cursor],
    )
    .map_err(Error::Write)?;
    Ok(())
}

/// Appends to the local event log.
pub fn record_event(
    tx: &Transaction<'_>,
    kind: &str,
    item: Option<ReadingId>,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO events (at, kind, item_id, detail) VALUES (?1, ?2, ?3, ?4)",
        params![ts(now), kind, item.map(|i| i.0.to_string()), detail],
    )
    .map_err(Error::Write)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{
        readings::Tariff,
        store::{Store, schema},
    };

    fn reading(n: u128, value: &str) -> Reading {
        Reading {
            id: ReadingId(Uuid::from_u128(n)),
            meter_id: MeterId(Uuid::from_u128(1)),
            values: vec![TariffValue {
                tariff: Tariff::Single,
                value: value.parse().unwrap(),
            }],
            taken_at: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
                + chrono::Duration::microseconds(n as i64),
            confirmed_jump: n.is_multiple_of(2),
        }
    }

    #[test]
    fn queued_readings_written_at_version_1_survive_the_upgrade_with_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let queued = [reading(1, "10.5"), reading(2, "11.25")];
        {
            let mut conn = Connection::open(&path).unwrap();
            schema::migrate_to(&mut conn, 1).unwrap();
            let tx = conn.transaction().unwrap();
            // What a version-1 build wrote (it had no last_attempt_at column).
            for r in &queued {
                enqueue(&tx, r, Utc::now()).unwrap();
            }
            tx.execute("UPDATE outbox SET attempts = 3, last_error = 'timeout'", [])
                .unwrap();
            tx.commit().unwrap();
        }
        let store = Store::open(&path, &[5; 32]).unwrap();
        assert_eq!(store.read(schema::version).unwrap(), schema::LATEST_VERSION);
        let batch = store.read(|c| next_batch(c, 10)).unwrap();
        assert_eq!(batch, queued.to_vec());
        let listed = store.read(|c| list(c, ReadingFilter::Queued)).unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed
                .iter()
                .all(|i| i.attempts == 3 && i.last_error.as_deref() == Some("timeout"))
        );
    }

    #[test]
    fn a_reading_and_its_outbox_row_are_written_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"), &[5; 32]).unwrap();
        let r = reading(1, "1");
        let failed: Result<(), Error> = store.write(|tx| {
            enqueue(tx, &r, Utc::now())?;
            Err(Error::Corrupt { what: "test" })
        });
        assert!(failed.is_err());
        assert!(
            store
                .read(|c| list(c, ReadingFilter::All))
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.read(outbox_len).unwrap(), 0);
        store.write(|tx| enqueue(tx, &r, Utc::now())).unwrap();
        // The same id twice is refused as a whole: no second outbox row.
        assert!(store.write(|tx| enqueue(tx, &r, Utc::now())).is_err());
        assert_eq!(store.read(outbox_len).unwrap(), 1);
    }

    #[test]
    fn only_an_answer_for_an_item_removes_it_from_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"), &[5; 32]).unwrap();
        let (a, b, c) = (reading(1, "1"), reading(2, "2"), reading(3, "3"));
        store
            .write(|tx| {
                for r in [&a, &b, &c] {
                    enqueue(tx, r, Utc::now())?;
                }
                Ok(())
            })
            .unwrap();
        let t = Utc::now();
        store
            .write(|tx| {
                resolve(
                    tx,
                    &[
                        OutboxResolution::Accepted {
                            id: a.id,
                            received_at: t,
                            late: true,
                        },
                        OutboxResolution::Rejected {
                            id: b.id,
                            code: "below_previous".into(),
                            message: "lower".into(),
                        },
                        OutboxResolution::Retry {
                            id: c.id,
                            error: "no answer".into(),
                        },
                    ],
                    t,
                )
            })
            .unwrap();
        assert_eq!(
            store.read(|conn| next_batch(conn, 10)).unwrap(),
            vec![c.clone()]
        );
        let all = store.read(|conn| list(conn, ReadingFilter::All)).unwrap();
        let find = |id| all.iter().find(|i| i.reading.id == id).unwrap();
        assert_eq!(find(a.id).state, ReadingState::Accepted);
        assert!(find(a.id).late);
        assert_eq!(find(b.id).state, ReadingState::Rejected);
        assert_eq!(
            find(b.id).rejection.as_ref().unwrap().code,
            "below_previous"
        );
        assert_eq!(find(c.id).state, ReadingState::Queued);
        assert_eq!(find(c.id).attempts, 1);
    }
}
