//! `connect`: the CommunityConnect core on a desktop. A thin dispatcher: each subcommand lives in
//! its own module (`scan` for QR codes; readings, sync and partner subcommands join here).

mod scan;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "connect", version, about = "CommunityConnect on the desktop")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode QR codes from an image or a camera and check building stickers.
    Scan(scan::ScanArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Scan(args) => scan::run(&args),
    }
}
