//! `connect readings submit|list|meters` and `connect sync`: the resident's meter-reading flow on
//! a desktop, through the same core as the phone (`connect sync` also sends queued reports).

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use connect_core::{
    app::{AppError, ConnectApp},
    ids::MeterId,
    readings::{Meter, MeterValue, Tariff, TariffValue},
    store::{ReadingFilter, ReadingItem, ReadingState, reports::ReportDelivery},
    sync::{EngineConfig, RoundEnd},
};
use uuid::Uuid;

use crate::session::AppArgs;

/// `connect readings …`
#[derive(Debug, Args)]
pub struct ReadingsArgs {
    #[command(subcommand)]
    pub command: ReadingsCommand,
    #[command(flatten)]
    pub app: AppArgs,
}

/// The readings subcommands.
#[derive(Debug, Subcommand)]
pub enum ReadingsCommand {
    /// Queue a reading (validated locally first; sent by `connect sync`).
    Submit(SubmitArgs),
    /// List readings with their state and, for rejected ones, the reason.
    List(ListArgs),
    /// List the meters known on this device.
    Meters,
}

/// `connect readings submit`
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The meter's id (see `connect readings meters`).
    #[arg(long)]
    pub meter: Uuid,
    /// The value of a single-zone meter, e.g. 123.456.
    #[arg(long)]
    pub value: Option<MeterValue>,
    /// A zone value of a multi-tariff meter: `day=123.4`, `night=…`, `peak=…`, `half_peak=…`.
    #[arg(long = "tariff", value_parser = parse_tariff_value)]
    pub tariffs: Vec<TariffValue>,
    /// Confirm an unusually large consumption.
    #[arg(long)]
    pub confirm_jump: bool,
    /// When the dial was read (RFC 3339; default: now).
    #[arg(long)]
    pub taken_at: Option<DateTime<Utc>>,
}

/// `connect readings list`
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct ListArgs {
    /// Only readings waiting to be sent.
    #[arg(long)]
    pub queued: bool,
    /// Only readings the server stored.
    #[arg(long)]
    pub accepted: bool,
    /// Only refused readings, with their reason.
    #[arg(long)]
    pub rejected: bool,
}

/// `connect sync`
#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub app: AppArgs,
    /// Readings per upload request (a sync sends as many requests as the queue needs).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch_size: u16,
}

fn parse_tariff_value(s: &str) -> Result<TariffValue, String> {
    let (zone, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected ZONE=VALUE, got {s:?}"))?;
    let tariff: Tariff = serde_json::from_value(serde_json::Value::String(
        zone.trim().to_lowercase().replace('-', "_"),
    ))
    .map_err(|_| format!("unknown zone {zone:?} (single, day, night, peak, half_peak)"))?;
    let value = value.parse().map_err(|e| format!("{e}"))?;
    Ok(TariffValue { tariff, value })
}

/// Runs `connect readings …`.
pub fn run(args: &ReadingsArgs) -> Result<()> {
    let app = args.app.open()?;
    match &args.command {
        ReadingsCommand::Submit(submit) => submit_reading(&app, submit),
        ReadingsCommand::List(list) => {
            let filter = if list.queued {
                ReadingFilter::Queued
            } else if list.accepted {
                ReadingFilter::Accepted
            } else if list.rejected {
                ReadingFilter::Rejected
            } else {
                ReadingFilter::All
            };
            for item in app.readings(filter)? {
                println!("{}", describe(&item));
            }
            Ok(())
        }
        ReadingsCommand::Meters => {
            for m in app.meters()? {
                println!("{}", describe_meter(&m));
            }
            Ok(())
        }
    }
}

fn submit_reading(app: &ConnectApp, args: &SubmitArgs) -> Result<()> {
    let meter_id = MeterId(args.meter);
    let meter = app
        .meters()?
        .into_iter()
        .find(|m| m.id == meter_id)
        .with_context(|| {
            format!("no meter {meter_id} on this device; run `connect login` first")
        })?;
    let mut values = args.tariffs.clone();
    if let Some(value) = args.value {
        let tariff = match meter.tariffs.as_slice() {
            [only] => *only,
            _ => bail!("this meter has several zones: give each with --tariff ZONE=VALUE"),
        };
        values.push(TariffValue { tariff, value });
    }
    if values.is_empty() {
        bail!("give --value (or --tariff ZONE=VALUE for each zone)");
    }
    let taken_at = args.taken_at.unwrap_or_else(Utc::now);
    match app.submit_reading(meter_id, values, taken_at, args.confirm_jump) {
        Ok(id) => {
            println!("queued {id}; it is sent by `connect sync`");
            Ok(())
        }
        Err(AppError::Rejected { id, code, message }) => {
            bail!("refused ({code}): {message}\nkept as {id} in `connect readings list --rejected`")
        }
        Err(AppError::NeedsConfirmation { message }) => {
            bail!("{message}\nrun again with --confirm-jump if the value is right")
        }
        Err(e) => Err(e).context("submitting the reading"),
    }
}

fn describe(item: &ReadingItem) -> String {
    let values: Vec<String> = item
        .reading
        .values
        .iter()
        .map(|v| format!("{:?}={}", v.tariff, v.value).to_lowercase())
        .collect();
    let state = match item.state {
        ReadingState::Queued if item.attempts > 0 => format!(
            "queued (tried {}×: {})",
            item.attempts,
            item.last_error.as_deref().unwrap_or("no answer")
        ),
        ReadingState::Queued => "queued".into(),
        ReadingState::Accepted if item.late => "accepted (late)".into(),
        ReadingState::Accepted => "accepted".into(),
        ReadingState::Rejected => match &item.rejection {
            Some(r) => format!("rejected {}: {}", r.code, r.message),
            None => "rejected".into(),
        },
    };
    format!(
        "{}  meter {}  {}  taken {}  {}",
        item.reading.id,
        item.reading.meter_id,
        values.join(" "),
        item.reading.taken_at.format("%Y-%m-%d %H:%M"),
        state
    )
}

fn describe_meter(m: &Meter) -> String {
    let zones: Vec<String> = m
        .tariffs
        .iter()
        .map(|t| format!("{t:?}").to_lowercase())
        .collect();
    format!(
        "{}  {}  serial {}  {} digits + {} decimals  zones {}{}",
        m.id,
        m.kind.as_str(),
        m.serial,
        m.integer_digits,
        m.fraction_digits,
        zones.join(","),
        m.next_verification_on
            .map(|d| format!("  verification due {d}"))
            .unwrap_or_default()
    )
}

/// Runs `connect sync`.
pub fn sync(args: &SyncArgs) -> Result<()> {
    let app = args.app.open_with(EngineConfig {
        batch_size: usize::from(args.batch_size),
        ..EngineConfig::default()
    })?;
    let end = app.sync_now_blocking()?;
    let queued = app.readings(ReadingFilter::Queued)?.len();
    let rejected = app.readings(ReadingFilter::Rejected)?.len();
    let reports = app.reports()?;
    let reports_queued = reports
        .iter()
        .filter(|r| r.delivery == ReportDelivery::Queued)
        .count();
    match end {
        RoundEnd::Synced => {
            println!(
                "synced; {queued} queued, {rejected} rejected; {} report(s), {reports_queued} queued",
                reports.len()
            );
            Ok(())
        }
        RoundEnd::WillRetry { .. } => {
            bail!("the server could not be reached or is busy; {queued} reading(s) stay queued")
        }
        RoundEnd::NeedsLogin => {
            bail!("the session expired: run `connect login`; {queued} reading(s) stay queued")
        }
    }
}
