//! `connect`: the CommunityConnect core on a desktop. A thin dispatcher: each subcommand lives in
//! its own module (`readings` with `sync`, `reports`, `scan` for QR codes, `points` for the
//! resident's bonus points and vouchers, `partner` for a partner shop's till).

mod partner;
mod points;
mod readings;
mod reports;
mod scan;
mod session;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "connect", version, about = "CommunityConnect on the desktop")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in by phone: request a code, then log in with it.
    Login(session::LoginArgs),
    /// Submit and list meter readings.
    Readings(readings::ReadingsArgs),
    /// Send queued readings and reports and pull changes now.
    Sync(readings::SyncArgs),
    /// File, list, rate and reopen problem reports.
    Report(reports::ReportArgs),
    /// Decode QR codes from an image or a camera and check building stickers.
    Scan(scan::ScanArgs),
    /// Bonus points: balance, history and offers; make a voucher for a partner shop.
    Points(points::PointsArgs),
    /// A partner shop's till: cashier login, scan and redeem vouchers.
    Partner(partner::PartnerArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Login(args) => session::login(&args),
        Command::Readings(args) => readings::run(&args),
        Command::Sync(args) => readings::sync(&args),
        Command::Report(args) => reports::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Points(args) => points::run(&args),
        Command::Partner(args) => partner::run(&args),
    }
}
