//! The sync engine: uploads the outbox in batches and pulls changes with a cursor.
//!
//! - [`machine`]: the decisions (idle → uploading → pulling → backoff / needs login), sans I/O.
//! - [`transport`]: the `/v1` calls, reqwest in production.
//! - [`engine`]: the driver on the app's tokio runtime that connects the machine, the store and
//!   the transport, and reports to the app's listener.
//! - [`reports`]: the report outbox (filings, ratings, reopenings), sent before the readings.
//!
//! Exactly-once: a reading's id is its idempotency key forever, and an outbox row is deleted only
//! in the transaction that records the server's answer for that item. A crash or a lost answer
//! means the same ids with the same content are sent again, and the server answers `duplicate`.

pub mod engine;
pub mod machine;
pub mod reports;
pub mod transport;

pub use engine::{EngineConfig, SyncEngine};
pub use machine::{BackoffPolicy, RoundEnd, Trigger};
pub use transport::{HttpTransport, PackDownload, Transport, TransportError};

/// Errors of the sync engine, named for the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the session or the next batch from the store failed.
    #[error("could not load the outbox")]
    LoadOutbox(#[source] crate::store::Error),
    /// Recording the server's answers failed (the items stay queued and are sent again).
    #[error("could not record the server's answers")]
    RecordAnswers(#[source] crate::store::Error),
    /// Uploading a batch got no usable answer.
    #[error("could not upload readings")]
    Upload(#[source] TransportError),
    /// Pulling changes got no usable answer.
    #[error("could not pull changes")]
    Pull(#[source] TransportError),
    /// Storing pulled changes failed.
    #[error("could not store pulled changes")]
    StorePull(#[source] crate::store::Error),
    /// The engine's task is gone (the app is shutting down).
    #[error("the sync engine has stopped")]
    EngineStopped,
}
