//! `connect report file|list|rate|reopen|categories`: the resident's problem reports on a desktop,
//! through the same core as the phone. Filing, rating and reopening work offline (they are
//! queued); `connect sync` delivers them and brings status changes back.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use connect_core::{
    app::ConnectApp,
    ids::{BuildingId, ReportId},
    store::reports::{ReportActionKind, ReportActionState, ReportDelivery, ReportItem},
};

use crate::session::AppArgs;

/// `connect report …`
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
    #[command(flatten)]
    pub app: AppArgs,
}

/// The report subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// File a problem report (queued; sent by `connect sync`).
    File(FileArgs),
    /// List your reports with their number, status and history.
    List,
    /// Rate a resolved or rejected report, once.
    Rate(RateArgs),
    /// The problem is back: reopen a resolved, rejected or rated report.
    Reopen(ReopenArgs),
    /// The categories the server publishes (fetched now when online, else the cached list).
    Categories,
}

/// `connect report file`
#[derive(Debug, Args)]
pub struct FileArgs {
    /// Category code (see `connect report categories`).
    #[arg(long)]
    pub category: String,
    /// What is wrong.
    #[arg(long)]
    pub text: String,
    /// Where in the building.
    #[arg(long, default_value = "common areas")]
    pub place: String,
    /// The building id, when you have homes in several buildings.
    #[arg(long)]
    pub building: Option<String>,
    /// A photo (JPEG or PNG); repeat for up to 5. Downscaled and re-encoded before queuing.
    #[arg(long = "photo")]
    pub photos: Vec<PathBuf>,
}

/// `connect report rate`
#[derive(Debug, Args)]
pub struct RateArgs {
    /// The report's number (e.g. 2026-000123) or id.
    pub report: String,
    /// 1 (bad) to 5 (good).
    #[arg(long)]
    pub stars: u8,
    /// Optional words.
    #[arg(long)]
    pub comment: Option<String>,
}

/// `connect report reopen`
#[derive(Debug, Args)]
pub struct ReopenArgs {
    /// The report's number (e.g. 2026-000123) or id.
    pub report: String,
    /// Why.
    #[arg(long, default_value = "the problem is back")]
    pub reason: String,
}

/// Runs `connect report …`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let app = args.app.open()?;
    match &args.command {
        ReportCommand::File(file) => {
            let mut photos = Vec::with_capacity(file.photos.len());
            for path in &file.photos {
                photos.push(
                    std::fs::read(path)
                        .with_context(|| format!("reading the photo {}", path.display()))?,
                );
            }
            let id = app
                .file_report(
                    file.building.clone().map(BuildingId),
                    &file.category,
                    &file.text,
                    &file.place,
                    photos,
                )
                .context("filing the report")?;
            println!("queued report {}; it is sent by `connect sync`", id.0);
            Ok(())
        }
        ReportCommand::List => {
            for item in app.reports()? {
                println!("{}", describe(&item));
            }
            Ok(())
        }
        ReportCommand::Rate(rate) => {
            let id = find(&app, &rate.report)?;
            app.rate_report(id, rate.stars, rate.comment.clone())
                .context("rating the report")?;
            println!("rating queued; it is sent by `connect sync`");
            Ok(())
        }
        ReportCommand::Reopen(reopen) => {
            let id = find(&app, &reopen.report)?;
            app.reopen_report(id, &reopen.reason)
                .context("reopening the report")?;
            println!("reopening queued; it is sent by `connect sync`");
            Ok(())
        }
        ReportCommand::Categories => {
            let categories = match app.refresh_report_categories() {
                Ok(list) => list,
                Err(error) => {
                    eprintln!("offline ({error}); the cached list:");
                    app.report_categories()?
                }
            };
            for c in categories {
                let deadline = if c.deadline_hours % 24 == 0 {
                    format!("{} days", c.deadline_hours / 24)
                } else {
                    format!("{} hours", c.deadline_hours)
                };
                let emergency = if c.emergency { "  emergency" } else { "" };
                println!(
                    "{:<16} {}  (answer within {deadline}){emergency}",
                    c.code, c.title
                );
            }
            Ok(())
        }
    }
}

/// A report by its public number or its id.
fn find(app: &ConnectApp, key: &str) -> Result<ReportId> {
    if let Ok(id) = key.parse::<uuid::Uuid>() {
        return Ok(ReportId(id));
    }
    app.reports()?
        .into_iter()
        .find(|r| r.number.as_deref() == Some(key))
        .map(|r| r.id)
        .with_context(|| format!("no report {key} on this device; run `connect sync` first"))
}

fn describe(item: &ReportItem) -> String {
    let number = item.number.as_deref().unwrap_or("(no number yet)");
    let delivery = match item.delivery {
        ReportDelivery::Queued if item.attempts > 0 => format!(
            "queued (tried {}×: {})",
            item.attempts,
            item.last_error.as_deref().unwrap_or("no answer")
        ),
        ReportDelivery::Queued => "queued".into(),
        ReportDelivery::Filed => format!("status {}", item.status.as_str()),
        ReportDelivery::Rejected => match &item.rejection {
            Some(r) => format!("rejected {}: {}", r.code, r.message),
            None => "rejected".into(),
        },
    };
    let mut out = format!(
        "{number}  {}  {}  {}  photos {}  {delivery}",
        item.id.0, item.category, item.text, item.photo_count
    );
    if let Some(stars) = item.rating {
        out.push_str(&format!("  rated {stars}/5"));
    }
    if let Some(due) = item.due_at {
        out.push_str(&format!("  due {}", due.format("%Y-%m-%d %H:%M")));
    }
    if !item.content_verified {
        out.push_str("  WARNING: the server's digest differs from what was sent");
    }
    for e in &item.events {
        let status = e.status.map(|s| s.as_str()).unwrap_or("comment");
        let author = format!("{:?}", e.author).to_lowercase();
        out.push_str(&format!(
            "\n    {}  {author}  {status}{}",
            e.at.format("%Y-%m-%d %H:%M"),
            e.text
                .as_deref()
                .map(|t| format!(": {t}"))
                .unwrap_or_default()
        ));
    }
    for a in &item.actions {
        if a.state == ReportActionState::Done {
            continue;
        }
        let what = match a.kind {
            ReportActionKind::Rate => format!("rating {}/5", a.stars.unwrap_or(0)),
            ReportActionKind::Reopen => "reopening".into(),
        };
        let state = match (&a.state, &a.rejection) {
            (ReportActionState::Rejected, Some(r)) => format!("refused {}: {}", r.code, r.message),
            _ => "queued".into(),
        };
        out.push_str(&format!("\n    {what} {state}"));
    }
    out
}
