//! Persistence: small async traits, one per concern, and the [`Store`] supertrait the server holds
//! as `Arc<dyn Store>`. Two implementations: [`sqlite`] (embedded, one writer thread) and
//! [`postgres`] (feature `postgres`). Both pass the same conformance suite (`conformance.rs`).
//!
//! To add a concern (readings, qr, geo, …): write `trait FooStore` here, add it to the
//! supertrait list of [`Store`], implement it in both backends, add the numbered migration
//! `migrations/<backend>/000N_foo.sql` to both `MIGRATIONS` lists, and add tests to the suite.

use async_trait::async_trait;
use connect_core::{
    api::property::Home,
    auth::Role,
    ids::{ApartmentId, BuildingId, CompanyId, RegionId, UserId},
    property::{Apartment, Building, ManagingCompany, PersonalAccount},
    readings::Meter,
};

#[cfg(test)]
mod conformance;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;

/// Sessions slide their expiry in steps of this size, so a busy session costs one write per hour
/// rather than one per request.
pub const SESSION_SLIDE_STEP_MS: i64 = 3_600_000;

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A referenced row does not exist (foreign key).
    #[error("referenced object does not exist")]
    MissingReference,
    /// A unique key is already taken.
    #[error("object already exists")]
    Duplicate,
    /// A stored value could not be read back.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[cfg(feature = "postgres")]
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be taken from the pool.
    #[cfg(feature = "postgres")]
    #[error("postgres pool: {0}")]
    Pool(String),
    /// The SQLite writer thread is gone.
    #[error("store writer stopped")]
    WriterGone,
    /// A blocking task panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
    /// Opening the database failed.
    #[error("open: {0}")]
    Open(String),
}

/// A role with the tenant it applies to: company staff → company id, partner cashier → partner
/// id, authority → region id; resident and admin have no scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// The tenant id, when the role is scoped.
    pub scope: Option<String>,
}

/// What a valid session token resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The user.
    pub user_id: UserId,
    /// Every grant of the user.
    pub grants: Vec<Grant>,
    /// Expiry after this use (unix millis).
    pub expires_ms: i64,
}

/// A one-time code about to be issued, with the limits to enforce atomically.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// HMAC index of the phone number.
    pub phone_index: Vec<u8>,
    /// HMAC(secret, phone ‖ code).
    pub code_hash: Vec<u8>,
    /// Now (unix millis).
    pub now_ms: i64,
    /// When the code stops being valid.
    pub expires_ms: i64,
    /// A code created after this instant blocks a new one for the same number.
    pub resend_cutoff_ms: i64,
    /// Rate-limit bucket of the client IP (e.g. `otp-ip:1.2.3.4`).
    pub ip_key: String,
    /// Start of the current IP window (unix millis).
    pub ip_window_ms: i64,
    /// Codes allowed per IP window.
    pub ip_limit: u32,
}

/// The outcome of [`AuthStore::issue_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Stored; send it.
    Issued,
    /// A code was sent to this number too recently.
    NumberThrottled,
    /// The client IP used up its window.
    IpLimited,
}

/// The outcome of [`AuthStore::check_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code matched and is now consumed.
    Valid,
    /// Wrong code; the attempt was counted (and the code burned at the limit).
    Wrong,
    /// No live code for this number (never sent, expired, consumed or burned).
    Missing,
}

/// Users, roles, one-time codes, sessions and rate-limit counters.
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Issues a code, enforcing the per-number resend delay and the per-IP cap in one
    /// transaction (so replicas sharing a database agree).
    async fn issue_code(&self, code: NewCode) -> Result<IssueOutcome, StoreError>;
    /// Checks a code, counting the attempt; burns it after `max_attempts` wrong tries.
    async fn check_code(
        &self,
        phone_index: Vec<u8>,
        code_hash: Vec<u8>,
        now_ms: i64,
        max_attempts: u32,
    ) -> Result<CodeCheck, StoreError>;
    /// Finds the user with this phone index, or creates one with the resident role.
    async fn ensure_user(
        &self,
        phone_index: Vec<u8>,
        phone_sealed: Vec<u8>,
        now_ms: i64,
    ) -> Result<UserId, StoreError>;
    /// The user with this phone index, if any.
    async fn find_user(&self, phone_index: Vec<u8>) -> Result<Option<UserId>, StoreError>;
    /// Adds a grant (idempotent).
    async fn grant(&self, user: UserId, grant: Grant) -> Result<(), StoreError>;
    /// Every grant of a user, sorted.
    async fn grants(&self, user: UserId) -> Result<Vec<Grant>, StoreError>;
    /// Stores a new session.
    async fn create_session(
        &self,
        token_hash: Vec<u8>,
        user: UserId,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError>;
    /// Resolves a live session and slides its expiry to `new_expires_ms`, writing only when the
    /// stored expiry lags by more than [`SESSION_SLIDE_STEP_MS`] (so most requests only read).
    async fn touch_session(
        &self,
        token_hash: Vec<u8>,
        now_ms: i64,
        new_expires_ms: i64,
    ) -> Result<Option<SessionRecord>, StoreError>;
    /// Deletes a session; true when it existed.
    async fn revoke_session(&self, token_hash: Vec<u8>) -> Result<bool, StoreError>;
}

/// Buildings, companies, apartments, accounts, meters and resident links.
#[async_trait]
pub trait PropertyStore: Send + Sync {
    /// Inserts or replaces a managing company.
    async fn upsert_company(&self, company: ManagingCompany) -> Result<(), StoreError>;
    /// A company by id.
    async fn company(&self, id: CompanyId) -> Result<Option<ManagingCompany>, StoreError>;
    /// Inserts or replaces buildings (import), all or nothing.
    async fn upsert_buildings(&self, buildings: Vec<Building>) -> Result<(), StoreError>;
    /// A building by id.
    async fn building(&self, id: BuildingId) -> Result<Option<Building>, StoreError>;
    /// Number of buildings (the demo seeds only an empty store).
    async fn count_buildings(&self) -> Result<u64, StoreError>;
    /// Inserts an apartment; [`StoreError::Duplicate`] when the number is taken in the building.
    async fn insert_apartment(&self, apartment: Apartment) -> Result<(), StoreError>;
    /// An apartment by id.
    async fn apartment(&self, id: ApartmentId) -> Result<Option<Apartment>, StoreError>;
    /// Inserts a personal account.
    async fn insert_account(&self, account: PersonalAccount) -> Result<(), StoreError>;
    /// Inserts a meter.
    async fn insert_meter(&self, meter: Meter) -> Result<(), StoreError>;
    /// Links a resident to an apartment (idempotent).
    async fn link_resident(&self, user: UserId, apartment: ApartmentId) -> Result<(), StoreError>;
    /// The apartments a user is linked to.
    async fn resident_apartments(&self, user: UserId) -> Result<Vec<ApartmentId>, StoreError>;
    /// One apartment with its building, company, accounts and meters.
    async fn home(&self, apartment: ApartmentId) -> Result<Option<Home>, StoreError>;
}

/// One stored building footprint (table `geo_footprints`).
#[derive(Debug, Clone, PartialEq)]
pub struct FootprintRow {
    /// Building id.
    pub building_id: BuildingId,
    /// Region whose pack and index hold it.
    pub region: RegionId,
    /// Postal address, when known.
    pub address: Option<String>,
    /// Managing company, when known.
    pub company: Option<CompanyId>,
    /// Footprint area in m² from the source, when given.
    pub area_m2: Option<f64>,
    /// The GeoJSON MultiPolygon `coordinates` array as text.
    pub footprint: String,
}

/// How a manager assignment names its building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagerKey {
    /// By building id.
    Building(BuildingId),
    /// By exact address (every footprint with this address).
    Address(String),
}

/// A region's footprints at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSummary {
    /// The region.
    pub region: RegionId,
    /// Footprints in it.
    pub buildings: u64,
    /// Latest change to any of them (unix millis): the pack's data version.
    pub updated_ms: i64,
}

/// Building footprints per region, for the geolocation index.
#[async_trait]
pub trait GeoStore: Send + Sync {
    /// Inserts or replaces footprints by building id (a building may move region), all or nothing.
    async fn upsert_footprints(
        &self,
        rows: Vec<FootprintRow>,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// Every footprint of a region, by building id.
    async fn footprints(&self, region: RegionId) -> Result<Vec<FootprintRow>, StoreError>;
    /// Regions with footprints, by id.
    async fn geo_regions(&self) -> Result<Vec<RegionSummary>, StoreError>;
    /// Sets (or clears) the managing company of footprints; returns, per assignment, the regions
    /// of the footprints it changed (empty: nothing matched).
    async fn assign_managers(
        &self,
        assignments: Vec<(ManagerKey, Option<CompanyId>)>,
        now_ms: i64,
    ) -> Result<Vec<Vec<RegionId>>, StoreError>;
}

/// Everything the server needs from persistence. Later concerns add their traits here.
#[async_trait]
pub trait Store: AuthStore + PropertyStore + GeoStore + Send + Sync {
    /// Cheap round trip for `/healthz`.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store a `CONNECT_DATABASE` URL names and applies pending migrations.
pub async fn open(
    url: &crate::config::DatabaseUrl,
) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    match url {
        crate::config::DatabaseUrl::Sqlite(path) => {
            Ok(std::sync::Arc::new(sqlite::SqliteStore::open(path)?))
        }
        #[cfg(feature = "postgres")]
        crate::config::DatabaseUrl::Postgres(u) => Ok(std::sync::Arc::new(
            postgres::PgStore::connect(u, None).await?,
        )),
        #[cfg(not(feature = "postgres"))]
        crate::config::DatabaseUrl::Postgres(_) => Err(StoreError::Open(
            "this build has no PostgreSQL support (feature `postgres`)".into(),
        )),
    }
}

/// Serialises a role for storage.
pub(crate) fn role_from_db(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("role {s:?}")))
}
