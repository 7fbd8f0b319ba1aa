//! The demo: seeds an empty store once with a city (the real Vologda buildings and managers from
//! the shared data folder when present, otherwise a generated city of 300 buildings), demo
//! apartments, accounts and meters, and demo phone numbers for every role. With the real data it
//! also imports every footprint of the city (with its real managing company) through the same
//! importer as `connect-server import buildings`, so `/v1/geo/…` answer for the whole city.
//! Re-running keeps existing data.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use connect_core::{
    auth::{PhoneNumber, Role},
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, MeterId, ProviderId, RegionId, UserId},
    property::{Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind},
    readings::{Meter, Tariff},
};
use uuid::Uuid;

use crate::{
    crypto::Keys,
    store::{Grant, Store, StoreError},
};

/// The demo resident.
pub const RESIDENT_PHONE: &str = "+70000000001";
/// Staff of the resident's managing company.
pub const STAFF_PHONE: &str = "+70000000002";
/// Cashier of the demo partner shop.
pub const CASHIER_PHONE: &str = "+70000000003";
/// Authority of the demo region.
pub const AUTHORITY_PHONE: &str = "+70000000004";
/// Admin (unless `CONNECT_ADMIN_PHONE` names another).
pub const ADMIN_PHONE: &str = "+70000000009";
/// Region of every demo building.
pub const REGION: &str = "RU-VLG";
/// Buildings taken from the real data set.
const REAL_LIMIT: usize = 3000;

/// A failed seeding step.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Importing the sample rating failed.
    #[error("rating sample: {0}")]
    Rating(String),
    /// Reading a data file failed.
    #[error("reading {0}: {1}")]
    Read(PathBuf, String),
    /// The store refused a write.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A key operation failed.
    #[error("crypto: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
}

/// What the seed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeded {
    /// The store already had buildings; nothing was written.
    Kept,
    /// Seeded this many buildings from the real data set.
    Real(usize),
    /// Seeded this many generated buildings.
    Generated(usize),
}

/// The shared data folder: `CONNECT_DATA_DIR`, else `../shared/data` next to the workspace or
/// the current directory.
pub fn data_dir(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_path_buf());
    }
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from("../shared/data"),
    ];
    candidates.into_iter().find(|p| p.is_dir())
}

/// Seeds an empty store; leaves a non-empty one untouched.
pub async fn seed(
    store: &dyn Store,
    keys: &Keys,
    data: Option<&Path>,
) -> Result<Seeded, DemoError> {
    let geo = data.map(|d| d.join("geo/vologda"));
    if let Some(g) = geo.as_deref() {
        seed_footprints(store, g).await?;
    }
    if store.count_buildings().await? > 0 {
        return Ok(Seeded::Kept);
    }
    let (companies, buildings, real) = match geo.filter(|g| g.join("buildings.geojson").is_file()) {
        Some(g) => {
            let (c, b) = load_real(&g)?;
            (c, b, true)
        }
        None => {
            let (c, b) = generate();
            (c, b, false)
        }
    };
    for c in &companies {
        store.upsert_company(c.clone()).await?;
    }
    let n = buildings.len();
    let home_building = buildings
        .iter()
        .find(|b| b.company_id.is_some())
        .cloned()
        .ok_or_else(|| DemoError::Read("buildings".into(), "no managed building".into()))?;
    let neighbours = crate::demo_reports::other_companies_buildings(&buildings, &home_building);
    store.upsert_buildings(buildings).await?;
    seed_people(store, keys, &home_building).await?;
    crate::demo_reports::seed(store, keys, &home_building, &neighbours, real).await?;
    Ok(if real {
        Seeded::Real(n)
    } else {
        Seeded::Generated(n)
    })
}

/// Imports every footprint of the real city once (a store that has the region keeps it).
async fn seed_footprints(store: &dyn Store, dir: &Path) -> Result<(), DemoError> {
    let path = dir.join("buildings.geojson");
    let region = RegionId(REGION.into());
    if !path.is_file()
        || store
            .geo_regions()
            .await?
            .iter()
            .any(|r| r.region == region)
    {
        return Ok(());
    }
    let report = crate::geo::import::import_buildings(
        store,
        None,
        &path,
        &region,
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .map_err(|e| DemoError::Read(path.clone(), e.to_string()))?;
    tracing::info!(
        imported = report.imported,
        refused = report.errors.len(),
        "demo footprints"
    );
    Ok(())
}

async fn user(store: &dyn Store, keys: &Keys, phone: &str) -> Result<UserId, DemoError> {
    Ok(store
        .ensure_user(
            keys.phone_index(phone),
            keys.encrypt_phone(phone)?,
            Utc::now().timestamp_millis(),
        )
        .await?)
}

async fn seed_people(store: &dyn Store, keys: &Keys, home: &Building) -> Result<(), DemoError> {
    let apartment = Apartment {
        id: ApartmentId(Uuid::now_v7()),
        building_id: home.id.clone(),
        number: "12".into(),
    };
    store.insert_apartment(apartment.clone()).await?;
    let account = PersonalAccount {
        id: AccountId(Uuid::now_v7()),
        apartment_id: apartment.id,
        provider_id: ProviderId("demo-vodokanal".into()),
        number: "100200300".into(),
        holder_name: "Demo Resident".into(),
    };
    store.insert_account(account.clone()).await?;
    let installed = NaiveDate::from_ymd_opt(2022, 3, 1).unwrap_or_default();
    for (kind, serial, tariffs) in [
        (UtilityKind::ColdWater, "CW-0001", vec![Tariff::Single]),
        (UtilityKind::HotWater, "HW-0001", vec![Tariff::Single]),
        (
            UtilityKind::Electricity,
            "EL-0001",
            vec![Tariff::Day, Tariff::Night],
        ),
    ] {
        store
            .insert_meter(Meter {
                id: MeterId(Uuid::now_v7()),
                apartment_id: apartment.id,
                account_id: account.id,
                kind,
                serial: serial.into(),
                integer_digits: if kind == UtilityKind::Electricity {
                    6
                } else {
                    5
                },
                fraction_digits: if kind == UtilityKind::Electricity {
                    1
                } else {
                    3
                },
                tariffs,
                installed_on: installed,
                next_verification_on: NaiveDate::from_ymd_opt(2028, 3, 1),
                replaces: None,
            })
            .await?;
    }
    let resident = user(store, keys, RESIDENT_PHONE).await?;
    store.link_resident(resident, apartment.id).await?;
    let grants = [
        (
            STAFF_PHONE,
            Role::CompanyStaff,
            home.company_id.as_ref().map(|c| c.0.clone()),
        ),
        (
            CASHIER_PHONE,
            Role::PartnerCashier,
            Some("demo-partner".to_owned()),
        ),
        (AUTHORITY_PHONE, Role::Authority, Some(REGION.to_owned())),
    ];
    for (phone, role, scope) in grants {
        let u = user(store, keys, phone).await?;
        store.grant(u, Grant { role, scope }).await?;
    }
    // The cashier's shop with an offer, and welcome points so the resident can make a voucher.
    let now = chrono::Utc::now();
    let partner = connect_core::ids::PartnerId("demo-partner".into());
    store
        .upsert_partner(partner.clone(), "Corner Café".into(), now)
        .await?;
    store
        .insert_offer(
            connect_core::points::Offer {
                id: connect_core::ids::new_v7(),
                partner_id: partner,
                partner_name: String::new(),
                title: "Coffee".into(),
                points: 40,
                discount: "−100 ₽".into(),
            },
            now,
        )
        .await?;
    store
        .award(crate::store::NewAward {
            user: resident,
            reason: connect_core::points::LedgerReason::Adjustment,
            source_id: "demo-welcome".into(),
            amount: 100,
            monthly_cap: 100,
            now,
        })
        .await?;
    Ok(())
}

fn load_real(dir: &Path) -> Result<(Vec<ManagingCompany>, Vec<Building>), DemoError> {
    let csv_path = dir.join("managing_companies.csv");
    let mut companies = Vec::new();
    let mut reader = csv::Reader::from_path(&csv_path)
        .map_err(|e| DemoError::Read(csv_path.clone(), e.to_string()))?;
    for rec in reader.records() {
        let rec = rec.map_err(|e| DemoError::Read(csv_path.clone(), e.to_string()))?;
        let (Some(id), Some(name)) = (rec.get(0), rec.get(1)) else {
            continue;
        };
        companies.push(ManagingCompany {
            id: CompanyId(id.to_owned()),
            name: name.to_owned(),
            tax_id: rec.get(2).filter(|s| !s.is_empty()).map(str::to_owned),
            phone: None,
            email: None,
            region_id: RegionId(REGION.into()),
        });
    }
    let known: std::collections::HashSet<&str> =
        companies.iter().map(|c| c.id.0.as_str()).collect();
    let geo_path = dir.join("buildings.geojson");
    let text = std::fs::read_to_string(&geo_path)
        .map_err(|e| DemoError::Read(geo_path.clone(), e.to_string()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| DemoError::Read(geo_path.clone(), e.to_string()))?;
    let mut buildings = Vec::new();
    let features = doc["features"].as_array().cloned().unwrap_or_default();
    for f in features {
        let p = &f["properties"];
        let address = p["address"].as_str().unwrap_or("");
        let Some(id) = p["id"].as_str() else { continue };
        if address.is_empty() {
            continue;
        }
        let Some((lat, lon)) = centroid(&f["geometry"]) else {
            continue;
        };
        let company = p["mgmt_company_id"]
            .as_str()
            .filter(|c| known.contains(c))
            .map(|c| CompanyId(c.to_owned()));
        buildings.push(Building {
            id: BuildingId(id.to_owned()),
            address: address.split(" | ").next().unwrap_or(address).to_owned(),
            company_id: company,
            region_id: RegionId(REGION.into()),
            lat,
            lon,
        });
        if buildings.len() >= REAL_LIMIT {
            break;
        }
    }
    Ok((companies, buildings))
}

/// Mean of the outer ring's vertices (good enough to place a pin; the geo module does it right).
fn centroid(geometry: &serde_json::Value) -> Option<(f64, f64)> {
    let coords = &geometry["coordinates"];
    let ring = match geometry["type"].as_str()? {
        "Polygon" => coords.get(0)?,
        "MultiPolygon" => coords.get(0)?.get(0)?,
        _ => return None,
    };
    let pts: Vec<(f64, f64)> = ring
        .as_array()?
        .iter()
        .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .collect();
    // The ring repeats its first point at the end.
    let pts = &pts[..pts.len().saturating_sub(1)];
    if pts.is_empty() {
        return None;
    }
    let n = pts.len() as f64;
    let lon = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let lat = pts.iter().map(|p| p.1).sum::<f64>() / n;
    Some((lat, lon))
}

fn generate() -> (Vec<ManagingCompany>, Vec<Building>) {
    let companies: Vec<ManagingCompany> = (1..=3)
        .map(|i| ManagingCompany {
            id: CompanyId(format!("demo-uk-{i}")),
            name: format!("Demo Managing Company {i}"),
            tax_id: None,
            phone: Some(format!("+7817200000{i}")),
            email: None,
            region_id: RegionId(REGION.into()),
        })
        .collect();
    let streets = [
        "Lenina",
        "Mira",
        "Sovetskiy pr.",
        "Pobedy",
        "Gertsena",
        "Chernyshevskogo",
    ];
    let buildings = (0..300usize)
        .map(|i| Building {
            id: BuildingId(format!("GEN-{:06}", i + 1)),
            address: format!(
                "Vologda, {} {}",
                streets[i % streets.len()],
                i / streets.len() + 1
            ),
            company_id: Some(companies[i % companies.len()].id.clone()),
            region_id: RegionId(REGION.into()),
            lat: 59.20 + (i / 20) as f64 * 0.002,
            lon: 39.85 + (i % 20) as f64 * 0.003,
        })
        .collect();
    (companies, buildings)
}

/// Checks a demo phone constant parses (they are used as login numbers).
pub fn demo_phone(s: &str) -> Option<PhoneNumber> {
    PhoneNumber::parse(s).ok()
}
