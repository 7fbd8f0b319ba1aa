//! Admin setup of tenants: companies, buildings, apartments, accounts, meters, role grants and
//! resident links (`/v1/admin/...`, admin role only).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    auth::Role,
    ids::{AccountId, ApartmentId, BuildingId, ProviderId, UserId},
    property::{Building, UtilityKind},
    readings::Tariff,
};

/// `POST /v1/admin/buildings`: create or replace buildings (an import), all or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportBuildingsRequest {
    /// The buildings; existing ids are replaced.
    pub buildings: Vec<Building>,
}

/// How many objects a write stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountResponse {
    /// Objects stored.
    pub count: u64,
}

/// `POST /v1/admin/apartments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateApartmentRequest {
    /// The building.
    pub building_id: BuildingId,
    /// Number on the door.
    pub number: String,
}

/// `POST /v1/admin/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAccountRequest {
    /// The apartment billed.
    pub apartment_id: ApartmentId,
    /// The provider (or managing company).
    pub provider_id: ProviderId,
    /// Account number as on the bill.
    pub number: String,
    /// Holder's name as on the bill.
    pub holder_name: String,
}

/// `POST /v1/admin/meters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMeterRequest {
    /// The apartment.
    pub apartment_id: ApartmentId,
    /// The account billed.
    pub account_id: AccountId,
    /// What it measures.
    pub kind: UtilityKind,
    /// Serial number.
    pub serial: String,
    /// Digits before the point.
    pub integer_digits: u8,
    /// Digits after the point (0–3).
    pub fraction_digits: u8,
    /// Tariff zones in dial order.
    pub tariffs: Vec<Tariff>,
    /// Installed on.
    pub installed_on: NaiveDate,
    /// Next verification.
    pub next_verification_on: Option<NaiveDate>,
}

/// `POST /v1/admin/grants`: give a phone number a role (the user is created if new).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantRoleRequest {
    /// Phone number of the user.
    pub phone: String,
    /// The role.
    pub role: Role,
    /// Company id (company staff), partner id (cashier) or region id (authority); absent for
    /// resident and admin.
    pub scope: Option<String>,
}

/// `POST /v1/admin/residents`: link a resident's phone to an apartment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkResidentRequest {
    /// Phone number of the resident (the user is created if new).
    pub phone: String,
    /// The apartment.
    pub apartment_id: ApartmentId,
}

/// The user a grant or link applied to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRefResponse {
    /// The user.
    pub user_id: UserId,
}
