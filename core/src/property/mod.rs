//! The property a resident lives in: buildings, apartments, personal accounts, the managing company
//! and the utility providers that bill them.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ApartmentId, BuildingId, CompanyId, ProviderId, RegionId};

/// The kind of utility a meter, an account or an outage is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum UtilityKind {
    /// Cold water (ХВС).
    ColdWater,
    /// Hot water (ГВС).
    HotWater,
    /// Electricity.
    Electricity,
    /// Heating.
    Heating,
    /// Gas.
    Gas,
}

impl UtilityKind {
    /// Every kind, in display order.
    pub const ALL: [UtilityKind; 5] = [
        UtilityKind::ColdWater,
        UtilityKind::HotWater,
        UtilityKind::Electricity,
        UtilityKind::Heating,
        UtilityKind::Gas,
    ];

    /// The stable wire/database spelling (`cold_water`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            UtilityKind::ColdWater => "cold_water",
            UtilityKind::HotWater => "hot_water",
            UtilityKind::Electricity => "electricity",
            UtilityKind::Heating => "heating",
            UtilityKind::Gas => "gas",
        }
    }

    /// Parses the wire/database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A building: one footprint with one address, managed by at most one company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Building {
    /// Stable id.
    pub id: BuildingId,
    /// Postal address as residents write it.
    pub address: String,
    /// The managing company, when one is known.
    pub company_id: Option<CompanyId>,
    /// Region (for the authority that oversees it).
    pub region_id: RegionId,
    /// A point inside or at the centre of the footprint (WGS84).
    pub lat: f64,
    /// Longitude of that point (WGS84).
    pub lon: f64,
}

/// An apartment in a building.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Apartment {
    /// Stable id.
    pub id: ApartmentId,
    /// The building it is in.
    pub building_id: BuildingId,
    /// Apartment number as written on the door ("12", "12А").
    pub number: String,
}

/// A managing company (or homeowners' association) responsible for buildings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ManagingCompany {
    /// Stable id.
    pub id: CompanyId,
    /// Name as registered.
    pub name: String,
    /// Tax id (INN), when known.
    pub tax_id: Option<String>,
    /// Public contact phone of the dispatcher.
    pub phone: Option<String>,
    /// Contact e-mail (staff invitations go here).
    pub email: Option<String>,
    /// Region it operates in.
    pub region_id: RegionId,
}

/// A utility provider that bills residents for one kind of utility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct UtilityProvider {
    /// Stable id.
    pub id: ProviderId,
    /// Name.
    pub name: String,
    /// The utility it supplies.
    pub kind: UtilityKind,
    /// First day of the month readings are accepted on time (1–28).
    pub window_start_day: u8,
    /// Last day of the month readings are accepted on time (1–31, inclusive).
    pub window_end_day: u8,
}

/// A personal account (лицевой счёт): what a provider bills for one apartment.
///
/// The account number and holder name are personal data: encrypted at rest on the phone and never
/// logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct PersonalAccount {
    /// Stable id.
    pub id: AccountId,
    /// The apartment billed.
    pub apartment_id: ApartmentId,
    /// The provider (or the managing company for housing services).
    pub provider_id: ProviderId,
    /// Account number as printed on the bill.
    pub number: String,
    /// Account holder's name as printed on the bill.
    pub holder_name: String,
}
