//! uniffi bindings of connect-core for Kotlin and Swift.
//!
//! A thin adapter (see `shared/design/style.md` §1): each exported object wraps a core object and each
//! method is one call into core plus error mapping. Records and enums are declared once, in core,
//! with `cfg_attr(feature = "ffi", derive(uniffi::…))`; this crate declares only what cannot cross
//! as it is in core (the start configuration, the listener, the public errors).
//!
//! One file per surface:
//! - [`app`]: `ConnectApp`, the object the shells own, and its [`ConnectError`].
//! - [`listener`]: the `AppListener` callback the shells implement.
//! - [`scan`]: QR codes in camera frames, and building stickers with their human error.
//! - [`geo`]: the offline building pack and "which building am I in".
//! - [`points`]: bonus points, vouchers and the partner's till.
//! - [`outages`]: outages and planned works cached for the resident.
//! - [`accounts`]: claiming a personal account with the code from the bill.
//! - [`reports`]: problem reports (file offline with photos, list, rate, reopen).

pub mod accounts;
pub mod app;
pub mod error;
pub mod geo;
pub mod listener;
pub mod outages;
pub mod points;
pub mod reports;
pub mod scan;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use app::{AppConfig, ConnectApp};
pub use error::ConnectError;
pub use geo::{BuildingPack, GeoError};
pub use listener::{AppListener, ListenerError};
pub use scan::{DecodedCode, FrameError, FramePoint, StickerScanError, decode_frame};

uniffi::setup_scaffolding!("connect_ffi");

// Core's records carry these foreign types; uniffi's converters for them live in core.
uniffi::use_remote_type!(connect_core::uuid::Uuid);
uniffi::use_remote_type!(connect_core::chrono::DateTime<chrono::Utc>);
uniffi::use_remote_type!(connect_core::chrono::NaiveDate);

/// The version of the Rust core the app was built with, for the shell's "about" screen.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
