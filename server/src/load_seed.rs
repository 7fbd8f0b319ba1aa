//! `connect-server seed-load`: residents for the load generator (`connect-tests --bin loadgen`).
//!
//! Creates one managing company, one building, a water provider whose submission window is the
//! whole month (so every reading is on time and queues its points, as at the real end-of-month
//! peak) and, per resident, a user, an apartment, an account, a cold-water meter and a session.
//! The sessions are minted exactly as `POST /v1/auth/verify` mints them (a random token whose hash
//! the store keeps), so the load goes through the real authentication on every request; only the
//! SMS round trip is skipped, because the OTP endpoints are rate-limited per IP by design.
//!
//! The output is JSON: `{"residents": [{"token", "user_id", "meter_id"}]}`.

use chrono::{NaiveDate, Utc};
use connect_core::{
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, MeterId, ProviderId, RegionId},
    property::{
        Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind, UtilityProvider,
    },
    readings::{Meter, Tariff},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    auth::otp::SESSION_TTL,
    crypto::{CryptoError, Keys},
    store::{Store, StoreError},
};

/// The company every load resident's building belongs to.
pub const LOAD_COMPANY: &str = "load-company";

/// A failed seeding step.
#[derive(Debug, thiserror::Error)]
pub enum LoadSeedError {
    /// The store refused a write.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Minting a token or sealing a phone number failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// More residents than the phone-number range holds.
    #[error("at most {max} residents per seed (asked for {asked})")]
    TooMany {
        /// The limit.
        max: usize,
        /// What was asked.
        asked: usize,
    },
}

/// One seeded resident, as the load generator needs it.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResident {
    /// Bearer token of a live session.
    pub token: String,
    /// The resident's user id.
    pub user_id: Uuid,
    /// The resident's one meter (5 integer digits, 3 after the point, single tariff).
    pub meter_id: Uuid,
}

/// What `seed-load` writes.
#[derive(Debug, Clone, Serialize)]
pub struct LoadSeed {
    /// The residents, in creation order.
    pub residents: Vec<LoadResident>,
}

/// Phone numbers `+7990xxxxxxx` are reserved for load residents.
const PHONE_BASE: u64 = 79_900_000_000;
const MAX_RESIDENTS: usize = 10_000_000;

/// Seeds `count` load residents (phone numbers offset by `first`, so several seeds can share a
/// store). Re-running with the same numbers reuses the users and gives them new apartments,
/// meters and sessions.
pub async fn seed_load(
    store: &dyn Store,
    keys: &Keys,
    count: usize,
    first: usize,
) -> Result<LoadSeed, LoadSeedError> {
    if first.saturating_add(count) > MAX_RESIDENTS {
        return Err(LoadSeedError::TooMany {
            max: MAX_RESIDENTS,
            asked: first.saturating_add(count),
        });
    }
    let region = RegionId("RU-LOAD".into());
    let company = CompanyId(LOAD_COMPANY.into());
    store
        .upsert_company(ManagingCompany {
            id: company.clone(),
            name: "Load test managing company".into(),
            tax_id: None,
            phone: None,
            email: None,
            region_id: region.clone(),
        })
        .await?;
    let building = BuildingId("load-building".into());
    store
        .upsert_buildings(vec![Building {
            id: building.clone(),
            address: "Load street 1".into(),
            company_id: Some(company),
            region_id: region,
            lat: 59.2,
            lon: 39.9,
        }])
        .await?;
    let provider = ProviderId("load-water".into());
    store
        .upsert_provider(UtilityProvider {
            id: provider.clone(),
            name: "Load water".into(),
            kind: UtilityKind::ColdWater,
            window_start_day: 1,
            window_end_day: 31,
        })
        .await?;
    let installed = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let mut residents = Vec::with_capacity(count);
    for i in first..first + count {
        let phone = format!("+{}", PHONE_BASE + i as u64);
        let now = Utc::now();
        let user = store
            .ensure_user(
                keys.phone_index(&phone),
                keys.encrypt_phone(&phone)?,
                now.timestamp_millis(),
            )
            .await?;
        let apartment = Apartment {
            id: ApartmentId(Uuid::now_v7()),
            building_id: building.clone(),
            number: (i + 1).to_string(),
        };
        store.insert_apartment(apartment.clone()).await?;
        let account = PersonalAccount {
            id: AccountId(Uuid::now_v7()),
            apartment_id: apartment.id,
            provider_id: provider.clone(),
            number: format!("L{:09}", i),
            holder_name: format!("Load resident {i}"),
        };
        store.insert_account(account.clone()).await?;
        let meter = MeterId(Uuid::now_v7());
        store
            .insert_meter(Meter {
                id: meter,
                apartment_id: apartment.id,
                account_id: account.id,
                kind: UtilityKind::ColdWater,
                serial: format!("LOAD-{i:07}"),
                integer_digits: 5,
                fraction_digits: 3,
                tariffs: vec![Tariff::Single],
                installed_on: installed,
                next_verification_on: None,
                replaces: None,
            })
            .await?;
        store.link_resident(user, apartment.id).await?;
        let (token, hash) = keys.new_token()?;
        store
            .create_session(
                hash,
                user,
                now.timestamp_millis(),
                (now + SESSION_TTL).timestamp_millis(),
            )
            .await?;
        residents.push(LoadResident {
            token,
            user_id: user.0,
            meter_id: meter.0,
        });
    }
    Ok(LoadSeed { residents })
}
