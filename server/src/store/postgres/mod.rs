//! PostgreSQL store (feature `postgres`): a deadpool of tokio-postgres connections. Every
//! multi-statement operation runs in one transaction, so several server replicas sharing one
//! database agree on rate limits and code attempts. Migrations are serialised across replicas
//! by an advisory lock.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use connect_core::{
    api::property::Home,
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, MeterId, ProviderId, RegionId, UserId},
    property::{Apartment, Building, ManagingCompany, PersonalAccount, UtilityKind},
    readings::{Meter, Tariff},
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{GenericClient, NoTls, Row, error::SqlState};
use uuid::Uuid;

mod report_feed;
mod reports;

use super::{
    AuthStore, CodeCheck, Grant, IssueOutcome, NewCode, PropertyStore, SessionRecord, Store,
    StoreError, role_from_db,
};

mod geo;

/// Numbered migrations, applied in order; append only.
/// Numbers 2–4 are reserved for concerns merged later; the runner checks each version on its own,
/// so a gap (or a lower number added after a higher one) is applied when it first appears.
pub(crate) const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "readings",
        include_str!("../../../migrations/postgres/0002_readings.sql"),
    ),
    (
        3,
        "qr",
        include_str!("../../../migrations/postgres/0003_qr.sql"),
    ),
    (
        4,
        "geo",
        include_str!("../../../migrations/postgres/0004_geo.sql"),
    ),
    (
        5,
        "reports",
        include_str!("../../../migrations/postgres/0005_reports.sql"),
    ),
    (
        6,
        "points",
        include_str!("../../../migrations/postgres/0006_points.sql"),
    ),
    (
        7,
        "outages",
        include_str!("../../../migrations/postgres/0007_outages.sql"),
    ),
    (
        9,
        "points_earnings",
        include_str!("../../../migrations/postgres/0009_points_earnings.sql"),
    ),
    (
        10,
        "outage_removals",
        include_str!("../../../migrations/postgres/0010_outage_removals.sql"),
    ),
    (
        11,
        "cabinet",
        include_str!("../../../migrations/postgres/0011_cabinet.sql"),
    ),
    (
        12,
        "report_feed",
        include_str!("../../../migrations/postgres/0012_report_feed.sql"),
    ),
];

mod outages;
mod points;
mod qr;
mod rating;
mod readings;
mod staff;

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    /// Readings of requests in flight (the bounded ingest queue).
    queued_items: std::sync::atomic::AtomicUsize,
    /// Requests waiting for the readings group-commit writer.
    readings: tokio::sync::mpsc::UnboundedSender<readings::ReadingJob>,
}

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn classify(e: tokio_postgres::Error) -> StoreError {
    match e.code() {
        Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => StoreError::MissingReference,
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Duplicate,
        _ => StoreError::Postgres(e),
    }
}

impl PgStore {
    /// Connects, optionally pinning every pooled connection to `schema` (tests use a fresh
    /// schema each), and applies pending migrations.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut cfg: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Open(e.to_string()))?;
        if let Some(schema) = schema {
            cfg.options(format!("-csearch_path={schema}"));
        }
        let mgr = Manager::from_config(
            cfg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let (readings, jobs) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(readings::readings_writer(pool.clone(), jobs));
        let store = PgStore {
            pool,
            queued_items: std::sync::atomic::AtomicUsize::new(0),
            readings,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Pool(e.to_string()))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Replicas starting together must not apply the same migration twice.
        tx.execute("SELECT pg_advisory_xact_lock(727001)", &[])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)",
        )
        .await?;
        for (version, name, sql) in MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await?
                .is_some();
            if !done {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())",
                    &[version, name],
                )
                .await?;
                tracing::info!(version, name, "applied postgres migration");
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

const GRANTS_SQL: &str =
    "SELECT role, scope FROM user_roles WHERE user_id = $1 ORDER BY role, scope";

async fn grants_of(c: &impl GenericClient, user: UserId) -> Result<Vec<Grant>, StoreError> {
    grants_from(&c.query(GRANTS_SQL, &[&user.0]).await?)
}

fn grants_from(rows: &[Row]) -> Result<Vec<Grant>, StoreError> {
    let mut grants = rows
        .iter()
        .map(|r| {
            let scope: String = r.get(1);
            Ok(Grant {
                role: role_from_db(r.get(0))?,
                scope: (!scope.is_empty()).then_some(scope),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    grants.sort();
    Ok(grants)
}

fn company_row(r: &Row) -> ManagingCompany {
    ManagingCompany {
        id: CompanyId(r.get(0)),
        name: r.get(1),
        tax_id: r.get(2),
        phone: r.get(3),
        email: r.get(4),
        region_id: RegionId(r.get(5)),
    }
}

fn building_row(r: &Row) -> Building {
    Building {
        id: BuildingId(r.get(0)),
        address: r.get(1),
        company_id: r.get::<_, Option<String>>(2).map(CompanyId),
        region_id: RegionId(r.get(3)),
        lat: r.get(4),
        lon: r.get(5),
    }
}

fn meter_row(r: &Row) -> Result<Meter, StoreError> {
    let kind: String = r.get(3);
    let tariffs: serde_json::Value = r.get(7);
    let digits = |i: usize| u8::try_from(r.get::<_, i16>(i)).unwrap_or(0);
    Ok(Meter {
        id: MeterId(r.get(0)),
        apartment_id: ApartmentId(r.get(1)),
        account_id: AccountId(r.get(2)),
        kind: UtilityKind::parse(&kind).ok_or_else(|| StoreError::Corrupt("meter kind".into()))?,
        serial: r.get(4),
        integer_digits: digits(5),
        fraction_digits: digits(6),
        tariffs: serde_json::from_value::<Vec<Tariff>>(tariffs)
            .map_err(|_| StoreError::Corrupt("meter tariffs".into()))?,
        installed_on: r.get::<_, NaiveDate>(8),
        next_verification_on: r.get(9),
        replaces: r.get::<_, Option<Uuid>>(10).map(MeterId),
    })
}

#[async_trait]
impl AuthStore for PgStore {
    async fn issue_code(&self, c: NewCode) -> Result<IssueOutcome, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let window = ts(c.ip_window_ms);
        let hits: i32 = tx
            .query_one(
                "INSERT INTO rate_counters (bucket, window_start, hits) VALUES ($1, $2, 1)
                 ON CONFLICT (bucket, window_start)
                 DO UPDATE SET hits = rate_counters.hits + 1 RETURNING hits",
                &[&c.ip_key, &window],
            )
            .await?
            .get(0);
        tx.execute(
            "DELETE FROM rate_counters WHERE bucket = $1 AND window_start < $2",
            &[&c.ip_key, &window],
        )
        .await?;
        if i64::from(hits) > i64::from(c.ip_limit) {
            tx.commit().await?;
            return Ok(IssueOutcome::IpLimited);
        }
        let stored = tx
            .query_opt(
                "INSERT INTO otp_codes (phone_index, code_hash, created_at, expires_at, attempts)
                 VALUES ($1, $2, $3, $4, 0)
                 ON CONFLICT (phone_index) DO UPDATE SET
                    code_hash = excluded.code_hash, created_at = excluded.created_at,
                    expires_at = excluded.expires_at, attempts = 0
                 WHERE otp_codes.created_at <= $5
                 RETURNING 1",
                &[
                    &c.phone_index,
                    &c.code_hash,
                    &ts(c.now_ms),
                    &ts(c.expires_ms),
                    &ts(c.resend_cutoff_ms),
                ],
            )
            .await?;
        tx.commit().await?;
        Ok(if stored.is_some() {
            IssueOutcome::Issued
        } else {
            IssueOutcome::NumberThrottled
        })
    }

    async fn check_code(
        &self,
        phone_index: Vec<u8>,
        code_hash: Vec<u8>,
        now_ms: i64,
        max_attempts: u32,
    ) -> Result<CodeCheck, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT code_hash, expires_at, attempts FROM otp_codes
                 WHERE phone_index = $1 FOR UPDATE",
                &[&phone_index],
            )
            .await?;
        let Some(row) = row else {
            return Ok(CodeCheck::Missing);
        };
        let stored: Vec<u8> = row.get(0);
        let expires: DateTime<Utc> = row.get(1);
        let attempts: i32 = row.get(2);
        let max = i64::from(max_attempts);
        let delete = "DELETE FROM otp_codes WHERE phone_index = $1";
        let outcome = if ts(now_ms) >= expires || i64::from(attempts) >= max {
            tx.execute(delete, &[&phone_index]).await?;
            CodeCheck::Missing
        } else if stored == code_hash {
            tx.execute(delete, &[&phone_index]).await?;
            CodeCheck::Valid
        } else {
            if i64::from(attempts) + 1 >= max {
                tx.execute(delete, &[&phone_index]).await?;
            } else {
                tx.execute(
                    "UPDATE otp_codes SET attempts = attempts + 1 WHERE phone_index = $1",
                    &[&phone_index],
                )
                .await?;
            }
            CodeCheck::Wrong
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn ensure_user(
        &self,
        phone_index: Vec<u8>,
        phone_sealed: Vec<u8>,
        now_ms: i64,
    ) -> Result<UserId, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let id = Uuid::now_v7();
        // Two replicas creating the same user race on the unique index; the loser reads the winner.
        let inserted = tx
            .query_opt(
                "INSERT INTO users (id, phone_index, phone_enc, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (phone_index) DO NOTHING RETURNING id",
                &[&id, &phone_index, &phone_sealed, &ts(now_ms)],
            )
            .await?;
        let user = if inserted.is_some() {
            tx.execute(
                "INSERT INTO user_roles (user_id, role, scope) VALUES ($1, 'resident', '')",
                &[&id],
            )
            .await?;
            id
        } else {
            tx.query_one(
                "SELECT id FROM users WHERE phone_index = $1",
                &[&phone_index],
            )
            .await?
            .get(0)
        };
        tx.commit().await?;
        Ok(UserId(user))
    }

    async fn find_user(&self, phone_index: Vec<u8>) -> Result<Option<UserId>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT id FROM users WHERE phone_index = $1",
            &[&phone_index],
        )
        .await?
        .map(|r| UserId(r.get(0))))
    }

    async fn grant(&self, user: UserId, grant: Grant) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO user_roles (user_id, role, scope) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&user.0, &grant.role.as_str(), &grant.scope.unwrap_or_default()],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn grants(&self, user: UserId) -> Result<Vec<Grant>, StoreError> {
        let c = self.client().await?;
        grants_of(&**c, user).await
    }

    async fn create_session(
        &self,
        token_hash: Vec<u8>,
        user: UserId,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &user.0, &ts(now_ms), &ts(expires_ms)],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn touch_session(
        &self,
        token_hash: Vec<u8>,
        now_ms: i64,
        new_expires_ms: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        // Every authenticated request comes through here: its statements are prepared once per
        // pooled connection (parsing and planning them per request cost PostgreSQL more CPU than
        // the readings themselves at the end-of-month peak).
        let c = self.client().await?;
        let session = c
            .prepare_cached(
                "SELECT user_id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            )
            .await?;
        let row = c.query_opt(&session, &[&token_hash, &ts(now_ms)]).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user_id = UserId(row.get(0));
        let mut expires_ms = row.get::<_, DateTime<Utc>>(1).timestamp_millis();
        if new_expires_ms - expires_ms > super::SESSION_SLIDE_STEP_MS {
            c.execute(
                "UPDATE sessions SET expires_at = $2 WHERE token_hash = $1",
                &[&token_hash, &ts(new_expires_ms)],
            )
            .await?;
            expires_ms = new_expires_ms;
        }
        let grants = c.prepare_cached(GRANTS_SQL).await?;
        Ok(Some(SessionRecord {
            user_id,
            grants: grants_from(&c.query(&grants, &[&user_id.0]).await?)?,
            expires_ms,
        }))
    }

    async fn revoke_session(&self, token_hash: Vec<u8>) -> Result<bool, StoreError> {
        let c = self.client().await?;
        Ok(
            c.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
                .await?
                > 0,
        )
    }
}

#[async_trait]
impl PropertyStore for PgStore {
    async fn upsert_company(&self, x: ManagingCompany) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO companies (id, name, tax_id, phone, email, region_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, tax_id = excluded.tax_id,
                phone = excluded.phone, email = excluded.email, region_id = excluded.region_id",
            &[
                &x.id.0,
                &x.name,
                &x.tax_id,
                &x.phone,
                &x.email,
                &x.region_id.0,
            ],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn company(&self, id: CompanyId) -> Result<Option<ManagingCompany>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT id, name, tax_id, phone, email, region_id FROM companies WHERE id = $1",
            &[&id.0],
        )
        .await?
        .as_ref()
        .map(company_row))
    }

    async fn upsert_buildings(&self, buildings: Vec<Building>) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let stmt = tx
            .prepare(
                "INSERT INTO buildings (id, address, company_id, region_id, lat, lon)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (id) DO UPDATE SET address = excluded.address,
                    company_id = excluded.company_id, region_id = excluded.region_id,
                    lat = excluded.lat, lon = excluded.lon",
            )
            .await?;
        for b in &buildings {
            let company = b.company_id.as_ref().map(|c| c.0.as_str());
            tx.execute(
                &stmt,
                &[
                    &b.id.0,
                    &b.address,
                    &company,
                    &b.region_id.0,
                    &b.lat,
                    &b.lon,
                ],
            )
            .await
            .map_err(classify)?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn building(&self, id: BuildingId) -> Result<Option<Building>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT id, address, company_id, region_id, lat, lon FROM buildings WHERE id = $1",
            &[&id.0],
        )
        .await?
        .as_ref()
        .map(building_row))
    }

    async fn count_buildings(&self) -> Result<u64, StoreError> {
        let c = self.client().await?;
        let n: i64 = c
            .query_one("SELECT count(*) FROM buildings", &[])
            .await?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn insert_apartment(&self, a: Apartment) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO apartments (id, building_id, number) VALUES ($1, $2, $3)",
            &[&a.id.0, &a.building_id.0, &a.number],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn apartment(&self, id: ApartmentId) -> Result<Option<Apartment>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT id, building_id, number FROM apartments WHERE id = $1",
            &[&id.0],
        )
        .await?
        .map(|r| Apartment {
            id: ApartmentId(r.get(0)),
            building_id: BuildingId(r.get(1)),
            number: r.get(2),
        }))
    }

    async fn insert_account(&self, a: PersonalAccount) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO accounts (id, apartment_id, provider_id, number, holder_name)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &a.id.0,
                &a.apartment_id.0,
                &a.provider_id.0,
                &a.number,
                &a.holder_name,
            ],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn insert_meter(&self, m: Meter) -> Result<(), StoreError> {
        let c = self.client().await?;
        let tariffs =
            serde_json::to_value(&m.tariffs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let replaces = m.replaces.map(|r| r.0);
        c.execute(
            "INSERT INTO meters (id, apartment_id, account_id, kind, serial, integer_digits,
                fraction_digits, tariffs, installed_on, next_verification_on, replaces)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &m.id.0,
                &m.apartment_id.0,
                &m.account_id.0,
                &m.kind.as_str(),
                &m.serial,
                &i16::from(m.integer_digits),
                &i16::from(m.fraction_digits),
                &tariffs,
                &m.installed_on,
                &m.next_verification_on,
                &replaces,
            ],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn link_resident(&self, user: UserId, apartment: ApartmentId) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO resident_apartments (user_id, apartment_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&user.0, &apartment.0],
        )
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn resident_apartments(&self, user: UserId) -> Result<Vec<ApartmentId>, StoreError> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT apartment_id FROM resident_apartments WHERE user_id = $1 ORDER BY apartment_id",
            &[&user.0],
        )
        .await?
        .iter()
        .map(|r| ApartmentId(r.get(0)))
        .collect())
    }

    async fn home(&self, id: ApartmentId) -> Result<Option<Home>, StoreError> {
        let c = self.client().await?;
        let Some(a) = c
            .query_opt(
                "SELECT id, building_id, number FROM apartments WHERE id = $1",
                &[&id.0],
            )
            .await?
        else {
            return Ok(None);
        };
        let apartment = Apartment {
            id: ApartmentId(a.get(0)),
            building_id: BuildingId(a.get(1)),
            number: a.get(2),
        };
        let building = building_row(
            &c.query_one(
                "SELECT id, address, company_id, region_id, lat, lon FROM buildings WHERE id = $1",
                &[&apartment.building_id.0],
            )
            .await?,
        );
        let company = match &building.company_id {
            Some(cid) => c
                .query_opt(
                    "SELECT id, name, tax_id, phone, email, region_id FROM companies WHERE id = $1",
                    &[&cid.0],
                )
                .await?
                .as_ref()
                .map(company_row),
            None => None,
        };
        let accounts = c
            .query(
                "SELECT id, apartment_id, provider_id, number, holder_name FROM accounts
                 WHERE apartment_id = $1 ORDER BY id",
                &[&id.0],
            )
            .await?
            .iter()
            .map(|r| PersonalAccount {
                id: AccountId(r.get(0)),
                apartment_id: ApartmentId(r.get(1)),
                provider_id: ProviderId(r.get(2)),
                number: r.get(3),
                holder_name: r.get(4),
            })
            .collect();
        let meters = c
            .query(
                "SELECT id, apartment_id, account_id, kind, serial, integer_digits, fraction_digits,
                        tariffs, installed_on, next_verification_on, replaces
                 FROM meters WHERE apartment_id = $1 ORDER BY id",
                &[&id.0],
            )
            .await?
            .iter()
            .map(meter_row)
            .collect::<Result<Vec<_>, _>>()?;
        let providers = readings::providers_of(&**c, id).await?;
        Ok(Some(Home {
            apartment,
            building,
            company,
            accounts,
            meters,
            providers,
        }))
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute("SELECT 1", &[]).await?;
        Ok(())
    }
}
