//! The local report store's behaviour on real SQLite files: filing and outbox together, the
//! exact request rebuilt, answers per item, pulled history stored once, action rules.
#![allow(clippy::unwrap_used)]

use chrono::TimeZone;

use super::*;
use crate::store::Store;

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, minute, 0).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("r.db"), &[3; 32]).unwrap();
    (dir, store)
}

fn request(n: u128, photos: &[Vec<u8>]) -> FileReportRequest {
    FileReportRequest {
        id: ReportId(Uuid::from_u128(n)),
        building_id: BuildingId("B1".into()),
        category: "leak".into(),
        text: format!("water from the ceiling of flat 12, Ivanova ({n})"),
        place: "entrance 2".into(),
        photos: photos.iter().map(|p| STANDARD.encode(p)).collect(),
    }
}

fn enqueue(store: &Store, n: u128, photos: &[Vec<u8>]) -> FileReportRequest {
    let req = request(n, photos);
    store
        .write(|tx| enqueue_report(tx, store.cipher(), &req, photos, t(0)))
        .unwrap();
    req
}

fn answer(req: &FileReportRequest, number: &str, sha: String) -> FiledReportResponse {
    FiledReportResponse {
        id: req.id,
        number: number.into(),
        content_sha256: sha,
        status: ReportStatus::New,
        filed_at: t(5),
        due_at: t(5) + chrono::Duration::hours(4),
    }
}

fn resolve_one(store: &Store, r: ReportResolution) -> Vec<ReportNotice> {
    store
        .write(|tx| resolve(tx, store.cipher(), &r, t(6)))
        .unwrap()
}

fn view(req: &FileReportRequest, status: ReportStatus, events: Vec<ReportEvent>) -> ReportView {
    ReportView {
        id: req.id,
        number: "2026-000007".into(),
        building_id: req.building_id.clone(),
        address: "Street B1".into(),
        company_id: None,
        category: req.category.clone(),
        text: req.text.clone(),
        place: req.place.clone(),
        photo_count: req.photos.len() as u32,
        content_sha256: req.content_sha256(),
        status,
        filed_at: t(5),
        due_at: t(9),
        overdue: false,
        rating: None,
        events,
    }
}

fn event(
    req: &FileReportRequest,
    seq: i64,
    author: EventAuthor,
    status: Option<ReportStatus>,
    text: Option<&str>,
) -> ReportEvent {
    ReportEvent {
        seq,
        report_id: req.id,
        at: t(10 + seq as u32),
        author,
        status,
        text: text.map(str::to_owned),
    }
}

#[test]
fn a_filing_is_queued_with_its_photos_and_rebuilt_byte_for_byte_with_the_same_digest() {
    let (dir, store) = store();
    let photos = vec![vec![0xFF, 0xD8, 0xFF, 1, 2, 3], vec![0xFF, 0xD8, 0xFF, 9]];
    let req = enqueue(&store, 1, &photos);
    assert_eq!(store.read(outbox_len).unwrap(), 1);
    let ops = store.read(|c| next_ops(c, store.cipher(), 10)).unwrap();
    assert_eq!(ops, vec![ReportOp::File(req.clone())]);
    let ReportOp::File(rebuilt) = &ops[0] else {
        unreachable!()
    };
    assert_eq!(rebuilt.content_sha256(), req.content_sha256());
    let item = store
        .read(|c| get(c, store.cipher(), req.id))
        .unwrap()
        .unwrap();
    assert_eq!(item.delivery, ReportDelivery::Queued);
    assert_eq!(item.status, ReportStatus::New);
    assert_eq!(
        (item.text.as_str(), item.photo_count),
        (req.text.as_str(), 2)
    );
    assert_eq!(
        store.read(|c| photo(c, store.cipher(), req.id, 1)).unwrap(),
        Some(photos[1].clone())
    );
    // The words are sealed at rest.
    drop(store);
    let raw = std::fs::read(dir.path().join("r.db")).unwrap();
    let wal = std::fs::read(dir.path().join("r.db-wal")).unwrap_or_default();
    for bytes in [raw, wal] {
        assert!(!bytes.windows(7).any(|w| w == b"Ivanova"));
    }
}

#[test]
fn a_report_and_its_outbox_row_are_written_together_or_not_at_all() {
    let (_dir, store) = store();
    let req = request(1, &[]);
    let failed: Result<(), Error> = store.write(|tx| {
        enqueue_report(tx, store.cipher(), &req, &[], t(0))?;
        Err(Error::Corrupt { what: "test" })
    });
    assert!(failed.is_err());
    assert_eq!(store.read(outbox_len).unwrap(), 0);
    assert!(store.read(|c| list(c, store.cipher())).unwrap().is_empty());
    enqueue(&store, 1, &[]);
    // The same id twice is refused as a whole.
    assert!(
        store
            .write(|tx| enqueue_report(tx, store.cipher(), &req, &[], t(0)))
            .is_err()
    );
    assert_eq!(store.read(outbox_len).unwrap(), 1);
}

#[test]
fn an_accepted_filing_gets_its_number_and_the_servers_digest_is_checked() {
    let (_dir, store) = store();
    let good = enqueue(&store, 1, &[]);
    let bad = enqueue(&store, 2, &[]);
    let notices = resolve_one(
        &store,
        ReportResolution::Filed {
            id: good.id,
            answer: answer(&good, "2026-000001", good.content_sha256()),
        },
    );
    assert_eq!(
        notices,
        vec![ReportNotice::Filed {
            id: good.id,
            number: "2026-000001".into(),
            content_verified: true
        }]
    );
    let notices = resolve_one(
        &store,
        ReportResolution::Filed {
            id: bad.id,
            answer: answer(&bad, "2026-000002", "ff".repeat(32)),
        },
    );
    assert!(matches!(
        &notices[..],
        [ReportNotice::Filed {
            content_verified: false,
            ..
        }]
    ));
    assert_eq!(store.read(outbox_len).unwrap(), 0);
    let items = store.read(|c| list(c, store.cipher())).unwrap();
    let find = |id| items.iter().find(|i| i.id == id).unwrap();
    assert_eq!(find(good.id).number.as_deref(), Some("2026-000001"));
    assert_eq!(find(good.id).delivery, ReportDelivery::Filed);
    assert!(find(good.id).content_verified);
    assert!(!find(bad.id).content_verified);
    assert_eq!(find(good.id).filed_at, Some(t(5)));
}

#[test]
fn a_refused_filing_stays_visible_with_its_reason_and_never_blocks_the_next() {
    let (_dir, store) = store();
    let first = enqueue(&store, 1, &[]);
    let second = enqueue(&store, 2, &[]);
    resolve_one(
        &store,
        ReportResolution::Retry {
            key: ReportOpKey::Filing(first.id),
            error: "timeout".into(),
        },
    );
    let notices = resolve_one(
        &store,
        ReportResolution::Rejected {
            key: ReportOpKey::Filing(first.id),
            code: "invalid_input".into(),
            message: "unknown category".into(),
        },
    );
    assert_eq!(
        notices,
        vec![ReportNotice::Rejected {
            id: first.id,
            code: "invalid_input".into(),
            message: "unknown category".into()
        }]
    );
    assert_eq!(
        store.read(|c| next_ops(c, store.cipher(), 10)).unwrap(),
        vec![ReportOp::File(second.clone())]
    );
    let item = store
        .read(|c| get(c, store.cipher(), first.id))
        .unwrap()
        .unwrap();
    assert_eq!(item.delivery, ReportDelivery::Rejected);
    assert_eq!(item.rejection.unwrap().message, "unknown category");
    resolve_one(
        &store,
        ReportResolution::Retry {
            key: ReportOpKey::Filing(second.id),
            error: "timeout".into(),
        },
    );
    let queued = store
        .read(|c| get(c, store.cipher(), second.id))
        .unwrap()
        .unwrap();
    assert_eq!(
        (queued.attempts, queued.last_error.as_deref()),
        (1, Some("timeout"))
    );
}

#[test]
fn pulled_events_are_stored_once_and_status_changes_and_answers_become_notices() {
    let (_dir, store) = store();
    let mine = enqueue(&store, 1, &[]);
    resolve_one(
        &store,
        ReportResolution::Filed {
            id: mine.id,
            answer: answer(&mine, "2026-000007", mine.content_sha256()),
        },
    );
    let elsewhere = request(2, &[]);
    let events = vec![
        event(
            &mine,
            1,
            EventAuthor::Company,
            Some(ReportStatus::Accepted),
            Some("on our way"),
        ),
        event(&mine, 2, EventAuthor::Resident, None, Some("thanks")),
        event(
            &mine,
            3,
            EventAuthor::Company,
            None,
            Some("the plumber comes at 10"),
        ),
    ];
    let pull = |views: &[ReportView], events: &[ReportEvent]| {
        store
            .write(|tx| merge_pull(tx, store.cipher(), views, events, t(20)))
            .unwrap()
    };
    let views = vec![
        view(&mine, ReportStatus::Accepted, vec![]),
        view(&elsewhere, ReportStatus::New, vec![]),
    ];
    let notices = pull(&views, &events);
    assert_eq!(
        notices,
        vec![
            ReportNotice::StatusChanged {
                id: mine.id,
                number: Some("2026-000007".into()),
                status: ReportStatus::Accepted,
                message: Some("on our way".into())
            },
            ReportNotice::StatusChanged {
                id: mine.id,
                number: Some("2026-000007".into()),
                status: ReportStatus::Accepted,
                message: Some("the plumber comes at 10".into())
            },
        ]
    );
    // The same page again (a repeated pull) changes nothing and tells nothing.
    assert!(pull(&views, &events).is_empty());
    let items = store.read(|c| list(c, store.cipher())).unwrap();
    assert_eq!(
        items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![elsewhere.id, mine.id],
        "newest first"
    );
    let mine_now = &items[1];
    assert_eq!(mine_now.status, ReportStatus::Accepted);
    assert_eq!(mine_now.events, events);
    assert_eq!(mine_now.text, mine.text, "filed content is never replaced");
    let theirs = &items[0];
    assert_eq!(theirs.delivery, ReportDelivery::Filed);
    assert_eq!(theirs.text, elsewhere.text);
    assert!(theirs.content_verified);
    // An event of a report the pull did not describe is skipped, not fatal.
    let orphan = request(3, &[]);
    assert!(
        pull(
            &[],
            &[event(
                &orphan,
                1,
                EventAuthor::Company,
                Some(ReportStatus::Accepted),
                None
            )]
        )
        .is_empty()
    );
}

fn filed_report(store: &Store, n: u128, status: ReportStatus) -> FileReportRequest {
    let req = enqueue(store, n, &[]);
    resolve_one(
        store,
        ReportResolution::Filed {
            id: req.id,
            answer: answer(&req, "2026-000001", req.content_sha256()),
        },
    );
    store
        .write(|tx| merge_pull(tx, store.cipher(), &[view(&req, status, vec![])], &[], t(7)))
        .unwrap();
    req
}

fn act(store: &Store, id: ReportId, action: NewAction) -> Result<Uuid, ReportError> {
    store
        .write(|tx| enqueue_action(tx, store.cipher(), id, &action, t(30)))
        .unwrap()
}

#[test]
fn a_rating_is_queued_once_and_only_for_a_resolved_or_rejected_report() {
    let (_dir, store) = store();
    let open = filed_report(&store, 1, ReportStatus::InProgress);
    let rate = |stars| NewAction::Rate {
        stars,
        comment: Some("quick".into()),
    };
    assert_eq!(act(&store, open.id, rate(5)), Err(ReportError::NotRateable));
    assert_eq!(
        act(&store, ReportId(Uuid::from_u128(99)), rate(5)),
        Err(ReportError::UnknownReport)
    );
    let queued = enqueue(&store, 2, &[]);
    assert_eq!(
        act(&store, queued.id, rate(5)),
        Err(ReportError::UnknownReport),
        "not filed yet"
    );
    let done = filed_report(&store, 3, ReportStatus::Resolved);
    assert_eq!(
        act(&store, done.id, rate(0)),
        Err(ReportError::InvalidStars)
    );
    let action = act(&store, done.id, rate(4)).unwrap();
    assert_eq!(
        act(&store, done.id, rate(5)),
        Err(ReportError::AlreadyRated)
    );
    let ops = store.read(|c| next_ops(c, store.cipher(), 10)).unwrap();
    assert_eq!(
        ops.last(),
        Some(&ReportOp::Rate {
            action,
            report: done.id,
            request: RatingRequest {
                stars: 4,
                comment: Some("quick".into()),
                id: Some(action)
            }
        })
    );
    // A queued rating will make it `rated`: reopening may follow it, once.
    let reopen = NewAction::Reopen {
        reason: "dripping again".into(),
    };
    let again = act(&store, done.id, reopen.clone()).unwrap();
    assert_eq!(
        act(&store, done.id, reopen.clone()),
        Err(ReportError::NotReopenable)
    );
    assert_eq!(
        act(&store, open.id, reopen),
        Err(ReportError::NotReopenable)
    );
    let item = store
        .read(|c| get(c, store.cipher(), done.id))
        .unwrap()
        .unwrap();
    assert_eq!(
        item.actions
            .iter()
            .map(|a| (a.id, a.kind, a.state))
            .collect::<Vec<_>>(),
        vec![
            (action, ReportActionKind::Rate, ReportActionState::Queued),
            (again, ReportActionKind::Reopen, ReportActionState::Queued)
        ]
    );
}

#[test]
fn an_applied_action_stores_the_servers_view_and_a_refused_one_keeps_its_reason() {
    let (_dir, store) = store();
    let req = filed_report(&store, 1, ReportStatus::Resolved);
    let action = act(
        &store,
        req.id,
        NewAction::Rate {
            stars: 5,
            comment: None,
        },
    )
    .unwrap();
    let mut rated = view(
        &req,
        ReportStatus::Rated,
        vec![
            event(
                &req,
                1,
                EventAuthor::Company,
                Some(ReportStatus::Resolved),
                Some("fixed"),
            ),
            event(
                &req,
                2,
                EventAuthor::Resident,
                Some(ReportStatus::Rated),
                None,
            ),
        ],
    );
    rated.rating = Some(5);
    let notices = resolve_one(
        &store,
        ReportResolution::ActionDone {
            action,
            view: rated,
        },
    );
    assert_eq!(notices.len(), 2);
    let item = store
        .read(|c| get(c, store.cipher(), req.id))
        .unwrap()
        .unwrap();
    assert_eq!((item.status, item.rating), (ReportStatus::Rated, Some(5)));
    assert_eq!(item.actions[0].state, ReportActionState::Done);
    let reopen = act(
        &store,
        req.id,
        NewAction::Reopen {
            reason: "back".into(),
        },
    )
    .unwrap();
    let notices = resolve_one(
        &store,
        ReportResolution::Rejected {
            key: ReportOpKey::Action(reopen),
            code: "conflict".into(),
            message: "cannot".into(),
        },
    );
    assert!(matches!(&notices[..], [ReportNotice::Rejected { id, .. }] if *id == req.id));
    let item = store
        .read(|c| get(c, store.cipher(), req.id))
        .unwrap()
        .unwrap();
    assert_eq!(item.actions[1].state, ReportActionState::Rejected);
    assert_eq!(item.actions[1].rejection.as_ref().unwrap().code, "conflict");
    assert_eq!(item.actions[1].text.as_deref(), Some("back"));
    assert_eq!(store.read(outbox_len).unwrap(), 0);
}
