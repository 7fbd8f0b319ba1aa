//! Admin setup of tenants (admin role only).
//!
//! Routes:
//! - `POST /v1/admin/companies`   create or replace a managing company
//! - `POST /v1/admin/buildings`   create or import buildings
//! - `POST /v1/admin/apartments`  create an apartment
//! - `POST /v1/admin/providers`   create or replace a utility provider (submission window)
//! - `POST /v1/admin/accounts`    create a personal account
//! - `POST /v1/admin/meters`      create a meter
//! - `POST /v1/admin/grants`      give a phone number a role with its scope
//! - `POST /v1/admin/residents`   link a resident's phone to an apartment

use axum::{Router, extract::State, http::StatusCode, routing::post};
use chrono::Utc;
use connect_core::{
    api::{
        ErrorBody,
        admin::{
            CountResponse, CreateAccountRequest, CreateApartmentRequest, CreateMeterRequest,
            GrantRoleRequest, ImportBuildingsRequest, LinkResidentRequest, UserRefResponse,
        },
    },
    auth::{PhoneNumber, Role},
    ids::{AccountId, ApartmentId, MeterId, new_v7},
    property::{Apartment, ManagingCompany, PersonalAccount, UtilityProvider},
    readings::Meter,
};
use utoipa::OpenApi;

use crate::{
    AppState,
    auth::{Session, parse_phone},
    error::{ApiError, Json},
    store::Grant,
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/companies", post(create_company))
        .route("/v1/admin/buildings", post(import_buildings))
        .route("/v1/admin/apartments", post(create_apartment))
        .route("/v1/admin/providers", post(create_provider))
        .route("/v1/admin/accounts", post(create_account))
        .route("/v1/admin/meters", post(create_meter))
        .route("/v1/admin/grants", post(grant_role))
        .route("/v1/admin/residents", post(link_resident))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(
    create_company,
    import_buildings,
    create_apartment,
    create_provider,
    create_account,
    create_meter,
    grant_role,
    link_resident
))]
pub struct Api;

fn non_empty(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::InvalidInput(format!("{field} must not be empty")));
    }
    Ok(())
}

/// Create or replace a managing company.
#[utoipa::path(post, path = "/v1/admin/companies", tag = "admin", request_body = ManagingCompany,
    responses((status = 201, body = ManagingCompany), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_company(
    State(state): State<AppState>,
    session: Session,
    Json(company): Json<ManagingCompany>,
) -> Result<(StatusCode, Json<ManagingCompany>), ApiError> {
    session.require(Role::Admin)?;
    non_empty("id", &company.id.0)?;
    non_empty("name", &company.name)?;
    state
        .store
        .upsert_company(company.clone())
        .await
        .map_err(ApiError::from_write)?;
    Ok((StatusCode::CREATED, Json(company)))
}

/// Create or import buildings (all or nothing).
#[utoipa::path(post, path = "/v1/admin/buildings", tag = "admin",
    request_body = ImportBuildingsRequest,
    responses((status = 201, body = CountResponse), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "unknown company")),
    security(("bearer" = [])))]
async fn import_buildings(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<ImportBuildingsRequest>,
) -> Result<(StatusCode, Json<CountResponse>), ApiError> {
    session.require(Role::Admin)?;
    for b in &req.buildings {
        non_empty("id", &b.id.0)?;
        if !(-90.0..=90.0).contains(&b.lat) || !(-180.0..=180.0).contains(&b.lon) {
            return Err(ApiError::InvalidInput("lat/lon out of range".into()));
        }
    }
    let count = req.buildings.len() as u64;
    state
        .store
        .upsert_buildings(req.buildings)
        .await
        .map_err(ApiError::from_write)?;
    Ok((StatusCode::CREATED, Json(CountResponse { count })))
}

/// Create an apartment.
#[utoipa::path(post, path = "/v1/admin/apartments", tag = "admin",
    request_body = CreateApartmentRequest,
    responses((status = 201, body = Apartment), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_apartment(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreateApartmentRequest>,
) -> Result<(StatusCode, Json<Apartment>), ApiError> {
    session.require(Role::Admin)?;
    non_empty("number", &req.number)?;
    let apartment = Apartment {
        id: ApartmentId(new_v7()),
        building_id: req.building_id,
        number: req.number.trim().to_owned(),
    };
    state
        .store
        .insert_apartment(apartment.clone())
        .await
        .map_err(ApiError::from_write)?;
    Ok((StatusCode::CREATED, Json(apartment)))
}

/// Create or replace a utility provider with its submission window (days of the month).
#[utoipa::path(post, path = "/v1/admin/providers", tag = "admin", request_body = UtilityProvider,
    responses((status = 201, body = UtilityProvider), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_provider(
    State(state): State<AppState>,
    session: Session,
    Json(provider): Json<UtilityProvider>,
) -> Result<(StatusCode, Json<UtilityProvider>), ApiError> {
    session.require(Role::Admin)?;
    non_empty("id", &provider.id.0)?;
    non_empty("name", &provider.name)?;
    let day = 1..=31;
    if !day.contains(&provider.window_start_day) || !day.contains(&provider.window_end_day) {
        return Err(ApiError::InvalidInput(
            "window days must be between 1 and 31".into(),
        ));
    }
    state
        .store
        .upsert_provider(provider.clone())
        .await
        .map_err(ApiError::from_write)?;
    Ok((StatusCode::CREATED, Json(provider)))
}

/// Create a personal account.
#[utoipa::path(post, path = "/v1/admin/accounts", tag = "admin",
    request_body = CreateAccountRequest,
    responses((status = 201, body = PersonalAccount), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_account(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreateAccountRequest>,
) -> Result<(StatusCode, Json<PersonalAccount>), ApiError> {
    session.require(Role::Admin)?;
    non_empty("number", &req.number)?;
    let account = PersonalAccount {
        id: AccountId(new_v7()),
        apartment_id: req.apartment_id,
        provider_id: req.provider_id,
        number: req.number,
        holder_name: req.holder_name,
    };
    state
        .store
        .insert_account(account.clone())
        .await
        .map_err(ApiError::from_write)?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// Create a meter.
#[utoipa::path(post, path = "/v1/admin/meters", tag = "admin", request_body = CreateMeterRequest,
    responses((status = 201, body = Meter), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_meter(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreateMeterRequest>,
) -> Result<(StatusCode, Json<Meter>), ApiError> {
    session.require(Role::Admin)?;
    non_empty("serial", &req.serial)?;
    if req.fraction_digits > 3 || !(1..=9).contains(&req.integer_digits) || req.tariffs.is_empty() {
        return Err(ApiError::InvalidInput(
            "digits must be 1–9 before and 0–3 after the point, with at least one tariff".into(),
        ));
    }
    let meter = Meter {
        id: MeterId(new_v7()),
        apartment_id: req.apartment_id,
        account_id: req.account_id,
        kind: req.kind,
        serial: req.serial,
        integer_digits: req.integer_digits,
        fraction_digits: req.fraction_digits,
        tariffs: req.tariffs,
        installed_on: req.installed_on,
        next_verification_on: req.next_verification_on,
        replaces: None,
    };
    state
        .store
        .insert_meter(meter.clone())
        .await
        .map_err(ApiError::from_write)?;
    Ok((StatusCode::CREATED, Json(meter)))
}

async fn user_for(
    state: &AppState,
    phone: &PhoneNumber,
) -> Result<connect_core::ids::UserId, ApiError> {
    let sealed = state
        .keys
        .encrypt_phone(phone.as_str())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(state
        .store
        .ensure_user(
            state.keys.phone_index(phone.as_str()),
            sealed,
            Utc::now().timestamp_millis(),
        )
        .await?)
}

/// Give a phone number a role with its scope.
#[utoipa::path(post, path = "/v1/admin/grants", tag = "admin", request_body = GrantRoleRequest,
    responses((status = 200, body = UserRefResponse), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "scope missing or not allowed")),
    security(("bearer" = [])))]
async fn grant_role(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<GrantRoleRequest>,
) -> Result<Json<UserRefResponse>, ApiError> {
    session.require(Role::Admin)?;
    let phone = parse_phone(&req.phone)?;
    let scope = req.scope.filter(|s| !s.trim().is_empty());
    let scoped = matches!(
        req.role,
        Role::CompanyStaff | Role::PartnerCashier | Role::Authority
    );
    if scoped != scope.is_some() {
        return Err(ApiError::InvalidInput(
            "company staff, cashiers and authorities need a scope; residents and admins none"
                .into(),
        ));
    }
    if req.role == Role::CompanyStaff {
        let id = connect_core::ids::CompanyId(scope.clone().unwrap_or_default());
        if state.store.company(id).await?.is_none() {
            return Err(ApiError::InvalidInput("no such company".into()));
        }
    }
    let user_id = user_for(&state, &phone).await?;
    state
        .store
        .grant(
            user_id,
            Grant {
                role: req.role,
                scope,
            },
        )
        .await
        .map_err(ApiError::from_write)?;
    Ok(Json(UserRefResponse { user_id }))
}

/// Link a resident's phone to an apartment.
#[utoipa::path(post, path = "/v1/admin/residents", tag = "admin",
    request_body = LinkResidentRequest,
    responses((status = 200, body = UserRefResponse), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "no such apartment")),
    security(("bearer" = [])))]
async fn link_resident(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<LinkResidentRequest>,
) -> Result<Json<UserRefResponse>, ApiError> {
    session.require(Role::Admin)?;
    let phone = parse_phone(&req.phone)?;
    if state.store.apartment(req.apartment_id).await?.is_none() {
        return Err(ApiError::InvalidInput("no such apartment".into()));
    }
    let user_id = user_for(&state, &phone).await?;
    state
        .store
        .link_resident(user_id, req.apartment_id)
        .await
        .map_err(ApiError::from_write)?;
    Ok(Json(UserRefResponse { user_id }))
}
