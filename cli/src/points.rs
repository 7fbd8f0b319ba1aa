//! `connect points` (balance, history and offers) and `connect points voucher` (reserve points and
//! show the voucher's QR code in the terminal, optionally as a PNG): the resident's side of bonus
//! points, through the same core as the phone.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use connect_core::{
    app::{AppError, ConnectApp},
    ids::PartnerId,
    points::{LedgerEntry, LedgerReason, QrMatrix},
    sync::{RoundEnd, TransportError},
};

use crate::session::AppArgs;

/// `connect points …`
#[derive(Debug, Args)]
pub struct PointsArgs {
    #[command(subcommand)]
    pub command: Option<PointsCommand>,
    /// Show what this device has without syncing first.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub app: AppArgs,
}

/// The points subcommands (none: show balance, history and offers).
#[derive(Debug, Subcommand)]
pub enum PointsCommand {
    /// Reserve points for a voucher and show its QR code to the cashier.
    Voucher(VoucherArgs),
}

/// `connect points voucher`
#[derive(Debug, Args)]
pub struct VoucherArgs {
    /// Points to put on the voucher.
    #[arg(long)]
    pub points: u32,
    /// The partner shop that may take it (default: any partner).
    #[arg(long)]
    pub partner: Option<String>,
    /// Also write the QR code to this PNG file.
    #[arg(long)]
    pub png: Option<PathBuf>,
}

/// Runs `connect points …`.
pub fn run(args: &PointsArgs) -> Result<()> {
    let app = args.app.open()?;
    match &args.command {
        None => show(&app, args.offline),
        Some(PointsCommand::Voucher(v)) => voucher(&app, v),
    }
}

fn show(app: &ConnectApp, offline: bool) -> Result<()> {
    if !offline {
        match app.sync_now_blocking()? {
            RoundEnd::Synced => {}
            RoundEnd::WillRetry { .. } => {
                eprintln!("the server could not be reached; showing what this device has")
            }
            RoundEnd::NeedsLogin => bail!("the session expired: run `connect login`"),
        }
    }
    println!("Balance: {} points", app.points_balance()?);
    let history = app.points_history()?;
    if !history.is_empty() {
        println!("\nHistory (newest first):");
        for e in &history {
            println!("  {}", describe(e));
        }
    }
    let offers = app.offers()?;
    if !offers.is_empty() {
        println!("\nOffers:");
        for o in &offers {
            println!(
                "  {:>6} points  {} at {} ({})  partner id {}",
                o.points, o.title, o.partner_name, o.discount, o.partner_id.0
            );
        }
    }
    Ok(())
}

fn reason(r: LedgerReason) -> &'static str {
    match r {
        LedgerReason::OnTimeReading => "reading on time",
        LedgerReason::RatedReport => "rated a report",
        LedgerReason::HouseInspection => "house inspection",
        LedgerReason::VoucherReserved => "voucher",
        LedgerReason::VoucherExpired => "voucher expired unused, returned",
        LedgerReason::Adjustment => "adjustment",
    }
}

fn describe(e: &LedgerEntry) -> String {
    format!(
        "{}  {:>+6}  {}",
        e.at.format("%Y-%m-%d %H:%M"),
        e.delta,
        reason(e.reason)
    )
}

fn voucher(app: &ConnectApp, args: &VoucherArgs) -> Result<()> {
    let partner = args.partner.clone().map(PartnerId);
    let issued = match app.create_voucher(args.points, partner) {
        Ok(v) => v,
        Err(AppError::CreateVoucher(TransportError::Refused { message, .. })) => {
            bail!("the server refused the voucher: {message}")
        }
        Err(AppError::NotLoggedIn) => bail!("log in first: `connect login --phone …`"),
        Err(e) => return Err(e).context("making the voucher"),
    };
    print!("{}", issued.qr.to_terminal());
    let shop = issued
        .voucher
        .partner_id
        .as_ref()
        .map_or_else(|| "any partner".to_owned(), |p| format!("partner {}", p.0));
    println!(
        "Voucher {} for {} points at {}, valid until {} UTC. Balance left: {}.",
        issued.voucher.id.0,
        issued.voucher.points,
        shop,
        issued.voucher.expires_at.format("%Y-%m-%d %H:%M:%S"),
        issued.balance
    );
    println!("Token: {}", issued.token);
    if let Some(path) = &args.png {
        write_png(&issued.qr, path)?;
        println!("QR code written to {}", path.display());
    }
    Ok(())
}

/// Writes the code as a PNG, 8 pixels per module.
fn write_png(qr: &QrMatrix, path: &std::path::Path) -> Result<()> {
    let (w, h, luma) = qr.to_luma(8);
    let img = image::GrayImage::from_raw(w, h, luma).context("QR image size")?;
    img.save(path)
        .with_context(|| format!("writing {}", path.display()))
}
