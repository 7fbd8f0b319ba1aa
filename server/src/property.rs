//! The resident's property and public building facts.
//!
//! Routes:
//! - `GET /v1/property`         the caller's homes (apartments, buildings, companies, accounts, meters)
//! - `GET /v1/apartments/{id}`  one home: its resident, staff of its building's company, or admin
//! - `GET /v1/buildings/{id}`   public facts about a building and its managing company

use axum::{
    Router,
    extract::{Path, State},
    routing::get,
};
use connect_core::{
    api::{
        ErrorBody,
        property::{BuildingResponse, Home, PropertyResponse},
    },
    auth::Role,
    ids::{ApartmentId, BuildingId},
};
use utoipa::OpenApi;
use uuid::Uuid;

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/property", get(my_property))
        .route("/v1/apartments/{id}", get(apartment))
        .route("/v1/buildings/{id}", get(building))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(my_property, apartment, building))]
pub struct Api;

/// The caller's homes.
#[utoipa::path(get, path = "/v1/property", tag = "property",
    responses((status = 200, body = PropertyResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn my_property(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<PropertyResponse>, ApiError> {
    let mut homes = Vec::new();
    for id in state.store.resident_apartments(session.user_id).await? {
        if let Some(home) = state.store.home(id).await? {
            homes.push(home);
        }
    }
    Ok(Json(PropertyResponse { homes }))
}

/// One home. Other tenants get 404, exactly as for an id that does not exist.
#[utoipa::path(get, path = "/v1/apartments/{id}", tag = "property",
    params(("id" = Uuid, Path, description = "apartment id")),
    responses((status = 200, body = Home), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn apartment(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
) -> Result<Json<Home>, ApiError> {
    let id = ApartmentId(id);
    let home = state.store.home(id).await?.ok_or(ApiError::NotFound)?;
    let allowed = session.has(Role::Admin)
        || state
            .store
            .resident_apartments(session.user_id)
            .await?
            .contains(&id)
        || session.is_staff_of(home.building.company_id.as_ref());
    if !allowed {
        return Err(ApiError::NotFound);
    }
    Ok(Json(home))
}

/// Public facts about a building (no session needed: address and manager are public).
#[utoipa::path(get, path = "/v1/buildings/{id}", tag = "property",
    params(("id" = String, Path, description = "building id")),
    responses((status = 200, body = BuildingResponse), (status = 404, body = ErrorBody)))]
async fn building(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<BuildingResponse>, ApiError> {
    let building = state
        .store
        .building(BuildingId(id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let company = match &building.company_id {
        Some(c) => state.store.company(c.clone()).await?,
        None => None,
    };
    Ok(Json(BuildingResponse { building, company }))
}
