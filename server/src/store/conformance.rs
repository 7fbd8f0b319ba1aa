//! The store conformance suite: every case is written once against `&dyn Store` and run on both
//! backends by `store_conformance_tests!`. PostgreSQL cases connect to `CONNECT_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/test`), each in a fresh schema dropped at the end;
//! they FAIL when PostgreSQL is unreachable, so a broken backend can never pass silently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::NaiveDate;
use connect_core::{
    auth::Role,
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, MeterId, ProviderId, RegionId, UserId},
    property::{Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind},
    readings::{Meter, Tariff},
};
use uuid::Uuid;

use connect_core::{api::reports::EventAuthor, ids::ReportId, reports::ReportStatus};

use super::{
    CodeCheck, Filed, Grant, IssueOutcome, NewCode, NewEvent, NewReport, PropertyStore,
    ReportFilter, Store, StoreError,
};

/// A store under test plus what must be cleaned up after it.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    #[cfg(feature = "postgres")]
    pg_schema: Option<(String, String)>,
}

impl Fixture {
    pub async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = super::sqlite::SqliteStore::open(&dir.path().join("t.db")).unwrap();
        Fixture {
            store: Arc::new(store),
            _dir: Some(dir),
            #[cfg(feature = "postgres")]
            pg_schema: None,
        }
    }

    #[cfg(feature = "postgres")]
    pub async fn postgres() -> Fixture {
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
        let store = super::postgres::PgStore::connect(&url, Some(&schema))
            .await
            .unwrap();
        Fixture {
            store: Arc::new(store),
            _dir: None,
            pg_schema: Some((url, schema)),
        }
    }

    pub async fn close(self) {
        #[cfg(feature = "postgres")]
        if let Some((url, schema)) = &self.pg_schema {
            drop(self.store);
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
        }
    }
}

const T0: i64 = 1_800_000_000_000;

fn code(phone: u8, hash: u8, now: i64, ip: &str, limit: u32) -> NewCode {
    NewCode {
        phone_index: vec![phone; 32],
        code_hash: vec![hash; 32],
        now_ms: now,
        expires_ms: now + 300_000,
        resend_cutoff_ms: now - 60_000,
        ip_key: format!("otp-ip:{ip}"),
        ip_window_ms: now - now.rem_euclid(3_600_000),
        ip_limit: limit,
    }
}

pub async fn a_second_code_within_the_resend_delay_is_throttled(s: &dyn Store) {
    assert_eq!(
        s.issue_code(code(1, 1, T0, "a", 20)).await.unwrap(),
        IssueOutcome::Issued
    );
    assert_eq!(
        s.issue_code(code(1, 2, T0 + 59_000, "a", 20))
            .await
            .unwrap(),
        IssueOutcome::NumberThrottled
    );
    // The throttled request did not replace the live code.
    assert_eq!(
        s.check_code(vec![1; 32], vec![1; 32], T0 + 61_000, 5)
            .await
            .unwrap(),
        CodeCheck::Valid
    );
    assert_eq!(
        s.issue_code(code(1, 3, T0 + 61_000, "a", 20))
            .await
            .unwrap(),
        IssueOutcome::Issued
    );
}

pub async fn the_per_ip_cap_refuses_codes_until_the_next_window(s: &dyn Store) {
    let start = T0 - T0.rem_euclid(3_600_000);
    for i in 0..3u8 {
        assert_eq!(
            s.issue_code(code(10 + i, 1, start + 1000, "ip1", 3))
                .await
                .unwrap(),
            IssueOutcome::Issued
        );
    }
    assert_eq!(
        s.issue_code(code(20, 1, start + 2000, "ip1", 3))
            .await
            .unwrap(),
        IssueOutcome::IpLimited
    );
    // Another IP is unaffected.
    assert_eq!(
        s.issue_code(code(21, 1, start + 2000, "ip2", 3))
            .await
            .unwrap(),
        IssueOutcome::Issued
    );
    assert_eq!(
        s.issue_code(code(20, 1, start + 3_600_000, "ip1", 3))
            .await
            .unwrap(),
        IssueOutcome::Issued
    );
}

pub async fn a_matching_code_is_valid_exactly_once(s: &dyn Store) {
    s.issue_code(code(2, 7, T0, "a", 20)).await.unwrap();
    assert_eq!(
        s.check_code(vec![2; 32], vec![7; 32], T0 + 1, 5)
            .await
            .unwrap(),
        CodeCheck::Valid
    );
    assert_eq!(
        s.check_code(vec![2; 32], vec![7; 32], T0 + 2, 5)
            .await
            .unwrap(),
        CodeCheck::Missing
    );
}

pub async fn five_wrong_attempts_burn_the_code(s: &dyn Store) {
    s.issue_code(code(3, 7, T0, "a", 20)).await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            s.check_code(vec![3; 32], vec![8; 32], T0 + 1, 5)
                .await
                .unwrap(),
            CodeCheck::Wrong
        );
    }
    assert_eq!(
        s.check_code(vec![3; 32], vec![7; 32], T0 + 2, 5)
            .await
            .unwrap(),
        CodeCheck::Missing
    );
}

pub async fn an_expired_code_is_missing(s: &dyn Store) {
    s.issue_code(code(4, 7, T0, "a", 20)).await.unwrap();
    assert_eq!(
        s.check_code(vec![4; 32], vec![7; 32], T0 + 300_000, 5)
            .await
            .unwrap(),
        CodeCheck::Missing
    );
}

pub async fn users_are_created_once_as_residents_and_grants_are_idempotent(s: &dyn Store) {
    let a = s.ensure_user(vec![9; 32], vec![1, 2, 3], T0).await.unwrap();
    let again = s.ensure_user(vec![9; 32], vec![4, 5, 6], T0).await.unwrap();
    assert_eq!(a, again);
    assert_eq!(s.find_user(vec![9; 32]).await.unwrap(), Some(a));
    assert_eq!(s.find_user(vec![8; 32]).await.unwrap(), None);
    let staff = Grant {
        role: Role::CompanyStaff,
        scope: Some("X".into()),
    };
    s.grant(a, staff.clone()).await.unwrap();
    s.grant(a, staff.clone()).await.unwrap();
    let grants = s.grants(a).await.unwrap();
    assert_eq!(
        grants,
        vec![
            Grant {
                role: Role::Resident,
                scope: None
            },
            staff
        ]
    );
}

pub async fn sessions_slide_expire_and_can_be_revoked(s: &dyn Store) {
    const H: i64 = 3_600_000;
    let u = s.ensure_user(vec![5; 32], vec![0], T0).await.unwrap();
    s.create_session(vec![1; 32], u, T0, T0 + 10 * H)
        .await
        .unwrap();
    // A use within the slide step reads only: expiry unchanged.
    let rec = s
        .touch_session(vec![1; 32], T0 + 1, T0 + 10 * H + H / 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.user_id, u);
    assert_eq!(rec.grants[0].role, Role::Resident);
    assert_eq!(rec.expires_ms, T0 + 10 * H);
    // A later use slides it.
    let rec = s
        .touch_session(vec![1; 32], T0 + 5 * H, T0 + 20 * H)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.expires_ms, T0 + 20 * H);
    assert!(
        s.touch_session(vec![1; 32], T0 + 19 * H, T0 + 19 * H)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.touch_session(vec![1; 32], T0 + 20 * H, T0 + 30 * H)
            .await
            .unwrap()
            .is_none()
    );
    s.create_session(vec![2; 32], u, T0, T0 + 10 * H)
        .await
        .unwrap();
    assert!(s.revoke_session(vec![2; 32]).await.unwrap());
    assert!(!s.revoke_session(vec![2; 32]).await.unwrap());
    assert!(
        s.touch_session(vec![2; 32], T0 + 1, T0 + 20 * H)
            .await
            .unwrap()
            .is_none()
    );
}

fn company(id: &str) -> ManagingCompany {
    ManagingCompany {
        id: CompanyId(id.into()),
        name: format!("Company {id}"),
        tax_id: Some("3525000000".into()),
        phone: None,
        email: Some("uk@example.org".into()),
        region_id: RegionId("R1".into()),
    }
}

fn building(id: &str, company: Option<&str>) -> Building {
    Building {
        id: BuildingId(id.into()),
        address: format!("Street {id}"),
        company_id: company.map(|c| CompanyId(c.into())),
        region_id: RegionId("R1".into()),
        lat: 59.2,
        lon: 39.9,
    }
}

pub async fn the_property_tree_reads_back_as_a_home(s: &dyn Store) {
    s.upsert_company(company("X")).await.unwrap();
    s.upsert_buildings(vec![building("B1", Some("X")), building("B2", None)])
        .await
        .unwrap();
    assert_eq!(s.count_buildings().await.unwrap(), 2);
    assert_eq!(
        s.building(BuildingId("B1".into())).await.unwrap(),
        Some(building("B1", Some("X")))
    );
    assert_eq!(
        s.company(CompanyId("X".into())).await.unwrap(),
        Some(company("X"))
    );
    let apt = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: BuildingId("B1".into()),
        number: "12А".into(),
    };
    s.insert_apartment(apt.clone()).await.unwrap();
    let acc = PersonalAccount {
        id: AccountId(Uuid::now_v7()),
        apartment_id: apt.id,
        provider_id: ProviderId("water".into()),
        number: "123".into(),
        holder_name: "Holder".into(),
    };
    s.insert_account(acc.clone()).await.unwrap();
    let meter = Meter {
        id: MeterId(Uuid::now_v7()),
        apartment_id: apt.id,
        account_id: acc.id,
        kind: UtilityKind::Electricity,
        serial: "E1".into(),
        integer_digits: 6,
        fraction_digits: 1,
        tariffs: vec![Tariff::Day, Tariff::Night],
        installed_on: NaiveDate::from_ymd_opt(2023, 1, 2).unwrap(),
        next_verification_on: NaiveDate::from_ymd_opt(2031, 1, 2),
        replaces: None,
    };
    s.insert_meter(meter.clone()).await.unwrap();
    let u = s.ensure_user(vec![6; 32], vec![0], T0).await.unwrap();
    s.link_resident(u, apt.id).await.unwrap();
    s.link_resident(u, apt.id).await.unwrap();
    assert_eq!(s.resident_apartments(u).await.unwrap(), vec![apt.id]);
    assert_eq!(
        s.resident_apartments(UserId(Uuid::now_v7())).await.unwrap(),
        vec![]
    );
    let home = s.home(apt.id).await.unwrap().unwrap();
    assert_eq!(home.apartment, apt);
    assert_eq!(home.building, building("B1", Some("X")));
    assert_eq!(home.company, Some(company("X")));
    assert_eq!(home.accounts, vec![acc]);
    assert_eq!(home.meters, vec![meter]);
    assert!(s.home(ApartmentId(Uuid::now_v7())).await.unwrap().is_none());
}

pub async fn constraint_violations_are_reported_and_write_nothing(s: &dyn Store) {
    s.upsert_company(company("X")).await.unwrap();
    s.upsert_buildings(vec![building("B1", Some("X"))])
        .await
        .unwrap();
    let apt = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: BuildingId("B1".into()),
        number: "1".into(),
    };
    s.insert_apartment(apt.clone()).await.unwrap();
    let dup = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        ..apt.clone()
    };
    assert!(matches!(
        s.insert_apartment(dup).await,
        Err(StoreError::Duplicate)
    ));
    let orphan = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: BuildingId("nope".into()),
        number: "1".into(),
    };
    assert!(matches!(
        s.insert_apartment(orphan).await,
        Err(StoreError::MissingReference)
    ));
    // An import with one bad building stores none of them.
    let batch = vec![building("B2", Some("X")), building("B3", Some("unknown"))];
    assert!(matches!(
        s.upsert_buildings(batch).await,
        Err(StoreError::MissingReference)
    ));
    assert_eq!(s.count_buildings().await.unwrap(), 1);
    assert!(s.building(BuildingId("B2".into())).await.unwrap().is_none());
}

async fn report_world(s: &dyn Store) -> UserId {
    s.upsert_company(company("X")).await.unwrap();
    s.upsert_company(company("Y")).await.unwrap();
    s.upsert_buildings(vec![building("B1", Some("X")), building("B2", Some("Y"))])
        .await
        .unwrap();
    s.ensure_user(vec![7; 32], vec![0], T0).await.unwrap()
}

fn new_report(author: UserId, building: &str, company: &str, filed_ms: i64) -> NewReport {
    NewReport {
        id: ReportId(Uuid::now_v7()),
        author,
        building_id: BuildingId(building.into()),
        company_id: Some(CompanyId(company.into())),
        region_id: RegionId("R".into()),
        category: "leak".into(),
        text: "water from the ceiling".into(),
        place: "entrance 1".into(),
        content_sha256: "ab".repeat(32),
        photos: vec![vec![0xFF, 0xD8, 0xFF, 1], vec![0xFF, 0xD8, 0xFF, 2]],
        filed_ms,
        due_ms: filed_ms + 3_600_000,
    }
}

fn event(at_ms: i64, author: EventAuthor, text: Option<&str>) -> NewEvent {
    NewEvent {
        at_ms,
        author,
        text: text.map(str::to_owned),
    }
}

// 2026-03-01 and 2027-01-01 (UTC).
const MS_2026: i64 = 1_772_323_200_000;
const MS_2027: i64 = 1_798_761_600_000;

pub async fn reports_are_numbered_per_year_and_a_repeated_id_writes_nothing(s: &dyn Store) {
    let u = report_world(s).await;
    let first = new_report(u, "B1", "X", MS_2026);
    let Filed::Created(a) = s.file_report(first.clone()).await.unwrap() else {
        panic!("first filing must create");
    };
    assert_eq!(a.number, "2026-000001");
    assert_eq!(a.status, ReportStatus::New);
    assert_eq!(a.photo_count, 2);
    let Filed::Created(b) = s
        .file_report(new_report(u, "B2", "Y", MS_2026 + 1))
        .await
        .unwrap()
    else {
        panic!("second filing must create");
    };
    assert_eq!(b.number, "2026-000002");
    // The same id again, even with other text, returns the stored row untouched.
    let mut again = first.clone();
    again.text = "other".into();
    assert_eq!(
        s.file_report(again).await.unwrap(),
        Filed::Existing(a.clone())
    );
    let Filed::Created(c) = s
        .file_report(new_report(u, "B1", "X", MS_2027))
        .await
        .unwrap()
    else {
        panic!("new year filing must create");
    };
    assert_eq!(c.number, "2027-000001");
    assert_eq!(s.report(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        s.report_photo(a.id, 1).await.unwrap(),
        Some(vec![0xFF, 0xD8, 0xFF, 2])
    );
    assert_eq!(s.report_photo(a.id, 2).await.unwrap(), None);
    let mine: Vec<_> = s
        .reports(ReportFilter::Author(u))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(mine, vec!["2027-000001", "2026-000002", "2026-000001"]);
    let x: Vec<_> = s
        .reports(ReportFilter::Company(CompanyId("X".into())))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(x, vec!["2026-000001", "2027-000001"]);
    assert!(
        s.reports(ReportFilter::Author(UserId(Uuid::now_v7())))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn status_changes_compare_and_set_and_keep_a_history(s: &dyn Store) {
    let u = report_world(s).await;
    let Filed::Created(r) = s
        .file_report(new_report(u, "B1", "X", MS_2026))
        .await
        .unwrap()
    else {
        panic!("must create");
    };
    // Resolving from the wrong status writes nothing.
    let refused = s
        .change_report_status(
            r.id,
            vec![ReportStatus::InProgress],
            ReportStatus::Resolved,
            None,
            event(MS_2026 + 5, EventAuthor::Company, None),
        )
        .await
        .unwrap();
    assert_eq!(refused, None);
    let accepted = s
        .change_report_status(
            r.id,
            vec![ReportStatus::New],
            ReportStatus::Accepted,
            None,
            event(MS_2026 + 10, EventAuthor::Company, Some("on our way")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.status, ReportStatus::Accepted);
    assert_eq!(accepted.answered_ms, None);
    assert!(
        s.add_report_comment(
            r.id,
            event(MS_2026 + 20, EventAuthor::Resident, Some("thanks"))
        )
        .await
        .unwrap()
    );
    assert!(
        !s.add_report_comment(
            ReportId(Uuid::now_v7()),
            event(MS_2026, EventAuthor::Resident, Some("x"))
        )
        .await
        .unwrap()
    );
    let resolved = s
        .change_report_status(
            r.id,
            vec![ReportStatus::Accepted],
            ReportStatus::Resolved,
            None,
            event(MS_2026 + 30, EventAuthor::Company, Some("fixed")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.answered_ms, Some(MS_2026 + 30));
    let rated = s
        .change_report_status(
            r.id,
            vec![ReportStatus::Resolved, ReportStatus::Rejected],
            ReportStatus::Rated,
            Some(4),
            event(MS_2026 + 40, EventAuthor::Resident, None),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rated.rating, Some(4));
    assert_eq!(rated.status, ReportStatus::Rated);
    // Filed content never changes.
    assert_eq!(rated.text, r.text);
    assert_eq!(rated.content_sha256, r.content_sha256);
    let history = s.report_events(r.id).await.unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|e| (e.seq, e.author, e.status, e.text.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                1,
                EventAuthor::Company,
                Some(ReportStatus::Accepted),
                Some("on our way".into())
            ),
            (2, EventAuthor::Resident, None, Some("thanks".into())),
            (
                3,
                EventAuthor::Company,
                Some(ReportStatus::Resolved),
                Some("fixed".into())
            ),
            (4, EventAuthor::Resident, Some(ReportStatus::Rated), None),
        ]
    );
    assert_eq!(history[2].at.timestamp_millis(), MS_2026 + 30);
}

pub async fn ping_answers(s: &dyn Store) {
    s.ping().await.unwrap();
}

macro_rules! store_conformance_tests {
    ($backend:ident, $open:path) => {
        mod $backend {
            store_conformance_tests!(@cases $open;
                a_second_code_within_the_resend_delay_is_throttled,
                the_per_ip_cap_refuses_codes_until_the_next_window,
                a_matching_code_is_valid_exactly_once,
                five_wrong_attempts_burn_the_code,
                an_expired_code_is_missing,
                users_are_created_once_as_residents_and_grants_are_idempotent,
                sessions_slide_expire_and_can_be_revoked,
                the_property_tree_reads_back_as_a_home,
                constraint_violations_are_reported_and_write_nothing,
                ping_answers,
                reports_are_numbered_per_year_and_a_repeated_id_writes_nothing,
                status_changes_compare_and_set_and_keep_a_history,
            );
        }
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fx = $open().await;
                super::$case(fx.store.as_ref()).await;
                fx.close().await;
            }
        )*
    };
}

store_conformance_tests!(sqlite, super::Fixture::sqlite);
#[cfg(feature = "postgres")]
store_conformance_tests!(postgres, super::Fixture::postgres);

#[tokio::test]
async fn sqlite_migrations_are_recorded_once_and_reopening_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    {
        let s = super::sqlite::SqliteStore::open(&path).unwrap();
        s.upsert_company(company("X")).await.unwrap();
    }
    let s = super::sqlite::SqliteStore::open(&path).unwrap();
    assert!(s.company(CompanyId("X".into())).await.unwrap().is_some());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, vec![1, 5]);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_migrations_are_recorded_once_and_reconnecting_keeps_data() {
    let fx = Fixture::postgres().await;
    fx.store.upsert_company(company("X")).await.unwrap();
    let (url, schema) = fx.pg_schema.clone().unwrap();
    let again = super::postgres::PgStore::connect(&url, Some(&schema))
        .await
        .unwrap();
    assert!(
        again
            .company(CompanyId("X".into()))
            .await
            .unwrap()
            .is_some()
    );
    drop(again);
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let rows = client
        .query(
            &format!("SELECT version FROM {schema}.schema_migrations ORDER BY version"),
            &[],
        )
        .await
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 5]);
    fx.close().await;
}
