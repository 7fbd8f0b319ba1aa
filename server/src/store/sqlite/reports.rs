//! [`ReportStore`] on SQLite: filing, numbering and status changes run on the single writer, so
//! the per-year counter and the status compare-and-set need no further locking.

use async_trait::async_trait;
use connect_core::{
    api::reports::ReportEvent,
    ids::{BuildingId, CompanyId, RegionId, ReportId, UserId},
    reports::ReportStatus,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteStore, classify, uuid_col};
use crate::store::{
    Filed, NewEvent, NewReport, ReportFilter, ReportRecord, ReportStore, StoreError,
    author_from_db, author_to_db, report_number, status_from_db, status_to_db, year_of,
};

const COLUMNS: &str = "id, number, author_id, building_id, company_id, region_id, category, text, \
     place, content_sha256, photo_count, status, filed_ms, due_ms, answered_ms, rating";

fn corrupt(i: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(what)),
    )
}

fn report_row(r: &Row<'_>) -> Result<ReportRecord, rusqlite::Error> {
    let status: String = r.get(11)?;
    Ok(ReportRecord {
        id: ReportId(uuid_col(r, 0)?),
        number: r.get(1)?,
        author: UserId(uuid_col(r, 2)?),
        building_id: BuildingId(r.get(3)?),
        company_id: r.get::<_, Option<String>>(4)?.map(CompanyId),
        region_id: RegionId(r.get(5)?),
        category: r.get(6)?,
        text: r.get(7)?,
        place: r.get(8)?,
        content_sha256: r.get(9)?,
        photo_count: r.get(10)?,
        status: status_from_db(&status).map_err(|e| corrupt(11, e.to_string()))?,
        filed_ms: r.get(12)?,
        due_ms: r.get(13)?,
        answered_ms: r.get(14)?,
        rating: r.get(15)?,
    })
}

pub(super) fn load(conn: &Connection, id: ReportId) -> Result<Option<ReportRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM reports WHERE id = ?1"),
            [id.0.to_string()],
            report_row,
        )
        .optional()?)
}

pub(super) fn append_event(
    conn: &Connection,
    id: ReportId,
    status: Option<ReportStatus>,
    e: &NewEvent,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO report_events (report_id, seq, at_ms, author, status, text)
         SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5 FROM report_events WHERE report_id = ?1",
        params![
            id.0.to_string(),
            e.at_ms,
            author_to_db(e.author),
            status.map(status_to_db),
            e.text
        ],
    )
    .map_err(classify)?;
    append_feed(conn, id, true, e.client_op)
}

/// Appends the filing (`event = false`) or the report's latest event to its author's feed.
fn append_feed(
    conn: &Connection,
    id: ReportId,
    event: bool,
    client_op: Option<uuid::Uuid>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO report_feed (report_id, author_id, event_seq, client_op)
         SELECT r.id, r.author_id,
                CASE WHEN ?2 THEN (SELECT MAX(seq) FROM report_events WHERE report_id = r.id) END,
                ?3
         FROM reports r WHERE r.id = ?1",
        params![id.0.to_string(), event, client_op.map(|u| u.to_string())],
    )
    .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl ReportStore for SqliteStore {
    async fn file_report(&self, r: NewReport) -> Result<Filed, StoreError> {
        self.write(move |tx| {
            if let Some(existing) = load(tx, r.id)? {
                return Ok(Filed::Existing(existing));
            }
            let year = year_of(r.filed_ms);
            let seq: i64 = tx.query_row(
                "INSERT INTO report_numbers (year, last) VALUES (?1, 1)
                 ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
                [year],
                |row| row.get(0),
            )?;
            tx.execute(
                &format!(
                    "INSERT INTO reports ({COLUMNS}) VALUES
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, NULL, NULL)"
                ),
                params![
                    r.id.0.to_string(),
                    report_number(year, seq),
                    r.author.0.to_string(),
                    r.building_id.0,
                    r.company_id.as_ref().map(|c| c.0.clone()),
                    r.region_id.0,
                    r.category,
                    r.text,
                    r.place,
                    r.content_sha256,
                    r.photos.len() as i64,
                    status_to_db(ReportStatus::New),
                    r.filed_ms,
                    r.due_ms,
                ],
            )
            .map_err(classify)?;
            for (n, jpeg) in r.photos.iter().enumerate() {
                tx.execute(
                    "INSERT INTO report_photos (report_id, n, jpeg) VALUES (?1, ?2, ?3)",
                    params![r.id.0.to_string(), n as i64, jpeg],
                )?;
            }
            append_feed(tx, r.id, false, None)?;
            load(tx, r.id)?
                .map(Filed::Created)
                .ok_or_else(|| StoreError::Corrupt("report vanished after insert".into()))
        })
        .await
    }

    async fn report(&self, id: ReportId) -> Result<Option<ReportRecord>, StoreError> {
        self.read(move |conn| load(conn, id)).await
    }

    async fn reports(&self, filter: ReportFilter) -> Result<Vec<ReportRecord>, StoreError> {
        self.read(move |conn| {
            let (clause, key) = match filter {
                ReportFilter::Author(u) => {
                    ("author_id = ?1 ORDER BY filed_ms DESC", u.0.to_string())
                }
                ReportFilter::Company(c) => ("company_id = ?1 ORDER BY due_ms, id", c.0),
                ReportFilter::Region(r) => ("region_id = ?1 ORDER BY due_ms, id", r.0),
            };
            let mut stmt =
                conn.prepare(&format!("SELECT {COLUMNS} FROM reports WHERE {clause}"))?;
            let rows = stmt
                .query_map([key], report_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn change_report_status(
        &self,
        id: ReportId,
        from: Vec<ReportStatus>,
        to: ReportStatus,
        rating: Option<u8>,
        event: NewEvent,
    ) -> Result<Option<ReportRecord>, StoreError> {
        self.write(move |tx| {
            let Some(current) = load(tx, id)? else {
                return Ok(None);
            };
            if !from.contains(&current.status) {
                return Ok(None);
            }
            let closes = matches!(to, ReportStatus::Resolved | ReportStatus::Rejected);
            tx.execute(
                "UPDATE reports SET status = ?2,
                    rating = COALESCE(?3, rating),
                    answered_ms = CASE WHEN ?4 AND answered_ms IS NULL THEN ?5 ELSE answered_ms END
                 WHERE id = ?1",
                params![
                    id.0.to_string(),
                    status_to_db(to),
                    rating,
                    closes,
                    event.at_ms
                ],
            )?;
            append_event(tx, id, Some(to), &event)?;
            if to == ReportStatus::Rated && rating.is_some() {
                // The rating's points commit with it (settled by server::points).
                super::points::queue_earning(
                    tx,
                    current.author,
                    connect_core::points::LedgerReason::RatedReport,
                    &id.0.to_string(),
                    chrono::DateTime::from_timestamp_millis(event.at_ms).unwrap_or_default(),
                )?;
            }
            load(tx, id)
        })
        .await
    }

    async fn add_report_comment(&self, id: ReportId, event: NewEvent) -> Result<bool, StoreError> {
        self.write(move |tx| {
            if load(tx, id)?.is_none() {
                return Ok(false);
            }
            append_event(tx, id, None, &event)?;
            Ok(true)
        })
        .await
    }

    async fn report_events(&self, id: ReportId) -> Result<Vec<ReportEvent>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT seq, at_ms, author, status, text FROM report_events
                 WHERE report_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt
                .query_map([id.0.to_string()], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(seq, at_ms, author, status, text)| {
                    Ok(ReportEvent {
                        seq,
                        report_id: id,
                        at: chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default(),
                        author: author_from_db(&author)?,
                        status: status.as_deref().map(status_from_db).transpose()?,
                        text,
                    })
                })
                .collect()
        })
        .await
    }

    async fn report_photo(&self, id: ReportId, n: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT jpeg FROM report_photos WHERE report_id = ?1 AND n = ?2",
                    params![id.0.to_string(), n],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }
}
