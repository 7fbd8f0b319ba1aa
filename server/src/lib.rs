//! connect-server: the CommunityConnect HTTP API on embedded SQLite or PostgreSQL.
//!
//! [`app`] assembles the router from one module per concern ([`auth`], [`property`], [`admin`],
//! [`readings`], [`reports`], [`points`], [`geo`], [`qr`], [`ops`]); each exposes
//! `fn router() -> Router<AppState>` with its routes listed at the top and
//! an `Api` struct with its OpenAPI paths. Persistence is behind the [`store::Store`] traits.

pub mod admin;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod dashboard;
pub mod demo;
pub mod demo_reports;
pub mod error;
pub mod geo;
pub mod load_seed;
pub mod mail;
pub mod notify;
pub mod ops;
pub mod outages;
pub mod points;
pub mod property;
pub mod qr;
pub mod rating;
pub mod readings;
pub mod report_sync;
pub mod reports;
pub mod staff;
pub mod store;
pub mod web;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, middleware};
use connect_core::auth::PhoneNumber;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::{catch_panic::CatchPanicLayer, trace::TraceLayer};

use crate::{auth::sms::SmsSender, crypto::Keys, store::Store};

/// Runtime settings derived from [`config::Config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// This number gets the admin role on login.
    pub admin_phone: Option<PhoneNumber>,
    /// Codes per client IP per hour.
    pub otp_ip_limit: u32,
    /// Seconds between codes to one number.
    pub otp_resend_secs: u32,
    /// Header with the client IP behind a trusted proxy.
    pub trusted_proxy_header: Option<String>,
    /// Largest accepted body in bytes.
    pub body_limit: usize,
    /// Problem-report categories and their deadlines.
    pub report_categories: Vec<connect_core::api::reports::ReportCategory>,
    /// Points rules and voucher settings.
    pub points: points::PointsSettings,
    /// Tile URL template for the public map (`https://…/{z}/{x}/{y}.png`); empty = no tiles.
    pub map_tiles: String,
    /// Where `npm ci` put the map page's libraries (`server/web/node_modules`).
    pub web_modules: std::path::PathBuf,
    /// Sticker host and signing keys (current and retired).
    pub stickers: qr::StickerSettings,
    /// Where the public sticker page links to install the app.
    pub app_url: String,
    /// Base URL of links the server mails (`https://connect.example`); the server fills in its
    /// listening address when unset.
    pub public_url: String,
    /// Hours a staff invite link stays valid.
    pub invite_ttl_hours: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            admin_phone: None,
            otp_ip_limit: 20,
            otp_resend_secs: 60,
            trusted_proxy_header: None,
            body_limit: 1024 * 1024,
            report_categories: reports::default_categories(),
            points: points::PointsSettings::default(),
            map_tiles: String::new(),
            web_modules: config::default_web_modules(),
            stickers: qr::StickerSettings::default(),
            app_url: "https://play.google.com/store/search?q=CommunityConnect&c=apps".into(),
            public_url: String::new(),
            invite_ttl_hours: 7 * 24,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Keys derived from the server secret.
    pub keys: Arc<Keys>,
    /// SMS delivery.
    pub sms: Arc<dyn SmsSender>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Prometheus renderer for `/metrics`.
    pub metrics: PrometheusHandle,
    /// The voucher signing key (derived from the secret).
    pub vouchers: Arc<points::VoucherKeys>,
    /// Per-region building indexes (empty until [`geo::GeoState::load_all`]).
    pub geo: Arc<geo::GeoState>,
    /// The settler of queued points earnings (see [`points::earnings`]).
    pub earnings: Arc<points::Earnings>,
    /// The sticker signing keys and trust list (derived from the secret).
    pub stickers: Arc<qr::StickerKeys>,
    /// E-mail delivery (staff invites); the log unless [`AppState::with_mail`] sets another.
    pub mail: Arc<dyn mail::MailSender>,
}

impl AppState {
    /// State from its parts, with the process-wide metrics recorder.
    pub fn new(
        store: Arc<dyn Store>,
        keys: Keys,
        sms: Arc<dyn SmsSender>,
        settings: Settings,
    ) -> Self {
        let vouchers = Arc::new(points::VoucherKeys::new(
            &keys,
            settings.points.voucher_key_id,
        ));
        let stickers = Arc::new(qr::StickerKeys::new(&keys, &settings.stickers));
        AppState {
            store,
            vouchers,
            stickers,
            keys: Arc::new(keys),
            sms,
            settings: Arc::new(settings),
            metrics: ops::prometheus(),
            geo: Arc::new(geo::GeoState::new()),
            earnings: Arc::default(),
            mail: Arc::new(mail::LogMailSender),
        }
    }

    /// The same state delivering e-mail through `mail`.
    pub fn with_mail(mut self, mail: Arc<dyn mail::MailSender>) -> Self {
        self.mail = mail;
        self
    }

    /// An absolute link to `path` (starting with `/`) under the public URL.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.settings.public_url.trim_end_matches('/'))
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let limit = state.settings.body_limit;
    Router::new()
        .merge(ops::router())
        .merge(auth::router())
        .merge(property::router())
        .merge(admin::router())
        .merge(reports::router())
        .merge(readings::router())
        .merge(points::router())
        .merge(outages::router())
        .merge(geo::router())
        .merge(qr::router())
        .merge(staff::router())
        .merge(web::router())
        .merge(rating::router())
        .merge(dashboard::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(ops::track))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
