//! The `connect-server` binary: `serve` (default) runs the API with the configured store;
//! `demo` runs it on embedded SQLite under `./data/`, seeded once with a demo city; `import …`
//! loads building footprints (GeoJSON or OSM PBF) or their managing companies (CSV) into the
//! configured store and exits (a running server picks them up at its next start).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use connect_core::auth::PhoneNumber;
use connect_core::{
    geo::ImportReport,
    ids::{CompanyId, RegionId},
};
use connect_server::{
    AppState, Settings, app,
    auth::sms::{LogSmsSender, SmsSender, WebhookSmsSender},
    config::{Config, DatabaseUrl},
    crypto::{Keys, random_secret},
    demo,
    geo::import::{self, ManagerMatch},
    mail::{DirMailSender, LogMailSender, MailSender, WebhookMailSender},
    qr::{StickerKeys, StickerSettings, pdf, sheet},
    store,
};
use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "connect-server",
    version,
    about = "CommunityConnect API server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API (default).
    Serve,
    /// Run on embedded SQLite in ./data, seeded with a demo city, SMS codes in the log.
    Demo,
    /// Import building footprints or managing companies into the configured store, then exit.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Create residents with a meter and a live session each for the load generator
    /// (`cargo run --release -p connect-tests --bin loadgen`), write them as JSON, then exit.
    SeedLoad {
        /// How many residents.
        #[arg(long, default_value_t = 1000)]
        residents: usize,
        /// Offset of the first resident's phone number (to add more residents to a store).
        #[arg(long, default_value_t = 0)]
        first: usize,
        /// Where to write `{"residents": [{"token", "user_id", "meter_id"}]}`.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a printable sheet of signed stickers for every building a company manages.
    Stickers {
        /// The managing company's id.
        #[arg(long)]
        company: String,
        /// Output file: `.pdf` (A4, six stickers a page) or `.svg`.
        #[arg(long)]
        out: PathBuf,
        /// TrueType font embedded in the PDF (the addresses are Cyrillic).
        #[arg(long, env = "CONNECT_STICKER_FONT", default_value = connect_server::qr::pdf::DEFAULT_FONT)]
        font: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Footprints from a GeoJSON FeatureCollection (properties id, address, mgmt_company_id).
    Buildings {
        /// The .geojson file.
        file: PathBuf,
        /// Region the footprints belong to (the `region` of `/v1/geo/pack`).
        #[arg(long, default_value = "default")]
        region: String,
    },
    /// Footprints from an OpenStreetMap extract: building ways and multipolygon relations.
    Osm {
        /// The .osm.pbf file.
        file: PathBuf,
        /// Region the footprints belong to.
        #[arg(long, default_value = "default")]
        region: String,
    },
    /// Which company manages which building, from CSV with a header row.
    Managers {
        /// The .csv file.
        file: PathBuf,
        /// Column holding the company id (an empty cell clears the manager).
        #[arg(long, default_value = "company_id")]
        column: String,
        /// How rows name the building: column `building_id`, or column `address` (exact match).
        #[arg(long, value_enum, default_value = "building_id")]
        by: ManagerMatch,
    },
    /// The regional regulator's rating of managing companies, from its CSV (see docs/RATING.md).
    Rating {
        /// The .csv file.
        file: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Import { what }) => run_import(&cli.config, what).await,
        Some(Command::Stickers { company, out, font }) => {
            run_stickers(&cli.config, company, &out, &font).await
        }
        Some(Command::SeedLoad {
            residents,
            first,
            out,
        }) => run_seed_load(&cli.config, residents, first, &out).await,
        Some(Command::Demo) => run(cli.config, true).await,
        Some(Command::Serve) | None => run(cli.config, false).await,
    }
}

/// Reads `./data/secret.key`, creating it on first run (demo only).
fn demo_secret(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join("secret.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        return Ok(s.trim().to_owned());
    }
    let s = random_secret()?;
    std::fs::write(&path, &s).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(s)
}

async fn run(mut config: Config, is_demo: bool) -> anyhow::Result<()> {
    if is_demo {
        std::fs::create_dir_all("data").context("creating ./data")?;
        if config.secret_key.is_none() {
            config.secret_key = Some(demo_secret(Path::new("data"))?);
        }
        if config.admin_phone.is_none() {
            config.admin_phone = Some(demo::ADMIN_PHONE.to_owned());
        }
        config.sms_webhook = None;
        config.mail_webhook = None;
        config.mail_dir = None;
    }
    let secret = config.secret()?.to_owned();
    let db = DatabaseUrl::parse(&config.database)?;
    let store = store::open(&db).await.context("opening the store")?;
    let keys = Keys::new(&secret);
    let sms: Arc<dyn SmsSender> = match &config.sms_webhook {
        Some(url) => Arc::new(WebhookSmsSender::new(url.clone())),
        None => {
            if !is_demo {
                tracing::warn!("CONNECT_SMS_WEBHOOK unset: login codes are written to the log");
            }
            Arc::new(LogSmsSender)
        }
    };
    let admin_phone = match &config.admin_phone {
        Some(p) => match PhoneNumber::parse(p) {
            Ok(p) => Some(p),
            Err(_) => bail!("CONNECT_ADMIN_PHONE is not a phone number"),
        },
        None => None,
    };
    let mail: Arc<dyn MailSender> = match (&config.mail_webhook, &config.mail_dir) {
        (Some(url), _) => Arc::new(WebhookMailSender::new(url.clone())),
        (None, Some(dir)) => Arc::new(DirMailSender::new(dir.clone())),
        (None, None) => {
            if !is_demo {
                tracing::warn!(
                    "CONNECT_MAIL_WEBHOOK and CONNECT_MAIL_DIR unset: staff invite links are written to the log"
                );
            }
            Arc::new(LogMailSender)
        }
    };
    if is_demo {
        let data = demo::data_dir(config.data_dir.as_deref());
        let seeded = demo::seed(store.as_ref(), &keys, data.as_deref()).await?;
        tracing::info!(?seeded, "demo data");
    }
    // Bound before the state is built: mailed links fall back to the address actually bound.
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    // Stickers point to the public host; without one, to wherever this process listens.
    let public_host = config
        .public_host
        .clone()
        .unwrap_or_else(|| addr.to_string());
    let public_url = config
        .public_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| format!("http://{addr}"));
    let settings = Settings {
        admin_phone,
        otp_ip_limit: config.otp_ip_limit,
        otp_resend_secs: config.otp_resend_secs,
        trusted_proxy_header: config.trusted_proxy_header.clone(),
        body_limit: config.body_limit,
        report_categories: match &config.report_categories {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                serde_json::from_str(&text)
                    .with_context(|| format!("parsing report categories in {}", path.display()))?
            }
            None => connect_server::reports::default_categories(),
        },
        points: connect_server::points::PointsSettings::from_config(&config)?,
        map_tiles: config.map_tiles.clone(),
        web_modules: config.web_modules.clone(),
        stickers: StickerSettings::parse(
            public_host,
            &config.sticker_key_id,
            &config.sticker_retired_keys,
        )
        .context("CONNECT_STICKER_KEY_ID / CONNECT_STICKER_RETIRED_KEYS")?,
        app_url: config.app_url.clone(),
        public_url,
        invite_ttl_hours: config.invite_ttl_hours.max(1),
    };
    let state = AppState::new(store, keys, sms, settings).with_mail(mail);
    connect_server::points::spawn_sweeper(
        state.store.clone(),
        std::time::Duration::from_secs(config.voucher_sweep_secs.max(1)),
    );
    connect_server::points::earnings::spawn_sweep(
        state.clone(),
        std::time::Duration::from_secs(config.voucher_sweep_secs.max(1)),
    );
    state
        .geo
        .load_all(state.store.as_ref())
        .await
        .context("building the geo indexes")?;
    // Test harnesses read this line to learn the port.
    println!("connect-server listening on http://{addr}");
    if is_demo {
        print_demo_help(addr);
    }
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta} {msg}")
    {
        bar.set_style(style);
    }
    bar
}

fn print_report(what: &str, report: &ImportReport) {
    for (at, reason) in &report.errors {
        eprintln!("refused {at}: {reason}");
    }
    println!("{}", import::summary_line(what, report));
}

async fn run_import(config: &Config, what: ImportCommand) -> anyhow::Result<()> {
    let db = DatabaseUrl::parse(&config.database)?;
    let store = store::open(&db).await.context("opening the store")?;
    let bar = progress_bar();
    match what {
        ImportCommand::Buildings { file, region } => {
            bar.set_message("footprints");
            let r = import::import_buildings(store.as_ref(), None, &file, &RegionId(region), &bar)
                .await?;
            print_report("buildings (refused: feature index from 0)", &r);
        }
        ImportCommand::Osm { file, region } => {
            bar.set_message("footprints");
            let r =
                import::import_osm(store.as_ref(), None, &file, &RegionId(region), &bar).await?;
            print_report("buildings (refused: OSM id)", &r);
        }
        ImportCommand::Managers { file, column, by } => {
            bar.set_message("assignments");
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let r = import::import_managers(store.as_ref(), None, f, &column, by, &bar).await?;
            print_report("manager assignments (refused: CSV line)", &r);
        }
        ImportCommand::Rating { file } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let r = connect_server::rating::import::import(store.as_ref(), f).await?;
            for e in &r.errors {
                eprintln!("refused line {}: {}", e.line, e.message);
            }
            println!(
                "imported {} rating rows, refused {}",
                r.imported,
                r.errors.len()
            );
        }
    }
    Ok(())
}

async fn run_seed_load(
    config: &Config,
    residents: usize,
    first: usize,
    out: &Path,
) -> anyhow::Result<()> {
    let keys = Keys::new(config.secret()?);
    let db = DatabaseUrl::parse(&config.database)?;
    let store = store::open(&db).await.context("opening the store")?;
    let started = std::time::Instant::now();
    let seed =
        connect_server::load_seed::seed_load(store.as_ref(), &keys, residents, first).await?;
    let json = serde_json::to_vec(&seed)?;
    std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "seeded {} load residents in {:.1} s into {}",
        seed.residents.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

async fn run_stickers(
    config: &Config,
    company: String,
    out: &Path,
    font: &Path,
) -> anyhow::Result<()> {
    let Some(host) = config.public_host.clone() else {
        bail!("set CONNECT_PUBLIC_HOST (or --public-host) to the host residents' phones reach");
    };
    let keys = Keys::new(config.secret()?);
    let settings =
        StickerSettings::parse(host, &config.sticker_key_id, &config.sticker_retired_keys)
            .context("CONNECT_STICKER_KEY_ID / CONNECT_STICKER_RETIRED_KEYS")?;
    let signer = StickerKeys::new(&keys, &settings);
    let db = DatabaseUrl::parse(&config.database)?;
    let store = store::open(&db).await.context("opening the store")?;
    let input = sheet::collect(
        store.as_ref(),
        &signer,
        &CompanyId(company),
        chrono::Utc::now().date_naive(),
    )
    .await?;
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let (bytes, pages) = match ext.as_deref() {
        Some("svg") => {
            let pages = sheet::layout(&input, &sheet::ApproxMeasure)?;
            (sheet::to_svg(&pages).into_bytes(), pages.len())
        }
        Some("pdf") => {
            let font = pdf::Font::load(font)?;
            let pages = sheet::layout(&input, &font)?;
            (pdf::write_pdf(&pages, &font)?, pages.len())
        }
        _ => bail!("--out must end in .pdf or .svg"),
    };
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{} stickers on {pages} page(s) written to {} (key {})",
        input.stickers.len(),
        out.display(),
        settings.key_id
    );
    Ok(())
}

fn print_demo_help(addr: SocketAddr) {
    let base = format!("http://{addr}");
    println!(
        "\nCommunityConnect demo\n\
         \n  API:      {base}\n  health:   {base}/healthz\n  OpenAPI:  {base}/openapi.json\n  metrics:  {base}/metrics\n\
         \n  cabinet:  {base}/cabinet    (staff {s}; sign in with the code from this log)\
         \n  rating:   {base}/rating     (public)\
         \n  dashboard:{base}/dashboard  (authority {a})\n\
         \nDemo phones: resident {r}, company staff {s}, cashier {c}, authority {a}, admin {ad}\n\
         \nLog in (the code appears in this log, target `sms`):\n\
         \n  curl -s -X POST {base}/v1/auth/code -H 'content-type: application/json' -d '{{\"phone\":\"{r}\"}}'\
         \n  curl -s -X POST {base}/v1/auth/verify -H 'content-type: application/json' -d '{{\"phone\":\"{r}\",\"code\":\"<code from the log>\"}}'\
         \n  curl -s {base}/v1/property -H 'authorization: Bearer <token>'\n",
        r = demo::RESIDENT_PHONE,
        s = demo::STAFF_PHONE,
        c = demo::CASHIER_PHONE,
        a = demo::AUTHORITY_PHONE,
        ad = demo::ADMIN_PHONE,
    );
}
