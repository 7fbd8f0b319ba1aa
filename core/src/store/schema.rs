//! Versioned migrations of the phone's store: numbered SQL files in `core/migrations/`, applied
//! step by step against `PRAGMA user_version`, one transaction per step.

use rusqlite::Connection;

use crate::store::Error;

/// The migrations in order; `MIGRATIONS[i]` moves the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_init.sql"),
    include_str!("../../migrations/002_events.sql"),
    include_str!("../../migrations/003_outages.sql"),
    include_str!("../../migrations/004_points.sql"),
    include_str!("../../migrations/005_outage_notifications.sql"),
    include_str!("../../migrations/006_reports.sql"),
    include_str!("../../migrations/007_building_positions.sql"),
];

/// The schema version this build writes.
pub const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

/// The schema version of a database.
pub fn version(conn: &Connection) -> Result<u32, Error> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(Error::LoadVersion)
}

/// Upgrades the database to `target` (at most [`LATEST_VERSION`]).
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<(), Error> {
    let current = version(conn)?;
    if current > LATEST_VERSION {
        return Err(Error::TooNew {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for step in current..target.min(LATEST_VERSION) {
        let to = step + 1;
        let sql = MIGRATIONS[step as usize];
        let tx = conn
            .transaction()
            .map_err(|source| Error::Migrate { to, source })?;
        tx.execute_batch(sql)
            .map_err(|source| Error::Migrate { to, source })?;
        // user_version cannot be bound; `to` is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {to}"))
            .map_err(|source| Error::Migrate { to, source })?;
        tx.commit()
            .map_err(|source| Error::Migrate { to, source })?;
        tracing::info!(version = to, "store schema upgraded");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Tables, columns (name, type, not null, default, pk), indexes and foreign keys.
    fn describe(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        let mut tables = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names: Vec<String> = tables
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for t in names {
            let mut cols = conn
                .prepare(
                    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)",
                )
                .unwrap();
            for c in cols
                .query_map([&t], |r| {
                    Ok(format!(
                        "{t}.{}:{}:{}:{:?}:{}",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?
                    ))
                })
                .unwrap()
            {
                out.push(c.unwrap());
            }
            let mut fks = conn
                .prepare("SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1)")
                .unwrap();
            for f in fks
                .query_map([&t], |r| {
                    Ok(format!(
                        "{t} fk {}:{}->{}:{}",
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?
                    ))
                })
                .unwrap()
            {
                out.push(f.unwrap());
            }
        }
        let mut idx = conn
            .prepare(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
            )
            .unwrap();
        for i in idx
            .query_map([], |r| {
                Ok(format!(
                    "index {}:{}:{:?}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?
                ))
            })
            .unwrap()
        {
            out.push(i.unwrap());
        }
        out
    }

    #[test]
    fn a_database_upgraded_from_every_older_version_equals_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut fresh = Connection::open(dir.path().join("fresh.db")).unwrap();
        migrate_to(&mut fresh, LATEST_VERSION).unwrap();
        assert_eq!(version(&fresh).unwrap(), LATEST_VERSION);
        let expected = describe(&fresh);
        assert!(
            expected
                .iter()
                .any(|l| l.starts_with("outbox.last_attempt_at"))
        );
        for old in 1..LATEST_VERSION {
            let path = dir.path().join(format!("v{old}.db"));
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, old).unwrap();
            assert_eq!(version(&conn).unwrap(), old);
            drop(conn);
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, LATEST_VERSION).unwrap();
            assert_eq!(describe(&conn), expected, "upgraded from version {old}");
        }
    }

    #[test]
    fn a_database_from_a_newer_app_version_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(matches!(
            migrate_to(&mut conn, LATEST_VERSION),
            Err(Error::TooNew { found: 99, .. })
        ));
    }
}
