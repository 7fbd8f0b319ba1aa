//! `connect`: the CommunityConnect core on a desktop (partner till, operators, scripted resident
//! flows). Each subcommand lives in its own module; this file only parses and dispatches.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod readings;
mod session;

/// CommunityConnect on the command line.
#[derive(Debug, Parser)]
#[command(name = "connect", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log in by phone: request a code, then log in with it.
    Login(session::LoginArgs),
    /// Submit and list meter readings.
    Readings(readings::ReadingsArgs),
    /// Send queued readings and pull changes now.
    Sync(readings::SyncArgs),
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match &cli.command {
        Command::Login(args) => session::login(args),
        Command::Readings(args) => readings::run(args),
        Command::Sync(args) => readings::sync(args),
    }
}
