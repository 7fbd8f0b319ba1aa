//! Opening the core on a desktop: where the database lives, where its key comes from, and the
//! `connect login` command.
//!
//! The key is `CONNECT_DB_KEY` (64 hex digits) when set; otherwise a random key in a file next to
//! the database, created on first use with mode 0600. That file is the desktop's stand-in for the
//! phone's keystore.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, Result, bail};
use clap::Args;
use connect_core::{
    app::{AppConfig, ConnectApp},
    sync::{EngineConfig, HttpTransport},
};
use ring::rand::{SecureRandom, SystemRandom};

/// Where the local database is and which server to talk to.
#[derive(Debug, Clone, Args)]
pub struct AppArgs {
    /// The local database file (default: `connect.db` in the user's data directory).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    /// The server's base URL.
    #[arg(
        long,
        global = true,
        env = "CONNECT_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
}

impl AppArgs {
    /// Opens the app core on the chosen database.
    pub fn open(&self) -> Result<ConnectApp> {
        self.open_with(EngineConfig::default())
    }

    /// [`AppArgs::open`] with the sync engine's pacing (e.g. a smaller upload batch).
    pub fn open_with(&self, engine: EngineConfig) -> Result<ConnectApp> {
        let db_path = match &self.db {
            Some(p) => p.clone(),
            None => {
                let dir = data_dir();
                fs::create_dir_all(&dir)
                    .with_context(|| format!("creating the data directory {}", dir.display()))?;
                dir.join("connect.db")
            }
        };
        let db_key = database_key(&db_path)?;
        let transport = HttpTransport::new(&self.server)
            .with_context(|| format!("the server URL {}", self.server))?;
        ConnectApp::open_with(
            AppConfig {
                db_path,
                server_url: self.server.clone(),
                db_key,
                trusted_keys: vec![],
            },
            Arc::new(transport),
            engine,
        )
        .context("opening the local database")
    }
}

/// `$XDG_DATA_HOME/connect`, else `~/.local/share/connect`, else `./.connect`.
fn data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("connect");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/connect"),
        None => PathBuf::from(".connect"),
    }
}

/// The 32-byte database key: `CONNECT_DB_KEY`, or the key file beside the database.
fn database_key(db_path: &Path) -> Result<[u8; 32]> {
    if let Ok(hex_key) = std::env::var("CONNECT_DB_KEY") {
        return parse_key(hex_key.trim()).context("CONNECT_DB_KEY");
    }
    let key_path = db_path.with_extension("key");
    match fs::read_to_string(&key_path) {
        Ok(text) => {
            parse_key(text.trim()).with_context(|| format!("key file {}", key_path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(&key_path),
        Err(e) => Err(e).with_context(|| format!("reading the key file {}", key_path.display())),
    }
}

fn parse_key(hex_key: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(hex_key).context("the key is not hexadecimal")?;
    match <[u8; 32]>::try_from(bytes.as_slice()) {
        Ok(key) => Ok(key),
        Err(_) => bail!(
            "the key must be 32 bytes (64 hex digits), got {}",
            bytes.len()
        ),
    }
}

fn create_key_file(path: &Path) -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the key file {}", path.display()))?;
    file.write_all(hex::encode(key).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the key file {}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new database key file");
    Ok(key)
}

/// `connect login --phone P` sends a code; `connect login --phone P --code C` logs in.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Phone number with country code.
    #[arg(long)]
    pub phone: String,
    /// The code from the SMS; without it, a code is requested.
    #[arg(long)]
    pub code: Option<String>,
    #[command(flatten)]
    pub app: AppArgs,
}

/// Runs `connect login`.
pub fn login(args: &LoginArgs) -> Result<()> {
    let app = args.app.open()?;
    match &args.code {
        None => {
            app.request_code(&args.phone)
                .context("requesting a login code")?;
            println!("A code was sent by SMS. Run again with --code <CODE>.");
        }
        Some(code) => {
            app.verify_code(&args.phone, code).context("logging in")?;
            let meters = app.refresh_property().context("fetching your meters")?;
            println!("Logged in. {} meter(s) on this account.", meters.len());
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_once_with_owner_only_permissions_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.db");
        let first = create_key_file(&db.with_extension("key")).unwrap();
        let text = fs::read_to_string(db.with_extension("key")).unwrap();
        assert_eq!(parse_key(&text).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(db.with_extension("key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            create_key_file(&db.with_extension("key")).is_err(),
            "never overwritten"
        );
    }

    #[test]
    fn keys_of_the_wrong_length_or_not_hex_are_refused() {
        assert!(parse_key("abcd").is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
        assert_eq!(parse_key(&"01".repeat(32)).unwrap(), [1u8; 32]);
    }
}
