//! The store conformance suite: every case is written once against `&dyn Store` and run on both
//! backends by `store_conformance_tests!`. PostgreSQL cases connect to `CONNECT_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/test`), each in a fresh schema dropped at the end;
//! they FAIL when PostgreSQL is unreachable, so a broken backend can never pass silently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use connect_core::{
    api::readings::{ReadingOutcome, ReadingResult},
    auth::Role,
    ids::{
        AccountId, ApartmentId, BuildingId, CompanyId, MeterId, ProviderId, ReadingId, RegionId,
        UserId,
    },
    property::{
        Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind, UtilityProvider,
    },
    readings::{Meter, Reading, Tariff, TariffValue},
};
use uuid::Uuid;

use connect_core::{api::reports::EventAuthor, ids::ReportId, reports::ReportStatus};

use super::{
    CodeCheck, Filed, Grant, IssueOutcome, NewCode, NewEvent, NewReport, PropertyStore,
    ReportFilter, Store, StoreError,
};

pub use super::conformance_outages::*;
pub use super::conformance_points::*;
pub use super::conformance_qr::*;
pub use super::conformance_report_feed::*;
pub use super::conformance_staff::*;

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
        client_op: None,
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

fn footprint(id: &str, region: &str, address: &str) -> super::FootprintRow {
    super::FootprintRow {
        building_id: BuildingId(id.into()),
        region: RegionId(region.into()),
        address: Some(address.into()),
        company: None,
        area_m2: Some(12.5),
        footprint: "[[[[39.8,59.2],[39.81,59.2],[39.81,59.21],[39.8,59.2]]]]".into(),
    }
}

pub async fn footprints_upsert_by_id_list_by_region_and_take_managers(s: &dyn Store) {
    use super::{GeoStore, ManagerKey};
    s.upsert_footprints(
        vec![
            footprint("F2", "north", "Mira 1"),
            footprint("F1", "north", "Mira 1"),
            footprint("F3", "south", "Lenina 5"),
        ],
        T0,
    )
    .await
    .unwrap();
    // Re-importing F3 into another region moves it.
    s.upsert_footprints(vec![footprint("F3", "north", "Lenina 5")], T0 + 10)
        .await
        .unwrap();
    let regions = s.geo_regions().await.unwrap();
    assert_eq!(regions.len(), 1);
    assert_eq!(regions[0].buildings, 3);
    assert_eq!(regions[0].updated_ms, T0 + 10);
    let rows = GeoStore::footprints(s, RegionId("north".into()))
        .await
        .unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.building_id.0.as_str()).collect();
    assert_eq!(ids, ["F1", "F2", "F3"]);
    assert_eq!(rows[0], footprint("F1", "north", "Mira 1"));
    let changed = s
        .assign_managers(
            vec![
                (
                    ManagerKey::Building(BuildingId("F3".into())),
                    Some(CompanyId("uk".into())),
                ),
                (
                    ManagerKey::Address("Mira 1".into()),
                    Some(CompanyId("uk2".into())),
                ),
                (ManagerKey::Building(BuildingId("none".into())), None),
            ],
            T0 + 20,
        )
        .await
        .unwrap();
    assert_eq!(changed[0], [RegionId("north".into())]);
    assert_eq!(changed[1].len(), 2, "both footprints with the address");
    assert!(changed[2].is_empty());
    let rows = GeoStore::footprints(s, RegionId("north".into()))
        .await
        .unwrap();
    let companies: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.company.as_ref().map(|c| c.0.as_str()))
        .collect();
    assert_eq!(companies, [Some("uk2"), Some("uk2"), Some("uk")]);
    assert_eq!(s.geo_regions().await.unwrap()[0].updated_ms, T0 + 20);
}

pub async fn ping_answers(s: &dyn Store) {
    s.ping().await.unwrap();
}

/// A resident with one single-tariff water meter billed by a provider with a 15–25 window.
async fn reading_home(s: &dyn Store, tag: &str) -> (UserId, Meter) {
    s.upsert_company(company(tag)).await.unwrap();
    s.upsert_buildings(vec![building(tag, Some(tag))])
        .await
        .unwrap();
    s.upsert_provider(UtilityProvider {
        id: ProviderId(format!("water-{tag}")),
        name: "Water".into(),
        kind: UtilityKind::ColdWater,
        window_start_day: 15,
        window_end_day: 25,
    })
    .await
    .unwrap();
    let apt = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: BuildingId(tag.into()),
        number: "1".into(),
    };
    s.insert_apartment(apt.clone()).await.unwrap();
    let acc = PersonalAccount {
        id: AccountId(Uuid::now_v7()),
        apartment_id: apt.id,
        provider_id: ProviderId(format!("water-{tag}")),
        number: "1".into(),
        holder_name: "H".into(),
    };
    s.insert_account(acc.clone()).await.unwrap();
    let meter = Meter {
        id: MeterId(Uuid::now_v7()),
        apartment_id: apt.id,
        account_id: acc.id,
        kind: UtilityKind::ColdWater,
        serial: format!("W-{tag}"),
        integer_digits: 5,
        fraction_digits: 3,
        tariffs: vec![Tariff::Single],
        installed_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        next_verification_on: None,
        replaces: None,
    };
    s.insert_meter(meter.clone()).await.unwrap();
    let index = tag
        .bytes()
        .fold(7u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    let u = s.ensure_user(vec![index; 32], vec![0], T0).await.unwrap();
    s.link_resident(u, apt.id).await.unwrap();
    (u, meter)
}

fn reading(meter: &Meter, value: &str, day: u32) -> Reading {
    Reading {
        id: ReadingId(Uuid::now_v7()),
        meter_id: meter.id,
        values: vec![TariffValue {
            tariff: Tariff::Single,
            value: value.parse().unwrap(),
        }],
        taken_at: Utc.with_ymd_and_hms(2026, 3, day, 9, 30, 0).unwrap()
            + chrono::Duration::microseconds(123_456),
        confirmed_jump: false,
    }
}

fn in_window() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()
}

fn status(r: &ReadingResult) -> &'static str {
    match r.outcome {
        ReadingOutcome::Accepted { .. } => "accepted",
        ReadingOutcome::Duplicate { .. } => "duplicate",
        ReadingOutcome::Conflict => "conflict",
        ReadingOutcome::Rejected { .. } => "rejected",
    }
}

pub async fn readings_are_accepted_once_then_duplicate_or_conflict_forever(s: &dyn Store) {
    let (u, meter) = reading_home(s, "RA").await;
    let (_, theirs) = reading_home(s, "RB").await;
    let home = s.home(meter.apartment_id).await.unwrap().unwrap();
    assert_eq!(home.providers.len(), 1);
    assert_eq!(home.providers[0].window_start_day, 15);

    let r1 = reading(&meter, "10.5", 1);
    let r2 = reading(&meter, "12.25", 10);
    let now = in_window();
    let out = s
        .submit_readings(u, vec![r1.clone(), r2.clone()], now)
        .await
        .unwrap();
    assert_eq!(
        out.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r1.id, r2.id]
    );
    let ReadingOutcome::Accepted { received_at, late } = out[0].outcome.clone() else {
        panic!("{out:?}");
    };
    assert!(!late);

    // A replay months later is still a duplicate naming the first storage time.
    let later = now + chrono::Duration::days(120);
    let mut changed = r2.clone();
    changed.values[0].value = "12.5".parse().unwrap();
    let mut jump_flag = r1.clone();
    jump_flag.confirmed_jump = true;
    let foreign = reading(&theirs, "1", 2);
    let below = reading(&meter, "11", 12);
    let out = s
        .submit_readings(
            u,
            vec![r1.clone(), changed, jump_flag, foreign.clone(), below],
            later,
        )
        .await
        .unwrap();
    assert_eq!(out[0].outcome, ReadingOutcome::Duplicate { received_at });
    assert_eq!(out[1].outcome, ReadingOutcome::Conflict);
    assert_eq!(out[2].outcome, ReadingOutcome::Conflict);
    assert_eq!(
        out[3].outcome,
        ReadingOutcome::Rejected {
            code: "not_found".into(),
            message: "This meter is not one of yours.".into()
        }
    );
    match &out[4].outcome {
        ReadingOutcome::Rejected { code, .. } => assert_eq!(code, "below_previous"),
        other => panic!("{other:?}"),
    }
    // Outside the 15–25 window the reading is kept, marked late.
    let r3 = reading(&meter, "13", 14);
    let outside = later + chrono::Duration::days(10);
    let out = s
        .submit_readings(u, vec![r3.clone()], outside)
        .await
        .unwrap();
    assert!(
        matches!(out[0].outcome, ReadingOutcome::Accepted { late: true, .. }),
        "{out:?}"
    );

    // Nothing of the conflicts or rejections was written; content reads back exactly.
    let history = s.meter_readings(meter.id, 100).await.unwrap();
    assert_eq!(
        history.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r3.id, r2.id, r1.id]
    );
    assert_eq!(history[1].values, r2.values);
    assert_eq!(history[2].taken_at, r1.taken_at);
    assert_eq!(history[2].received_at, received_at);
    assert!(s.meter_readings(theirs.id, 100).await.unwrap().is_empty());
}

pub async fn sync_pages_through_a_residents_readings_in_change_order(s: &dyn Store) {
    let (u, meter) = reading_home(s, "SA").await;
    let (v, other) = reading_home(s, "SB").await;
    let mine: Vec<Reading> = (1..=5)
        .map(|d| reading(&meter, &format!("{d}"), d))
        .collect();
    s.submit_readings(u, mine[..3].to_vec(), in_window())
        .await
        .unwrap();
    s.submit_readings(v, vec![reading(&other, "1", 1)], in_window())
        .await
        .unwrap();
    s.submit_readings(u, mine[3..].to_vec(), in_window())
        .await
        .unwrap();
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page = s.readings_since(u, after, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.iter().all(|(seq, _)| *seq > after));
        after = page.last().unwrap().0;
        seen.extend(page.into_iter().map(|(_, r)| r.id));
    }
    assert_eq!(seen, mine.iter().map(|r| r.id).collect::<Vec<_>>());
    assert!(s.readings_since(u, after, 10).await.unwrap().is_empty());
}

pub async fn concurrent_batches_are_committed_together_and_keep_their_own_outcomes(s: &dyn Store) {
    let (u, meter) = reading_home(s, "GA").await;
    let shared = reading(&meter, "1", 1);
    let batches: Vec<Vec<Reading>> = (0..16u32)
        .map(|b| {
            let mut items: Vec<Reading> = (0..8u32)
                .map(|i| {
                    let mut r = reading(&meter, "1", 1);
                    r.taken_at += chrono::Duration::seconds(i64::from(b * 8 + i));
                    r
                })
                .collect();
            items.push(shared.clone());
            items
        })
        .collect();
    let outs = futures::future::join_all(
        batches
            .iter()
            .map(|items| s.submit_readings(u, items.clone(), in_window())),
    )
    .await;
    let mut shared_accepted = 0;
    for (items, out) in batches.iter().zip(outs) {
        let out = out.unwrap();
        assert_eq!(
            out.iter().map(|r| r.id).collect::<Vec<_>>(),
            items.iter().map(|r| r.id).collect::<Vec<_>>()
        );
        assert!(out[..8].iter().all(|r| status(r) == "accepted"), "{out:?}");
        match status(&out[8]) {
            "accepted" => shared_accepted += 1,
            "duplicate" => {}
            other => panic!("shared reading answered {other}"),
        }
    }
    assert_eq!(shared_accepted, 1);
    assert_eq!(
        s.meter_readings(meter.id, 1000).await.unwrap().len(),
        16 * 8 + 1
    );
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
                footprints_upsert_by_id_list_by_region_and_take_managers,
                ping_answers,
                reports_are_numbered_per_year_and_a_repeated_id_writes_nothing,
                status_changes_compare_and_set_and_keep_a_history,
                readings_are_accepted_once_then_duplicate_or_conflict_forever,
                sync_pages_through_a_residents_readings_in_change_order,
                concurrent_batches_are_committed_together_and_keep_their_own_outcomes,
                earning_is_recorded_once_per_source_and_capped_per_month,
                a_batch_of_awards_settles_like_one_award_after_another,
                a_voucher_reserves_points_and_the_balance_never_goes_negative,
                concurrent_reservations_never_overdraw,
                a_voucher_is_redeemed_once_and_a_retried_attempt_gets_the_first_answer,
                concurrent_redemptions_of_one_voucher_succeed_exactly_once,
                an_expired_voucher_gives_its_points_back_once_and_cannot_be_redeemed,
                offers_list_with_their_partners_name,
                on_time_readings_queue_one_earning_in_their_commit_and_late_ones_none,
                queued_earnings_past_the_cap_are_cleared_without_points,
                rating_a_closed_report_queues_one_earning_for_its_author,
                an_outage_and_its_buildings_are_written_whole_and_replaced_whole,
                outages_are_found_by_box_and_by_buildings_changed_since,
                a_building_taken_out_of_the_area_is_a_removal_until_it_returns,
                residents_buildings_and_repairs_read_back,
                an_account_code_is_claimed_once_and_links_the_apartment,
                a_wrong_secret_or_another_accounts_code_claims_nothing,
                a_new_code_replaces_the_unclaimed_one,
                concurrent_claims_of_one_code_succeed_exactly_once,
                a_companys_buildings_list_by_address,
                the_report_feed_lists_filings_and_events_in_commit_order_per_author,
                a_client_action_id_is_applied_once_and_names_its_report,
                a_cursor_never_misses_or_repeats_an_entry_while_writers_commit_concurrently,
                a_first_invite_is_stored_once_while_the_company_has_no_staff,
                an_invite_joins_once_before_its_expiry_and_names_the_staff_member,
                concurrent_redemptions_of_one_invite_join_exactly_once,
                assignments_replace_each_other_and_every_staff_step_leaves_a_resident_visible_event,
                rating_criteria_upsert_by_company_and_list_by_region,
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
    let expected: Vec<i64> = super::sqlite::MIGRATIONS.iter().map(|m| m.0).collect();
    assert_eq!(versions, expected);
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
    let expected: Vec<i32> = super::postgres::MIGRATIONS.iter().map(|m| m.0).collect();
    assert_eq!(versions, expected);
    fx.close().await;
}
