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
