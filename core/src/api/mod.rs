//! The `/v1` wire protocol shared by the server and the app: one definition of every request and
//! response, so the two sides can never disagree. Types are named `…Request` / `…Response`.
//!
//! See `docs/PROTOCOL.md` for the routes; the server also serves the generated OpenAPI document at
//! `/openapi.json`.

pub mod admin;
pub mod auth;
pub mod error;
pub mod geo;
pub mod outages;
pub mod points;
pub mod property;
pub mod qr;
pub mod readings;
pub mod reports;
pub mod sync;

pub use error::{ErrorBody, ErrorCode};
pub mod dashboard;
pub mod rating;
pub mod staff;
