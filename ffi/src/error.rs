//! The public error of the app surface: the few outcomes a screen acts on differently.
//!
//! Core's errors are named for the step that failed; here they collapse into what the shell does
//! next (retry later, show the reason, log in, ask for confirmation). The one `match` below also
//! decides whether a failure is expected (logged at info) or a bug (logged as an error, so crash
//! reporting picks it up). Messages never carry phone numbers or codes: core's errors do not.

use connect_core::{
    app::AppError,
    geo::{PackError, offline::PackStoreError},
    reports::ReportError,
    sync::{self, TransportError},
};

/// What went wrong, as a Kotlin/Swift exception the screens can branch on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ConnectError {
    /// The server could not be reached or is busy: the work is kept; retry later.
    #[error("no connection to the server: {reason}")]
    Network {
        /// What failed (no personal data).
        reason: String,
    },
    /// A rule or the server refused the request: show the reason to the resident.
    #[error("{reason}")]
    Rejected {
        /// Stable code (`below_previous`, `invalid_code`, `malformed_phone`, …).
        code: String,
        /// Message for the resident.
        reason: String,
    },
    /// The consumption is far above the meter's history: ask, then resubmit with
    /// `confirmed_jump = true`. Nothing was stored.
    #[error("{reason}")]
    NeedsConfirmation {
        /// Message for the resident.
        reason: String,
    },
    /// The thing asked for is not on this device or the server (refresh the property first).
    #[error("not found")]
    NotFound,
    /// No session, or it expired: show the login screen. Queued work is kept.
    #[error("log in first")]
    NeedsLogin,
    /// The key from the keystore does not open this database.
    #[error("the database key does not match this database")]
    WrongKey,
    /// The local database failed.
    #[error("local storage failed: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// Anything else: a bug, reported.
    #[error("{reason}")]
    Other {
        /// What failed.
        reason: String,
    },
}

/// Whether a failure is part of normal life or a defect worth a report.
enum Severity {
    Expected,
    Bug,
}

impl From<AppError> for ConnectError {
    fn from(error: AppError) -> Self {
        use Severity::{Bug, Expected};
        let (mapped, severity) = match &error {
            // Logging in has no session to lose: a 401 there is the server refusing the code.
            AppError::Login(TransportError::Unauthorized) => (
                rejected("invalid_code", "the code is wrong or has expired"),
                Expected,
            ),
            AppError::Login(t)
            | AppError::FetchProperty(t)
            | AppError::FetchOutages(t)
            | AppError::FetchPoints(t)
            | AppError::FetchAccount(t)
            | AppError::CreateVoucher(t)
            | AppError::Redeem(t)
            | AppError::ClaimAccount(t)
            | AppError::FetchCategories(t) => from_transport(t),
            AppError::AccountCode(e) => (rejected("invalid_account_code", e), Expected),
            AppError::Report(ReportError::UnknownReport) => (ConnectError::NotFound, Expected),
            AppError::Report(e) => (rejected(e.code(), e), Expected),
            AppError::Sync(sync::Error::Upload(t) | sync::Error::Pull(t)) => from_transport(t),
            AppError::Sync(
                sync::Error::LoadOutbox(e)
                | sync::Error::RecordAnswers(e)
                | sync::Error::StorePull(e),
            )
            | AppError::OpenDb(e)
            | AppError::Storage(e) => (storage(e), Bug),
            AppError::Sync(sync::Error::EngineStopped)
            | AppError::Runtime(_)
            | AppError::Transport(_)
            | AppError::TrustedKey(_)
            | AppError::ServerUrl => (other(&error), Bug),
            AppError::WrongKey => (ConnectError::WrongKey, Expected),
            AppError::NotLoggedIn => (ConnectError::NeedsLogin, Expected),
            AppError::UnknownMeter(_) => (ConnectError::NotFound, Expected),
            AppError::Phone(e) => (rejected("malformed_phone", e), Expected),
            AppError::Rejected { code, message, .. } => (rejected(code, message), Expected),
            // A refused voucher is a normal outcome at a till: show why.
            AppError::Voucher(e) => (rejected(e.code(), e), Expected),
            AppError::RenderQr(_) => (other(&error), Bug),
            AppError::NeedsConfirmation { message } => (
                ConnectError::NeedsConfirmation {
                    reason: message.clone(),
                },
                Expected,
            ),
            AppError::FetchGeoPack(t) => from_transport(t),
            // A damaged download is transport damage: download again later. A well-checksummed
            // but malformed pack is the server's bug.
            AppError::GeoPack(PackStoreError::Refused(PackError::UnsupportedVersion {
                ..
            })) => (rejected("update_app", &error), Expected),
            AppError::GeoPack(PackStoreError::Refused(PackError::Malformed { .. })) => (
                ConnectError::Network {
                    reason: error.to_string(),
                },
                Bug,
            ),
            AppError::GeoPack(PackStoreError::Refused(_)) => (
                ConnectError::Network {
                    reason: error.to_string(),
                },
                Expected,
            ),
            AppError::GeoPack(PackStoreError::InvalidRegion(_)) => {
                (rejected("invalid_region", &error), Expected)
            }
            AppError::GeoPack(PackStoreError::WrongRegion { .. }) => (other(&error), Bug),
            AppError::GeoPack(PackStoreError::Save(e)) => (storage(e), Bug),
            AppError::NoGeoPack => (ConnectError::NotFound, Expected),
        };
        match severity {
            Expected => tracing::info!(error = %error, "app call failed (expected)"),
            Bug => tracing::error!(error = ?error, "app call failed"),
        }
        mapped
    }
}

fn from_transport(error: &TransportError) -> (ConnectError, Severity) {
    let mapped = match error {
        TransportError::Unauthorized => ConnectError::NeedsLogin,
        TransportError::NotFound => ConnectError::NotFound,
        TransportError::Refused { code, message, .. } => ConnectError::Rejected {
            code: code.map_or("refused", |c| c.as_str()).to_owned(),
            reason: message.clone(),
        },
        TransportError::RetryAfter(_) | TransportError::Server(_) | TransportError::Network(_) => {
            ConnectError::Network {
                reason: error.to_string(),
            }
        }
        // A server answer this build cannot read is a version mismatch: a bug.
        TransportError::Decode(_) => return (other(error), Severity::Bug),
    };
    (mapped, Severity::Expected)
}

fn rejected(code: &str, reason: impl ToString) -> ConnectError {
    ConnectError::Rejected {
        code: code.to_owned(),
        reason: reason.to_string(),
    }
}

fn storage(error: &impl std::error::Error) -> ConnectError {
    ConnectError::Storage {
        reason: error.to_string(),
    }
}

fn other(error: &impl std::error::Error) -> ConnectError {
    ConnectError::Other {
        reason: error.to_string(),
    }
}
