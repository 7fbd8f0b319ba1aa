//! connect-tests.

pub mod geo_data;
