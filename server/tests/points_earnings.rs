//! Earning points from readings and ratings through the settler, on a real SQLite file: the
//! earning commits with its event, survives a crash before the award, and is awarded once however
//! often the settler runs; the configured amounts and caps apply.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, sync::Arc};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use connect_core::{
    api::readings::ReadingOutcome,
    ids::{
        AccountId, ApartmentId, BuildingId, CompanyId, MeterId, ProviderId, ReadingId, RegionId,
        UserId,
    },
    points::LedgerReason,
    property::{
        Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind, UtilityProvider,
    },
    readings::{Meter, Reading, Tariff, TariffValue},
};
use connect_server::{
    AppState, Settings,
    auth::sms::LogSmsSender,
    crypto::Keys,
    points::{PointsSettings, RuleSettings, earnings},
    store::sqlite::SqliteStore,
};
use uuid::Uuid;

const SECRET: &str = "test-secret-test-secret-test-secret!";

fn state_on(db: &Path, settings: Settings) -> AppState {
    let store = Arc::new(SqliteStore::open(db).unwrap());
    AppState::new(store, Keys::new(SECRET), Arc::new(LogSmsSender), settings)
}

/// A resident with one meter whose provider takes readings from the 15th to the 25th.
async fn home(state: &AppState) -> (UserId, Meter) {
    let s = state.store.as_ref();
    s.upsert_company(ManagingCompany {
        id: CompanyId("X".into()),
        name: "UK X".into(),
        tax_id: None,
        phone: None,
        email: None,
        region_id: RegionId("R1".into()),
    })
    .await
    .unwrap();
    s.upsert_buildings(vec![Building {
        id: BuildingId("X1".into()),
        address: "X street 1".into(),
        company_id: Some(CompanyId("X".into())),
        region_id: RegionId("R1".into()),
        lat: 59.2,
        lon: 39.9,
    }])
    .await
    .unwrap();
    s.upsert_provider(UtilityProvider {
        id: ProviderId("water".into()),
        name: "Water".into(),
        kind: UtilityKind::ColdWater,
        window_start_day: 15,
        window_end_day: 25,
    })
    .await
    .unwrap();
    let apartment = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: BuildingId("X1".into()),
        number: "1".into(),
    };
    s.insert_apartment(apartment.clone()).await.unwrap();
    let account = PersonalAccount {
        id: AccountId(Uuid::now_v7()),
        apartment_id: apartment.id,
        provider_id: ProviderId("water".into()),
        number: "1".into(),
        holder_name: "H".into(),
    };
    s.insert_account(account.clone()).await.unwrap();
    let meter = Meter {
        id: MeterId(Uuid::now_v7()),
        apartment_id: apartment.id,
        account_id: account.id,
        kind: UtilityKind::ColdWater,
        serial: "SN".into(),
        integer_digits: 5,
        fraction_digits: 3,
        tariffs: vec![Tariff::Single],
        installed_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        next_verification_on: None,
        replaces: None,
    };
    s.insert_meter(meter.clone()).await.unwrap();
    let user = s.ensure_user(vec![9; 32], vec![0], 0).await.unwrap();
    s.link_resident(user, apartment.id).await.unwrap();
    (user, meter)
}

fn reading(meter: &Meter, value: &str, day: u32, month: u32) -> Reading {
    Reading {
        id: ReadingId(Uuid::now_v7()),
        meter_id: meter.id,
        values: vec![TariffValue {
            tariff: Tariff::Single,
            value: value.parse().unwrap(),
        }],
        taken_at: Utc.with_ymd_and_hms(2026, month, day, 9, 0, 0).unwrap(),
        confirmed_jump: false,
    }
}

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0).unwrap()
}

async fn balance(state: &AppState, user: UserId) -> (i64, Vec<(LedgerReason, i64)>) {
    let (total, history) = state
        .store
        .points_summary(user, at(12, 31), 100)
        .await
        .unwrap();
    (
        total,
        history.into_iter().map(|e| (e.reason, e.delta)).collect(),
    )
}

#[tokio::test]
async fn an_on_time_reading_committed_before_a_crash_is_awarded_after_the_restart_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let state = state_on(&db, Settings::default());
    let (user, meter) = home(&state).await;
    let out = state
        .store
        .submit_readings(user, vec![reading(&meter, "10", 19, 3)], at(3, 20))
        .await
        .unwrap();
    assert!(matches!(
        out[0].outcome,
        ReadingOutcome::Accepted { late: false, .. }
    ));
    // The process dies here: the reading is committed, the settler never ran.
    drop(state);

    let state = state_on(&db, Settings::default());
    assert_eq!(
        balance(&state, user).await.0,
        0,
        "not awarded before settling"
    );
    assert_eq!(state.store.pending_earnings(10).await.unwrap().len(), 1);
    assert_eq!(earnings::settle(&state).await.unwrap(), 1);
    assert_eq!(
        balance(&state, user).await,
        (10, vec![(LedgerReason::OnTimeReading, 10)])
    );
    // Settling again (the sweep, a second process) finds nothing and adds nothing.
    assert_eq!(earnings::settle(&state).await.unwrap(), 0);
    assert_eq!(balance(&state, user).await.0, 10);
}

#[tokio::test]
async fn configured_amounts_and_monthly_caps_apply_and_a_new_month_starts_a_new_cap() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        points: PointsSettings {
            on_time_reading: RuleSettings {
                amount: 7,
                monthly_cap: 15,
            },
            ..PointsSettings::default()
        },
        ..Settings::default()
    };
    let state = state_on(&dir.path().join("server.db"), settings);
    let (user, meter) = home(&state).await;
    // Three on-time readings in March (7 + 7 + 1 by the cap), one late one, two in April.
    let march: Vec<Reading> = (0..3)
        .map(|i| reading(&meter, &format!("{}", 10 + i), 15 + i, 3))
        .collect();
    state
        .store
        .submit_readings(user, march, at(3, 20))
        .await
        .unwrap();
    state
        .store
        .submit_readings(user, vec![reading(&meter, "20", 26, 3)], at(3, 27))
        .await
        .unwrap();
    let april: Vec<Reading> = (0..2)
        .map(|i| reading(&meter, &format!("{}", 30 + i), 15 + i, 4))
        .collect();
    state
        .store
        .submit_readings(user, april, at(4, 20))
        .await
        .unwrap();
    assert_eq!(earnings::settle(&state).await.unwrap(), 5);
    let (total, history) = balance(&state, user).await;
    assert_eq!(total, 7 + 7 + 1 + 7 + 7);
    let mut deltas: Vec<i64> = history.iter().map(|(_, d)| *d).collect();
    deltas.sort_unstable();
    assert_eq!(deltas, vec![1, 7, 7, 7, 7]);
    assert!(state.store.pending_earnings(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_woken_settler_awards_an_on_time_reading_without_being_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let state = state_on(&dir.path().join("server.db"), Settings::default());
    let (user, meter) = home(&state).await;
    state
        .store
        .submit_readings(user, vec![reading(&meter, "10", 19, 3)], at(3, 20))
        .await
        .unwrap();
    state.earnings.wake(&state);
    state.earnings.wake(&state);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while balance(&state, user).await.0 != 10 {
        assert!(std::time::Instant::now() < deadline, "never awarded");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(balance(&state, user).await.0, 10, "awarded once");
}
