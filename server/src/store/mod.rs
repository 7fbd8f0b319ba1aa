//! Persistence: small async traits, one per concern, and the [`Store`] supertrait the server holds
//! as `Arc<dyn Store>`. Two implementations: [`sqlite`] (embedded, one writer thread) and
//! [`postgres`] (feature `postgres`). Both pass the same conformance suite (`conformance.rs`).
//!
//! To add a concern (readings, qr, geo, …): write `trait FooStore` here, add it to the
//! supertrait list of [`Store`], implement it in both backends, add the numbered migration
//! `migrations/<backend>/000N_foo.sql` to both `MIGRATIONS` lists, and add tests to the suite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connect_core::{
    api::{
        outages::Repair,
        points::RedeemResponse,
        property::Home,
        readings::{ReadingResult, StoredReading},
        reports::{EventAuthor, ReportEvent},
    },
    auth::Role,
    ids::{
        AccountId, ApartmentId, BuildingId, CompanyId, MeterId, OutageId, PartnerId, RegionId,
        ReportId, UserId, VoucherId,
    },
    outages::Outage,
    points::{LedgerEntry, LedgerReason, Offer, VoucherError},
    property::{Apartment, Building, ManagingCompany, PersonalAccount, UtilityProvider},
    readings::{Meter, Reading},
    reports::ReportStatus,
};

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod conformance_outages;
#[cfg(test)]
mod conformance_points;
#[cfg(test)]
mod conformance_qr;
#[cfg(test)]
mod conformance_report_feed;
#[cfg(test)]
mod conformance_staff;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod rating;
pub mod readings;
pub mod sqlite;
pub mod staff;

pub use rating::RatingStore;
pub use staff::{InviteRecord, NewInvite, Redeemed, StaffRecord, StaffStore};

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
    /// The store's writer (the SQLite writer thread, the PostgreSQL readings writer) is gone.
    #[error("store writer stopped")]
    WriterGone,
    /// A blocking task panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
    /// Opening the database failed.
    #[error("open: {0}")]
    Open(String),
    /// The ingest queue is full: the caller should retry later (answered as 429).
    #[error("ingest queue full")]
    Overloaded,
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

/// A report about to be filed (the handler has checked it and computed the digest).
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The client's id.
    pub id: ReportId,
    /// The resident.
    pub author: UserId,
    /// The building.
    pub building_id: BuildingId,
    /// Its company at filing time.
    pub company_id: Option<CompanyId>,
    /// Its region at filing time.
    pub region_id: RegionId,
    /// Category code.
    pub category: String,
    /// Filed text.
    pub text: String,
    /// Filed place.
    pub place: String,
    /// SHA-256 (hex) of the canonical content.
    pub content_sha256: String,
    /// Decoded JPEG photos.
    pub photos: Vec<Vec<u8>>,
    /// Server time of filing (unix millis); its UTC year picks the number sequence.
    pub filed_ms: i64,
    /// Deadline (unix millis).
    pub due_ms: i64,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    /// Id.
    pub id: ReportId,
    /// Public number.
    pub number: String,
    /// The resident who filed it.
    pub author: UserId,
    /// Building.
    pub building_id: BuildingId,
    /// Company.
    pub company_id: Option<CompanyId>,
    /// Region.
    pub region_id: RegionId,
    /// Category code.
    pub category: String,
    /// Filed text.
    pub text: String,
    /// Filed place.
    pub place: String,
    /// SHA-256 (hex) of the canonical content.
    pub content_sha256: String,
    /// Number of photos.
    pub photo_count: u32,
    /// Status now.
    pub status: ReportStatus,
    /// Filed (unix millis).
    pub filed_ms: i64,
    /// Due (unix millis).
    pub due_ms: i64,
    /// First resolve or reject (unix millis).
    pub answered_ms: Option<i64>,
    /// The resident's stars.
    pub rating: Option<u8>,
}

/// Which reports to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportFilter {
    /// Filed by this resident (newest first).
    Author(UserId),
    /// Of this company (by deadline).
    Company(CompanyId),
    /// Of buildings in this region (by deadline).
    Region(RegionId),
}

/// An event about to be appended to a report's history.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// When (unix millis).
    pub at_ms: i64,
    /// Who.
    pub author: EventAuthor,
    /// Words.
    pub text: Option<String>,
    /// The client's UUIDv7 of the resident action (rating, reopening) that writes this event;
    /// stored in the report feed, unique: see [`ReportFeedStore::report_of_client_op`].
    pub client_op: Option<uuid::Uuid>,
}

/// The outcome of [`ReportStore::file_report`].
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// Stored now.
    Created(ReportRecord),
    /// A report with this id already exists (its content may differ: the caller compares).
    Existing(ReportRecord),
}

/// Problem reports, their photos and their history.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores a report with the next number of its year, or returns the report already stored
    /// under this id (nothing written then).
    async fn file_report(&self, report: NewReport) -> Result<Filed, StoreError>;
    /// A report by id.
    async fn report(&self, id: ReportId) -> Result<Option<ReportRecord>, StoreError>;
    /// Reports matching the filter.
    async fn reports(&self, filter: ReportFilter) -> Result<Vec<ReportRecord>, StoreError>;
    /// Moves a report to `to` when its status is one of `from`, appending an event and, for
    /// `Rated`, storing `rating`; the first resolve/reject records `answered_ms`. `None` when the
    /// report is missing or its status is not in `from` (nothing written).
    async fn change_report_status(
        &self,
        id: ReportId,
        from: Vec<ReportStatus>,
        to: ReportStatus,
        rating: Option<u8>,
        event: NewEvent,
    ) -> Result<Option<ReportRecord>, StoreError>;
    /// Appends a comment (no status change); false when the report is missing.
    async fn add_report_comment(&self, id: ReportId, event: NewEvent) -> Result<bool, StoreError>;
    /// The history of a report, oldest first.
    async fn report_events(&self, id: ReportId) -> Result<Vec<ReportEvent>, StoreError>;
    /// Photo `n` (from 0) of a report.
    async fn report_photo(&self, id: ReportId, n: u32) -> Result<Option<Vec<u8>>, StoreError>;
}

/// One entry of a resident's report feed (see [`ReportFeedStore::report_feed`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// Position in the feed (the `e` part of the `/v1/sync` cursor).
    pub seq: i64,
    /// The report.
    pub report_id: ReportId,
    /// The history event, or `None` for the filing itself.
    pub event: Option<ReportEvent>,
}

/// The resident's report change feed: every filing and every history event, numbered in commit
/// order (the writers of [`ReportStore`] append to it in their own transaction).
#[async_trait]
pub trait ReportFeedStore: Send + Sync {
    /// Entries of reports the user filed, after feed position `after`, oldest first, at most
    /// `limit`.
    async fn report_feed(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError>;
    /// The report whose event a client action id wrote, if that action was applied.
    async fn report_of_client_op(&self, op: uuid::Uuid) -> Result<Option<ReportId>, StoreError>;
}

/// Where a meter hangs in the property tree, for access checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterScope {
    /// The apartment it measures.
    pub apartment_id: ApartmentId,
    /// The company managing the apartment's building, when known.
    pub company_id: Option<CompanyId>,
}

/// Providers, meter readings and the change sequence `/v1/sync` pages through.
#[async_trait]
pub trait ReadingStore: Send + Sync {
    /// Inserts or replaces a utility provider.
    async fn upsert_provider(&self, provider: UtilityProvider) -> Result<(), StoreError>;
    /// Judges and stores a batch of one resident's readings: one outcome per item, in order.
    /// Items are validated with the shared rules against the stored history at `now`; an id
    /// seen before is a duplicate (same content) or a conflict (other content), and writes
    /// nothing. The outcomes are answered only once they are durable. A full ingest queue
    /// answers [`StoreError::Overloaded`] at once.
    async fn submit_readings(
        &self,
        user: UserId,
        items: Vec<Reading>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReadingResult>, StoreError>;
    /// The apartment and managing company of a meter.
    async fn meter_scope(&self, meter: MeterId) -> Result<Option<MeterScope>, StoreError>;
    /// A meter's stored readings, newest `taken_at` first, at most `limit`.
    async fn meter_readings(
        &self,
        meter: MeterId,
        limit: u32,
    ) -> Result<Vec<StoredReading>, StoreError>;
    /// Readings of the user's meters stored after change number `after`, oldest change first,
    /// at most `limit`, each with its change number.
    async fn readings_since(
        &self,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, StoredReading)>, StoreError>;
}

/// An earning to record (see [`PointsStore::award`]).
#[derive(Debug, Clone)]
pub struct NewAward {
    /// The resident.
    pub user: UserId,
    /// Which rule.
    pub reason: LedgerReason,
    /// What earned it; the same (user, reason, source) is recorded once.
    pub source_id: String,
    /// The rule's amount.
    pub amount: i64,
    /// The rule's monthly cap (sum of this reason within the UTC month of `now`).
    pub monthly_cap: i64,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The outcome of [`PointsStore::award`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwardOutcome {
    /// Added this many points (cut by the cap when near it).
    Awarded(i64),
    /// This source was already awarded; nothing added.
    Duplicate,
    /// The monthly cap is reached; nothing added.
    Capped,
}

/// An earning queued in the transaction that stored its event (an on-time reading, a rating),
/// waiting for the settler to turn it into a ledger entry (see [`PointsStore::award`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEarning {
    /// The resident.
    pub user: UserId,
    /// Which rule.
    pub reason: LedgerReason,
    /// What earned it (the reading or report id).
    pub source_id: String,
    /// When the event was stored (server clock); its UTC month picks the cap.
    pub earned_at: DateTime<Utc>,
}

/// A voucher about to be issued (see [`PointsStore::reserve_voucher`]).
#[derive(Debug, Clone)]
pub struct NewVoucher {
    /// The voucher.
    pub id: VoucherId,
    /// Whose points.
    pub user: UserId,
    /// How many.
    pub points: u32,
    /// For one partner, or any.
    pub partner_id: Option<PartnerId>,
    /// Now.
    pub now: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// The outcome of [`PointsStore::reserve_voucher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// Reserved; the balance after.
    Reserved(i64),
    /// The balance (given) is below the voucher's points; nothing changed.
    Insufficient(i64),
}

/// A redemption at a till (see [`PointsStore::redeem_voucher`]).
#[derive(Debug, Clone)]
pub struct RedeemCommand {
    /// The voucher (from a token whose signature the caller checked).
    pub voucher_id: VoucherId,
    /// The till's attempt id: a retry with the same id gets the first answer.
    pub attempt_id: uuid::Uuid,
    /// The cashier.
    pub cashier: UserId,
    /// The cashier's partner.
    pub partner_id: PartnerId,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The outcome of [`PointsStore::redeem_voucher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemOutcome {
    /// Taken.
    Redeemed(RedeemResponse),
    /// Refused (`Malformed` when the voucher is unknown to the store or the attempt id was used
    /// for another voucher or cashier).
    Refused(VoucherError),
}

/// One line of a partner's settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    /// The voucher.
    pub voucher_id: VoucherId,
    /// Points taken.
    pub points: u32,
    /// When.
    pub redeemed_at: DateTime<Utc>,
    /// Which cashier.
    pub cashier: UserId,
}

/// Partners, offers, the points ledger and vouchers. Every balance check happens inside the
/// transaction that writes the ledger, so the balance can never go negative, also with several
/// server processes on one PostgreSQL.
#[async_trait]
pub trait PointsStore: Send + Sync {
    /// Inserts or renames a partner.
    async fn upsert_partner(
        &self,
        id: PartnerId,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Inserts an offer; [`StoreError::MissingReference`] for an unknown partner.
    async fn insert_offer(&self, offer: Offer, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Every offer with its partner's name, by partner then points.
    async fn offers(&self) -> Result<Vec<Offer>, StoreError>;
    /// Records an earning once per (user, reason, source), within the monthly cap, and removes
    /// the matching [`PendingEarning`] (if any) in the same transaction, whatever the outcome.
    async fn award(&self, award: NewAward) -> Result<AwardOutcome, StoreError>;
    /// [`award`](PointsStore::award) for many earnings in one transaction (the settler's pages:
    /// one commit instead of one per earning at the end-of-month peak); outcomes in input order.
    async fn award_all(&self, awards: Vec<NewAward>) -> Result<Vec<AwardOutcome>, StoreError>;
    /// Earnings queued by the transactions that stored their events, oldest first, at most
    /// `limit`. A row stays until an [`award`](PointsStore::award) of its source commits.
    async fn pending_earnings(&self, limit: u32) -> Result<Vec<PendingEarning>, StoreError>;
    /// Expires the user's (or, with `None`, everyone's) issued vouchers past their expiry and
    /// gives their points back (one ledger entry per voucher, ever). Returns how many expired.
    async fn expire_vouchers(
        &self,
        user: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Reserves the points of a new voucher if the balance covers them.
    async fn reserve_voucher(&self, voucher: NewVoucher) -> Result<ReserveOutcome, StoreError>;
    /// Redeems atomically: exactly one redemption of a voucher ever succeeds.
    async fn redeem_voucher(&self, cmd: RedeemCommand) -> Result<RedeemOutcome, StoreError>;
    /// The balance and the newest `limit` ledger entries (after expiring the user's vouchers).
    async fn points_summary(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<(i64, Vec<LedgerEntry>), StoreError>;
    /// A partner's redemptions in `[from, to)`, oldest first.
    async fn settlement(
        &self,
        partner: PartnerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SettlementRow>, StoreError>;
}

/// A WGS84 bounding box: west, south, east, north (degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Smallest longitude.
    pub west: f64,
    /// Smallest latitude.
    pub south: f64,
    /// Largest longitude.
    pub east: f64,
    /// Largest latitude.
    pub north: f64,
}

/// An outage with the company that owns it (None: posted by the installation's dispatcher).
#[derive(Debug, Clone, PartialEq)]
pub struct OutageRecord {
    /// The outage.
    pub outage: Outage,
    /// The owning company; only its staff (and admins) may change it.
    pub company_id: Option<CompanyId>,
}

/// Outages with the buildings they hit, and the repairs companies publish.
#[async_trait]
pub trait OutageStore: Send + Sync {
    /// Inserts or replaces an outage and its building list, all or nothing.
    async fn put_outage(&self, record: OutageRecord) -> Result<(), StoreError>;
    /// One outage.
    async fn outage(&self, id: OutageId) -> Result<Option<OutageRecord>, StoreError>;
    /// Outages hitting at least one building inside the box (every outage when `None`),
    /// ordered by start.
    async fn outages_in(&self, bbox: Option<BBox>) -> Result<Vec<Outage>, StoreError>;
    /// Outages hitting any of these buildings whose `updated_at` is after `since_ms`.
    async fn outages_for_buildings(
        &self,
        buildings: Vec<BuildingId>,
        since_ms: i64,
    ) -> Result<Vec<Outage>, StoreError>;
    /// Buildings whose point lies in the box (every building when `None`).
    async fn buildings_in(&self, bbox: Option<BBox>) -> Result<Vec<Building>, StoreError>;
    /// The buildings of the apartments a user is linked to.
    async fn resident_buildings(&self, user: UserId) -> Result<Vec<BuildingId>, StoreError>;
    /// Records a repair.
    async fn add_repair(&self, repair: Repair) -> Result<(), StoreError>;
    /// Repairs of a building, newest first.
    async fn repairs(&self, building: BuildingId) -> Result<Vec<Repair>, StoreError>;
    /// Outages that stopped hitting one of these buildings (the area was narrowed) in a change
    /// stamped after `since_ms`, with that stamp (unix millis). [`OutageStore::put_outage`]
    /// records a removal when a building leaves an outage's list and forgets it when it returns.
    async fn outage_removals(
        &self,
        buildings: Vec<BuildingId>,
        since_ms: i64,
    ) -> Result<Vec<(OutageId, i64)>, StoreError>;
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

/// Where a personal account hangs in the property tree, for access checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountScope {
    /// The account.
    pub account_id: AccountId,
    /// Its apartment.
    pub apartment_id: ApartmentId,
    /// The apartment's building.
    pub building_id: BuildingId,
    /// The company managing that building, when known.
    pub company_id: Option<CompanyId>,
}

/// An account code about to be stored (see [`QrStore::issue_account_code`]).
#[derive(Debug, Clone)]
pub struct NewAccountCode {
    /// The code's own id.
    pub id: uuid::Uuid,
    /// The account it claims.
    pub account_id: AccountId,
    /// SHA-256 of the claim secret (the secret itself is never stored).
    pub secret_hash: Vec<u8>,
    /// The staff member (or admin) who issued it.
    pub issued_by: UserId,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The outcome of [`QrStore::claim_account_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Claimed now: the caller is linked to this apartment.
    Claimed(ApartmentId),
    /// This code was used before (by anyone, the caller included); nothing changed.
    AlreadyClaimed,
    /// A newer code was issued for the account; this one no longer works.
    Replaced,
    /// No code with this account and secret was ever issued.
    Unknown,
}

/// Account codes on bills, and what stickers and their public page read.
#[async_trait]
pub trait QrStore: Send + Sync {
    /// The apartment, building and company of an account.
    async fn account_scope(&self, account: AccountId) -> Result<Option<AccountScope>, StoreError>;
    /// Stores a new code for an account and retires its earlier unclaimed codes, in one
    /// transaction; [`StoreError::MissingReference`] for an unknown account or user.
    async fn issue_account_code(&self, code: NewAccountCode) -> Result<(), StoreError>;
    /// Claims the code with this account and secret hash for `user` and links the user to the
    /// account's apartment, in one transaction: of any number of concurrent claims exactly one
    /// gets [`ClaimOutcome::Claimed`].
    async fn claim_account_code(
        &self,
        account: AccountId,
        secret_hash: Vec<u8>,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError>;
    /// The buildings a company manages, by address (the sticker sheet).
    async fn company_buildings(&self, company: CompanyId) -> Result<Vec<Building>, StoreError>;
}

/// Everything the server needs from persistence. Later concerns add their traits here.
#[async_trait]
pub trait Store:
    AuthStore
    + PropertyStore
    + ReadingStore
    + ReportStore
    + PointsStore
    + OutageStore
    + GeoStore
    + QrStore
    + ReportFeedStore
    + StaffStore
    + RatingStore
    + Send
    + Sync
{
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

/// The UTC month of an instant, `YYYY-MM`, the unit of earning caps.
pub(crate) fn month_of(t: DateTime<Utc>) -> String {
    t.format("%Y-%m").to_string()
}

/// Reads a refusal code stored by `redeem_voucher`.
pub(crate) fn refusal_from_db(s: &str) -> VoucherError {
    match s {
        "forged" => VoucherError::Forged,
        "expired" => VoucherError::Expired,
        "wrong_partner" => VoucherError::WrongPartner,
        "already_redeemed" => VoucherError::AlreadyRedeemed,
        "unknown_key" => VoucherError::UnknownKey,
        _ => VoucherError::Malformed,
    }
}

/// Serialises a role for storage.
pub(crate) fn role_from_db(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("role {s:?}")))
}

/// A report status as stored (its snake_case wire name).
pub(crate) fn status_to_db(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::New => "new",
        ReportStatus::Accepted => "accepted",
        ReportStatus::InProgress => "in_progress",
        ReportStatus::Resolved => "resolved",
        ReportStatus::Rejected => "rejected",
        ReportStatus::Rated => "rated",
        ReportStatus::Reopened => "reopened",
    }
}

/// Reads a stored report status.
pub(crate) fn status_from_db(s: &str) -> Result<ReportStatus, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("report status {s:?}")))
}

/// Who wrote an event, as stored.
pub(crate) fn author_to_db(a: EventAuthor) -> &'static str {
    match a {
        EventAuthor::Resident => "resident",
        EventAuthor::Company => "company",
    }
}

/// Reads a stored event author.
pub(crate) fn author_from_db(s: &str) -> Result<EventAuthor, StoreError> {
    match s {
        "resident" => Ok(EventAuthor::Resident),
        "company" => Ok(EventAuthor::Company),
        _ => Err(StoreError::Corrupt(format!("event author {s:?}"))),
    }
}

/// `2026-000123`: year and a six-digit sequence (wider when the year needs it).
pub(crate) fn report_number(year: i32, seq: i64) -> String {
    format!("{year}-{seq:06}")
}

/// The UTC year of a unix-millis instant.
pub(crate) fn year_of(ms: i64) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .year()
}
