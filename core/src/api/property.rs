//! The resident's property: `GET /v1/property`, `GET /v1/buildings/{id}`, `GET /v1/companies/{id}`.

use serde::{Deserialize, Serialize};

use crate::{
    property::{Apartment, Building, ManagingCompany, PersonalAccount, UtilityProvider},
    readings::Meter,
};

/// Everything the home screen shows about the resident's apartments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PropertyResponse {
    /// Apartments linked to the resident, each with its building and company.
    pub homes: Vec<Home>,
}

/// One apartment of the resident with what hangs off it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Home {
    /// The apartment.
    pub apartment: Apartment,
    /// Its building.
    pub building: Building,
    /// The building's managing company, when known.
    pub company: Option<ManagingCompany>,
    /// Personal accounts of the apartment linked to this resident.
    pub accounts: Vec<PersonalAccount>,
    /// Meters of the apartment.
    pub meters: Vec<Meter>,
    /// The providers billing the accounts above, with their submission windows.
    #[serde(default)]
    pub providers: Vec<UtilityProvider>,
}

/// `GET /v1/buildings/{id}`: public facts about a building.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildingResponse {
    /// The building.
    pub building: Building,
    /// Its managing company, when known.
    pub company: Option<ManagingCompany>,
}
