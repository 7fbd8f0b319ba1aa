//! `ConnectApp` for the shells: core's app object, one line per method.
//!
//! The blocking methods (login, refresh, submit, lists) must be called off the UI thread; `sync_now`
//! is a suspend function in Kotlin and an async function in Swift, run on tokio.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use connect_core::{
    app,
    ids::{MeterId, ReadingId},
    readings::{Meter, TariffValue},
    store::{ReadingFilter, ReadingItem},
    sync::RoundEnd,
};

use crate::{
    error::ConnectError,
    listener::{AppListener, ForeignListener},
};

/// What the shell hands in at start. Core's configuration holds a file path and a fixed-size key,
/// which do not cross the boundary as such; this is its portable form.
#[derive(Clone, uniffi::Record)]
pub struct AppConfig {
    /// The SQLite file (created on first use), in the app's private storage.
    pub db_path: String,
    /// The server, e.g. `https://connect.example`.
    pub server_url: String,
    /// 32 bytes from Android Keystore / iOS Keychain; they seal personal fields at rest.
    pub db_key: Vec<u8>,
    /// Keys trusted for signed QR payloads, one `KEYID:BASE64PUBKEY` entry each.
    pub trusted_keys: Vec<String>,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("db_path", &self.db_path)
            .field("server_url", &self.server_url)
            .finish_non_exhaustive()
    }
}

impl TryFrom<AppConfig> for app::AppConfig {
    type Error = ConnectError;

    fn try_from(config: AppConfig) -> Result<Self, ConnectError> {
        let db_key = config
            .db_key
            .try_into()
            .map_err(|key: Vec<u8>| ConnectError::Other {
                reason: format!("the database key must be 32 bytes, got {}", key.len()),
            })?;
        Ok(app::AppConfig {
            db_path: config.db_path.into(),
            server_url: config.server_url,
            db_key,
            trusted_keys: config.trusted_keys,
        })
    }
}

/// The app: local store, sync engine and listener. Hold one per process.
#[derive(Debug, uniffi::Object)]
pub struct ConnectApp(app::ConnectApp);

impl ConnectApp {
    /// Core's app, for the other surfaces' `impl` blocks.
    pub(crate) fn core(&self) -> &app::ConnectApp {
        &self.0
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl ConnectApp {
    /// Opens (or creates) the local database and starts syncing in the background.
    #[uniffi::constructor]
    pub fn open(config: AppConfig) -> Result<Arc<Self>, ConnectError> {
        Ok(Arc::new(Self(app::ConnectApp::open(config.try_into()?)?)))
    }

    /// Sets (or replaces) the listener that receives the app's events.
    pub fn set_listener(&self, listener: Arc<dyn AppListener>) {
        self.0.set_listener(Box::new(ForeignListener(listener)))
    }

    /// Asks the server to send a login code by SMS.
    pub fn request_code(&self, phone: String) -> Result<(), ConnectError> {
        Ok(self.0.request_code(&phone)?)
    }

    /// Exchanges the SMS code for a session and resumes syncing.
    pub fn verify_code(&self, phone: String, code: String) -> Result<(), ConnectError> {
        Ok(self.0.verify_code(&phone, &code)?)
    }

    /// Whether a session is stored.
    pub fn is_logged_in(&self) -> Result<bool, ConnectError> {
        Ok(self.0.is_logged_in()?)
    }

    /// Ends the session; queued readings stay.
    pub fn logout(&self) -> Result<(), ConnectError> {
        Ok(self.0.logout()?)
    }

    /// Fetches the resident's property and returns its meters.
    pub fn refresh_property(&self) -> Result<Vec<Meter>, ConnectError> {
        Ok(self.0.refresh_property()?)
    }

    /// The meters known on this device (works offline).
    pub fn meters(&self) -> Result<Vec<Meter>, ConnectError> {
        Ok(self.0.meters()?)
    }

    /// Validates a reading on the device and queues it for upload (works offline).
    pub fn submit_reading(
        &self,
        meter_id: MeterId,
        values: Vec<TariffValue>,
        taken_at: DateTime<Utc>,
        confirmed_jump: bool,
    ) -> Result<ReadingId, ConnectError> {
        Ok(self
            .0
            .submit_reading(meter_id, values, taken_at, confirmed_jump)?)
    }

    /// Readings with their state and, for rejected ones, the reason.
    pub fn readings(&self, filter: ReadingFilter) -> Result<Vec<ReadingItem>, ConnectError> {
        Ok(self.0.readings(filter)?)
    }

    /// Syncs now (skipping any backoff) and says how the round ended.
    pub async fn sync_now(&self) -> Result<RoundEnd, ConnectError> {
        Ok(self.0.sync_now().await?)
    }

    /// The shell saw the network come back.
    pub fn connectivity_regained(&self) {
        self.0.connectivity_regained()
    }
}
