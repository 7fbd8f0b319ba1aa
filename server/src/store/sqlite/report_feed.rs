//! [`ReportFeedStore`] on SQLite: the feed rows are written by the report writers
//! (`reports.rs`) on the single writer thread, so their numbers follow commit order.

use async_trait::async_trait;
use connect_core::{
    api::reports::ReportEvent,
    ids::{ReportId, UserId},
};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, uuid_col};
use crate::store::{FeedEntry, ReportFeedStore, StoreError, author_from_db, status_from_db};

/// One feed row as read: seq, report, and the event's columns when it has one.
type RawEntry = (
    i64,
    uuid::Uuid,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn entry(raw: RawEntry) -> Result<FeedEntry, StoreError> {
    let (seq, report, event_seq, at_ms, author, status, text) = raw;
    let report_id = ReportId(report);
    let event = match (event_seq, at_ms, author) {
        (Some(event_seq), Some(at_ms), Some(author)) => Some(ReportEvent {
            seq: event_seq,
            report_id,
            at: chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default(),
            author: author_from_db(&author)?,
            status: status.as_deref().map(status_from_db).transpose()?,
            text,
        }),
        (None, _, _) => None,
        _ => {
            return Err(StoreError::Corrupt(format!(
                "feed row {seq} names no event"
            )));
        }
    };
    Ok(FeedEntry {
        seq,
        report_id,
        event,
    })
}

#[async_trait]
impl ReportFeedStore for SqliteStore {
    async fn report_feed(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT f.seq, f.report_id, f.event_seq, e.at_ms, e.author, e.status, e.text
                 FROM report_feed f
                 LEFT JOIN report_events e ON e.report_id = f.report_id AND e.seq = f.event_seq
                 WHERE f.author_id = ?1 AND f.seq > ?2
                 ORDER BY f.seq LIMIT ?3",
            )?;
            let raw = stmt
                .query_map(params![user.0.to_string(), after, limit], |r| {
                    Ok((
                        r.get(0)?,
                        uuid_col(r, 1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect::<Result<Vec<RawEntry>, _>>()?;
            raw.into_iter().map(entry).collect()
        })
        .await
    }

    async fn report_of_client_op(&self, op: uuid::Uuid) -> Result<Option<ReportId>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT report_id FROM report_feed WHERE client_op = ?1",
                    [op.to_string()],
                    |r| uuid_col(r, 0),
                )
                .optional()?
                .map(ReportId))
        })
        .await
    }
}
