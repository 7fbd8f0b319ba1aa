//! [`ReportFeedStore`] on PostgreSQL: the feed rows are written by the report writers
//! (`reports.rs`) under an advisory lock held to their commit, so their numbers follow commit
//! order and a reader's cursor never passes a row that becomes visible later.

use async_trait::async_trait;
use connect_core::{
    api::reports::ReportEvent,
    ids::{ReportId, UserId},
};
use deadpool_postgres::GenericClient;

use super::PgStore;
use crate::store::{FeedEntry, ReportFeedStore, StoreError, author_from_db, status_from_db};

#[async_trait]
impl ReportFeedStore for PgStore {
    async fn report_feed(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT f.seq, f.report_id, f.event_seq, e.at_ms, e.author, e.status, e.text
                 FROM report_feed f
                 LEFT JOIN report_events e ON e.report_id = f.report_id AND e.seq = f.event_seq
                 WHERE f.author_id = $1 AND f.seq > $2
                 ORDER BY f.seq LIMIT $3",
                &[&user.0, &after, &i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                let report_id = ReportId(r.get(1));
                let event_seq: Option<i64> = r.get(2);
                let at_ms: Option<i64> = r.get(3);
                let author: Option<String> = r.get(4);
                let status: Option<String> = r.get(5);
                let event = match (event_seq, at_ms, author) {
                    (Some(event_seq), Some(at_ms), Some(author)) => Some(ReportEvent {
                        seq: event_seq,
                        report_id,
                        at: chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default(),
                        author: author_from_db(&author)?,
                        status: status.as_deref().map(status_from_db).transpose()?,
                        text: r.get(6),
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
            })
            .collect()
    }

    async fn report_of_client_op(&self, op: uuid::Uuid) -> Result<Option<ReportId>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT report_id FROM report_feed WHERE client_op = $1",
            &[&op],
        )
        .await?
        .map(|r| ReportId(r.get(0))))
    }
}
