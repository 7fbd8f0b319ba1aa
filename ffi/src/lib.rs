//! connect-ffi.
