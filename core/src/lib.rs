//! CommunityConnect core: the app's brain, shared with the server.
//!
//! One module per capability, each with its own error enum:
//! - [`property`]: buildings, apartments, personal accounts, managing companies, utility providers.
//! - [`readings`]: meters and meter readings, and the validation rules both sides apply.
//! - [`reports`]: problem reports filed by residents.
//! - [`outages`]: outages and planned works.
//! - [`points`]: bonus points and vouchers.
//! - [`auth`]: roles and session facts shared by the app and the server.
//! - [`api`]: the `/v1` wire protocol (request and response types).
//! - [`qr`]: signed stickers and vouchers, and camera-frame decoding.
//! - [`geo`]: the building index (which building am I in).
//!
//! The `client` feature (default) adds the phone's local store and the sync engine; the server builds
//! this crate without it and shares only the types, formats and rules.

pub mod api;
pub mod auth;
pub mod geo;
pub mod ids;
pub mod outages;
pub mod points;
pub mod property;
pub mod qr;
pub mod readings;
pub mod reports;

#[cfg(feature = "ffi")]
mod ffi_types;

#[cfg(feature = "ffi")]
uniffi::setup_scaffolding!("connect_core");

#[cfg(feature = "client")]
pub mod app;
#[cfg(feature = "client")]
pub mod store;
#[cfg(feature = "client")]
pub mod sync;
