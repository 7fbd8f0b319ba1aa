//! connect-server.
