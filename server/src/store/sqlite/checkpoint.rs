//! WAL checkpoints off the writer's path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the WAL size threshold, so
//! under a steady ingest every few seconds one group commit also copies thousands of pages into
//! the database file and fsyncs it: a latency spike for every request in that group. Instead a
//! `sqlite-checkpoint` thread with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` every
//! [`INTERVAL`] (PASSIVE never waits for, nor blocks, the writer or readers), and the writer's
//! automatic checkpoint is only a safety net at [`SAFETY_NET_PAGES`] should this thread fall
//! behind. The thread ends when the store is dropped.

use std::{
    path::Path,
    sync::{Arc, Weak},
    time::Duration,
};

use rusqlite::Connection;

use crate::store::StoreError;

/// How often the checkpoint thread runs.
pub(super) const INTERVAL: Duration = Duration::from_millis(250);

/// WAL size (pages) at which the writer checkpoints by itself after all.
pub(super) const SAFETY_NET_PAGES: i64 = 20_000;

/// Starts the checkpoint thread for the database at `path`; it stops once `alive` is gone.
pub(super) fn spawn(path: &Path, alive: &Arc<()>) -> Result<(), StoreError> {
    let conn = Connection::open(path)?;
    super::configure(&conn)?;
    let alive: Weak<()> = Arc::downgrade(alive);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                std::thread::sleep(INTERVAL);
                let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                });
                match done {
                    Ok((wal_pages, copied)) => {
                        metrics::gauge!("connect_sqlite_wal_pages").set(wal_pages as f64);
                        tracing::trace!(wal_pages, copied, "wal checkpoint");
                    }
                    Err(e) => tracing::warn!(error = %e, "wal checkpoint failed"),
                }
            }
        })
        .map_err(|e| StoreError::Open(e.to_string()))?;
    Ok(())
}
