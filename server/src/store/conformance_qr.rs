//! Conformance cases of [`QrStore`](super::QrStore), run on both backends by the macro in
//! `conformance.rs`: account codes are claimed once (also under concurrency), a newer code
//! replaces an unclaimed one, a wrong secret claims nothing, and the sticker sheet's building list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use connect_core::{
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, ProviderId, RegionId, UserId},
    property::{Apartment, Building, ManagingCompany, PersonalAccount},
    qr::hash_secret,
};
use uuid::Uuid;

use super::{AccountScope, ClaimOutcome, NewAccountCode, Store, StoreError};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

async fn user(s: &dyn Store, n: u8) -> UserId {
    s.ensure_user(vec![n; 32], vec![0], now().timestamp_millis())
        .await
        .unwrap()
}

fn company(id: &str) -> ManagingCompany {
    ManagingCompany {
        id: CompanyId(id.into()),
        name: format!("Company {id}"),
        tax_id: None,
        phone: Some("+78172000000".into()),
        email: None,
        region_id: RegionId("R1".into()),
    }
}

fn building(id: &str, address: &str, company: Option<&str>) -> Building {
    Building {
        id: BuildingId(id.into()),
        address: address.into(),
        company_id: company.map(|c| CompanyId(c.into())),
        region_id: RegionId("R1".into()),
        lat: 59.2,
        lon: 39.9,
    }
}

/// Company X, building B1 with one apartment and one account; returns (apartment, account).
async fn account_world(s: &dyn Store) -> (ApartmentId, AccountId) {
    s.upsert_company(company("X")).await.unwrap();
    s.upsert_buildings(vec![building("B1", "Street 1", Some("X"))])
        .await
        .unwrap();
    let apt = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: BuildingId("B1".into()),
        number: "7".into(),
    };
    s.insert_apartment(apt.clone()).await.unwrap();
    let acc = PersonalAccount {
        id: AccountId(Uuid::now_v7()),
        apartment_id: apt.id,
        provider_id: ProviderId("water".into()),
        number: "100-7".into(),
        holder_name: "Holder".into(),
    };
    s.insert_account(acc.clone()).await.unwrap();
    (apt.id, acc.id)
}

fn new_code(account: AccountId, secret: u8, staff: UserId, at: DateTime<Utc>) -> NewAccountCode {
    NewAccountCode {
        id: Uuid::now_v7(),
        account_id: account,
        secret_hash: hash_secret(&[secret; 16]).to_vec(),
        issued_by: staff,
        now: at,
    }
}

fn hash(secret: u8) -> Vec<u8> {
    hash_secret(&[secret; 16]).to_vec()
}

pub async fn an_account_code_is_claimed_once_and_links_the_apartment(s: &dyn Store) {
    let (apt, acc) = account_world(s).await;
    let staff = user(s, 60).await;
    let resident = user(s, 61).await;
    let other = user(s, 62).await;
    assert_eq!(
        s.account_scope(acc).await.unwrap(),
        Some(AccountScope {
            account_id: acc,
            apartment_id: apt,
            building_id: BuildingId("B1".into()),
            company_id: Some(CompanyId("X".into())),
        })
    );
    assert!(
        s.account_scope(AccountId(Uuid::now_v7()))
            .await
            .unwrap()
            .is_none()
    );
    s.issue_account_code(new_code(acc, 1, staff, now()))
        .await
        .unwrap();
    // Issuing does not link anyone.
    assert!(s.resident_apartments(resident).await.unwrap().is_empty());
    assert_eq!(
        s.claim_account_code(acc, hash(1), resident, now())
            .await
            .unwrap(),
        ClaimOutcome::Claimed(apt)
    );
    assert_eq!(s.resident_apartments(resident).await.unwrap(), vec![apt]);
    let home = s.home(apt).await.unwrap().unwrap();
    assert_eq!(home.accounts[0].id, acc);
    // A second claim, by the same resident or anyone else, changes nothing.
    for u in [resident, other] {
        assert_eq!(
            s.claim_account_code(acc, hash(1), u, now()).await.unwrap(),
            ClaimOutcome::AlreadyClaimed
        );
    }
    assert!(s.resident_apartments(other).await.unwrap().is_empty());
}

pub async fn a_wrong_secret_or_another_accounts_code_claims_nothing(s: &dyn Store) {
    let (_, acc) = account_world(s).await;
    let staff = user(s, 63).await;
    let resident = user(s, 64).await;
    s.issue_account_code(new_code(acc, 2, staff, now()))
        .await
        .unwrap();
    assert_eq!(
        s.claim_account_code(acc, hash(3), resident, now())
            .await
            .unwrap(),
        ClaimOutcome::Unknown
    );
    // The right secret for a different account id does not match either.
    assert_eq!(
        s.claim_account_code(AccountId(Uuid::now_v7()), hash(2), resident, now())
            .await
            .unwrap(),
        ClaimOutcome::Unknown
    );
    assert!(s.resident_apartments(resident).await.unwrap().is_empty());
    // Codes for an unknown account cannot be issued.
    assert!(matches!(
        s.issue_account_code(new_code(AccountId(Uuid::now_v7()), 4, staff, now()))
            .await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn a_new_code_replaces_the_unclaimed_one(s: &dyn Store) {
    let (apt, acc) = account_world(s).await;
    let staff = user(s, 65).await;
    let resident = user(s, 66).await;
    s.issue_account_code(new_code(acc, 5, staff, now()))
        .await
        .unwrap();
    s.issue_account_code(new_code(acc, 6, staff, now() + Duration::minutes(1)))
        .await
        .unwrap();
    assert_eq!(
        s.claim_account_code(acc, hash(5), resident, now())
            .await
            .unwrap(),
        ClaimOutcome::Replaced
    );
    assert!(s.resident_apartments(resident).await.unwrap().is_empty());
    assert_eq!(
        s.claim_account_code(acc, hash(6), resident, now())
            .await
            .unwrap(),
        ClaimOutcome::Claimed(apt)
    );
    // A code issued after a claim (a second household member) works once too; the claimed one
    // stays claimed, not replaced.
    s.issue_account_code(new_code(acc, 7, staff, now() + Duration::minutes(2)))
        .await
        .unwrap();
    assert_eq!(
        s.claim_account_code(acc, hash(6), resident, now())
            .await
            .unwrap(),
        ClaimOutcome::AlreadyClaimed
    );
    let second = user(s, 67).await;
    assert_eq!(
        s.claim_account_code(acc, hash(7), second, now())
            .await
            .unwrap(),
        ClaimOutcome::Claimed(apt)
    );
}

pub async fn concurrent_claims_of_one_code_succeed_exactly_once(s: &dyn Store) {
    let (apt, acc) = account_world(s).await;
    let staff = user(s, 68).await;
    let mut users = Vec::new();
    for n in 0..24u8 {
        users.push(user(s, 100 + n).await);
    }
    s.issue_account_code(new_code(acc, 8, staff, now()))
        .await
        .unwrap();
    let tries = users
        .iter()
        .map(|u| s.claim_account_code(acc, hash(8), *u, now()));
    let outcomes = futures::future::join_all(tries).await;
    let winners: Vec<UserId> = users
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| matches!(o, Ok(ClaimOutcome::Claimed(_))))
        .map(|(u, _)| *u)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            Ok(ClaimOutcome::Claimed(_)) | Ok(ClaimOutcome::AlreadyClaimed)
        )),
        "{outcomes:?}"
    );
    for u in &users {
        let linked = s.resident_apartments(*u).await.unwrap();
        if *u == winners[0] {
            assert_eq!(linked, vec![apt]);
        } else {
            assert!(linked.is_empty());
        }
    }
}

pub async fn a_companys_buildings_list_by_address(s: &dyn Store) {
    s.upsert_company(company("X")).await.unwrap();
    s.upsert_company(company("Y")).await.unwrap();
    s.upsert_buildings(vec![
        building("B1", "Street 2", Some("X")),
        building("B2", "Street 1", Some("X")),
        building("B3", "Street 0", Some("Y")),
        building("B4", "Street 3", None),
    ])
    .await
    .unwrap();
    let ids: Vec<String> = s
        .company_buildings(CompanyId("X".into()))
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id.0)
        .collect();
    assert_eq!(ids, vec!["B2", "B1"]);
    assert!(
        s.company_buildings(CompanyId("Z".into()))
            .await
            .unwrap()
            .is_empty()
    );
}
