//! uniffi bindings of connect-core for Kotlin and Swift.
//!
//! A thin adapter (see `shared/design/style.md` §1): each exported object wraps a core object and each
//! method is one call into core plus error mapping. Records and enums are declared once, in core,
//! with `cfg_attr(feature = "ffi", derive(uniffi::…))`.

uniffi::setup_scaffolding!("connect_ffi");

/// The version of the Rust core the app was built with, for the shell's "about" screen.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
