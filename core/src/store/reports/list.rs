//! Reading the reports back for the app: one item per report with its history and actions,
//! texts and photos opened with the shell's key.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    ReportActionItem, ReportActionKind, ReportActionState, ReportDelivery, ReportItem, open,
    parse_author, parse_status, parse_uuid,
};
use crate::{
    api::reports::ReportEvent,
    ids::{BuildingId, ReportId},
    store::{Error, FieldCipher, StoredRejection, readings::parse_ts},
};

fn opt_ts(s: Option<String>) -> Result<Option<DateTime<Utc>>, Error> {
    s.as_deref().map(parse_ts).transpose()
}

const ITEM_COLUMNS: &str = "r.id, r.building_id, r.address, r.category, r.text, r.place, \
     r.photo_count, r.status, r.delivery, r.number, r.content_sha256, r.server_sha256, \
     r.filed_at, r.due_at, r.rating, r.reject_code, r.reject_message, r.rejected_at, \
     o.attempts, o.last_error";

fn item_from_row(row: &Row<'_>, cipher: &FieldCipher) -> Result<ReportItem, Error> {
    let get_s = |i| row.get::<_, String>(i).map_err(Error::Read);
    let get_o = |i| row.get::<_, Option<String>>(i).map_err(Error::Read);
    let sent = get_o(10)?;
    let server = get_o(11)?;
    let code = get_o(15)?;
    let rejection = match code {
        Some(code) => Some(StoredRejection {
            code,
            message: get_o(16)?.unwrap_or_default(),
            rejected_at: parse_ts(&get_s(17)?)?,
        }),
        None => None,
    };
    Ok(ReportItem {
        id: ReportId(parse_uuid(&get_s(0)?)?),
        building_id: BuildingId(get_s(1)?),
        address: get_o(2)?,
        category: get_s(3)?,
        text: open(
            cipher,
            "report_text",
            &row.get::<_, Vec<u8>>(4).map_err(Error::Read)?,
        )?,
        place: open(
            cipher,
            "report_place",
            &row.get::<_, Vec<u8>>(5).map_err(Error::Read)?,
        )?,
        photo_count: row.get(6).map_err(Error::Read)?,
        status: parse_status(&get_s(7)?)?,
        delivery: ReportDelivery::parse(&get_s(8)?)?,
        number: get_o(9)?,
        content_verified: match (&sent, &server) {
            (Some(sent), Some(server)) => sent == server,
            _ => true,
        },
        filed_at: opt_ts(get_o(12)?)?,
        due_at: opt_ts(get_o(13)?)?,
        rating: row.get(14).map_err(Error::Read)?,
        rejection,
        attempts: row
            .get::<_, Option<u32>>(18)
            .map_err(Error::Read)?
            .unwrap_or(0),
        last_error: get_o(19)?,
        events: Vec::new(),
        actions: Vec::new(),
    })
}

fn events_of(
    conn: &Connection,
    cipher: &FieldCipher,
    id: ReportId,
) -> Result<Vec<ReportEvent>, Error> {
    let mut stmt = conn
        .prepare(
            "SELECT seq, at, author, status, text FROM report_events
             WHERE report_id = ?1 ORDER BY seq",
        )
        .map_err(Error::Read)?;
    let rows = stmt
        .query_map([id.0.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<Vec<u8>>>(4)?,
            ))
        })
        .map_err(Error::Read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Read)?;
    rows.into_iter()
        .map(|(seq, at, author, status, text)| {
            Ok(ReportEvent {
                seq,
                report_id: id,
                at: parse_ts(&at)?,
                author: parse_author(&author)?,
                status: status.as_deref().map(parse_status).transpose()?,
                text: text
                    .map(|t| open(cipher, "report_event_text", &t))
                    .transpose()?,
            })
        })
        .collect()
}

fn actions_of(
    conn: &Connection,
    cipher: &FieldCipher,
    id: ReportId,
) -> Result<Vec<ReportActionItem>, Error> {
    let mut stmt = conn
        .prepare(
            "SELECT id, kind, stars, text, state, reject_code, reject_message, rejected_at,
                    created_at
             FROM report_actions WHERE report_id = ?1 ORDER BY created_at, id",
        )
        .map_err(Error::Read)?;
    type Raw = (
        String,
        String,
        Option<u8>,
        Option<Vec<u8>>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let rows = stmt
        .query_map([id.0.to_string()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .map_err(Error::Read)?
        .collect::<Result<Vec<Raw>, _>>()
        .map_err(Error::Read)?;
    rows.into_iter()
        .map(
            |(action, kind, stars, text, state, code, message, rejected_at, created_at)| {
                Ok(ReportActionItem {
                    id: parse_uuid(&action)?,
                    kind: match kind.as_str() {
                        "rate" => ReportActionKind::Rate,
                        "reopen" => ReportActionKind::Reopen,
                        _ => {
                            return Err(Error::Corrupt {
                                what: "report action kind",
                            });
                        }
                    },
                    stars,
                    text: text
                        .map(|t| open(cipher, "report_action_text", &t))
                        .transpose()?,
                    state: ReportActionState::parse(&state)?,
                    rejection: match code {
                        Some(code) => Some(StoredRejection {
                            code,
                            message: message.unwrap_or_default(),
                            rejected_at: parse_ts(rejected_at.as_deref().unwrap_or_default())?,
                        }),
                        None => None,
                    },
                    created_at: parse_ts(&created_at)?,
                })
            },
        )
        .collect()
}

fn items(
    conn: &Connection,
    cipher: &FieldCipher,
    only: Option<ReportId>,
) -> Result<Vec<ReportItem>, Error> {
    let condition = if only.is_some() {
        "WHERE r.id = ?1"
    } else {
        ""
    };
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM reports r
             LEFT JOIN report_outbox o ON o.report_id = r.id
             {condition}
             ORDER BY r.id DESC"
        ))
        .map_err(Error::Read)?;
    let mut rows = match only {
        Some(id) => stmt.query([id.0.to_string()]),
        None => stmt.query([]),
    }
    .map_err(Error::Read)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::Read)? {
        out.push(item_from_row(row, cipher)?);
    }
    for item in &mut out {
        item.events = events_of(conn, cipher, item.id)?;
        item.actions = actions_of(conn, cipher, item.id)?;
    }
    Ok(out)
}

/// Every report on this device, newest first (ids are time-ordered), with history and actions.
pub fn list(conn: &Connection, cipher: &FieldCipher) -> Result<Vec<ReportItem>, Error> {
    items(conn, cipher, None)
}

/// One report.
pub fn get(
    conn: &Connection,
    cipher: &FieldCipher,
    id: ReportId,
) -> Result<Option<ReportItem>, Error> {
    Ok(items(conn, cipher, Some(id))?.pop())
}

/// Photo `n` (from 0) of a report filed on this device, exactly as sent.
pub fn photo(
    conn: &Connection,
    cipher: &FieldCipher,
    id: ReportId,
    n: u32,
) -> Result<Option<Vec<u8>>, Error> {
    let sealed: Option<Vec<u8>> = conn
        .query_row(
            "SELECT jpeg FROM report_photos WHERE report_id = ?1 AND n = ?2",
            params![id.0.to_string(), n],
            |r| r.get(0),
        )
        .optional()
        .map_err(Error::Read)?;
    sealed
        .map(|s| {
            cipher
                .open("report_photo", &s)
                .map_err(|source| Error::Unseal {
                    field: "report photo",
                    source,
                })
        })
        .transpose()
}
