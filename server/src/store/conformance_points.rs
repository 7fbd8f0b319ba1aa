//! Conformance cases of [`PointsStore`](super::PointsStore), run on both backends by the macro in
//! `conformance.rs`: idempotent and capped earning, reservations that never overdraw, redemption
//! exactly once (also under concurrency), retried attempts, expiry that gives points back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use connect_core::{
    api::{readings::ReadingOutcome, reports::EventAuthor},
    ids::{
        AccountId, ApartmentId, BuildingId, CompanyId, MeterId, PartnerId, ProviderId, ReadingId,
        RegionId, ReportId, UserId, VoucherId,
    },
    points::{LedgerReason, Offer, VoucherError},
    property::{
        Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind, UtilityProvider,
    },
    readings::{Meter, Reading, Tariff, TariffValue},
    reports::ReportStatus,
};
use uuid::Uuid;

use super::{
    AwardOutcome, NewAward, NewEvent, NewReport, NewVoucher, PendingEarning, RedeemCommand,
    RedeemOutcome, ReserveOutcome, Store,
};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

async fn user(s: &dyn Store, n: u8) -> UserId {
    s.ensure_user(vec![n; 32], vec![0], now().timestamp_millis())
        .await
        .unwrap()
}

async fn partners(s: &dyn Store) {
    for p in ["P1", "P2"] {
        s.upsert_partner(PartnerId(p.into()), format!("Shop {p}"), now())
            .await
            .unwrap();
    }
}

fn earn(u: UserId, source: &str, amount: i64, cap: i64, at: DateTime<Utc>) -> NewAward {
    NewAward {
        user: u,
        reason: LedgerReason::HouseInspection,
        source_id: source.into(),
        amount,
        monthly_cap: cap,
        now: at,
    }
}

async fn balance(s: &dyn Store, u: UserId, at: DateTime<Utc>) -> i64 {
    s.points_summary(u, at, 1000).await.unwrap().0
}

async fn fund(s: &dyn Store, u: UserId, points: i64) {
    let out = s
        .award(earn(
            u,
            &format!("fund-{}", Uuid::new_v4()),
            points,
            1_000_000,
            now(),
        ))
        .await
        .unwrap();
    assert_eq!(out, AwardOutcome::Awarded(points));
}

fn voucher(u: UserId, points: u32, partner: Option<&str>, ttl_secs: i64) -> NewVoucher {
    NewVoucher {
        id: VoucherId(Uuid::now_v7()),
        user: u,
        points,
        partner_id: partner.map(|p| PartnerId(p.into())),
        now: now(),
        expires_at: now() + Duration::seconds(ttl_secs),
    }
}

fn redeem(v: VoucherId, attempt: Uuid, cashier: UserId, partner: &str) -> RedeemCommand {
    RedeemCommand {
        voucher_id: v,
        attempt_id: attempt,
        cashier,
        partner_id: PartnerId(partner.into()),
        now: now() + Duration::seconds(5),
    }
}

pub async fn a_batch_of_awards_settles_like_one_award_after_another(s: &dyn Store) {
    let a = user(s, 43).await;
    let b = user(s, 44).await;
    let outcomes = s
        .award_all(vec![
            earn(b, "batch-b1", 50, 120, now()),
            earn(a, "batch-a1", 50, 120, now()),
            earn(a, "batch-a1", 50, 120, now()),
            earn(a, "batch-a2", 50, 120, now()),
            earn(b, "batch-b2", 50, 120, now()),
            earn(a, "batch-a3", 50, 120, now()),
            earn(a, "batch-a4", 50, 120, now()),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            AwardOutcome::Awarded(50),
            AwardOutcome::Awarded(50),
            AwardOutcome::Duplicate,
            AwardOutcome::Awarded(50),
            AwardOutcome::Awarded(50),
            AwardOutcome::Awarded(20),
            AwardOutcome::Capped,
        ]
    );
    assert_eq!(balance(s, a, now()).await, 120);
    assert_eq!(balance(s, b, now()).await, 100);
    assert!(s.award_all(Vec::new()).await.unwrap().is_empty());
}

pub async fn earning_is_recorded_once_per_source_and_capped_per_month(s: &dyn Store) {
    let u = user(s, 41).await;
    assert_eq!(
        s.award(earn(u, "insp-1", 50, 120, now())).await.unwrap(),
        AwardOutcome::Awarded(50)
    );
    assert_eq!(
        s.award(earn(u, "insp-1", 50, 120, now())).await.unwrap(),
        AwardOutcome::Duplicate
    );
    assert_eq!(
        s.award(earn(u, "insp-2", 50, 120, now())).await.unwrap(),
        AwardOutcome::Awarded(50)
    );
    // The cap cuts the third award to what is left of it, then refuses.
    assert_eq!(
        s.award(earn(u, "insp-3", 50, 120, now())).await.unwrap(),
        AwardOutcome::Awarded(20)
    );
    assert_eq!(
        s.award(earn(u, "insp-4", 50, 120, now())).await.unwrap(),
        AwardOutcome::Capped
    );
    assert_eq!(balance(s, u, now()).await, 120);
    // A new month starts a new cap.
    let next = now() + Duration::days(32);
    assert_eq!(
        s.award(earn(u, "insp-5", 50, 120, next)).await.unwrap(),
        AwardOutcome::Awarded(50)
    );
    assert_eq!(balance(s, u, next).await, 170);
}

pub async fn a_voucher_reserves_points_and_the_balance_never_goes_negative(s: &dyn Store) {
    partners(s).await;
    let u = user(s, 42).await;
    fund(s, u, 100).await;
    assert_eq!(
        s.reserve_voucher(voucher(u, 101, None, 600)).await.unwrap(),
        ReserveOutcome::Insufficient(100)
    );
    assert_eq!(
        s.reserve_voucher(voucher(u, 60, Some("P1"), 600))
            .await
            .unwrap(),
        ReserveOutcome::Reserved(40)
    );
    assert_eq!(
        s.reserve_voucher(voucher(u, 41, None, 600)).await.unwrap(),
        ReserveOutcome::Insufficient(40)
    );
    assert_eq!(
        s.reserve_voucher(voucher(u, 40, None, 600)).await.unwrap(),
        ReserveOutcome::Reserved(0)
    );
    let (total, history) = s.points_summary(u, now(), 10).await.unwrap();
    assert_eq!(total, 0);
    assert_eq!(history.iter().map(|e| e.delta).sum::<i64>(), 0);
    assert_eq!(history[0].reason, LedgerReason::VoucherReserved);
    // A voucher for a partner that does not exist is refused and reserves nothing.
    fund(s, u, 10).await;
    assert!(
        s.reserve_voucher(voucher(u, 5, Some("nope"), 600))
            .await
            .is_err()
    );
    assert_eq!(balance(s, u, now()).await, 10);
}

pub async fn concurrent_reservations_never_overdraw(s: &dyn Store) {
    let u = user(s, 43).await;
    fund(s, u, 100).await;
    let tries = (0..10).map(|_| s.reserve_voucher(voucher(u, 30, None, 600)));
    let outcomes = futures::future::join_all(tries).await;
    let reserved = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(ReserveOutcome::Reserved(_))))
        .count();
    assert_eq!(reserved, 3, "{outcomes:?}");
    assert_eq!(balance(s, u, now()).await, 10);
}

pub async fn a_voucher_is_redeemed_once_and_a_retried_attempt_gets_the_first_answer(s: &dyn Store) {
    partners(s).await;
    let u = user(s, 44).await;
    let cashier1 = user(s, 45).await;
    let cashier2 = user(s, 46).await;
    fund(s, u, 100).await;
    let v = voucher(u, 70, Some("P1"), 600);
    let id = v.id;
    s.reserve_voucher(v).await.unwrap();
    // Another partner's cashier is refused and does not use it up.
    assert_eq!(
        s.redeem_voucher(redeem(id, Uuid::now_v7(), cashier2, "P2"))
            .await
            .unwrap(),
        RedeemOutcome::Refused(VoucherError::WrongPartner)
    );
    let attempt = Uuid::now_v7();
    let first = s
        .redeem_voucher(redeem(id, attempt, cashier1, "P1"))
        .await
        .unwrap();
    let RedeemOutcome::Redeemed(r) = &first else {
        panic!("{first:?}")
    };
    assert_eq!((r.points, r.partner_id.0.as_str()), (70, "P1"));
    // The retry (same attempt id, later) answers the same.
    let mut retry = redeem(id, attempt, cashier1, "P1");
    retry.now += Duration::seconds(30);
    assert_eq!(s.redeem_voucher(retry).await.unwrap(), first);
    // A new attempt is a replay.
    assert_eq!(
        s.redeem_voucher(redeem(id, Uuid::now_v7(), cashier1, "P1"))
            .await
            .unwrap(),
        RedeemOutcome::Refused(VoucherError::AlreadyRedeemed)
    );
    // Someone else reusing the attempt id learns nothing.
    assert_eq!(
        s.redeem_voucher(redeem(id, attempt, cashier2, "P2"))
            .await
            .unwrap(),
        RedeemOutcome::Refused(VoucherError::Malformed)
    );
    // A voucher the store never issued.
    assert_eq!(
        s.redeem_voucher(redeem(
            VoucherId(Uuid::now_v7()),
            Uuid::now_v7(),
            cashier1,
            "P1"
        ))
        .await
        .unwrap(),
        RedeemOutcome::Refused(VoucherError::Forged)
    );
    // Debited once: 100 - 70.
    assert_eq!(balance(s, u, now() + Duration::hours(1)).await, 30);
    let rows = s
        .settlement(
            PartnerId("P1".into()),
            now() - Duration::days(1),
            now() + Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].voucher_id, rows[0].cashier), (id, cashier1));
    assert!(
        s.settlement(
            PartnerId("P2".into()),
            now() - Duration::days(1),
            now() + Duration::days(1)
        )
        .await
        .unwrap()
        .is_empty()
    );
}

pub async fn concurrent_redemptions_of_one_voucher_succeed_exactly_once(s: &dyn Store) {
    partners(s).await;
    let u = user(s, 47).await;
    let cashier = user(s, 48).await;
    fund(s, u, 50).await;
    let v = voucher(u, 50, None, 600);
    let id = v.id;
    s.reserve_voucher(v).await.unwrap();
    let tries = (0..30).map(|i| {
        s.redeem_voucher(redeem(
            id,
            Uuid::now_v7(),
            cashier,
            if i % 2 == 0 { "P1" } else { "P2" },
        ))
    });
    let outcomes = futures::future::join_all(tries).await;
    let won = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(RedeemOutcome::Redeemed(_))))
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(
        o,
        Ok(RedeemOutcome::Redeemed(_)) | Ok(RedeemOutcome::Refused(VoucherError::AlreadyRedeemed))
    )));
    assert_eq!(balance(s, u, now()).await, 0);
}

pub async fn an_expired_voucher_gives_its_points_back_once_and_cannot_be_redeemed(s: &dyn Store) {
    partners(s).await;
    let u = user(s, 49).await;
    let cashier = user(s, 50).await;
    fund(s, u, 80).await;
    let v = voucher(u, 80, None, 60);
    let id = v.id;
    s.reserve_voucher(v).await.unwrap();
    assert_eq!(balance(s, u, now() + Duration::seconds(59)).await, 0);
    // Lazy expiry on read.
    let later = now() + Duration::seconds(60);
    let (total, history) = s.points_summary(u, later, 10).await.unwrap();
    assert_eq!(total, 80);
    assert_eq!(history[0].reason, LedgerReason::VoucherExpired);
    assert_eq!(history[0].delta, 80);
    // The sweeper finds nothing more to give back.
    assert_eq!(s.expire_vouchers(None, later).await.unwrap(), 0);
    assert_eq!(balance(s, u, later + Duration::hours(1)).await, 80);
    let mut late = redeem(id, Uuid::now_v7(), cashier, "P1");
    late.now = later;
    assert_eq!(
        s.redeem_voucher(late).await.unwrap(),
        RedeemOutcome::Refused(VoucherError::Expired)
    );
    // A sweep expires other users' vouchers too.
    let v2 = voucher(u, 30, None, 60);
    s.reserve_voucher(NewVoucher {
        now: later,
        expires_at: later + Duration::seconds(60),
        ..v2
    })
    .await
    .unwrap();
    assert_eq!(
        s.expire_vouchers(None, later + Duration::seconds(61))
            .await
            .unwrap(),
        1
    );
    assert_eq!(balance(s, u, later + Duration::seconds(61)).await, 80);
}

pub async fn offers_list_with_their_partners_name(s: &dyn Store) {
    partners(s).await;
    let offer = Offer {
        id: Uuid::now_v7(),
        partner_id: PartnerId("P1".into()),
        partner_name: String::new(),
        title: "Coffee".into(),
        points: 100,
        discount: "-100 RUB".into(),
    };
    s.insert_offer(offer.clone(), now()).await.unwrap();
    let bad = Offer {
        id: Uuid::now_v7(),
        partner_id: PartnerId("nope".into()),
        ..offer.clone()
    };
    assert!(matches!(
        s.insert_offer(bad, now()).await,
        Err(super::StoreError::MissingReference)
    ));
    let offers = s.offers().await.unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].partner_name, "Shop P1");
    assert_eq!(offers[0].title, "Coffee");
}

/// A resident with one cold-water meter billed by a provider whose window is the 15th to the
/// 25th, and a second meter on an account without a provider (no window known).
async fn earning_home(s: &dyn Store, tag: &str) -> (UserId, Meter, Meter) {
    let company = CompanyId(format!("E{tag}"));
    s.upsert_company(ManagingCompany {
        id: company.clone(),
        name: "UK".into(),
        tax_id: None,
        phone: None,
        email: None,
        region_id: RegionId("R1".into()),
    })
    .await
    .unwrap();
    let building = BuildingId(format!("EB{tag}"));
    s.upsert_buildings(vec![Building {
        id: building.clone(),
        address: "Street 1".into(),
        company_id: Some(company.clone()),
        region_id: RegionId("R1".into()),
        lat: 59.2,
        lon: 39.9,
    }])
    .await
    .unwrap();
    let provider = ProviderId(format!("water-{tag}"));
    s.upsert_provider(UtilityProvider {
        id: provider.clone(),
        name: "Water".into(),
        kind: UtilityKind::ColdWater,
        window_start_day: 15,
        window_end_day: 25,
    })
    .await
    .unwrap();
    let apt = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: building,
        number: "1".into(),
    };
    s.insert_apartment(apt.clone()).await.unwrap();
    let mut meters = Vec::new();
    for (n, provider) in [("1", provider), ("2", ProviderId(format!("unknown-{tag}")))] {
        let acc = PersonalAccount {
            id: AccountId(Uuid::now_v7()),
            apartment_id: apt.id,
            provider_id: provider,
            number: n.into(),
            holder_name: "H".into(),
        };
        s.insert_account(acc.clone()).await.unwrap();
        let meter = Meter {
            id: MeterId(Uuid::now_v7()),
            apartment_id: apt.id,
            account_id: acc.id,
            kind: UtilityKind::ColdWater,
            serial: format!("E-{tag}-{n}"),
            integer_digits: 5,
            fraction_digits: 3,
            tariffs: vec![Tariff::Single],
            installed_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            next_verification_on: None,
            replaces: None,
        };
        s.insert_meter(meter.clone()).await.unwrap();
        meters.push(meter);
    }
    let u = user(s, tag.bytes().fold(60u8, |a, b| a.wrapping_add(b))).await;
    s.link_resident(u, apt.id).await.unwrap();
    let second = meters.pop().unwrap();
    (u, meters.pop().unwrap(), second)
}

fn reading_on(meter: &Meter, value: &str, day: u32) -> Reading {
    Reading {
        id: ReadingId(Uuid::now_v7()),
        meter_id: meter.id,
        values: vec![TariffValue {
            tariff: Tariff::Single,
            value: value.parse().unwrap(),
        }],
        taken_at: Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap(),
        confirmed_jump: false,
    }
}

fn settle(e: &PendingEarning, amount: i64, cap: i64) -> NewAward {
    NewAward {
        user: e.user,
        reason: e.reason,
        source_id: e.source_id.clone(),
        amount,
        monthly_cap: cap,
        now: e.earned_at,
    }
}

pub async fn on_time_readings_queue_one_earning_in_their_commit_and_late_ones_none(s: &dyn Store) {
    let (u, meter, no_window) = earning_home(s, "A").await;
    let in_window = Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap();
    let on_time = reading_on(&meter, "10", 19);
    let unknown_window = reading_on(&no_window, "5", 19);
    let out = s
        .submit_readings(u, vec![on_time.clone(), unknown_window], in_window)
        .await
        .unwrap();
    assert!(
        out.iter()
            .all(|r| matches!(r.outcome, ReadingOutcome::Accepted { late: false, .. })),
        "{out:?}"
    );
    // Only the reading inside a known window earns; its earning is durable with it.
    let queued = s.pending_earnings(100).await.unwrap();
    assert_eq!(
        queued,
        vec![PendingEarning {
            user: u,
            reason: LedgerReason::OnTimeReading,
            source_id: on_time.id.0.to_string(),
            earned_at: in_window,
        }]
    );
    // A replay (duplicate) and a late reading queue nothing more.
    let late = reading_on(&meter, "11", 26);
    let after_window = Utc.with_ymd_and_hms(2026, 3, 27, 12, 0, 0).unwrap();
    let out = s
        .submit_readings(u, vec![on_time.clone(), late], after_window)
        .await
        .unwrap();
    assert!(matches!(out[0].outcome, ReadingOutcome::Duplicate { .. }));
    assert!(matches!(
        out[1].outcome,
        ReadingOutcome::Accepted { late: true, .. }
    ));
    assert_eq!(s.pending_earnings(100).await.unwrap(), queued);
    // Settling awards and clears it; settling the same source again adds nothing.
    assert_eq!(
        s.award(settle(&queued[0], 10, 30)).await.unwrap(),
        AwardOutcome::Awarded(10)
    );
    assert!(s.pending_earnings(100).await.unwrap().is_empty());
    assert_eq!(
        s.award(settle(&queued[0], 10, 30)).await.unwrap(),
        AwardOutcome::Duplicate
    );
    let (total, history) = s.points_summary(u, after_window, 10).await.unwrap();
    assert_eq!(total, 10);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].at, in_window);
    assert_eq!(
        history[0].source_id.as_deref(),
        Some(on_time.id.0.to_string().as_str())
    );
}

pub async fn queued_earnings_past_the_cap_are_cleared_without_points(s: &dyn Store) {
    let (u, meter, _) = earning_home(s, "B").await;
    let in_window = Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap();
    let batch: Vec<Reading> = (0..4)
        .map(|i| reading_on(&meter, &format!("{}", 10 + i), 15 + i))
        .collect();
    s.submit_readings(u, batch, in_window).await.unwrap();
    let queued = s.pending_earnings(100).await.unwrap();
    assert_eq!(queued.len(), 4);
    let outcomes: Vec<AwardOutcome> = {
        let mut v = Vec::new();
        for e in &queued {
            v.push(s.award(settle(e, 10, 25)).await.unwrap());
        }
        v
    };
    assert_eq!(
        outcomes,
        vec![
            AwardOutcome::Awarded(10),
            AwardOutcome::Awarded(10),
            AwardOutcome::Awarded(5),
            AwardOutcome::Capped
        ]
    );
    assert!(s.pending_earnings(100).await.unwrap().is_empty());
    assert_eq!(balance(s, u, in_window).await, 25);
}

pub async fn rating_a_closed_report_queues_one_earning_for_its_author(s: &dyn Store) {
    let (u, _, _) = earning_home(s, "C").await;
    let filed_ms = Utc
        .with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
        .unwrap()
        .timestamp_millis();
    let report = NewReport {
        id: ReportId(Uuid::now_v7()),
        author: u,
        building_id: BuildingId("EBC".into()),
        company_id: Some(CompanyId("EC".into())),
        region_id: RegionId("R1".into()),
        category: "leak".into(),
        text: "water".into(),
        place: "entrance 1".into(),
        content_sha256: "ab".repeat(32),
        photos: vec![],
        filed_ms,
        due_ms: filed_ms + 3_600_000,
    };
    let id = report.id;
    s.file_report(report).await.unwrap();
    let ev = |at_ms: i64| NewEvent {
        at_ms,
        author: EventAuthor::Company,
        text: None,
        client_op: None,
    };
    s.change_report_status(
        id,
        vec![ReportStatus::New],
        ReportStatus::Resolved,
        None,
        ev(filed_ms + 1),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        s.pending_earnings(100).await.unwrap().is_empty(),
        "resolving earns nothing"
    );
    let rated_ms = filed_ms + 2;
    s.change_report_status(
        id,
        vec![ReportStatus::Resolved],
        ReportStatus::Rated,
        Some(5),
        NewEvent {
            author: EventAuthor::Resident,
            ..ev(rated_ms)
        },
    )
    .await
    .unwrap()
    .unwrap();
    let queued = s.pending_earnings(100).await.unwrap();
    assert_eq!(
        queued,
        vec![PendingEarning {
            user: u,
            reason: LedgerReason::RatedReport,
            source_id: id.0.to_string(),
            earned_at: DateTime::from_timestamp_millis(rated_ms).unwrap(),
        }]
    );
    // A second rating attempt is refused by the status check and queues nothing.
    assert!(
        s.change_report_status(
            id,
            vec![ReportStatus::Resolved],
            ReportStatus::Rated,
            Some(1),
            ev(rated_ms + 1)
        )
        .await
        .unwrap()
        .is_none()
    );
    assert_eq!(s.pending_earnings(100).await.unwrap().len(), 1);
}
