//! Conformance cases of [`StaffStore`](super::StaffStore) and [`RatingStore`](super::RatingStore),
//! run on both backends by the macro in `conformance.rs`: the first-report invite is stored once,
//! an invite joins exactly once before its expiry, assignments replace each other and leave a
//! resident-visible event, and rating rows upsert by company and list by region.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use connect_core::{
    api::{
        rating::RatingCriteria,
        reports::{EventAuthor, ReportEvent},
    },
    auth::Role,
    ids::{BuildingId, CompanyId, RegionId, ReportId, UserId},
    property::{Building, ManagingCompany},
    reports::ReportStatus,
};
use uuid::Uuid;

use super::{Filed, Grant, NewEvent, NewInvite, NewReport, Redeemed, Store, StoreError};

const T0: i64 = 1_772_323_200_000; // 2026-03-01
const DAY: i64 = 86_400_000;

fn company(id: &str, region: &str) -> ManagingCompany {
    ManagingCompany {
        id: CompanyId(id.into()),
        name: format!("Company {id}"),
        tax_id: None,
        phone: None,
        email: Some(format!("{id}@example.org")),
        region_id: RegionId(region.into()),
    }
}

async fn companies(s: &dyn Store) {
    for (c, r) in [("X", "R1"), ("Y", "R1"), ("Z", "R2")] {
        s.upsert_company(company(c, r)).await.unwrap();
    }
}

async fn user(s: &dyn Store, n: u8) -> UserId {
    s.ensure_user(vec![n; 32], vec![n, n, n], T0).await.unwrap()
}

fn invite(token: u8, company: &str, at: i64) -> NewInvite {
    NewInvite {
        token_hash: vec![token; 32],
        company_id: CompanyId(company.into()),
        name: format!("Engineer {token}"),
        email: Some("uk@example.org".into()),
        created_by: None,
        created_ms: at,
        expires_ms: at + 7 * DAY,
    }
}

pub async fn a_first_invite_is_stored_once_while_the_company_has_no_staff(s: &dyn Store) {
    companies(s).await;
    assert!(s.create_first_invite(invite(1, "X", T0)).await.unwrap());
    // A live invite blocks another automatic one.
    assert!(
        !s.create_first_invite(invite(2, "X", T0 + DAY))
            .await
            .unwrap()
    );
    assert!(s.invite(vec![2; 32]).await.unwrap().is_none());
    // Another company is independent.
    assert!(s.create_first_invite(invite(3, "Y", T0)).await.unwrap());
    // Once the first one expired, the next report may send a new link.
    assert!(
        s.create_first_invite(invite(4, "X", T0 + 8 * DAY))
            .await
            .unwrap()
    );
    // Staff (here granted by an admin) block it for good.
    let u = user(s, 9).await;
    s.grant(
        u,
        Grant {
            role: Role::CompanyStaff,
            scope: Some("Y".into()),
        },
    )
    .await
    .unwrap();
    assert!(
        !s.create_first_invite(invite(5, "Y", T0 + 30 * DAY))
            .await
            .unwrap()
    );
    // Explicit invites are always stored; an unknown company is a missing reference.
    s.create_invite(invite(6, "Y", T0)).await.unwrap();
    assert!(matches!(
        s.create_first_invite(invite(7, "nope", T0)).await,
        Err(StoreError::MissingReference)
    ));
    let stored = s.invite(vec![1; 32]).await.unwrap().unwrap();
    assert_eq!(stored.company_id, CompanyId("X".into()));
    assert_eq!(stored.name, "Engineer 1");
    assert_eq!((stored.created_ms, stored.expires_ms), (T0, T0 + 7 * DAY));
    assert_eq!(stored.used_ms, None);
}

pub async fn an_invite_joins_once_before_its_expiry_and_names_the_staff_member(s: &dyn Store) {
    companies(s).await;
    s.create_invite(invite(1, "X", T0)).await.unwrap();
    s.create_invite(invite(2, "X", T0)).await.unwrap();
    let (a, b) = (user(s, 1).await, user(s, 2).await);
    assert_eq!(
        s.redeem_invite(vec![9; 32], a, T0).await.unwrap(),
        Redeemed::Unknown
    );
    assert_eq!(
        s.redeem_invite(vec![2; 32], a, T0 + 7 * DAY).await.unwrap(),
        Redeemed::Expired
    );
    assert!(s.staff(CompanyId("X".into())).await.unwrap().is_empty());
    assert_eq!(
        s.redeem_invite(vec![1; 32], a, T0 + DAY).await.unwrap(),
        Redeemed::Joined(CompanyId("X".into()))
    );
    assert_eq!(
        s.redeem_invite(vec![1; 32], b, T0 + DAY).await.unwrap(),
        Redeemed::AlreadyUsed
    );
    assert_eq!(
        s.invite(vec![1; 32]).await.unwrap().unwrap().used_ms,
        Some(T0 + DAY)
    );
    assert!(s.grants(a).await.unwrap().contains(&Grant {
        role: Role::CompanyStaff,
        scope: Some("X".into())
    }));
    assert!(
        !s.grants(b)
            .await
            .unwrap()
            .iter()
            .any(|g| g.role == Role::CompanyStaff)
    );
    // An admin-granted member is staff too, without a name.
    s.grant(
        b,
        Grant {
            role: Role::CompanyStaff,
            scope: Some("X".into()),
        },
    )
    .await
    .unwrap();
    let staff = s.staff(CompanyId("X".into())).await.unwrap();
    let mut named: Vec<(UserId, Option<String>, Vec<u8>)> = staff
        .into_iter()
        .map(|m| (m.user_id, m.name, m.phone_sealed))
        .collect();
    named.sort_by_key(|m| m.0);
    let mut expected = vec![
        (a, Some("Engineer 1".to_owned()), vec![1, 1, 1]),
        (b, None, vec![2, 2, 2]),
    ];
    expected.sort_by_key(|m| m.0);
    assert_eq!(named, expected);
    assert!(s.staff(CompanyId("Y".into())).await.unwrap().is_empty());
    assert_eq!(s.user_phone(a).await.unwrap(), Some(vec![1, 1, 1]));
    assert_eq!(s.user_phone(UserId(Uuid::now_v7())).await.unwrap(), None);
}

pub async fn concurrent_redemptions_of_one_invite_join_exactly_once(s: &dyn Store) {
    companies(s).await;
    s.create_invite(invite(1, "X", T0)).await.unwrap();
    let mut users = Vec::new();
    for n in 1..=8 {
        users.push(user(s, n).await);
    }
    let outcomes = futures::future::join_all(
        users
            .iter()
            .map(|u| s.redeem_invite(vec![1; 32], *u, T0 + 1)),
    )
    .await;
    let joined = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Redeemed::Joined(_))))
        .count();
    let used = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Redeemed::AlreadyUsed)))
        .count();
    assert_eq!((joined, used), (1, 7), "{outcomes:?}");
    assert_eq!(s.staff(CompanyId("X".into())).await.unwrap().len(), 1);
}

async fn file(s: &dyn Store, author: UserId, company: &str) -> ReportId {
    let id = ReportId(Uuid::now_v7());
    let r = s
        .file_report(NewReport {
            id,
            author,
            building_id: BuildingId("B1".into()),
            company_id: Some(CompanyId(company.into())),
            region_id: RegionId("R1".into()),
            category: "leak".into(),
            text: "water".into(),
            place: "entrance 1".into(),
            content_sha256: "cd".repeat(32),
            photos: vec![],
            filed_ms: T0,
            due_ms: T0 + DAY,
        })
        .await
        .unwrap();
    assert!(matches!(r, Filed::Created(_)));
    id
}

fn ev(at_ms: i64, text: &str) -> NewEvent {
    NewEvent {
        at_ms,
        author: EventAuthor::Company,
        text: Some(text.into()),
        client_op: None,
    }
}

pub async fn assignments_replace_each_other_and_every_staff_step_leaves_a_resident_visible_event(
    s: &dyn Store,
) {
    companies(s).await;
    s.upsert_buildings(vec![Building {
        id: BuildingId("B1".into()),
        address: "Street 1".into(),
        company_id: Some(CompanyId("X".into())),
        region_id: RegionId("R1".into()),
        lat: 59.2,
        lon: 39.9,
    }])
    .await
    .unwrap();
    let resident = user(s, 1).await;
    let (a, b) = (user(s, 2).await, user(s, 3).await);
    let id = file(s, resident, "X").await;
    let other = file(s, resident, "X").await;
    assert_eq!(s.assignee(id).await.unwrap(), None);
    s.change_report_status(
        id,
        vec![ReportStatus::New],
        ReportStatus::Accepted,
        None,
        ev(T0 + 1, "we are on it"),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        s.assign_report(id, a, ev(T0 + 2, "assigned"))
            .await
            .unwrap()
    );
    assert!(
        s.assign_report(id, b, ev(T0 + 3, "reassigned"))
            .await
            .unwrap()
    );
    assert!(
        !s.assign_report(ReportId(Uuid::now_v7()), a, ev(T0, "x"))
            .await
            .unwrap()
    );
    assert!(
        s.add_report_comment(id, ev(T0 + 4, "plumber at 3 pm"))
            .await
            .unwrap()
    );
    assert_eq!(s.assignee(id).await.unwrap(), Some(b));
    assert_eq!(s.assignee(other).await.unwrap(), None);
    assert_eq!(
        s.assignments(CompanyId("X".into())).await.unwrap(),
        vec![(id, b)]
    );
    assert!(
        s.assignments(CompanyId("Y".into()))
            .await
            .unwrap()
            .is_empty()
    );
    let history: Vec<(i64, EventAuthor, Option<ReportStatus>, Option<String>)> = s
        .report_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e: ReportEvent| (e.seq, e.author, e.status, e.text))
        .collect();
    let c = EventAuthor::Company;
    assert_eq!(
        history,
        vec![
            (
                1,
                c,
                Some(ReportStatus::Accepted),
                Some("we are on it".into())
            ),
            (2, c, None, Some("assigned".into())),
            (3, c, None, Some("reassigned".into())),
            (4, c, None, Some("plumber at 3 pm".into())),
        ]
    );
}

fn criteria(company: &str, period: &str, unfulfilled: u32) -> RatingCriteria {
    RatingCriteria {
        company_id: CompanyId(company.into()),
        period: period.into(),
        buildings: 40,
        area_m2: 123_456.5,
        years_managed: 7,
        inspections: 12,
        orders_issued: 5,
        orders_unfulfilled: unfulfilled,
        penalties: 2,
        undisclosed: 1,
    }
}

pub async fn rating_criteria_upsert_by_company_and_list_by_region(s: &dyn Store) {
    companies(s).await;
    s.upsert_rating_criteria(
        vec![
            criteria("Y", "2025-Q3", 1),
            criteria("X", "2025-Q3", 3),
            criteria("Z", "2025-Q3", 0),
        ],
        T0,
    )
    .await
    .unwrap();
    s.upsert_rating_criteria(vec![criteria("X", "2025-Q4", 2)], T0 + DAY)
        .await
        .unwrap();
    assert_eq!(
        s.rating_criteria(RegionId("R1".into())).await.unwrap(),
        vec![criteria("X", "2025-Q4", 2), criteria("Y", "2025-Q3", 1)]
    );
    assert_eq!(
        s.rating_criteria(RegionId("R2".into())).await.unwrap(),
        vec![criteria("Z", "2025-Q3", 0)]
    );
    // All or nothing: an unknown company refuses the whole batch.
    assert!(matches!(
        s.upsert_rating_criteria(
            vec![criteria("Y", "2026-Q1", 0), criteria("nope", "2026-Q1", 0)],
            T0
        )
        .await,
        Err(StoreError::MissingReference)
    ));
    assert_eq!(
        s.rating_criteria(RegionId("R1".into())).await.unwrap()[1].period,
        "2025-Q3"
    );
    let ids: Vec<String> = s
        .companies_in(RegionId("R1".into()))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.0)
        .collect();
    assert_eq!(ids, ["X", "Y"]);
    assert!(
        s.companies_in(RegionId("R9".into()))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.company_regions().await.unwrap(),
        vec![RegionId("R1".into()), RegionId("R2".into())]
    );
}
