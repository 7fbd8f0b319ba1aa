//! Problem reports in the local store: the resident's filings and actions (ratings, reopenings)
//! with their outbox, the reports and history the server sends back, the buildings a report can
//! be about and the published categories.
//!
//! A filing lives once, in `reports`; `delivery` says where it is: `queued` (it has an outbox
//! row), `filed` (the server gave it a number) or `rejected` (kept with the server's reason). An
//! action lives in `report_actions` with its own state. Outbox rows are created in the same
//! transaction as the record and deleted only in the transaction that records the server's
//! answer for that very item. Texts and photos are sealed under the shell's key.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use crate::{
    api::{
        property::PropertyResponse,
        reports::{
            EventAuthor, FileReportRequest, FiledReportResponse, RatingRequest, ReopenRequest,
            ReportCategory, ReportEvent, ReportView,
        },
    },
    ids::{BuildingId, ReportId},
    reports::{ReportError, ReportStatus},
    store::{Error, FieldCipher, StoredRejection, readings::ts},
};

mod list;
#[cfg(test)]
mod tests;

pub use list::{get, list, photo};

/// Where a report's filing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ReportDelivery {
    /// In the outbox, waiting for the server's answer.
    Queued,
    /// The server accepted it and gave it its public number.
    Filed,
    /// The server refused it; it stays visible with the reason.
    Rejected,
}

impl ReportDelivery {
    fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "queued" => Ok(ReportDelivery::Queued),
            "filed" => Ok(ReportDelivery::Filed),
            "rejected" => Ok(ReportDelivery::Rejected),
            _ => Err(Error::Corrupt {
                what: "report delivery",
            }),
        }
    }
}

/// What the resident did to a filed report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ReportActionKind {
    /// Rated it (1–5 stars, once).
    Rate,
    /// Said the problem is back.
    Reopen,
}

/// Where a rating or reopening is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ReportActionState {
    /// In the outbox.
    Queued,
    /// Applied by the server.
    Done,
    /// Refused by the server, with its reason.
    Rejected,
}

impl ReportActionState {
    fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "queued" => Ok(ReportActionState::Queued),
            "done" => Ok(ReportActionState::Done),
            "rejected" => Ok(ReportActionState::Rejected),
            _ => Err(Error::Corrupt {
                what: "report action state",
            }),
        }
    }
}

/// A rating or reopening made on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReportActionItem {
    /// Its client UUIDv7 (the server's idempotency key).
    pub id: Uuid,
    /// What it does.
    pub kind: ReportActionKind,
    /// Stars of a rating.
    pub stars: Option<u8>,
    /// The rating's comment or the reopening's reason.
    pub text: Option<String>,
    /// Where it is.
    pub state: ReportActionState,
    /// Why the server refused it.
    pub rejection: Option<StoredRejection>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// One report as the app lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReportItem {
    /// The one id end to end.
    pub id: ReportId,
    /// The public number, once filed (e.g. `2026-000123`).
    pub number: Option<String>,
    /// The building it is about.
    pub building_id: BuildingId,
    /// The building's address, once the server sent it.
    pub address: Option<String>,
    /// Category code.
    pub category: String,
    /// What the resident wrote.
    pub text: String,
    /// Where in the building.
    pub place: String,
    /// Photos filed with it (on this device for its own filings: [`photo`]).
    pub photo_count: u32,
    /// The server's status (`new` until the server says otherwise).
    pub status: ReportStatus,
    /// Where the filing is.
    pub delivery: ReportDelivery,
    /// Why the server refused the filing.
    pub rejection: Option<StoredRejection>,
    /// False when the server's SHA-256 of the filed content differs from the one computed here
    /// over what was sent (never expected; shown as a warning).
    pub content_verified: bool,
    /// When the server accepted it.
    pub filed_at: Option<DateTime<Utc>>,
    /// When an answer is due (server clock).
    pub due_at: Option<DateTime<Utc>>,
    /// The resident's stars, once the server has the rating.
    pub rating: Option<u8>,
    /// Upload attempts of the filing so far, while queued.
    pub attempts: u32,
    /// The last upload failure of the filing, while queued (no personal data).
    pub last_error: Option<String>,
    /// The history the server sent, oldest first.
    pub events: Vec<ReportEvent>,
    /// Ratings and reopenings made on this device, oldest first.
    pub actions: Vec<ReportActionItem>,
}

/// A building where the resident may file a report (one of their homes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReportBuilding {
    /// The building.
    pub id: BuildingId,
    /// Its address.
    pub address: String,
}

/// A rating or reopening about to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewAction {
    /// Rate the result once.
    Rate {
        /// 1–5.
        stars: u8,
        /// Optional words.
        comment: Option<String>,
    },
    /// The problem is back.
    Reopen {
        /// Why.
        reason: String,
    },
}

/// Which outbox item an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOpKey {
    /// The filing of this report.
    Filing(ReportId),
    /// This action.
    Action(Uuid),
}

/// One queued item, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportOp {
    /// `POST /v1/reports`.
    File(FileReportRequest),
    /// `POST /v1/reports/{report}/rating`.
    Rate {
        /// The action's id (also in the request).
        action: Uuid,
        /// The report.
        report: ReportId,
        /// The body.
        request: RatingRequest,
    },
    /// `POST /v1/reports/{report}/reopen`.
    Reopen {
        /// The action's id (also in the request).
        action: Uuid,
        /// The report.
        report: ReportId,
        /// The body.
        request: ReopenRequest,
    },
}

impl ReportOp {
    /// The outbox item this is.
    pub fn key(&self) -> ReportOpKey {
        match self {
            ReportOp::File(request) => ReportOpKey::Filing(request.id),
            ReportOp::Rate { action, .. } | ReportOp::Reopen { action, .. } => {
                ReportOpKey::Action(*action)
            }
        }
    }
}

/// What to do with one outbox item after the server answered (or did not).
#[derive(Debug, Clone, PartialEq)]
pub enum ReportResolution {
    /// The server holds the filing (now or from an earlier attempt).
    Filed {
        /// The report.
        id: ReportId,
        /// The server's answer.
        answer: FiledReportResponse,
    },
    /// The server applied the action (now or earlier) and sent the report as it is now.
    ActionDone {
        /// The action.
        action: Uuid,
        /// The report now.
        view: ReportView,
    },
    /// The server refused the item: keep it visible with the reason, send it no more.
    Rejected {
        /// The item.
        key: ReportOpKey,
        /// Stable code.
        code: String,
        /// Message for the resident.
        message: String,
    },
    /// No answer: keep it queued and count the attempt.
    Retry {
        /// The item.
        key: ReportOpKey,
        /// What went wrong (no personal data).
        error: String,
    },
}

/// Something the app tells its listener after a report change is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportNotice {
    /// A filing got its public number.
    Filed {
        /// The report.
        id: ReportId,
        /// Its number.
        number: String,
        /// The server's digest equals the one computed here.
        content_verified: bool,
    },
    /// The server refused a filing or an action on this report.
    Rejected {
        /// The report.
        id: ReportId,
        /// Stable code.
        code: String,
        /// Message for the resident.
        message: String,
    },
    /// A new status or an answer from the company.
    StatusChanged {
        /// The report.
        id: ReportId,
        /// Its number, when known.
        number: Option<String>,
        /// The status after the change.
        status: ReportStatus,
        /// The words that came with it.
        message: Option<String>,
    },
}

fn parse_uuid(s: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(s).map_err(|_| Error::Corrupt { what: "id" })
}

fn parse_status(s: &str) -> Result<ReportStatus, Error> {
    ReportStatus::parse(s).ok_or(Error::Corrupt {
        what: "report status",
    })
}

fn author_str(a: EventAuthor) -> &'static str {
    match a {
        EventAuthor::Resident => "resident",
        EventAuthor::Company => "company",
    }
}

fn parse_author(s: &str) -> Result<EventAuthor, Error> {
    match s {
        "resident" => Ok(EventAuthor::Resident),
        "company" => Ok(EventAuthor::Company),
        _ => Err(Error::Corrupt {
            what: "event author",
        }),
    }
}

fn seal(cipher: &FieldCipher, field: &str, text: &str) -> Result<Vec<u8>, Error> {
    cipher.seal_str(field, text).map_err(Error::Seal)
}

fn open(cipher: &FieldCipher, field: &'static str, sealed: &[u8]) -> Result<String, Error> {
    cipher
        .open_str(field, sealed)
        .map_err(|source| Error::Unseal { field, source })
}

/// Replaces the known buildings with the homes `GET /v1/property` returned.
pub fn replace_buildings(tx: &Transaction<'_>, property: &PropertyResponse) -> Result<(), Error> {
    tx.execute("DELETE FROM buildings", [])
        .map_err(Error::Write)?;
    for home in &property.homes {
        tx.execute(
            "INSERT OR REPLACE INTO buildings (id, address, lat, lon) VALUES (?1, ?2, ?3, ?4)",
            params![
                home.building.id.0,
                home.building.address,
                home.building.lat,
                home.building.lon
            ],
        )
        .map_err(Error::Write)?;
    }
    Ok(())
}

/// The buildings where the resident may file, by address.
pub fn buildings(conn: &Connection) -> Result<Vec<ReportBuilding>, Error> {
    let mut stmt = conn
        .prepare("SELECT id, address FROM buildings ORDER BY address, id")
        .map_err(Error::Read)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ReportBuilding {
                id: BuildingId(r.get(0)?),
                address: r.get(1)?,
            })
        })
        .map_err(Error::Read)?;
    rows.collect::<Result<_, _>>().map_err(Error::Read)
}

/// Replaces the cached categories, keeping the server's order.
pub fn replace_categories(
    tx: &Transaction<'_>,
    categories: &[ReportCategory],
) -> Result<(), Error> {
    tx.execute("DELETE FROM report_categories", [])
        .map_err(Error::Write)?;
    for (position, c) in categories.iter().enumerate() {
        tx.execute(
            "INSERT OR REPLACE INTO report_categories (code, title, emergency, deadline_hours, position)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![c.code, c.title, c.emergency, c.deadline_hours, position as i64],
        )
        .map_err(Error::Write)?;
    }
    Ok(())
}

/// The cached categories in the server's order (empty until first fetched).
pub fn categories(conn: &Connection) -> Result<Vec<ReportCategory>, Error> {
    let mut stmt = conn
        .prepare(
            "SELECT code, title, emergency, deadline_hours FROM report_categories ORDER BY position",
        )
        .map_err(Error::Read)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ReportCategory {
                code: r.get(0)?,
                title: r.get(1)?,
                emergency: r.get(2)?,
                deadline_hours: r.get(3)?,
            })
        })
        .map_err(Error::Read)?;
    rows.collect::<Result<_, _>>().map_err(Error::Read)
}

/// Records a new filing and queues it, in the caller's transaction. `photos` are the prepared
/// JPEG bytes whose base64 the request carries; its digest is kept to check the server's.
pub fn enqueue_report(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    request: &FileReportRequest,
    photos: &[Vec<u8>],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let id = request.id.0.to_string();
    tx.execute(
        "INSERT INTO reports (id, building_id, category, text, place, photo_count, content_sha256,
             delivery, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9)",
        params![
            id,
            request.building_id.0,
            request.category,
            seal(cipher, "report_text", &request.text)?,
            seal(cipher, "report_place", &request.place)?,
            photos.len() as i64,
            request.content_sha256(),
            ReportStatus::New.as_str(),
            ts(now),
        ],
    )
    .map_err(Error::Write)?;
    for (n, jpeg) in photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO report_photos (report_id, n, jpeg) VALUES (?1, ?2, ?3)",
            params![
                id,
                n as i64,
                cipher.seal("report_photo", jpeg).map_err(Error::Seal)?
            ],
        )
        .map_err(Error::Write)?;
    }
    tx.execute("INSERT INTO report_outbox (report_id) VALUES (?1)", [&id])
        .map_err(Error::Write)?;
    Ok(())
}

/// Checks an action against what this device knows of the report and queues it, in the
/// caller's transaction. A refusal (`Ok(Err(_))`) writes nothing.
pub fn enqueue_action(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    report: ReportId,
    action: &NewAction,
    now: DateTime<Utc>,
) -> Result<Result<Uuid, ReportError>, Error> {
    let known: Option<(String, Option<u8>)> = tx
        .query_row(
            "SELECT status, rating FROM reports WHERE id = ?1 AND delivery = 'filed'",
            [report.0.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(Error::Read)?;
    let Some((status, rating)) = known else {
        return Ok(Err(ReportError::UnknownReport));
    };
    let status = parse_status(&status)?;
    let pending = |kind: &str, states: &str| -> Result<bool, Error> {
        tx.query_row(
            &format!(
                "SELECT EXISTS(SELECT 1 FROM report_actions
                 WHERE report_id = ?1 AND kind = ?2 AND state IN ({states}))"
            ),
            params![report.0.to_string(), kind],
            |r| r.get(0),
        )
        .map_err(Error::Read)
    };
    let (kind, stars, text) = match action {
        NewAction::Rate { stars, comment } => {
            if !(1..=5).contains(stars) {
                return Ok(Err(ReportError::InvalidStars));
            }
            if rating.is_some() || pending("rate", "'queued', 'done'")? {
                return Ok(Err(ReportError::AlreadyRated));
            }
            if !status.is_rateable() {
                return Ok(Err(ReportError::NotRateable));
            }
            ("rate", Some(*stars), comment.as_deref())
        }
        NewAction::Reopen { reason } => {
            // A rating still in the outbox makes the report `rated`, which may be reopened.
            let will_be_rated = pending("rate", "'queued'")?;
            if pending("reopen", "'queued'")? || !(status.is_reopenable() || will_be_rated) {
                return Ok(Err(ReportError::NotReopenable));
            }
            ("reopen", None, Some(reason.as_str()))
        }
    };
    let id = crate::ids::new_v7();
    tx.execute(
        "INSERT INTO report_actions (id, report_id, kind, stars, text, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)",
        params![
            id.to_string(),
            report.0.to_string(),
            kind,
            stars,
            text.map(|t| seal(cipher, "report_action_text", t))
                .transpose()?,
            ts(now),
        ],
    )
    .map_err(Error::Write)?;
    tx.execute(
        "INSERT INTO report_outbox (action_id) VALUES (?1)",
        [id.to_string()],
    )
    .map_err(Error::Write)?;
    Ok(Ok(id))
}

/// Rebuilds the exact request of a queued filing (the base64 of the stored photo bytes is the
/// same text the digest was computed over).
fn filing_request(
    conn: &Connection,
    cipher: &FieldCipher,
    id: ReportId,
) -> Result<FileReportRequest, Error> {
    let (building, category, text, place): (String, String, Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT building_id, category, text, place FROM reports WHERE id = ?1",
            [id.0.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(Error::Read)?;
    let mut stmt = conn
        .prepare("SELECT jpeg FROM report_photos WHERE report_id = ?1 ORDER BY n")
        .map_err(Error::Read)?;
    let sealed = stmt
        .query_map([id.0.to_string()], |r| r.get::<_, Vec<u8>>(0))
        .map_err(Error::Read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Read)?;
    let mut photos = Vec::with_capacity(sealed.len());
    for s in sealed {
        let jpeg = cipher
            .open("report_photo", &s)
            .map_err(|source| Error::Unseal {
                field: "report photo",
                source,
            })?;
        photos.push(STANDARD.encode(jpeg));
    }
    Ok(FileReportRequest {
        id,
        building_id: BuildingId(building),
        category,
        text: open(cipher, "report_text", &text)?,
        place: open(cipher, "report_place", &place)?,
        photos,
    })
}

/// The oldest queued items, at most `limit`, in the order they were made.
pub fn next_ops(
    conn: &Connection,
    cipher: &FieldCipher,
    limit: usize,
) -> Result<Vec<ReportOp>, Error> {
    let mut stmt = conn
        .prepare(
            "SELECT o.report_id, a.id, a.report_id, a.kind, a.stars, a.text
             FROM report_outbox o LEFT JOIN report_actions a ON a.id = o.action_id
             ORDER BY o.seq LIMIT ?1",
        )
        .map_err(Error::Read)?;
    type Raw = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<u8>,
        Option<Vec<u8>>,
    );
    let rows = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .map_err(Error::Read)?
        .collect::<Result<Vec<Raw>, _>>()
        .map_err(Error::Read)?;
    let mut ops = Vec::with_capacity(rows.len());
    for (filing, action, report, kind, stars, text) in rows {
        if let Some(filing) = filing {
            ops.push(ReportOp::File(filing_request(
                conn,
                cipher,
                ReportId(parse_uuid(&filing)?),
            )?));
            continue;
        }
        let (Some(action), Some(report), Some(kind)) = (action, report, kind) else {
            return Err(Error::Corrupt {
                what: "report outbox row",
            });
        };
        let action = parse_uuid(&action)?;
        let report = ReportId(parse_uuid(&report)?);
        let text = text
            .map(|t| open(cipher, "report_action_text", &t))
            .transpose()?;
        ops.push(match kind.as_str() {
            "rate" => ReportOp::Rate {
                action,
                report,
                request: RatingRequest {
                    stars: stars.ok_or(Error::Corrupt {
                        what: "rating stars",
                    })?,
                    comment: text,
                    id: Some(action),
                },
            },
            "reopen" => ReportOp::Reopen {
                action,
                report,
                request: ReopenRequest {
                    text: text.unwrap_or_default(),
                    id: Some(action),
                },
            },
            _ => {
                return Err(Error::Corrupt {
                    what: "report action kind",
                });
            }
        });
    }
    Ok(ops)
}

/// How many filings and actions wait in the outbox.
pub fn outbox_len(conn: &Connection) -> Result<usize, Error> {
    conn.query_row("SELECT COUNT(*) FROM report_outbox", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| usize::try_from(n).unwrap_or(0))
    .map_err(Error::Read)
}

fn delete_outbox(tx: &Transaction<'_>, key: ReportOpKey) -> Result<(), Error> {
    match key {
        ReportOpKey::Filing(id) => tx.execute(
            "DELETE FROM report_outbox WHERE report_id = ?1",
            [id.0.to_string()],
        ),
        ReportOpKey::Action(id) => tx.execute(
            "DELETE FROM report_outbox WHERE action_id = ?1",
            [id.to_string()],
        ),
    }
    .map_err(Error::Write)?;
    Ok(())
}

/// Applies the server's answer (or the lack of one) for one outbox item; returns what to tell
/// the listener.
pub fn resolve(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    resolution: &ReportResolution,
    now: DateTime<Utc>,
) -> Result<Vec<ReportNotice>, Error> {
    match resolution {
        ReportResolution::Filed { id, answer } => {
            let sent: Option<Option<String>> = tx
                .query_row(
                    "SELECT content_sha256 FROM reports WHERE id = ?1",
                    [id.0.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(Error::Read)?;
            let Some(sent) = sent else {
                return Ok(Vec::new());
            };
            let content_verified = sent.as_deref() == Some(answer.content_sha256.as_str());
            if !content_verified {
                tracing::error!(report = %id.0, "the server's digest of a filed report differs from the one sent");
            }
            tx.execute(
                "UPDATE reports SET delivery = 'filed', number = ?2, server_sha256 = ?3,
                    status = ?4, filed_at = ?5, due_at = ?6, reject_code = NULL,
                    reject_message = NULL, rejected_at = NULL
                 WHERE id = ?1",
                params![
                    id.0.to_string(),
                    answer.number,
                    answer.content_sha256,
                    answer.status.as_str(),
                    ts(answer.filed_at),
                    ts(answer.due_at),
                ],
            )
            .map_err(Error::Write)?;
            delete_outbox(tx, ReportOpKey::Filing(*id))?;
            Ok(vec![ReportNotice::Filed {
                id: *id,
                number: answer.number.clone(),
                content_verified,
            }])
        }
        ReportResolution::ActionDone { action, view } => {
            tx.execute(
                "UPDATE report_actions SET state = 'done' WHERE id = ?1",
                [action.to_string()],
            )
            .map_err(Error::Write)?;
            delete_outbox(tx, ReportOpKey::Action(*action))?;
            merge_view(tx, cipher, view, now)
        }
        ReportResolution::Rejected { key, code, message } => {
            let report = match key {
                ReportOpKey::Filing(id) => {
                    tx.execute(
                        "UPDATE reports SET delivery = 'rejected', reject_code = ?2,
                            reject_message = ?3, rejected_at = ?4
                         WHERE id = ?1",
                        params![id.0.to_string(), code, message, ts(now)],
                    )
                    .map_err(Error::Write)?;
                    Some(*id)
                }
                ReportOpKey::Action(action) => {
                    tx.execute(
                        "UPDATE report_actions SET state = 'rejected', reject_code = ?2,
                            reject_message = ?3, rejected_at = ?4
                         WHERE id = ?1",
                        params![action.to_string(), code, message, ts(now)],
                    )
                    .map_err(Error::Write)?;
                    tx.query_row(
                        "SELECT report_id FROM report_actions WHERE id = ?1",
                        [action.to_string()],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()
                    .map_err(Error::Read)?
                    .map(|s| parse_uuid(&s).map(ReportId))
                    .transpose()?
                }
            };
            delete_outbox(tx, *key)?;
            Ok(report
                .map(|id| ReportNotice::Rejected {
                    id,
                    code: code.clone(),
                    message: message.clone(),
                })
                .into_iter()
                .collect())
        }
        ReportResolution::Retry { key, error } => {
            let (column, id) = match key {
                ReportOpKey::Filing(id) => ("report_id", id.0.to_string()),
                ReportOpKey::Action(id) => ("action_id", id.to_string()),
            };
            tx.execute(
                &format!(
                    "UPDATE report_outbox SET attempts = attempts + 1, last_error = ?2,
                        last_attempt_at = ?3
                     WHERE {column} = ?1"
                ),
                params![id, error, ts(now)],
            )
            .map_err(Error::Write)?;
            Ok(Vec::new())
        }
    }
}

/// Stores the server's current view of a report (inserting reports filed elsewhere) and its
/// history, if it carries one. Filed content already on this device is never replaced.
fn merge_view(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    view: &ReportView,
    now: DateTime<Utc>,
) -> Result<Vec<ReportNotice>, Error> {
    tx.execute(
        "INSERT INTO reports (id, building_id, category, text, place, photo_count, delivery,
             number, server_sha256, status, address, filed_at, due_at, rating, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'filed', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET number = excluded.number,
             server_sha256 = excluded.server_sha256, status = excluded.status,
             address = excluded.address, filed_at = excluded.filed_at,
             due_at = excluded.due_at, rating = excluded.rating",
        params![
            view.id.0.to_string(),
            view.building_id.0,
            view.category,
            seal(cipher, "report_text", &view.text)?,
            seal(cipher, "report_place", &view.place)?,
            view.photo_count,
            view.number,
            view.content_sha256,
            view.status.as_str(),
            view.address,
            ts(view.filed_at),
            ts(view.due_at),
            view.rating,
            ts(now),
        ],
    )
    .map_err(Error::Write)?;
    let mut notices = Vec::new();
    for event in &view.events {
        notices.extend(insert_event(tx, cipher, event)?);
    }
    Ok(notices)
}

/// Stores one history event once; a new status change or company answer becomes a notice.
fn insert_event(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    event: &ReportEvent,
) -> Result<Option<ReportNotice>, Error> {
    let current: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT status, number FROM reports WHERE id = ?1",
            [event.report_id.0.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(Error::Read)?;
    let Some((status, number)) = current else {
        // The server sends the view of every report its events touch; an orphan is skipped
        // rather than failing the whole pull.
        tracing::warn!(report = %event.report_id.0, "a report event for an unknown report was skipped");
        return Ok(None);
    };
    let inserted = tx
        .execute(
            "INSERT OR IGNORE INTO report_events (report_id, seq, at, author, status, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                event.report_id.0.to_string(),
                event.seq,
                ts(event.at),
                author_str(event.author),
                event.status.map(ReportStatus::as_str),
                event
                    .text
                    .as_deref()
                    .map(|t| seal(cipher, "report_event_text", t))
                    .transpose()?,
            ],
        )
        .map_err(Error::Write)?;
    let tell = event.status.is_some() || event.author == EventAuthor::Company;
    if inserted == 0 || !tell {
        return Ok(None);
    }
    Ok(Some(ReportNotice::StatusChanged {
        id: event.report_id,
        number,
        status: match event.status {
            Some(s) => s,
            None => parse_status(&status)?,
        },
        message: event.text.clone(),
    }))
}

/// Stores the report part of a pull: the current views first (so every event finds its report),
/// then the events, each once. Returns the notices for new status changes and answers.
pub fn merge_pull(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    reports: &[ReportView],
    events: &[ReportEvent],
    now: DateTime<Utc>,
) -> Result<Vec<ReportNotice>, Error> {
    let mut notices = Vec::new();
    for view in reports {
        notices.extend(merge_view(tx, cipher, view, now)?);
    }
    for event in events {
        notices.extend(insert_event(tx, cipher, event)?);
    }
    Ok(notices)
}

/// Photos of reports filed on another device that this device does not hold yet (report, photo
/// number), oldest reports first, at most `limit`.
pub fn missing_photos(conn: &Connection, limit: usize) -> Result<Vec<(ReportId, u32)>, Error> {
    let mut stmt = conn
        .prepare(
            "SELECT r.id, r.photo_count, (SELECT group_concat(p.n) FROM report_photos p
                                           WHERE p.report_id = r.id)
             FROM reports r
             WHERE r.photo_count > (SELECT count(*) FROM report_photos p WHERE p.report_id = r.id)
             ORDER BY r.created_at, r.id",
        )
        .map_err(Error::Read)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(Error::Read)?;
    let mut missing = Vec::new();
    for row in rows {
        let (id, count, have) = row.map_err(Error::Read)?;
        let id = Uuid::parse_str(&id).map_err(|_| Error::Corrupt { what: "report id" })?;
        let have: Vec<i64> = have
            .unwrap_or_default()
            .split(',')
            .filter_map(|n| n.parse().ok())
            .collect();
        for n in 0..count {
            if missing.len() >= limit {
                return Ok(missing);
            }
            if !have.contains(&n) {
                missing.push((ReportId(id), u32::try_from(n).unwrap_or(u32::MAX)));
            }
        }
    }
    Ok(missing)
}

/// Stores a downloaded photo of a report filed elsewhere (sealed like the device's own). A photo
/// already held is kept.
pub fn save_photo(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    id: ReportId,
    n: u32,
    jpeg: &[u8],
) -> Result<(), Error> {
    tx.execute(
        "INSERT OR IGNORE INTO report_photos (report_id, n, jpeg)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM reports WHERE id = ?1)",
        params![
            id.0.to_string(),
            n,
            cipher.seal("report_photo", jpeg).map_err(Error::Seal)?
        ],
    )
    .map_err(Error::Write)?;
    Ok(())
}
