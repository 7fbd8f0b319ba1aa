//! Server configuration: one struct, every option settable by flag or `CONNECT_…` environment
//! variable, each documented once here and listed in `.env.example`.

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;

/// Everything the server reads at startup. No global mutable config: this is passed into
/// [`crate::AppState`].
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port; the chosen one is printed).
    #[arg(long, env = "CONNECT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Database URL: `sqlite://<path>` (embedded) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "CONNECT_DATABASE",
        default_value = "sqlite://./data/connect.db"
    )]
    pub database: String,

    /// Server secret (at least 32 characters) from which the keys for OTP hashes, the phone-number
    /// index and phone encryption are derived. Required by `serve`; `demo` generates one.
    #[arg(long, env = "CONNECT_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// URL that receives `{"to": "+7…", "text": "…"}` POSTs to send SMS; unset = codes go to the log.
    #[arg(long, env = "CONNECT_SMS_WEBHOOK")]
    pub sms_webhook: Option<String>,

    /// Phone number that receives the admin role when it logs in.
    #[arg(long, env = "CONNECT_ADMIN_PHONE")]
    pub admin_phone: Option<String>,

    /// Largest accepted request body in bytes.
    #[arg(long, env = "CONNECT_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,

    /// Most one-time codes one client IP may request per hour.
    #[arg(long, env = "CONNECT_OTP_IP_LIMIT", default_value_t = 20)]
    pub otp_ip_limit: u32,

    /// Seconds before another code may be sent to the same number.
    #[arg(long, env = "CONNECT_OTP_RESEND_SECS", default_value_t = 60)]
    pub otp_resend_secs: u32,

    /// Header holding the client IP when running behind a trusted reverse proxy
    /// (e.g. `x-forwarded-for`); unset = the peer address is used.
    #[arg(long, env = "CONNECT_TRUSTED_PROXY_HEADER")]
    pub trusted_proxy_header: Option<String>,

    /// JSON file with the problem-report categories (`[{"code", "title", "emergency",
    /// "deadline_hours"}]`); unset = the built-in list.
    #[arg(long, env = "CONNECT_REPORT_CATEGORIES")]
    pub report_categories: Option<PathBuf>,
    /// Points for a reading submitted within the provider's window.
    #[arg(long, env = "CONNECT_POINTS_ON_TIME_READING", default_value_t = 10)]
    pub points_on_time_reading: i64,
    /// Most points per UTC month from on-time readings.
    #[arg(long, env = "CONNECT_POINTS_ON_TIME_READING_CAP", default_value_t = 30)]
    pub points_on_time_reading_cap: i64,
    /// Points for rating a closed problem report.
    #[arg(long, env = "CONNECT_POINTS_RATED_REPORT", default_value_t = 20)]
    pub points_rated_report: i64,
    /// Most points per UTC month from rated reports.
    #[arg(long, env = "CONNECT_POINTS_RATED_REPORT_CAP", default_value_t = 60)]
    pub points_rated_report_cap: i64,
    /// Points for an answered house inspection.
    #[arg(long, env = "CONNECT_POINTS_HOUSE_INSPECTION", default_value_t = 50)]
    pub points_house_inspection: i64,
    /// Most points per UTC month from house inspections.
    #[arg(
        long,
        env = "CONNECT_POINTS_HOUSE_INSPECTION_CAP",
        default_value_t = 100
    )]
    pub points_house_inspection_cap: i64,
    /// Seconds a voucher stays valid; unredeemed, its points go back afterwards.
    #[arg(long, env = "CONNECT_VOUCHER_TTL_SECS", default_value_t = 600)]
    pub voucher_ttl_secs: u32,
    /// Most points one voucher may carry.
    #[arg(long, env = "CONNECT_VOUCHER_MAX_POINTS", default_value_t = 10_000)]
    pub voucher_max_points: u32,
    /// Key id (4 hex digits) of the voucher signing key, which is derived from the secret; change
    /// it together with the secret so tills can tell the keys apart.
    #[arg(long, env = "CONNECT_VOUCHER_KEY_ID", default_value = "0001")]
    pub voucher_key_id: String,
    /// Seconds between sweeps that expire unredeemed vouchers and give their points back.
    #[arg(long, env = "CONNECT_VOUCHER_SWEEP_SECS", default_value_t = 60)]
    pub voucher_sweep_secs: u64,

    /// Folder of shared data sets (the demo seeds real buildings from `geo/vologda` there).
    #[arg(long, env = "CONNECT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Tile URL template for the public map page (e.g. `https://tile.example/{z}/{x}/{y}.png`);
    /// empty = no tiles: buildings and outages draw on a plain background.
    #[arg(long, env = "CONNECT_MAP_TILES", default_value = "")]
    pub map_tiles: String,

    /// Directory holding the map page's npm libraries (`npm ci` in `server/web`).
    #[arg(long, env = "CONNECT_WEB_MODULES", default_value_os_t = default_web_modules())]
    pub web_modules: PathBuf,

    /// `host[:port]` residents' phones reach this server on; building stickers point to
    /// `https://<host>/p/<token>`. Unset: the listening address (development only).
    #[arg(long, env = "CONNECT_PUBLIC_HOST")]
    pub public_host: Option<String>,

    /// Key id (4 hex digits) of the key that signs new building stickers; the key is derived from
    /// the secret and this id. Rotate by choosing a new id and listing the old one as retired.
    #[arg(long, env = "CONNECT_STICKER_KEY_ID", default_value = "0001")]
    pub sticker_key_id: String,

    /// Retired sticker keys still accepted, comma-separated: `KEYID` (derived from this secret) or
    /// `KEYID:BASE64PUBKEY` (a key of an earlier secret). Stickers of a key removed from this list
    /// stop being genuine, on the public page and, after the app's next trust update, in the app.
    #[arg(long, env = "CONNECT_STICKER_RETIRED_KEYS", value_delimiter = ',')]
    pub sticker_retired_keys: Vec<String>,

    /// Where the public sticker page sends people to install the app.
    #[arg(
        long,
        env = "CONNECT_APP_URL",
        default_value = "https://play.google.com/store/search?q=CommunityConnect&c=apps"
    )]
    pub app_url: String,

    /// Base URL of the links the server mails (staff invites), e.g. `https://connect.example`;
    /// unset = `http://<listening address>`. With `https://` the session cookie is `Secure`.
    #[arg(long, env = "CONNECT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// URL that receives `{"to", "subject", "text"}` POSTs to send e-mail (a mail gateway
    /// adapter); unset = `CONNECT_MAIL_DIR`, else messages go to the log.
    #[arg(long, env = "CONNECT_MAIL_WEBHOOK")]
    pub mail_webhook: Option<String>,

    /// Folder where each e-mail is written as an `.eml` file (e.g. an MTA pickup directory).
    #[arg(long, env = "CONNECT_MAIL_DIR")]
    pub mail_dir: Option<PathBuf>,

    /// Hours a staff invite link stays valid.
    #[arg(long, env = "CONNECT_INVITE_TTL_HOURS", default_value_t = 168)]
    pub invite_ttl_hours: u32,
}

/// `server/web/node_modules` of this source tree, where `scripts/install-deps.sh` runs `npm ci`.
pub fn default_web_modules() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/web/node_modules"))
}

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// Embedded SQLite at this file.
    Sqlite(PathBuf),
    /// PostgreSQL with this connection URL.
    Postgres(String),
}

/// A database URL the server refuses.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not `sqlite://…` or `postgres://…`: refused rather than silently creating a file.
    #[error("CONNECT_DATABASE must start with sqlite:// or postgres:// (got scheme {0:?})")]
    UnknownScheme(String),
    /// `sqlite://` with nothing after it.
    #[error("CONNECT_DATABASE sqlite:// URL has no file path")]
    EmptySqlitePath,
    /// The server secret is missing or short.
    #[error("CONNECT_SECRET_KEY must be set to at least 32 characters")]
    WeakSecret,
}

impl DatabaseUrl {
    /// Parses `CONNECT_DATABASE`.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(ConfigError::EmptySqlitePath);
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
        Err(ConfigError::UnknownScheme(scheme.to_owned()))
    }
}

impl Config {
    /// The secret, checked for length.
    pub fn secret(&self) -> Result<&str, ConfigError> {
        match &self.secret_key {
            Some(s) if s.len() >= 32 => Ok(s),
            _ => Err(ConfigError::WeakSecret),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bare_paths_and_unknown_schemes_are_refused() {
        assert!(matches!(
            DatabaseUrl::parse("./data/connect.db"),
            Err(ConfigError::UnknownScheme(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("mysql://x"),
            Err(ConfigError::UnknownScheme(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite://"),
            Err(ConfigError::EmptySqlitePath)
        ));
    }

    #[test]
    fn sqlite_and_postgres_urls_are_recognised() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/connect.db").ok(),
            Some(DatabaseUrl::Sqlite("./data/connect.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1/test").ok(),
            Some(DatabaseUrl::Postgres(
                "postgres://postgres@127.0.0.1/test".into()
            ))
        );
    }

    #[test]
    fn a_missing_or_short_secret_is_refused() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            config: Config,
        }
        let cfg = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.config);
        assert!(cfg(&["x"]).unwrap().secret().is_err());
        assert!(
            cfg(&["x", "--secret-key", "short"])
                .unwrap()
                .secret()
                .is_err()
        );
        let long = "k".repeat(32);
        assert_eq!(
            cfg(&["x", "--secret-key", &long]).unwrap().secret().ok(),
            Some(long.as_str())
        );
        assert_eq!(cfg(&["x"]).unwrap().addr.to_string(), "127.0.0.1:8080");
    }
}
