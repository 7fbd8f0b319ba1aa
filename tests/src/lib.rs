//! connect-tests.
