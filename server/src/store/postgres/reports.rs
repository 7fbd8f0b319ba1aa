//! [`ReportStore`] on PostgreSQL: the per-year counter is an upsert (row lock serialises
//! concurrent filings), status changes lock the report row (`FOR UPDATE`) so two staff members
//! cannot both move it.

use async_trait::async_trait;
use connect_core::{
    api::reports::ReportEvent,
    ids::{BuildingId, CompanyId, RegionId, ReportId, UserId},
    reports::ReportStatus,
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{PgStore, classify};
use crate::store::{
    Filed, NewEvent, NewReport, ReportFilter, ReportRecord, ReportStore, StoreError,
    author_from_db, author_to_db, report_number, status_from_db, status_to_db, year_of,
};

const COLUMNS: &str = "id, number, author_id, building_id, company_id, region_id, category, text, \
     place, content_sha256, photo_count, status, filed_ms, due_ms, answered_ms, rating";

fn report_row(r: &Row) -> Result<ReportRecord, StoreError> {
    let status: String = r.get(11);
    let photo_count: i64 = r.get(10);
    let rating: Option<i64> = r.get(15);
    Ok(ReportRecord {
        id: ReportId(r.get(0)),
        number: r.get(1),
        author: UserId(r.get(2)),
        building_id: BuildingId(r.get(3)),
        company_id: r.get::<_, Option<String>>(4).map(CompanyId),
        region_id: RegionId(r.get(5)),
        category: r.get(6),
        text: r.get(7),
        place: r.get(8),
        content_sha256: r.get(9),
        photo_count: u32::try_from(photo_count)
            .map_err(|_| StoreError::Corrupt("photo_count".into()))?,
        status: status_from_db(&status)?,
        filed_ms: r.get(12),
        due_ms: r.get(13),
        answered_ms: r.get(14),
        rating: rating
            .map(u8::try_from)
            .transpose()
            .map_err(|_| StoreError::Corrupt("rating".into()))?,
    })
}

pub(super) async fn load(
    c: &impl GenericClient,
    id: ReportId,
    lock: bool,
) -> Result<Option<ReportRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reports WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    c.query_opt(&sql, &[&id.0])
        .await?
        .as_ref()
        .map(report_row)
        .transpose()
}

pub(super) async fn append_event(
    c: &impl GenericClient,
    id: ReportId,
    status: Option<ReportStatus>,
    e: &NewEvent,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO report_events (report_id, seq, at_ms, author, status, text)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM report_events WHERE report_id = $1",
        &[
            &id.0,
            &e.at_ms,
            &author_to_db(e.author),
            &status.map(status_to_db),
            &e.text,
        ],
    )
    .await
    .map_err(classify)?;
    append_feed(c, id, true, e.client_op).await
}

/// Takes the feed lock, held until the caller's commit, so feed numbers are given in commit
/// order: a cursor never passes a row that commits later with a smaller number. Every writer
/// takes it as its last lock, right before its final statements.
const FEED_LOCK: i64 = 727_005;

/// Appends the filing (`event = false`) or the report's latest event to its author's feed.
async fn append_feed(
    c: &impl GenericClient,
    id: ReportId,
    event: bool,
    client_op: Option<uuid::Uuid>,
) -> Result<(), StoreError> {
    c.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
        .await?;
    c.execute(
        "INSERT INTO report_feed (report_id, author_id, event_seq, client_op)
         SELECT r.id, r.author_id,
                CASE WHEN $2 THEN (SELECT MAX(seq) FROM report_events WHERE report_id = r.id) END,
                $3
         FROM reports r WHERE r.id = $1",
        &[&id.0, &event, &client_op],
    )
    .await
    .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl ReportStore for PgStore {
    async fn file_report(&self, r: NewReport) -> Result<Filed, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if let Some(existing) = load(&tx, r.id, false).await? {
            return Ok(Filed::Existing(existing));
        }
        let year = year_of(r.filed_ms);
        let seq: i64 = tx
            .query_one(
                "INSERT INTO report_numbers (year, last) VALUES ($1, 1)
                 ON CONFLICT (year) DO UPDATE SET last = report_numbers.last + 1 RETURNING last",
                &[&year],
            )
            .await?
            .get(0);
        let inserted = tx
            .execute(
                &format!(
                    "INSERT INTO reports ({COLUMNS}) VALUES
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, NULL)"
                ),
                &[
                    &r.id.0,
                    &report_number(year, seq),
                    &r.author.0,
                    &r.building_id.0,
                    &r.company_id.as_ref().map(|c| c.0.clone()),
                    &r.region_id.0,
                    &r.category,
                    &r.text,
                    &r.place,
                    &r.content_sha256,
                    &(r.photos.len() as i64),
                    &status_to_db(ReportStatus::New),
                    &r.filed_ms,
                    &r.due_ms,
                ],
            )
            .await
            .map_err(classify);
        match inserted {
            Ok(_) => {}
            Err(StoreError::Duplicate) => {
                // A concurrent filing of the same id won; answer with its row.
                drop(tx);
                return load(&c, r.id, false)
                    .await?
                    .map(Filed::Existing)
                    .ok_or_else(|| StoreError::Corrupt("duplicate report vanished".into()));
            }
            Err(e) => return Err(e),
        }
        for (n, jpeg) in r.photos.iter().enumerate() {
            tx.execute(
                "INSERT INTO report_photos (report_id, n, jpeg) VALUES ($1, $2, $3)",
                &[&r.id.0, &(n as i64), jpeg],
            )
            .await?;
        }
        append_feed(&tx, r.id, false, None).await?;
        let stored = load(&tx, r.id, false)
            .await?
            .ok_or_else(|| StoreError::Corrupt("report vanished after insert".into()))?;
        tx.commit().await?;
        Ok(Filed::Created(stored))
    }

    async fn report(&self, id: ReportId) -> Result<Option<ReportRecord>, StoreError> {
        let c = self.client().await?;
        load(&c, id, false).await
    }

    async fn reports(&self, filter: ReportFilter) -> Result<Vec<ReportRecord>, StoreError> {
        let c = self.client().await?;
        let rows = match filter {
            ReportFilter::Author(u) => {
                c.query(
                    &format!(
                        "SELECT {COLUMNS} FROM reports WHERE author_id = $1 ORDER BY filed_ms DESC"
                    ),
                    &[&u.0],
                )
                .await?
            }
            ReportFilter::Company(co) => {
                c.query(
                    &format!(
                        "SELECT {COLUMNS} FROM reports WHERE company_id = $1 ORDER BY due_ms, id"
                    ),
                    &[&co.0],
                )
                .await?
            }
            ReportFilter::Region(r) => {
                c.query(
                    &format!(
                        "SELECT {COLUMNS} FROM reports WHERE region_id = $1 ORDER BY due_ms, id"
                    ),
                    &[&r.0],
                )
                .await?
            }
        };
        rows.iter().map(report_row).collect()
    }

    async fn change_report_status(
        &self,
        id: ReportId,
        from: Vec<ReportStatus>,
        to: ReportStatus,
        rating: Option<u8>,
        event: NewEvent,
    ) -> Result<Option<ReportRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some(current) = load(&tx, id, true).await? else {
            return Ok(None);
        };
        if !from.contains(&current.status) {
            return Ok(None);
        }
        let closes = matches!(to, ReportStatus::Resolved | ReportStatus::Rejected);
        tx.execute(
            "UPDATE reports SET status = $2,
                rating = COALESCE($3, rating),
                answered_ms = CASE WHEN $4 AND answered_ms IS NULL THEN $5 ELSE answered_ms END
             WHERE id = $1",
            &[
                &id.0,
                &status_to_db(to),
                &rating.map(i64::from),
                &closes,
                &event.at_ms,
            ],
        )
        .await?;
        append_event(&tx, id, Some(to), &event).await?;
        if to == ReportStatus::Rated && rating.is_some() {
            // The rating's points commit with it (settled by server::points).
            super::points::queue_earnings(
                &tx,
                current.author,
                connect_core::points::LedgerReason::RatedReport,
                &[id.0.to_string()],
                chrono::DateTime::from_timestamp_millis(event.at_ms).unwrap_or_default(),
            )
            .await?;
        }
        let updated = load(&tx, id, false).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn add_report_comment(&self, id: ReportId, event: NewEvent) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if load(&tx, id, true).await?.is_none() {
            return Ok(false);
        }
        append_event(&tx, id, None, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn report_events(&self, id: ReportId) -> Result<Vec<ReportEvent>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT seq, at_ms, author, status, text FROM report_events
                 WHERE report_id = $1 ORDER BY seq",
                &[&id.0],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let author: String = r.get(2);
                let status: Option<String> = r.get(3);
                Ok(ReportEvent {
                    seq: r.get(0),
                    report_id: id,
                    at: chrono::DateTime::from_timestamp_millis(r.get(1)).unwrap_or_default(),
                    author: author_from_db(&author)?,
                    status: status.as_deref().map(status_from_db).transpose()?,
                    text: r.get(4),
                })
            })
            .collect()
    }

    async fn report_photo(&self, id: ReportId, n: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT jpeg FROM report_photos WHERE report_id = $1 AND n = $2",
            &[&id.0, &i64::from(n)],
        )
        .await?
        .map(|r| r.get(0)))
    }
}
