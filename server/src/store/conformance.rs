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

use super::{CodeCheck, Grant, IssueOutcome, NewCode, PropertyStore, Store, StoreError};

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
    assert!(versions.windows(2).all(|w| w[0] < w[1]));
    assert!(
        versions.contains(&1) && versions.contains(&4),
        "{versions:?}"
    );
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
    assert!(versions.windows(2).all(|w| w[0] < w[1]));
    assert!(
        versions.contains(&1) && versions.contains(&4),
        "{versions:?}"
    );
    fx.close().await;
}
