//! `ConnectApp`: the one object a shell (Android, iOS, the CLI) talks to.
//!
//! It owns the local store, a tokio runtime and the sync engine running on it. Every method works
//! offline: reads come from the store, writes go to the outbox and trigger a sync. Events reach the
//! shell through one [`AppListener`].

use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
};

use chrono::{DateTime, SubsecRound, Utc};
use rand::{SeedableRng, rngs::StdRng};

use crate::{
    api::{
        auth::{SendCodeRequest, VerifyCodeRequest},
        qr::ClaimAccountRequest,
        reports::{FileReportRequest, MAX_PHOTOS, MAX_PLACE_CHARS, MAX_TEXT_CHARS, ReportCategory},
    },
    auth::PhoneNumber,
    geo::{
        Lookup,
        offline::{self, GeoPackInfo, GeoPackUpdate, OfflinePacks, PackStoreError},
    },
    ids::{AccountId, ApartmentId, BuildingId, MeterId, OutageId, ReadingId, ReportId},
    outages::OutageState,
    qr::{
        self, AccountCodeError, SigningError, StickerClaims, StickerError, StickerTrust, TrustList,
    },
    readings::{
        Meter, Reading, TariffValue,
        validation::{ValidationInput, validate},
    },
    reports::{ReportError, ReportStatus, check_text, photos::prepare_photo},
    store::{
        self, ReadingFilter, ReadingItem, Store,
        outages::OutageItem,
        reports::{NewAction, ReportBuilding, ReportItem},
    },
    sync::{
        self, EngineConfig, HttpTransport, PackDownload, RoundEnd, SyncEngine, Transport,
        TransportError, Trigger,
    },
};

/// What the shell hands in at start.
#[derive(Clone)]
pub struct AppConfig {
    /// The SQLite file (created on first use).
    pub db_path: PathBuf,
    /// The server, e.g. `https://connect.example`.
    pub server_url: String,
    /// The 32-byte key from the platform keystore that seals personal fields.
    pub db_key: [u8; 32],
    /// Keys trusted for signed QR payloads, one `KEYID:BASE64PUBKEY` entry each (the format
    /// `qr::TrustList::add_entry` reads), so keys rotate without an app update.
    pub trusted_keys: Vec<String>,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("db_path", &self.db_path)
            .field("server_url", &self.server_url)
            .field("trusted_keys", &self.trusted_keys.len())
            .finish_non_exhaustive()
    }
}

/// Something the shell may want to show. New capabilities (report status changed, points changed)
/// add their variants here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum AppEvent {
    /// A sync round started.
    SyncStarted,
    /// A batch was answered.
    SyncProgress {
        /// Readings in the batch just answered.
        sent: u64,
        /// Readings still in the outbox.
        queued: u64,
    },
    /// A sync round ended.
    SyncFinished {
        /// How.
        end: RoundEnd,
    },
    /// The server stored a reading.
    ReadingAccepted {
        /// The reading.
        id: ReadingId,
        /// Outside the provider's window.
        late: bool,
    },
    /// The server refused a reading; it stays visible in the rejected list with this reason.
    ReadingRejected {
        /// The reading.
        id: ReadingId,
        /// Stable code.
        code: String,
        /// Message for the resident.
        message: String,
    },
    /// The session is gone: show the login screen. Queued readings are kept.
    SessionExpired,
    /// An outage hitting one of the resident's buildings arrived, changed on the server, or
    /// started or ended by the clock (it is in [`ConnectApp::outages`] already): notify the
    /// resident. Each transition is told once, also when it happens offline.
    OutageChanged {
        /// The outage.
        id: OutageId,
        /// Its state when it was received.
        state: OutageState,
    },
    /// The points balance changed (points earned, a voucher reserved, an unused voucher's points
    /// returned); [`ConnectApp::points_balance`] and the history already show it.
    PointsChanged {
        /// The balance now.
        balance: i64,
    },
    /// An outage no longer hits any of the resident's buildings (the operator narrowed its
    /// area): it was dropped from [`ConnectApp::outages`]; tell the resident it is not theirs.
    OutageWithdrawn {
        /// The outage.
        id: OutageId,
    },
    /// The server accepted a report filed on this device and gave it its public number.
    ReportFiled {
        /// The report.
        id: ReportId,
        /// Its public number, e.g. `2026-000123`.
        number: String,
        /// The server's SHA-256 of the filed content equals the one computed here over what was
        /// sent (false is never expected: show a warning).
        content_verified: bool,
    },
    /// The server refused a report, or a rating or reopening of it; it stays visible in
    /// [`ConnectApp::reports`] with this reason.
    ReportRejected {
        /// The report.
        id: ReportId,
        /// Stable code.
        code: String,
        /// Message for the resident.
        message: String,
    },
    /// A report's status changed or the company answered (already in
    /// [`ConnectApp::reports`]): notify the resident.
    ReportStatusChanged {
        /// The report.
        id: ReportId,
        /// Its public number, when known.
        number: Option<String>,
        /// The status after the change.
        status: ReportStatus,
        /// The words that came with it (the company's answer, a reason).
        message: Option<String>,
    },
}

/// A personal account the resident just claimed with the code from a bill.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ClaimedAccount {
    /// The account.
    pub account_id: AccountId,
    /// Its apartment, now one of the resident's homes.
    pub apartment_id: ApartmentId,
    /// The building's address, to confirm on screen.
    pub address: String,
    /// The account's meters (now on this device).
    pub meters: Vec<Meter>,
}

/// The shell's callback for [`AppEvent`]s. Called from the app's runtime threads.
pub trait AppListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: AppEvent);
}

/// Errors of the facade, named for the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The local database could not be opened or upgraded.
    #[error("could not open the local database")]
    OpenDb(#[source] store::Error),
    /// The key handed in does not open this database.
    #[error("the database key does not match this database")]
    WrongKey,
    /// The async runtime could not start.
    #[error("could not start the background runtime")]
    Runtime(#[source] std::io::Error),
    /// A trusted key entry is not `KEYID:BASE64PUBKEY`.
    #[error("a trusted key entry is malformed")]
    TrustedKey(#[source] SigningError),
    /// The server URL has no host (stickers are checked against it).
    #[error("the server URL has no host")]
    ServerUrl,
    /// The HTTP client could not be built.
    #[error("could not set up the network client")]
    Transport(#[source] TransportError),
    /// The phone number is malformed.
    #[error(transparent)]
    Phone(#[from] crate::auth::PhoneError),
    /// A login call failed.
    #[error("login failed")]
    Login(#[source] TransportError),
    /// The call needs a session: log in first.
    #[error("not logged in")]
    NotLoggedIn,
    /// Fetching the property failed.
    #[error("could not fetch the property")]
    FetchProperty(#[source] TransportError),
    /// No such meter on this device (refresh the property first).
    #[error("unknown meter {0}")]
    UnknownMeter(MeterId),
    /// The reading breaks a rule; it is kept in the rejected list with this reason.
    #[error("{message}")]
    Rejected {
        /// The stored reading's id.
        id: ReadingId,
        /// Stable rule code.
        code: String,
        /// Message for the resident.
        message: String,
    },
    /// The consumption is far above this meter's history: ask the resident, then resubmit with
    /// `confirmed_jump`. Nothing was stored.
    #[error("{message}")]
    NeedsConfirmation {
        /// Message for the resident.
        message: String,
    },
    /// Fetching the outages of an area failed.
    #[error("could not fetch the outages")]
    FetchOutages(#[source] TransportError),
    /// Reading or writing the local store failed.
    #[error("local storage failed")]
    Storage(#[source] store::Error),
    /// The text is not a well-formed account code (checked offline, before any call); a
    /// building sticker is refused here too.
    #[error(transparent)]
    AccountCode(AccountCodeError),
    /// The server refused the account code or could not be reached.
    #[error("could not claim the account")]
    ClaimAccount(#[source] TransportError),
    /// The sync engine failed.
    #[error("sync failed")]
    Sync(#[source] sync::Error),
    /// Fetching the points and the voucher keys failed.
    #[error("could not fetch the points")]
    FetchPoints(#[source] TransportError),
    /// Fetching the session's account (`GET /v1/me`: roles, the cashier's shop) failed.
    #[error("could not fetch the account")]
    FetchAccount(#[source] TransportError),
    /// Making a voucher failed (offline, not enough points, …).
    #[error("could not make the voucher")]
    CreateVoucher(#[source] TransportError),
    /// A redemption got no usable answer (retry with the same attempt id).
    #[error("could not redeem the voucher")]
    Redeem(#[source] TransportError),
    /// The voucher was refused, offline or by the server; the message says why.
    #[error(transparent)]
    Voucher(#[from] crate::points::VoucherError),
    /// The voucher could not be drawn as a QR code.
    #[error("could not draw the voucher's QR code")]
    RenderQr(#[source] qrcode::types::QrError),
    /// Downloading a building pack got no usable answer; the previous pack stays in use.
    #[error("could not download the building pack")]
    FetchGeoPack(#[source] TransportError),
    /// A building pack was not installed (damaged, wrong region, not writable); the previous
    /// pack stays in use.
    #[error(transparent)]
    GeoPack(#[from] PackStoreError),
    /// No building pack is installed yet: call [`ConnectApp::update_geo_pack`] first.
    #[error("no building pack is installed")]
    NoGeoPack,
    /// A report, rating or reopening was refused on the device; nothing was stored.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Fetching the report categories failed.
    #[error("could not fetch the report categories")]
    FetchCategories(#[source] TransportError),
}

type Listener = Arc<RwLock<Option<Box<dyn AppListener>>>>;

/// The app: store, runtime, sync engine and listener.
///
/// The network methods other than [`ConnectApp::sync_now`] block on the app's own runtime: call
/// them from a shell's background thread, never from inside an async runtime. Listener callbacks
/// run on the runtime's threads and must not call blocking methods of the app.
pub struct ConnectApp {
    store: Arc<Store>,
    transport: Arc<dyn Transport>,
    engine: SyncEngine,
    listener: Listener,
    sticker_trust: StickerTrust,
    geo: OfflinePacks,
    // Dropped last: the engine's task runs on it.
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for ConnectApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectApp")
            .field("db", &self.store.path())
            .finish_non_exhaustive()
    }
}

impl ConnectApp {
    /// Opens the store and starts the sync engine against the real server.
    pub fn open(config: AppConfig) -> Result<ConnectApp, AppError> {
        let transport = HttpTransport::new(&config.server_url).map_err(AppError::Transport)?;
        Self::open_with(config, Arc::new(transport), EngineConfig::default())
    }

    /// Opens with another transport (an in-process server in tests) and engine pacing.
    pub fn open_with(
        config: AppConfig,
        transport: Arc<dyn Transport>,
        engine_config: EngineConfig,
    ) -> Result<ConnectApp, AppError> {
        let sticker_trust = sticker_trust(&config)?;
        let store = match Store::open(&config.db_path, &config.db_key) {
            Ok(s) => Arc::new(s),
            Err(store::Error::WrongKey) => return Err(AppError::WrongKey),
            Err(e) => return Err(AppError::OpenDb(e)),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("connect-core")
            .enable_all()
            .build()
            .map_err(AppError::Runtime)?;
        let listener: Listener = Arc::new(RwLock::new(None));
        let sink_listener = Arc::clone(&listener);
        let events: sync::engine::EventSink = Arc::new(move |event| {
            if let Ok(guard) = sink_listener.read()
                && let Some(l) = guard.as_ref()
            {
                l.on_event(event);
            }
        });
        let engine = SyncEngine::spawn(
            runtime.handle(),
            Arc::clone(&store),
            Arc::clone(&transport),
            events,
            engine_config,
            StdRng::from_os_rng(),
        );
        let geo = OfflinePacks::open(offline::pack_dir(&config.db_path));
        Ok(ConnectApp {
            store,
            transport,
            engine,
            listener,
            sticker_trust,
            geo,
            runtime,
        })
    }

    /// Verifies a scanned building sticker offline against the trusted keys and the server's host.
    /// A sticker never links an account; the shell opens the building it names.
    pub fn verify_sticker(&self, url_or_text: &str) -> Result<StickerClaims, StickerError> {
        qr::verify_sticker(url_or_text, &self.sticker_trust)
    }

    /// Sets (or replaces) the listener.
    pub fn set_listener(&self, listener: Box<dyn AppListener>) {
        if let Ok(mut guard) = self.listener.write() {
            *guard = Some(listener);
        }
    }

    /// Asks the server to send a login code by SMS.
    pub fn request_code(&self, phone: &str) -> Result<(), AppError> {
        let phone = PhoneNumber::parse(phone)?;
        let request = SendCodeRequest {
            phone: phone.as_str().to_owned(),
        };
        self.runtime
            .block_on(self.transport.send_code(&request))
            .map_err(AppError::Login)?;
        Ok(())
    }

    /// Exchanges the SMS code for a session, stores it, and resumes syncing.
    pub fn verify_code(&self, phone: &str, code: &str) -> Result<(), AppError> {
        let phone = PhoneNumber::parse(phone)?;
        let request = VerifyCodeRequest {
            phone: phone.as_str().to_owned(),
            code: code.trim().to_owned(),
        };
        let session = self
            .runtime
            .block_on(self.transport.verify_code(&request))
            .map_err(AppError::Login)?;
        self.store
            .write(|tx| store::session::save(tx, self.store.cipher(), &session, phone.as_str()))
            .map_err(AppError::Storage)?;
        self.engine.session_refreshed();
        Ok(())
    }

    /// Whether a session is stored.
    pub fn is_logged_in(&self) -> Result<bool, AppError> {
        Ok(self.session_token()?.is_some())
    }

    fn session_token(&self) -> Result<Option<String>, AppError> {
        self.store
            .read(|c| store::session::load(c, self.store.cipher()))
            .map(|s| s.map(|s| s.token))
            .map_err(AppError::Storage)
    }

    /// Ends the session on the server (best effort) and forgets it here. Queued readings stay.
    pub fn logout(&self) -> Result<(), AppError> {
        if let Some(token) = self.session_token()?
            && let Err(error) = self.runtime.block_on(self.transport.logout(&token))
        {
            tracing::info!(%error, "server logout failed; forgetting the session locally anyway");
        }
        self.store
            .write(store::session::clear)
            .map_err(AppError::Storage)
    }

    /// Fetches `GET /v1/property` and stores the meters (and sealed account details).
    pub fn refresh_property(&self) -> Result<Vec<Meter>, AppError> {
        let token = self.session_token()?.ok_or(AppError::NotLoggedIn)?;
        let property = self
            .runtime
            .block_on(self.transport.property(&token))
            .map_err(AppError::FetchProperty)?;
        self.store
            .write(|tx| {
                store::readings::replace_property(tx, self.store.cipher(), &property)?;
                store::reports::replace_buildings(tx, &property)
            })
            .map_err(AppError::Storage)?;
        // Categories change rarely; a failure here keeps the cached list and is not the
        // property's failure.
        if let Err(error) = self.refresh_report_categories() {
            tracing::info!(%error, "could not refresh the report categories; keeping the cached list");
        }
        self.meters()
    }

    /// Claims a personal account with the code from the bill (typed or scanned). The code is
    /// checked offline for typos first, then once by the server; a building sticker is never an
    /// account code. On success the property is fetched again, so the meters are on this device.
    pub fn claim_account(&self, code_text: &str) -> Result<ClaimedAccount, AppError> {
        let code = qr::AccountCode::parse(code_text).map_err(AppError::AccountCode)?;
        let token = self.session_token()?.ok_or(AppError::NotLoggedIn)?;
        let request = ClaimAccountRequest {
            code: code.to_string(),
        };
        let answer = self
            .runtime
            .block_on(self.transport.claim_account(&token, &request))
            .map_err(AppError::ClaimAccount)?;
        // The claim stands either way; a failed refresh is repaired by the next one.
        if let Err(error) = self.refresh_property() {
            tracing::info!(%error, "property refresh after a claim failed");
        }
        let home = answer.home;
        Ok(ClaimedAccount {
            account_id: answer.account_id,
            apartment_id: home.apartment.id,
            address: home.building.address,
            meters: home
                .meters
                .into_iter()
                .filter(|m| m.account_id == answer.account_id)
                .collect(),
        })
    }

    /// The meters known on this device.
    pub fn meters(&self) -> Result<Vec<Meter>, AppError> {
        self.store
            .read(store::readings::meters)
            .map_err(AppError::Storage)
    }

    /// Validates a reading against this meter's local history and queues it for upload.
    ///
    /// A hard rule failure stores the reading as rejected (visible in the list) and returns
    /// [`AppError::Rejected`]; an unconfirmed jump stores nothing and returns
    /// [`AppError::NeedsConfirmation`]. Late readings and overdue meters are queued as usual: the
    /// server decides with its own clock.
    pub fn submit_reading(
        &self,
        meter_id: MeterId,
        values: Vec<TariffValue>,
        taken_at: DateTime<Utc>,
        confirmed_jump: bool,
    ) -> Result<ReadingId, AppError> {
        let reading = Reading {
            id: ReadingId(crate::ids::new_v7()),
            meter_id,
            values,
            // Microseconds survive every database the server may use, so the content the server
            // compares on a resend is byte-for-byte what was first sent.
            taken_at: taken_at.trunc_subsecs(6),
            confirmed_jump,
        };
        let now = Utc::now();
        let id = self
            .store
            .write(|tx| {
                let Some((meter, window)) = store::readings::meter(tx, meter_id)? else {
                    return Ok(Err(AppError::UnknownMeter(meter_id)));
                };
                let history = store::readings::validation_history(tx, meter_id)?;
                let verdict = validate(ValidationInput {
                    meter: &meter,
                    history: &history,
                    reading: &reading,
                    window,
                    now,
                });
                if verdict.needs_confirmation {
                    let message = verdict.rejection.map(|r| r.message).unwrap_or_default();
                    return Ok(Err(AppError::NeedsConfirmation { message }));
                }
                if let Some(rejection) = verdict.rejection {
                    store::readings::record_rejected(
                        tx,
                        &reading,
                        rejection.code.as_str(),
                        &rejection.message,
                        now,
                    )?;
                    return Ok(Err(AppError::Rejected {
                        id: reading.id,
                        code: rejection.code.as_str().to_owned(),
                        message: rejection.message,
                    }));
                }
                store::readings::enqueue(tx, &reading, now)?;
                Ok(Ok(reading.id))
            })
            .map_err(AppError::Storage)??;
        self.engine.trigger(Trigger::NewWrite);
        Ok(id)
    }

    /// Readings with their state and, for rejected ones, the reason.
    pub fn readings(&self, filter: ReadingFilter) -> Result<Vec<ReadingItem>, AppError> {
        self.store
            .read(|c| store::readings::list(c, filter))
            .map_err(AppError::Storage)
    }

    /// The outages cached on this device (those hitting the resident's buildings first, then
    /// nearby ones), with their state now and when each was received. Works offline.
    pub fn outages(&self) -> Result<Vec<OutageItem>, AppError> {
        self.store
            .read(|c| store::outages::list(c, Utc::now()))
            .map_err(AppError::Storage)
    }

    /// Fetches the outages around a map area (`GET /v1/outages?bbox=`) into the cache; returns
    /// the whole cached list.
    pub fn refresh_nearby_outages(
        &self,
        west: f64,
        south: f64,
        east: f64,
        north: f64,
    ) -> Result<Vec<OutageItem>, AppError> {
        let list = self
            .runtime
            .block_on(self.transport.outages_in([west, south, east, north]))
            .map_err(AppError::FetchOutages)?;
        self.store
            .write(|tx| store::outages::merge(tx, &list.outages, false, Utc::now()))
            .map_err(AppError::Storage)?;
        self.outages()
    }

    /// The buildings where the resident may file a report (their homes, as of the last
    /// [`Self::refresh_property`]).
    pub fn report_buildings(&self) -> Result<Vec<ReportBuilding>, AppError> {
        self.store
            .read(store::reports::buildings)
            .map_err(AppError::Storage)
    }

    /// The report categories cached on this device, in the server's order (empty until fetched
    /// once online).
    pub fn report_categories(&self) -> Result<Vec<ReportCategory>, AppError> {
        self.store
            .read(store::reports::categories)
            .map_err(AppError::Storage)
    }

    /// Fetches the published categories (`GET /v1/report-categories`) into the cache.
    pub fn refresh_report_categories(&self) -> Result<Vec<ReportCategory>, AppError> {
        let list = self
            .runtime
            .block_on(self.transport.report_categories())
            .map_err(AppError::FetchCategories)?;
        self.store
            .write(|tx| store::reports::replace_categories(tx, &list.categories))
            .map_err(AppError::Storage)?;
        Ok(list.categories)
    }

    /// Files a problem report, offline: checks it, prepares the photos (upright, at most
    /// 1600 px, JPEG under the server's limit, EXIF dropped), gives it its UUIDv7, and stores it
    /// with its outbox row in one transaction. The sync engine delivers it exactly once; once
    /// accepted it has its public number ([`AppEvent::ReportFiled`]).
    ///
    /// `building_id` may be `None` when the resident has one building; `category` must be one of
    /// [`Self::report_categories`] when that list is known. At most 5 photos (JPEG or PNG).
    pub fn file_report(
        &self,
        building_id: Option<BuildingId>,
        category: &str,
        text: &str,
        place: &str,
        photos: Vec<Vec<u8>>,
    ) -> Result<ReportId, AppError> {
        check_text("text", text, MAX_TEXT_CHARS)?;
        check_text("place", place, MAX_PLACE_CHARS)?;
        if photos.len() > MAX_PHOTOS {
            return Err(ReportError::TooManyPhotos { max: MAX_PHOTOS }.into());
        }
        let categories = self.report_categories()?;
        if !categories.is_empty() && !categories.iter().any(|c| c.code == category) {
            return Err(ReportError::UnknownCategory {
                code: category.to_owned(),
            }
            .into());
        }
        let buildings = self.report_buildings()?;
        let building_id = match (building_id, buildings.as_slice()) {
            (Some(b), known) if known.is_empty() || known.iter().any(|k| k.id == b) => b,
            (Some(_), _) => return Err(ReportError::UnknownBuilding.into()),
            (None, [only]) => only.id.clone(),
            (None, []) => return Err(ReportError::NoBuilding.into()),
            (None, _) => return Err(ReportError::ChooseBuilding.into()),
        };
        let mut prepared = Vec::with_capacity(photos.len());
        for (index, photo) in photos.iter().enumerate() {
            prepared.push(
                prepare_photo(photo).map_err(|e| ReportError::UnreadablePhoto {
                    index,
                    reason: e.to_string(),
                })?,
            );
        }
        let request = FileReportRequest {
            id: ReportId(crate::ids::new_v7()),
            building_id,
            category: category.to_owned(),
            text: text.to_owned(),
            place: place.to_owned(),
            photos: prepared
                .iter()
                .map(|jpeg| {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD.encode(jpeg)
                })
                .collect(),
        };
        self.store
            .write(|tx| {
                store::reports::enqueue_report(
                    tx,
                    self.store.cipher(),
                    &request,
                    &prepared,
                    Utc::now(),
                )
            })
            .map_err(AppError::Storage)?;
        self.engine.trigger(Trigger::NewWrite);
        Ok(request.id)
    }

    /// The reports on this device (filed here or pulled by sync), newest first, with their
    /// status, delivery, history and the resident's actions. Works offline.
    pub fn reports(&self) -> Result<Vec<ReportItem>, AppError> {
        self.store
            .read(|c| store::reports::list(c, self.store.cipher()))
            .map_err(AppError::Storage)
    }

    /// One report.
    pub fn report(&self, id: ReportId) -> Result<Option<ReportItem>, AppError> {
        self.store
            .read(|c| store::reports::get(c, self.store.cipher(), id))
            .map_err(AppError::Storage)
    }

    /// Photo `n` (from 0) of a report filed on this device, as sent.
    pub fn report_photo(&self, id: ReportId, n: u32) -> Result<Option<Vec<u8>>, AppError> {
        self.store
            .read(|c| store::reports::photo(c, self.store.cipher(), id, n))
            .map_err(AppError::Storage)
    }

    /// Rates a resolved or rejected report (1–5 stars, once), offline: queued with its own
    /// UUIDv7, which the server uses to answer a retry instead of refusing it. Returns that id.
    pub fn rate_report(
        &self,
        id: ReportId,
        stars: u8,
        comment: Option<String>,
    ) -> Result<uuid::Uuid, AppError> {
        if let Some(c) = comment.as_deref() {
            check_text("comment", c, MAX_TEXT_CHARS)?;
        }
        self.queue_action(id, NewAction::Rate { stars, comment })
    }

    /// Reopens a resolved, rejected or rated report (the problem is back), offline, like
    /// [`Self::rate_report`].
    pub fn reopen_report(&self, id: ReportId, reason: &str) -> Result<uuid::Uuid, AppError> {
        check_text("reason", reason, MAX_TEXT_CHARS)?;
        self.queue_action(
            id,
            NewAction::Reopen {
                reason: reason.to_owned(),
            },
        )
    }

    fn queue_action(&self, id: ReportId, action: NewAction) -> Result<uuid::Uuid, AppError> {
        let queued = self
            .store
            .write(|tx| {
                store::reports::enqueue_action(tx, self.store.cipher(), id, &action, Utc::now())
            })
            .map_err(AppError::Storage)??;
        self.engine.trigger(Trigger::NewWrite);
        Ok(queued)
    }

    /// Syncs now (skipping any backoff) and returns how the round ended.
    pub async fn sync_now(&self) -> Result<RoundEnd, AppError> {
        self.engine.sync_now().await.map_err(AppError::Sync)
    }

    /// [`Self::sync_now`] for callers without a runtime (the CLI, tests).
    pub fn sync_now_blocking(&self) -> Result<RoundEnd, AppError> {
        self.runtime.block_on(self.sync_now())
    }

    /// The shell reports that the network came back.
    pub fn connectivity_regained(&self) {
        self.engine.trigger(Trigger::ConnectivityRegained);
    }

    /// Downloads `region`'s building pack unless the installed one is current (`If-None-Match`,
    /// answered 304), checks it whole, stores it beside the database and puts it in use. A
    /// truncated or corrupted download is refused with [`AppError::GeoPack`] and the previous
    /// pack stays in use, on disk and in memory.
    pub fn update_geo_pack(&self, region: &str) -> Result<GeoPackUpdate, AppError> {
        let region = offline::valid_region(region)?;
        let etag = self.geo.etag(&region);
        let answer = self
            .runtime
            .block_on(self.transport.geo_pack(&region.0, etag.as_deref()))
            .map_err(AppError::FetchGeoPack)?;
        match (answer, self.geo.info(&region)) {
            (PackDownload::NotModified, Some(info)) => Ok(GeoPackUpdate::Unchanged(info)),
            // A 304 without our ETag having been sent is a broken intermediary.
            (PackDownload::NotModified, None) => Err(AppError::FetchGeoPack(
                TransportError::Decode("304 Not Modified for a pack never downloaded".into()),
            )),
            (PackDownload::Pack(bytes), _) => {
                let info = self.geo.install(&region, &bytes)?;
                tracing::info!(region = %region.0, buildings = info.buildings, bytes = info.bytes,
                    "building pack installed");
                Ok(GeoPackUpdate::Installed(info))
            }
        }
    }

    /// The building packs installed on this device.
    pub fn geo_packs(&self) -> Vec<GeoPackInfo> {
        self.geo.installed()
    }

    /// Which building is at a GPS fix (WGS84) and who manages it, offline from the installed
    /// packs: inside a footprint, else the buildings within max(accuracy, 30 m), else nothing.
    pub fn locate(&self, lat: f64, lon: f64, accuracy_m: f64) -> Result<Lookup, AppError> {
        self.geo
            .locate(lat, lon, accuracy_m)
            .ok_or(AppError::NoGeoPack)
    }
}

/// Genuine stickers point at the server the app talks to (`host[:port]`), signed by a trusted key.
fn sticker_trust(config: &AppConfig) -> Result<StickerTrust, AppError> {
    let url = reqwest::Url::parse(&config.server_url).map_err(|_| AppError::ServerUrl)?;
    let host = url.host_str().ok_or(AppError::ServerUrl)?;
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let mut keys = TrustList::new();
    for entry in &config.trusted_keys {
        keys.add_entry(entry).map_err(AppError::TrustedKey)?;
    }
    Ok(StickerTrust { host, keys })
}

mod points;
pub use points::IssuedVoucher;

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync>() {}

    #[test]
    fn the_app_and_its_records_can_be_shared_across_threads() {
        // Shells hold the app in an `Arc` and call it from any thread.
        shareable::<ConnectApp>();
        shareable::<AppEvent>();
        shareable::<ReadingItem>();
        shareable::<AppError>();
    }
}
