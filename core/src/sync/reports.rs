//! Problem reports in the sync engine. The report outbox (filings, ratings, reopenings) is sent
//! before the readings, one item per request in the order the items were made, and each answer
//! is recorded in its own transaction before the next item goes out. Exactly once: every item
//! carries its client UUIDv7 and the server answers a repeat with the first answer, so a lost
//! answer only means the same request again.
//!
//! [`classify`] is the decision, free of I/O: the server's answer (or failure) for one item
//! becomes a [`Step`]. [`upload`] performs the steps against the store and the transport. The
//! report part of a pull is stored by `store::reports::merge_pull` with the rest of the pull.

use chrono::Utc;

use crate::{
    api::reports::{FiledReportResponse, ReportView},
    app::AppEvent,
    store::{
        self, Store,
        reports::{ReportNotice, ReportOp, ReportOpKey, ReportResolution},
    },
    sync::{
        Error,
        engine::EventSink,
        machine::{CONFLICT_CODE, UploadResult},
        transport::{Transport, TransportError},
    },
};

/// Items sent in one upload step at most (each is its own request).
pub const ITEMS_PER_STEP: usize = 20;

/// The server's answer to one report item.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// To a filing.
    Filed(FiledReportResponse),
    /// To a rating or reopening: the report as it is now.
    View(ReportView),
}

/// What to do after one item's request.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Record this answer and go on with the next item.
    Record(ReportResolution),
    /// Record the attempt and end the step: the server could not answer now.
    Stop {
        /// The attempt to count.
        retry: ReportResolution,
        /// How the upload ended.
        result: UploadResult,
    },
    /// HTTP 401: end the step; nothing is rejected.
    Unauthorized,
    /// The server has no report routes: record the attempt and leave the report items for a
    /// later round, so the readings behind them still go out.
    Unsupported(ReportResolution),
}

/// Decides what one answer means for its item.
pub fn classify(op: &ReportOp, answer: Result<Answer, TransportError>) -> Step {
    let key = op.key();
    let retry = |error: String| ReportResolution::Retry { key, error };
    match (op, answer) {
        (ReportOp::File(request), Ok(Answer::Filed(answer))) => {
            Step::Record(ReportResolution::Filed {
                id: request.id,
                answer,
            })
        }
        (
            ReportOp::Rate { action, .. } | ReportOp::Reopen { action, .. },
            Ok(Answer::View(view)),
        ) => Step::Record(ReportResolution::ActionDone {
            action: *action,
            view,
        }),
        (_, Ok(_)) => Step::Stop {
            retry: retry("the server's answer does not fit the request".into()),
            result: UploadResult::Failed,
        },
        (_, Err(TransportError::Unauthorized)) => Step::Unauthorized,
        (_, Err(TransportError::RetryAfter(after))) => Step::Stop {
            retry: retry("the server is busy".into()),
            result: UploadResult::RetryAfter(after),
        },
        (
            _,
            Err(
                e @ (TransportError::Network(_)
                | TransportError::Server(_)
                | TransportError::Decode(_)),
            ),
        ) => Step::Stop {
            retry: retry(e.to_string()),
            result: UploadResult::Failed,
        },
        (ReportOp::File(_), Err(TransportError::NotFound)) => {
            Step::Unsupported(retry("this server does not take reports yet".into()))
        }
        (_, Err(TransportError::NotFound)) => Step::Record(ReportResolution::Rejected {
            key,
            code: "not_found".into(),
            message: "The server does not know this report.".into(),
        }),
        (
            _,
            Err(TransportError::Refused {
                status,
                code,
                message,
            }),
        ) => {
            let code = if status == 409 {
                CONFLICT_CODE.to_owned()
            } else {
                code.map_or("refused", |c| c.as_str()).to_owned()
            };
            let message = if message.is_empty() {
                format!("The server refused this ({status}).")
            } else {
                message
            };
            Step::Record(ReportResolution::Rejected { key, code, message })
        }
    }
}

/// What the report part of an upload step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing is queued (or the server takes no reports): go on with the readings.
    NothingToSend,
    /// Report items were sent: this is how the step ended.
    Sent(UploadResult),
}

async fn send(
    transport: &dyn Transport,
    token: &str,
    op: &ReportOp,
) -> Result<Answer, TransportError> {
    match op {
        ReportOp::File(request) => transport
            .file_report(token, request)
            .await
            .map(Answer::Filed),
        ReportOp::Rate {
            report, request, ..
        } => transport
            .rate_report(token, *report, request)
            .await
            .map(Answer::View),
        ReportOp::Reopen {
            report, request, ..
        } => transport
            .reopen_report(token, *report, request)
            .await
            .map(Answer::View),
    }
}

/// The listener's event for a stored report change.
pub fn event_of(notice: ReportNotice) -> AppEvent {
    match notice {
        ReportNotice::Filed {
            id,
            number,
            content_verified,
        } => AppEvent::ReportFiled {
            id,
            number,
            content_verified,
        },
        ReportNotice::Rejected { id, code, message } => {
            AppEvent::ReportRejected { id, code, message }
        }
        ReportNotice::StatusChanged {
            id,
            number,
            status,
            message,
        } => AppEvent::ReportStatusChanged {
            id,
            number,
            status,
            message,
        },
    }
}

fn record(store: &Store, events: &EventSink, resolution: &ReportResolution) -> Result<(), Error> {
    let notices = store
        .write(|tx| store::reports::resolve(tx, store.cipher(), resolution, Utc::now()))
        .map_err(Error::RecordAnswers)?;
    // Told only after the store has it, so a listener that reads the list sees the change.
    for notice in notices {
        events(event_of(notice));
    }
    Ok(())
}

/// Sends the oldest queued report items, one request each, recording each answer at once.
pub async fn upload(
    store: &Store,
    transport: &dyn Transport,
    events: &EventSink,
) -> Result<Outcome, Error> {
    let cipher = store.cipher();
    let (session, ops) = store
        .read(|c| {
            Ok((
                store::session::load(c, cipher)?,
                store::reports::next_ops(c, cipher, ITEMS_PER_STEP)?,
            ))
        })
        .map_err(Error::LoadOutbox)?;
    if ops.is_empty() {
        return Ok(Outcome::NothingToSend);
    }
    let Some(session) = session else {
        return Ok(Outcome::Sent(UploadResult::Unauthorized));
    };
    let mut answered = false;
    for op in &ops {
        let answer = send(transport, &session.token, op).await;
        match classify(op, answer) {
            Step::Record(resolution) => {
                record(store, events, &resolution)?;
                answered = true;
            }
            Step::Stop { retry, result } => {
                record(store, events, &retry)?;
                tracing::info!(item = ?log_key(op.key()), ?result, "report upload stopped; will retry");
                return Ok(Outcome::Sent(result));
            }
            Step::Unauthorized => return Ok(Outcome::Sent(UploadResult::Unauthorized)),
            Step::Unsupported(retry) => {
                record(store, events, &retry)?;
                return Ok(if answered {
                    Outcome::Sent(UploadResult::AllAnswered)
                } else {
                    Outcome::NothingToSend
                });
            }
        }
    }
    Ok(Outcome::Sent(UploadResult::AllAnswered))
}

/// The item's id for logs (ids carry no personal data).
fn log_key(key: ReportOpKey) -> String {
    match key {
        ReportOpKey::Filing(id) => format!("filing {}", id.0),
        ReportOpKey::Action(id) => format!("action {id}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::{
        api::{
            ErrorCode,
            reports::{FileReportRequest, RatingRequest},
        },
        ids::{BuildingId, ReportId},
        reports::ReportStatus,
    };

    fn filing() -> ReportOp {
        ReportOp::File(FileReportRequest {
            id: ReportId(Uuid::from_u128(1)),
            building_id: BuildingId("B1".into()),
            category: "leak".into(),
            text: "water".into(),
            place: "hall".into(),
            photos: vec![],
        })
    }

    fn rating() -> ReportOp {
        ReportOp::Rate {
            action: Uuid::from_u128(9),
            report: ReportId(Uuid::from_u128(1)),
            request: RatingRequest {
                stars: 5,
                comment: None,
                id: Some(Uuid::from_u128(9)),
            },
        }
    }

    fn filed() -> FiledReportResponse {
        let t = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        FiledReportResponse {
            id: ReportId(Uuid::from_u128(1)),
            number: "2026-000001".into(),
            content_sha256: "00".repeat(32),
            status: ReportStatus::New,
            filed_at: t,
            due_at: t,
        }
    }

    #[test]
    fn an_answer_resolves_its_item_and_a_mismatched_answer_is_retried() {
        assert_eq!(
            classify(&filing(), Ok(Answer::Filed(filed()))),
            Step::Record(ReportResolution::Filed {
                id: ReportId(Uuid::from_u128(1)),
                answer: filed()
            })
        );
        assert!(matches!(
            classify(&rating(), Ok(Answer::Filed(filed()))),
            Step::Stop {
                result: UploadResult::Failed,
                ..
            }
        ));
    }

    #[test]
    fn refusals_reject_with_the_servers_reason_and_409_is_a_conflict() {
        let refused = |status, code| TransportError::Refused {
            status,
            code,
            message: "unknown category".into(),
        };
        assert_eq!(
            classify(&filing(), Err(refused(422, Some(ErrorCode::InvalidInput)))),
            Step::Record(ReportResolution::Rejected {
                key: ReportOpKey::Filing(ReportId(Uuid::from_u128(1))),
                code: "invalid_input".into(),
                message: "unknown category".into(),
            })
        );
        assert!(matches!(
            classify(&rating(), Err(refused(409, Some(ErrorCode::Conflict)))),
            Step::Record(ReportResolution::Rejected { key: ReportOpKey::Action(_), code, .. })
                if code == CONFLICT_CODE
        ));
    }

    #[test]
    fn no_answer_keeps_the_item_queued_and_a_401_rejects_nothing() {
        for e in [
            TransportError::Network("timeout".into()),
            TransportError::Server(502),
            TransportError::Decode("eof".into()),
        ] {
            assert!(matches!(
                classify(&filing(), Err(e)),
                Step::Stop {
                    retry: ReportResolution::Retry { .. },
                    result: UploadResult::Failed
                }
            ));
        }
        assert!(matches!(
            classify(&rating(), Err(TransportError::RetryAfter(Duration::from_secs(7)))),
            Step::Stop {
                result: UploadResult::RetryAfter(d),
                ..
            } if d == Duration::from_secs(7)
        ));
        assert_eq!(
            classify(&filing(), Err(TransportError::Unauthorized)),
            Step::Unauthorized
        );
    }

    #[test]
    fn a_server_without_report_routes_keeps_filings_but_an_unknown_report_rejects_an_action() {
        assert!(matches!(
            classify(&filing(), Err(TransportError::NotFound)),
            Step::Unsupported(ReportResolution::Retry { .. })
        ));
        assert!(matches!(
            classify(&rating(), Err(TransportError::NotFound)),
            Step::Record(ReportResolution::Rejected { code, .. }) if code == "not_found"
        ));
    }
}
