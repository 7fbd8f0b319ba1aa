//! The phone's local store: SQLite in WAL mode with `synchronous=FULL`, one writer connection and
//! one reader, versioned migrations, and personal fields sealed with the shell's key.
//!
//! Reader functions take `&Connection`, writer functions take `&Transaction`; [`Store::write`]
//! commits only when its closure returns `Ok`, so a local record and its outbox row are written
//! together or not at all.

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction};

pub mod crypto;
pub mod outages;
pub mod points;
pub mod readings;
pub mod reports;
pub mod schema;
pub mod session;

pub use crypto::{CryptoError, FieldCipher};
pub use readings::{OutboxResolution, ReadingFilter, ReadingItem, ReadingState, StoredRejection};

/// What the key-check row holds once opened: proves the key is the one the database was made with.
const KEY_CHECK_PLAINTEXT: &[u8] = b"connect-store-key-check-v1";

/// Errors of the local store, named for the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database file could not be opened or created.
    #[error("could not open the local database at {path}")]
    OpenDb {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: rusqlite::Error,
    },
    /// Setting WAL, synchronous or foreign keys failed.
    #[error("could not configure the local database")]
    Configure(#[source] rusqlite::Error),
    /// Reading `PRAGMA user_version` failed.
    #[error("could not read the local database's schema version")]
    LoadVersion(#[source] rusqlite::Error),
    /// A migration step failed (the database stays at the previous version).
    #[error("could not upgrade the local database to version {to}")]
    Migrate {
        /// The version being migrated to.
        to: u32,
        /// Cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer app version.
    #[error("the local database has schema version {found}; this app supports up to {supported}")]
    TooNew {
        /// Found version.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// The key handed in is not the key the database was created with.
    #[error("the database key does not match this database")]
    WrongKey,
    /// Reading or writing the key-check row failed.
    #[error("could not check the database key")]
    KeyCheck(#[source] rusqlite::Error),
    /// A query failed.
    #[error("could not read from the local database")]
    Read(#[source] rusqlite::Error),
    /// A write failed (nothing of the transaction was kept).
    #[error("could not write to the local database")]
    Write(#[source] rusqlite::Error),
    /// Starting or committing a transaction failed.
    #[error("could not commit to the local database")]
    Commit(#[source] rusqlite::Error),
    /// Encrypting a personal field failed.
    #[error("could not encrypt a personal field")]
    Seal(#[source] CryptoError),
    /// A personal field could not be decrypted.
    #[error("could not decrypt the stored {field}")]
    Unseal {
        /// The column.
        field: &'static str,
        /// Cause.
        #[source]
        source: CryptoError,
    },
    /// A stored value does not parse (written by a buggy build or altered on disk).
    #[error("a stored {what} is malformed")]
    Corrupt {
        /// What was being parsed.
        what: &'static str,
    },
    /// A previous panic while holding a connection left it unusable.
    #[error("the local database connection was poisoned by an earlier failure")]
    Poisoned,
}

/// The local store: one writer, one reader, and the field cipher.
#[derive(Debug)]
pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    cipher: FieldCipher,
    path: PathBuf,
}

impl Store {
    /// Opens (or creates) the database at `path`, upgrades its schema, and checks the key.
    pub fn open(path: &Path, key: &[u8; 32]) -> Result<Store, Error> {
        let open_err = |source| Error::OpenDb {
            path: path.to_owned(),
            source,
        };
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer)?;
        schema::migrate_to(&mut writer, schema::LATEST_VERSION)?;
        let cipher = FieldCipher::new(key);
        check_key(&writer, &cipher)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        reader
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(Error::Configure)?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            cipher,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cipher for personal fields.
    pub fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    /// Runs `f` on the reader connection (sees the last committed state).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let conn = lock(&self.reader)?;
        f(&conn)
    }

    /// Runs `f` in a write transaction, committed only if `f` returns `Ok`.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction().map_err(Error::Commit)?;
        let value = f(&tx)?;
        tx.commit().map_err(Error::Commit)?;
        Ok(value)
    }
}

fn lock(m: &Mutex<Connection>) -> Result<MutexGuard<'_, Connection>, Error> {
    m.lock().map_err(|_| Error::Poisoned)
}

fn configure(conn: &Connection) -> Result<(), Error> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(Error::Configure)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the local database is not in WAL mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(Error::Configure)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(Error::Configure)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(Error::Configure)?;
    Ok(())
}

/// On a new database, writes the key-check row; on an existing one, proves the key opens it.
fn check_key(conn: &Connection, cipher: &FieldCipher) -> Result<(), Error> {
    let sealed: Option<Vec<u8>> = conn
        .query_row("SELECT sealed FROM key_check WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(Error::KeyCheck)?;
    match sealed {
        Some(sealed) => match cipher.open("key_check", &sealed) {
            Ok(plain) if plain == KEY_CHECK_PLAINTEXT => Ok(()),
            _ => Err(Error::WrongKey),
        },
        None => {
            let sealed = cipher
                .seal("key_check", KEY_CHECK_PLAINTEXT)
                .map_err(Error::Seal)?;
            conn.execute(
                "INSERT INTO key_check (id, sealed) VALUES (1, ?1)",
                [sealed],
            )
            .map_err(Error::KeyCheck)?;
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_runs_in_wal_mode_with_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"), &[1; 32]).unwrap();
        store
            .write(|tx| {
                let mode: String = tx
                    .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                    .unwrap();
                let sync: i64 = tx
                    .query_row("PRAGMA synchronous", [], |r| r.get(0))
                    .unwrap();
                let fk: i64 = tx
                    .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                    .unwrap();
                assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn reopening_with_another_key_fails_with_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        drop(Store::open(&path, &[1; 32]).unwrap());
        assert!(matches!(Store::open(&path, &[2; 32]), Err(Error::WrongKey)));
        assert!(Store::open(&path, &[1; 32]).is_ok());
    }

    #[test]
    fn a_write_whose_closure_fails_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"), &[1; 32]).unwrap();
        let result: Result<(), Error> = store.write(|tx| {
            tx.execute("INSERT INTO sync_cursor (id, cursor) VALUES (1, 'c1')", [])
                .map_err(Error::Write)?;
            Err(Error::Corrupt { what: "test" })
        });
        assert!(result.is_err());
        let count: i64 = store
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM sync_cursor", [], |r| r.get(0))
                    .map_err(Error::Read)
            })
            .unwrap();
        assert_eq!(count, 0);
    }
}
