//! Embedded SQLite store. WAL, `synchronous=FULL`, foreign keys on. Exactly one writer
//! connection, owned by a dedicated thread fed by a channel; every write job runs inside a
//! transaction committed only when the job returns `Ok`. Reads go to a small pool of read-only
//! connections on the blocking thread pool. One writer queue is also where group commit can be
//! added later (batch several jobs into one transaction).

use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
};

use async_trait::async_trait;
use connect_core::{
    api::property::Home,
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, MeterId, RegionId, UserId},
    property::{Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind},
    readings::{Meter, Tariff},
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};
use tokio::sync::oneshot;
use uuid::Uuid;

mod checkpoint;
mod report_feed;
mod reports;

use super::{
    AuthStore, CodeCheck, Grant, IssueOutcome, NewCode, PropertyStore, SessionRecord, Store,
    StoreError, role_from_db,
};

/// Numbered migrations, applied in order; append only.
mod geo;

/// Numbers 2–4 are reserved for concerns merged later; the runner checks each version on its own,
/// so a gap (or a lower number added after a higher one) is applied when it first appears.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "readings",
        include_str!("../../../migrations/sqlite/0002_readings.sql"),
    ),
    (
        3,
        "qr",
        include_str!("../../../migrations/sqlite/0003_qr.sql"),
    ),
    (
        4,
        "geo",
        include_str!("../../../migrations/sqlite/0004_geo.sql"),
    ),
    (
        5,
        "reports",
        include_str!("../../../migrations/sqlite/0005_reports.sql"),
    ),
    (
        6,
        "points",
        include_str!("../../../migrations/sqlite/0006_points.sql"),
    ),
    (
        7,
        "outages",
        include_str!("../../../migrations/sqlite/0007_outages.sql"),
    ),
    (
        9,
        "points_earnings",
        include_str!("../../../migrations/sqlite/0009_points_earnings.sql"),
    ),
    (
        10,
        "outage_removals",
        include_str!("../../../migrations/sqlite/0010_outage_removals.sql"),
    ),
    (
        11,
        "cabinet",
        include_str!("../../../migrations/sqlite/0011_cabinet.sql"),
    ),
    (
        12,
        "report_feed",
        include_str!("../../../migrations/sqlite/0012_report_feed.sql"),
    ),
];

mod outages;
mod points;
mod qr;

const READERS: usize = 4;

mod rating;
mod readings;
mod staff;

/// Work for the writer thread: a job with its own transaction, or a batch of readings that the
/// thread commits together with the batches queued behind it (group commit).
enum Job {
    Own(Box<dyn FnOnce(&mut Connection) + Send>),
    Readings(readings::ReadingJob),
}

/// The SQLite store.
pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    /// Readings handed to the writer and not yet picked up (the bounded ingest queue).
    queued_items: Arc<AtomicUsize>,
    readers: Arc<[Mutex<Connection>]>,
    next_reader: AtomicUsize,
    /// The checkpoint thread runs while this lives.
    _alive: Arc<()>,
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    for (version, name, sql) in MIGRATIONS {
        let done: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![version, name, chrono::Utc::now().timestamp_millis()],
            )?;
            tracing::info!(version, name, "applied sqlite migration");
        }
    }
    tx.commit()?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, migrates it and starts the writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open(e.to_string()))?;
        }
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        configure(&writer)?;
        writer.pragma_update(None, "wal_autocheckpoint", checkpoint::SAFETY_NET_PAGES)?;
        migrate(&mut writer)?;
        let alive = Arc::new(());
        checkpoint::spawn(path, &alive)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&r)?;
            readers.push(Mutex::new(r));
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let queued_items = Arc::new(AtomicUsize::new(0));
        let queued = queued_items.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(&mut writer, &rx, &queued))
            .map_err(|e| StoreError::Open(e.to_string()))?;
        Ok(SqliteStore {
            writer: tx,
            queued_items,
            readers: readers.into(),
            next_reader: AtomicUsize::new(0),
            _alive: alive,
        })
    }

    /// Runs `f` in a write transaction on the writer thread; commits only on `Ok`.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, wait) = oneshot::channel();
        let job: Box<dyn FnOnce(&mut Connection) + Send> =
            Box::new(move |conn: &mut Connection| {
                let result = (|| {
                    let tx = conn.transaction()?;
                    let v = f(&tx)?;
                    tx.commit()?;
                    Ok(v)
                })();
                // The caller may have gone away (request cancelled); the outcome stands either way.
                let _ = reply.send(result);
            });
        self.writer
            .send(Job::Own(job))
            .map_err(|_| StoreError::WriterGone)?;
        wait.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Runs `f` on a reader connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let readers = self.readers.clone();
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
        tokio::task::spawn_blocking(move || {
            let conn = readers[i]
                .lock()
                .map_err(|_| StoreError::Task("reader lock poisoned".into()))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// The writer thread: runs jobs in order; a readings batch takes every readings batch queued
/// right behind it (up to [`readings::GROUP_ITEMS`] items) into the same transaction, so under
/// load one fsync carries many requests, and when idle a lone batch commits at once.
fn writer_loop(conn: &mut Connection, rx: &mpsc::Receiver<Job>, queued: &AtomicUsize) {
    let mut next: Option<Job> = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        match job {
            Job::Own(f) => f(conn),
            Job::Readings(first) => {
                let mut items = first.items.len();
                let mut group = vec![first];
                while items < readings::GROUP_ITEMS {
                    match rx.try_recv() {
                        Ok(Job::Readings(j)) => {
                            items += j.items.len();
                            group.push(j);
                        }
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                queued.fetch_sub(items, Ordering::Relaxed);
                metrics::gauge!("connect_readings_queue_items")
                    .set(queued.load(Ordering::Relaxed) as f64);
                metrics::histogram!("connect_readings_group_items").record(items as f64);
                metrics::histogram!("connect_readings_group_requests").record(group.len() as f64);
                readings::commit_group(conn, group);
            }
        }
    }
}

/// Maps constraint violations to the store's own error kinds.
fn classify(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.extended_code {
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::MissingReference,
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return StoreError::Duplicate;
            }
            _ => {}
        }
    }
    StoreError::Sqlite(e)
}

fn uuid_col(row: &Row<'_>, i: usize) -> Result<Uuid, rusqlite::Error> {
    let s: String = row.get(i)?;
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn company_row(r: &Row<'_>) -> Result<ManagingCompany, rusqlite::Error> {
    Ok(ManagingCompany {
        id: CompanyId(r.get(0)?),
        name: r.get(1)?,
        tax_id: r.get(2)?,
        phone: r.get(3)?,
        email: r.get(4)?,
        region_id: RegionId(r.get(5)?),
    })
}

fn building_row(r: &Row<'_>) -> Result<Building, rusqlite::Error> {
    Ok(Building {
        id: BuildingId(r.get(0)?),
        address: r.get(1)?,
        company_id: r.get::<_, Option<String>>(2)?.map(CompanyId),
        region_id: RegionId(r.get(3)?),
        lat: r.get(4)?,
        lon: r.get(5)?,
    })
}

fn meter_row(r: &Row<'_>) -> Result<Result<Meter, StoreError>, rusqlite::Error> {
    let kind: String = r.get(3)?;
    let tariffs: String = r.get(7)?;
    let installed: String = r.get(8)?;
    let next: Option<String> = r.get(9)?;
    let replaces: Option<String> = r.get(10)?;
    let id = uuid_col(r, 0)?;
    let apartment = uuid_col(r, 1)?;
    let account = uuid_col(r, 2)?;
    let serial: String = r.get(4)?;
    let integer_digits: u8 = r.get(5)?;
    let fraction_digits: u8 = r.get(6)?;
    Ok((|| {
        let corrupt = |what: &str| StoreError::Corrupt(format!("meter {what}"));
        Ok(Meter {
            id: MeterId(id),
            apartment_id: ApartmentId(apartment),
            account_id: AccountId(account),
            kind: UtilityKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
            serial,
            integer_digits,
            fraction_digits,
            tariffs: serde_json::from_str::<Vec<Tariff>>(&tariffs)
                .map_err(|_| corrupt("tariffs"))?,
            installed_on: installed.parse().map_err(|_| corrupt("installed_on"))?,
            next_verification_on: next
                .map(|d| d.parse())
                .transpose()
                .map_err(|_| corrupt("next_verification_on"))?,
            replaces: replaces
                .map(|s| Uuid::parse_str(&s).map(MeterId))
                .transpose()
                .map_err(|_| corrupt("replaces"))?,
        })
    })())
}

fn load_home(conn: &Connection, id: ApartmentId) -> Result<Option<Home>, StoreError> {
    let apartment = conn
        .query_row(
            "SELECT id, building_id, number FROM apartments WHERE id = ?1",
            [id.0.to_string()],
            |r| {
                Ok(Apartment {
                    id: ApartmentId(uuid_col(r, 0)?),
                    building_id: BuildingId(r.get(1)?),
                    number: r.get(2)?,
                })
            },
        )
        .optional()?;
    let Some(apartment) = apartment else {
        return Ok(None);
    };
    let building = conn.query_row(
        "SELECT id, address, company_id, region_id, lat, lon FROM buildings WHERE id = ?1",
        [&apartment.building_id.0],
        building_row,
    )?;
    let company = match &building.company_id {
        Some(c) => conn
            .query_row(
                "SELECT id, name, tax_id, phone, email, region_id FROM companies WHERE id = ?1",
                [&c.0],
                company_row,
            )
            .optional()?,
        None => None,
    };
    let mut stmt = conn.prepare(
        "SELECT id, apartment_id, provider_id, number, holder_name FROM accounts
         WHERE apartment_id = ?1 ORDER BY id",
    )?;
    let accounts = stmt
        .query_map([id.0.to_string()], |r| {
            Ok(PersonalAccount {
                id: AccountId(uuid_col(r, 0)?),
                apartment_id: ApartmentId(uuid_col(r, 1)?),
                provider_id: connect_core::ids::ProviderId(r.get(2)?),
                number: r.get(3)?,
                holder_name: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, apartment_id, account_id, kind, serial, integer_digits, fraction_digits,
                tariffs, installed_on, next_verification_on, replaces
         FROM meters WHERE apartment_id = ?1 ORDER BY id",
    )?;
    let meters = stmt
        .query_map([id.0.to_string()], meter_row)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let providers = readings::providers_of(conn, id)?;
    Ok(Some(Home {
        apartment,
        building,
        company,
        accounts,
        meters,
        providers,
    }))
}

#[async_trait]
impl AuthStore for SqliteStore {
    async fn issue_code(&self, c: NewCode) -> Result<IssueOutcome, StoreError> {
        self.write(move |tx| {
            let hits: i64 = tx.query_row(
                "INSERT INTO rate_counters (bucket, window_start, hits) VALUES (?1, ?2, 1)
                 ON CONFLICT (bucket, window_start) DO UPDATE SET hits = hits + 1
                 RETURNING hits",
                params![c.ip_key, c.ip_window_ms],
                |r| r.get(0),
            )?;
            // Old windows are never read again.
            tx.execute(
                "DELETE FROM rate_counters WHERE bucket = ?1 AND window_start < ?2",
                params![c.ip_key, c.ip_window_ms],
            )?;
            if hits > i64::from(c.ip_limit) {
                return Ok(IssueOutcome::IpLimited);
            }
            let stored = tx
                .query_row(
                    "INSERT INTO otp_codes (phone_index, code_hash, created_at, expires_at, attempts)
                     VALUES (?1, ?2, ?3, ?4, 0)
                     ON CONFLICT (phone_index) DO UPDATE SET
                        code_hash = excluded.code_hash, created_at = excluded.created_at,
                        expires_at = excluded.expires_at, attempts = 0
                     WHERE otp_codes.created_at <= ?5
                     RETURNING 1",
                    params![c.phone_index, c.code_hash, c.now_ms, c.expires_ms, c.resend_cutoff_ms],
                    |_| Ok(()),
                )
                .optional()?;
            Ok(match stored {
                Some(()) => IssueOutcome::Issued,
                None => IssueOutcome::NumberThrottled,
            })
        })
        .await
    }

    async fn check_code(
        &self,
        phone_index: Vec<u8>,
        code_hash: Vec<u8>,
        now_ms: i64,
        max_attempts: u32,
    ) -> Result<CodeCheck, StoreError> {
        self.write(move |tx| {
            let row: Option<(Vec<u8>, i64, i64)> = tx
                .query_row(
                    "SELECT code_hash, expires_at, attempts FROM otp_codes WHERE phone_index = ?1",
                    [&phone_index],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((stored, expires, attempts)) = row else {
                return Ok(CodeCheck::Missing);
            };
            let delete = |tx: &Transaction<'_>| {
                tx.execute(
                    "DELETE FROM otp_codes WHERE phone_index = ?1",
                    [&phone_index],
                )
            };
            if now_ms >= expires || attempts >= i64::from(max_attempts) {
                delete(tx)?;
                return Ok(CodeCheck::Missing);
            }
            if stored == code_hash {
                delete(tx)?;
                return Ok(CodeCheck::Valid);
            }
            if attempts + 1 >= i64::from(max_attempts) {
                delete(tx)?;
            } else {
                tx.execute(
                    "UPDATE otp_codes SET attempts = attempts + 1 WHERE phone_index = ?1",
                    [&phone_index],
                )?;
            }
            Ok(CodeCheck::Wrong)
        })
        .await
    }

    async fn ensure_user(
        &self,
        phone_index: Vec<u8>,
        phone_sealed: Vec<u8>,
        now_ms: i64,
    ) -> Result<UserId, StoreError> {
        self.write(move |tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT id FROM users WHERE phone_index = ?1",
                    [&phone_index],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                return Uuid::parse_str(&id)
                    .map(UserId)
                    .map_err(|_| StoreError::Corrupt("user id".into()));
            }
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO users (id, phone_index, phone_enc, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id.to_string(), phone_index, phone_sealed, now_ms],
            )?;
            tx.execute(
                "INSERT INTO user_roles (user_id, role, scope) VALUES (?1, 'resident', '')",
                [id.to_string()],
            )?;
            Ok(UserId(id))
        })
        .await
    }

    async fn find_user(&self, phone_index: Vec<u8>) -> Result<Option<UserId>, StoreError> {
        self.read(move |conn| {
            let id: Option<String> = conn
                .query_row(
                    "SELECT id FROM users WHERE phone_index = ?1",
                    [&phone_index],
                    |r| r.get(0),
                )
                .optional()?;
            id.map(|s| Uuid::parse_str(&s).map(UserId))
                .transpose()
                .map_err(|_| StoreError::Corrupt("user id".into()))
        })
        .await
    }

    async fn grant(&self, user: UserId, grant: Grant) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO user_roles (user_id, role, scope) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![
                    user.0.to_string(),
                    grant.role.as_str(),
                    grant.scope.unwrap_or_default()
                ],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn grants(&self, user: UserId) -> Result<Vec<Grant>, StoreError> {
        self.read(move |conn| grants_of(conn, user)).await
    }

    async fn create_session(
        &self,
        token_hash: Vec<u8>,
        user: UserId,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user.0.to_string(), now_ms, expires_ms],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn touch_session(
        &self,
        token_hash: Vec<u8>,
        now_ms: i64,
        new_expires_ms: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let hash = token_hash.clone();
        let found = self
            .read(move |conn| {
                let row: Option<(String, i64)> = conn
                    .query_row(
                        "SELECT user_id, expires_at FROM sessions
                         WHERE token_hash = ?1 AND expires_at > ?2",
                        params![hash, now_ms],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let Some((user, expires)) = row else {
                    return Ok(None);
                };
                let user_id = Uuid::parse_str(&user)
                    .map(UserId)
                    .map_err(|_| StoreError::Corrupt("user id".into()))?;
                Ok(Some((user_id, expires, grants_of(conn, user_id)?)))
            })
            .await?;
        let Some((user_id, mut expires_ms, grants)) = found else {
            return Ok(None);
        };
        if new_expires_ms - expires_ms > super::SESSION_SLIDE_STEP_MS {
            self.write(move |tx| {
                tx.execute(
                    "UPDATE sessions SET expires_at = ?2 WHERE token_hash = ?1",
                    params![token_hash, new_expires_ms],
                )?;
                Ok(())
            })
            .await?;
            expires_ms = new_expires_ms;
        }
        Ok(Some(SessionRecord {
            user_id,
            grants,
            expires_ms,
        }))
    }

    async fn revoke_session(&self, token_hash: Vec<u8>) -> Result<bool, StoreError> {
        self.write(move |tx| {
            Ok(tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])? > 0)
        })
        .await
    }
}

fn grants_of(conn: &Connection, user: UserId) -> Result<Vec<Grant>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT role, scope FROM user_roles WHERE user_id = ?1 ORDER BY role, scope")?;
    let rows = stmt
        .query_map([user.0.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut grants = rows
        .into_iter()
        .map(|(role, scope)| {
            Ok(Grant {
                role: role_from_db(&role)?,
                scope: (!scope.is_empty()).then_some(scope),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    grants.sort();
    Ok(grants)
}

#[async_trait]
impl PropertyStore for SqliteStore {
    async fn upsert_company(&self, c: ManagingCompany) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO companies (id, name, tax_id, phone, email, region_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, tax_id = excluded.tax_id,
                    phone = excluded.phone, email = excluded.email, region_id = excluded.region_id",
                params![c.id.0, c.name, c.tax_id, c.phone, c.email, c.region_id.0],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn company(&self, id: CompanyId) -> Result<Option<ManagingCompany>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, name, tax_id, phone, email, region_id FROM companies WHERE id = ?1",
                    [id.0],
                    company_row,
                )
                .optional()?)
        })
        .await
    }

    async fn upsert_buildings(&self, buildings: Vec<Building>) -> Result<(), StoreError> {
        self.write(move |tx| {
            let mut stmt = tx.prepare(
                "INSERT INTO buildings (id, address, company_id, region_id, lat, lon)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET address = excluded.address,
                    company_id = excluded.company_id, region_id = excluded.region_id,
                    lat = excluded.lat, lon = excluded.lon",
            )?;
            for b in buildings {
                stmt.execute(params![
                    b.id.0,
                    b.address,
                    b.company_id.map(|c| c.0),
                    b.region_id.0,
                    b.lat,
                    b.lon
                ])
                .map_err(classify)?;
            }
            Ok(())
        })
        .await
    }

    async fn building(&self, id: BuildingId) -> Result<Option<Building>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, address, company_id, region_id, lat, lon FROM buildings WHERE id = ?1",
                    [id.0],
                    building_row,
                )
                .optional()?)
        })
        .await
    }

    async fn count_buildings(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            let n: i64 = conn.query_row("SELECT count(*) FROM buildings", [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn insert_apartment(&self, a: Apartment) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO apartments (id, building_id, number) VALUES (?1, ?2, ?3)",
                params![a.id.0.to_string(), a.building_id.0, a.number],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn apartment(&self, id: ApartmentId) -> Result<Option<Apartment>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, building_id, number FROM apartments WHERE id = ?1",
                    [id.0.to_string()],
                    |r| {
                        Ok(Apartment {
                            id: ApartmentId(uuid_col(r, 0)?),
                            building_id: BuildingId(r.get(1)?),
                            number: r.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn insert_account(&self, a: PersonalAccount) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO accounts (id, apartment_id, provider_id, number, holder_name)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    a.id.0.to_string(),
                    a.apartment_id.0.to_string(),
                    a.provider_id.0,
                    a.number,
                    a.holder_name
                ],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn insert_meter(&self, m: Meter) -> Result<(), StoreError> {
        let tariffs =
            serde_json::to_string(&m.tariffs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO meters (id, apartment_id, account_id, kind, serial, integer_digits,
                    fraction_digits, tariffs, installed_on, next_verification_on, replaces)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    m.id.0.to_string(),
                    m.apartment_id.0.to_string(),
                    m.account_id.0.to_string(),
                    m.kind.as_str(),
                    m.serial,
                    m.integer_digits,
                    m.fraction_digits,
                    tariffs,
                    m.installed_on.to_string(),
                    m.next_verification_on.map(|d| d.to_string()),
                    m.replaces.map(|r| r.0.to_string()),
                ],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn link_resident(&self, user: UserId, apartment: ApartmentId) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO resident_apartments (user_id, apartment_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![user.0.to_string(), apartment.0.to_string()],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn resident_apartments(&self, user: UserId) -> Result<Vec<ApartmentId>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT apartment_id FROM resident_apartments WHERE user_id = ?1
                 ORDER BY apartment_id",
            )?;
            let ids = stmt
                .query_map([user.0.to_string()], |r| uuid_col(r, 0).map(ApartmentId))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })
        .await
    }

    async fn home(&self, apartment: ApartmentId) -> Result<Option<Home>, StoreError> {
        self.read(move |conn| load_home(conn, apartment)).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await?;
        // The writer thread must be alive too: a store that cannot write is not healthy.
        self.write(|_| Ok(())).await
    }
}
