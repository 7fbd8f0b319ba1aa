//! Conformance cases of [`ReportFeedStore`](super::ReportFeedStore), run on both backends by the
//! macro in `conformance.rs`: the feed lists a resident's filings and events in commit order, a
//! cursor paging through it while writers commit concurrently never misses or repeats an entry,
//! and a client action id is applied once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use connect_core::{
    api::reports::EventAuthor,
    ids::{BuildingId, CompanyId, RegionId, ReportId, UserId},
    property::{Building, ManagingCompany},
    reports::ReportStatus,
};
use uuid::Uuid;

use super::{Filed, NewEvent, NewReport, ReportRecord, Store, StoreError};

const T0: i64 = 1_772_323_200_000;

async fn world(s: &dyn Store) -> (UserId, UserId) {
    s.upsert_company(ManagingCompany {
        id: CompanyId("X".into()),
        name: "Company X".into(),
        tax_id: None,
        phone: None,
        email: None,
        region_id: RegionId("R1".into()),
    })
    .await
    .unwrap();
    s.upsert_buildings(vec![Building {
        id: BuildingId("B1".into()),
        address: "Street B1".into(),
        company_id: Some(CompanyId("X".into())),
        region_id: RegionId("R1".into()),
        lat: 59.2,
        lon: 39.9,
    }])
    .await
    .unwrap();
    let a = s.ensure_user(vec![1; 32], vec![0], T0).await.unwrap();
    let b = s.ensure_user(vec![2; 32], vec![0], T0).await.unwrap();
    (a, b)
}

async fn file(s: &dyn Store, author: UserId, at: i64) -> ReportRecord {
    let new = NewReport {
        id: ReportId(Uuid::now_v7()),
        author,
        building_id: BuildingId("B1".into()),
        company_id: Some(CompanyId("X".into())),
        region_id: RegionId("R1".into()),
        category: "leak".into(),
        text: "water".into(),
        place: "entrance 1".into(),
        content_sha256: "cd".repeat(32),
        photos: vec![],
        filed_ms: at,
        due_ms: at + 3_600_000,
    };
    match s.file_report(new).await.unwrap() {
        Filed::Created(r) => r,
        Filed::Existing(_) => panic!("a fresh id must create"),
    }
}

fn event(at_ms: i64, author: EventAuthor, text: &str, client_op: Option<Uuid>) -> NewEvent {
    NewEvent {
        at_ms,
        author,
        text: Some(text.into()),
        client_op,
    }
}

/// (report, event seq or 0 for the filing) of every entry after `after`, paged by `page`.
async fn drain(s: &dyn Store, user: UserId, after: i64, page: u32) -> (Vec<(ReportId, i64)>, i64) {
    let mut cursor = after;
    let mut out = Vec::new();
    loop {
        let entries = s.report_feed(user, cursor, page).await.unwrap();
        let Some(last) = entries.last() else {
            return (out, cursor);
        };
        assert!(last.seq > cursor);
        cursor = last.seq;
        out.extend(
            entries
                .into_iter()
                .map(|e| (e.report_id, e.event.map_or(0, |ev| ev.seq))),
        );
    }
}

pub async fn the_report_feed_lists_filings_and_events_in_commit_order_per_author(s: &dyn Store) {
    let (a, b) = world(s).await;
    let first = file(s, a, T0).await;
    let theirs = file(s, b, T0 + 1).await;
    let second = file(s, a, T0 + 2).await;
    s.change_report_status(
        first.id,
        vec![ReportStatus::New],
        ReportStatus::Accepted,
        None,
        event(T0 + 10, EventAuthor::Company, "on our way", None),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        s.add_report_comment(
            second.id,
            event(T0 + 11, EventAuthor::Resident, "still dripping", None)
        )
        .await
        .unwrap()
    );
    // Another resident's activity never shows in a's feed.
    assert!(
        s.add_report_comment(theirs.id, event(T0 + 12, EventAuthor::Company, "x", None))
            .await
            .unwrap()
    );
    let feed = s.report_feed(a, 0, 100).await.unwrap();
    let summary: Vec<_> = feed
        .iter()
        .map(|e| {
            (
                e.report_id,
                e.event
                    .as_ref()
                    .map(|ev| (ev.seq, ev.author, ev.status, ev.text.clone())),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (first.id, None),
            (second.id, None),
            (
                first.id,
                Some((
                    1,
                    EventAuthor::Company,
                    Some(ReportStatus::Accepted),
                    Some("on our way".into())
                ))
            ),
            (
                second.id,
                Some((
                    1,
                    EventAuthor::Resident,
                    None,
                    Some("still dripping".into())
                ))
            ),
        ]
    );
    assert!(feed.windows(2).all(|w| w[0].seq < w[1].seq));
    // Paging by one from every position gives exactly the rest of the feed.
    let (paged, end) = drain(s, a, 0, 1).await;
    assert_eq!(paged.len(), 4);
    assert_eq!(end, feed[3].seq);
    let (rest, _) = drain(s, a, feed[1].seq, 2).await;
    assert_eq!(rest, vec![(first.id, 1), (second.id, 1)]);
    assert!(s.report_feed(a, end, 10).await.unwrap().is_empty());
    let (b_feed, _) = drain(s, b, 0, 10).await;
    assert_eq!(b_feed, vec![(theirs.id, 0), (theirs.id, 1)]);
}

pub async fn a_client_action_id_is_applied_once_and_names_its_report(s: &dyn Store) {
    let (a, _) = world(s).await;
    let r = file(s, a, T0).await;
    let op = Uuid::now_v7();
    assert_eq!(s.report_of_client_op(op).await.unwrap(), None);
    s.change_report_status(
        r.id,
        vec![ReportStatus::New],
        ReportStatus::Rejected,
        None,
        event(T0 + 1, EventAuthor::Company, "not ours", None),
    )
    .await
    .unwrap()
    .unwrap();
    let reopened = s
        .change_report_status(
            r.id,
            vec![ReportStatus::Rejected],
            ReportStatus::Reopened,
            None,
            event(T0 + 2, EventAuthor::Resident, "it is yours", Some(op)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reopened.status, ReportStatus::Reopened);
    assert_eq!(s.report_of_client_op(op).await.unwrap(), Some(r.id));
    s.change_report_status(
        r.id,
        vec![ReportStatus::Reopened],
        ReportStatus::Rejected,
        None,
        event(T0 + 3, EventAuthor::Company, "still not ours", None),
    )
    .await
    .unwrap()
    .unwrap();
    // The same action id again, even where the lifecycle would allow it, writes nothing.
    let again = s
        .change_report_status(
            r.id,
            vec![ReportStatus::Rejected],
            ReportStatus::Reopened,
            None,
            event(T0 + 4, EventAuthor::Resident, "it is yours", Some(op)),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
    let now = s.report(r.id).await.unwrap().unwrap();
    assert_eq!(now.status, ReportStatus::Rejected);
    assert_eq!(s.report_events(r.id).await.unwrap().len(), 3);
    assert_eq!(s.report_feed(a, 0, 100).await.unwrap().len(), 4);
}

pub async fn a_cursor_never_misses_or_repeats_an_entry_while_writers_commit_concurrently(
    s: &dyn Store,
) {
    const REPORTS: usize = 8;
    const WRITERS: usize = 8;
    const COMMENTS: usize = 15;
    let (a, _) = world(s).await;
    let mut reports = Vec::new();
    for i in 0..REPORTS {
        reports.push(file(s, a, T0 + i as i64).await.id);
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let writers = async {
        futures::future::join_all((0..WRITERS).map(|w| {
            let reports = &reports;
            async move {
                for c in 0..COMMENTS {
                    let report = reports[(w * 3 + c) % REPORTS];
                    let text = format!("writer {w} comment {c}");
                    let at = T0 + 1000 + (w * COMMENTS + c) as i64;
                    let written = s
                        .add_report_comment(report, event(at, EventAuthor::Company, &text, None))
                        .await
                        .unwrap();
                    assert!(written);
                }
            }
        }))
        .await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let reader = async {
        let mut cursor = 0;
        let mut seen = Vec::new();
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            let (page, next) = drain(s, a, cursor, 3).await;
            seen.extend(page);
            cursor = next;
            if finished {
                return seen;
            }
            tokio::task::yield_now().await;
        }
    };
    let ((), seen) = tokio::join!(writers, reader);
    let unique: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an entry was delivered twice");
    assert_eq!(
        seen.len(),
        REPORTS + WRITERS * COMMENTS,
        "an entry was missed"
    );
    let (all, _) = drain(s, a, 0, 1000).await;
    assert_eq!(all.len(), seen.len());
}

/// Files two reports and two events at interleaved times, then drops the feed as a store from
/// before migration 0012 would not have it; returns what the backfill must produce.
async fn history_before_the_feed(s: &dyn Store) -> (UserId, Vec<(ReportId, i64)>) {
    let (a, _) = world(s).await;
    let first = file(s, a, T0).await;
    let second = file(s, a, T0 + 1).await;
    assert!(
        s.add_report_comment(first.id, event(T0 + 5, EventAuthor::Company, "late", None))
            .await
            .unwrap()
    );
    assert!(
        s.add_report_comment(
            second.id,
            event(T0 + 3, EventAuthor::Company, "early", None)
        )
        .await
        .unwrap()
    );
    (
        a,
        vec![(first.id, 0), (second.id, 0), (second.id, 1), (first.id, 1)],
    )
}

#[tokio::test]
async fn sqlite_upgrade_to_the_feed_backfills_old_reports_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let (user, expected) = {
        let s = super::sqlite::SqliteStore::open(&path).unwrap();
        history_before_the_feed(&s).await
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE report_feed; DELETE FROM schema_migrations WHERE version = 12;")
        .unwrap();
    drop(conn);
    let s = super::sqlite::SqliteStore::open(&path).unwrap();
    assert_eq!(drain(&s, user, 0, 100).await.0, expected);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_upgrade_to_the_feed_backfills_old_reports_in_time_order() {
    let url = std::env::var("CONNECT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("t_{}", Uuid::new_v4().simple());
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is required for these tests: {e}"));
    tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let (user, expected) = {
        let s = super::postgres::PgStore::connect(&url, Some(&schema))
            .await
            .unwrap();
        history_before_the_feed(&s).await
    };
    client
        .batch_execute(&format!(
            "DROP TABLE {schema}.report_feed;
             DELETE FROM {schema}.schema_migrations WHERE version = 12;"
        ))
        .await
        .unwrap();
    let upgraded = super::postgres::PgStore::connect(&url, Some(&schema))
        .await
        .unwrap();
    let backfilled = drain(&upgraded, user, 0, 100).await.0;
    drop(upgraded);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    assert_eq!(backfilled, expected);
}
