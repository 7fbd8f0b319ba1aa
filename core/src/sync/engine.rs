//! The sync driver: a task on the app's tokio runtime that performs the machine's actions.
//!
//! One task owns the machine, so there is never more than one upload in flight per app. Triggers
//! and `sync_now` requests arrive on a channel; backoff delays and the periodic trigger are
//! timers of this task.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use chrono::Utc;
use rand::Rng;
use tokio::{
    sync::{mpsc, oneshot},
    time::Instant,
};

use crate::{
    api::readings::ReadingBatchRequest,
    app::AppEvent,
    ids::OutageId,
    outages::OutageState,
    store::{self, OutboxResolution, Store},
    sync::{
        Error,
        machine::{
            Action, BackoffPolicy, Input, PullResult, RoundEnd, SyncMachine, Trigger, UploadResult,
        },
        transport::{Transport, TransportError},
    },
};

/// Photos of reports filed elsewhere downloaded per sync round at most.
const PHOTOS_PER_ROUND: usize = 10;

/// How the engine paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Readings per upload request.
    pub batch_size: usize,
    /// How often the periodic trigger fires.
    pub periodic: Duration,
    /// Backoff after failures.
    pub backoff: BackoffPolicy,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            batch_size: 500,
            periodic: Duration::from_secs(15 * 60),
            backoff: BackoffPolicy::default(),
        }
    }
}

/// Receives the engine's events (the app forwards them to its listener).
pub type EventSink = Arc<dyn Fn(AppEvent) + Send + Sync>;

enum Command {
    Trigger(Trigger),
    SessionRefreshed,
    SyncNow(oneshot::Sender<RoundEnd>),
}

/// The handle to the running engine; dropping every handle stops the task.
#[derive(Debug, Clone)]
pub struct SyncEngine {
    commands: mpsc::UnboundedSender<Command>,
}

impl SyncEngine {
    /// Starts the engine on `runtime` and fires the start trigger.
    pub fn spawn(
        runtime: &tokio::runtime::Handle,
        store: Arc<Store>,
        transport: Arc<dyn Transport>,
        events: EventSink,
        config: EngineConfig,
        rng: impl Rng + Send + 'static,
    ) -> SyncEngine {
        let (tx, rx) = mpsc::unbounded_channel();
        let driver = Driver {
            store,
            transport,
            events,
            config,
        };
        runtime.spawn(driver.run(rx, SyncMachine::new(config.backoff, rng)));
        let engine = SyncEngine { commands: tx };
        engine.trigger(Trigger::Start);
        engine
    }

    /// Fires a trigger (new write, connectivity regained…). Never blocks.
    pub fn trigger(&self, trigger: Trigger) {
        // A closed channel means the app is shutting down; there is nothing left to sync for.
        let _ = self.commands.send(Command::Trigger(trigger));
    }

    /// Tells the engine the resident logged in again.
    pub fn session_refreshed(&self) {
        let _ = self.commands.send(Command::SessionRefreshed);
    }

    /// Runs a round now (skipping any backoff) and returns how it ended.
    pub async fn sync_now(&self) -> Result<RoundEnd, Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::SyncNow(tx))
            .map_err(|_| Error::EngineStopped)?;
        rx.await.map_err(|_| Error::EngineStopped)
    }
}

struct Driver {
    store: Arc<Store>,
    transport: Arc<dyn Transport>,
    events: EventSink,
    config: EngineConfig,
}

impl Driver {
    async fn run<R: Rng + Send + 'static>(
        self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut machine: SyncMachine<R>,
    ) {
        let mut waiters: Vec<oneshot::Sender<RoundEnd>> = Vec::new();
        let mut wake_at: Option<Instant> = None;
        let mut periodic =
            tokio::time::interval_at(Instant::now() + self.config.periodic, self.config.periodic);
        // After a long round, one periodic trigger is enough; a burst of them would only queue up.
        periodic.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let input = tokio::select! {
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::Trigger(t)) => Input::Triggered(t),
                    Some(Command::SessionRefreshed) => Input::SessionRefreshed,
                    Some(Command::SyncNow(waiter)) => {
                        waiters.push(waiter);
                        Input::Triggered(Trigger::Manual)
                    }
                },
                () = sleep_until(wake_at), if wake_at.is_some() => {
                    wake_at = None;
                    Input::BackoffElapsed
                }
                _ = periodic.tick() => Input::Triggered(Trigger::Periodic),
            };
            let mut inputs = VecDeque::from([input]);
            while let Some(input) = inputs.pop_front() {
                for action in machine.update(input) {
                    match action {
                        Action::UploadBatch => {
                            inputs.push_back(Input::Uploaded(self.upload_batch().await))
                        }
                        Action::Pull => inputs.push_back(Input::Pulled(self.pull().await)),
                        Action::Wait(after) => wake_at = Some(Instant::now() + after),
                        Action::RoundStarted => (self.events)(AppEvent::SyncStarted),
                        Action::SessionExpired => (self.events)(AppEvent::SessionExpired),
                        Action::RoundEnded(end) => {
                            self.check_outage_states();
                            (self.events)(AppEvent::SyncFinished { end });
                            for waiter in waiters.drain(..) {
                                let _ = waiter.send(end);
                            }
                        }
                    }
                }
            }
        }
    }

    async fn upload_batch(&self) -> UploadResult {
        // Report items first (few, one request each); readings when none is left to send.
        match super::reports::upload(&self.store, &*self.transport, &self.events).await {
            Ok(super::reports::Outcome::Sent(result)) => return result,
            Ok(super::reports::Outcome::NothingToSend) => {}
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "report upload failed");
                return UploadResult::Failed;
            }
        }
        match self.try_upload_batch().await {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "upload round failed");
                UploadResult::Failed
            }
        }
    }

    async fn try_upload_batch(&self) -> Result<UploadResult, Error> {
        let cipher = self.store.cipher();
        let (session, batch) = self
            .store
            .read(|c| {
                Ok((
                    store::session::load(c, cipher)?,
                    store::readings::next_batch(c, self.config.batch_size)?,
                ))
            })
            .map_err(Error::LoadOutbox)?;
        if batch.is_empty() {
            return Ok(UploadResult::NothingQueued);
        }
        let Some(session) = session else {
            return Ok(UploadResult::Unauthorized);
        };
        let request = ReadingBatchRequest { items: batch };
        match self
            .transport
            .upload_readings(&session.token, &request)
            .await
        {
            Ok(response) => {
                let (resolutions, all) =
                    crate::sync::machine::resolve_batch(&request.items, &response);
                self.store
                    .write(|tx| store::readings::resolve(tx, &resolutions, Utc::now()))
                    .map_err(Error::RecordAnswers)?;
                let remaining = self
                    .store
                    .read(store::readings::outbox_len)
                    .map_err(Error::LoadOutbox)?;
                for r in &resolutions {
                    match r {
                        OutboxResolution::Accepted { id, late, .. } => {
                            (self.events)(AppEvent::ReadingAccepted {
                                id: *id,
                                late: *late,
                            })
                        }
                        OutboxResolution::Rejected { id, code, message } => {
                            (self.events)(AppEvent::ReadingRejected {
                                id: *id,
                                code: code.clone(),
                                message: message.clone(),
                            })
                        }
                        OutboxResolution::Retry { .. } => {}
                    }
                }
                (self.events)(AppEvent::SyncProgress {
                    sent: request.items.len() as u64,
                    queued: remaining as u64,
                });
                Ok(if all {
                    UploadResult::AllAnswered
                } else {
                    UploadResult::SomeUnanswered
                })
            }
            Err(TransportError::Unauthorized) => Ok(UploadResult::Unauthorized),
            Err(error) => {
                // Nothing is lost: the rows stay, only the attempt is counted.
                let retries: Vec<OutboxResolution> = request
                    .items
                    .iter()
                    .map(|r| OutboxResolution::Retry {
                        id: r.id,
                        error: error.to_string(),
                    })
                    .collect();
                self.store
                    .write(|tx| store::readings::resolve(tx, &retries, Utc::now()))
                    .map_err(Error::RecordAnswers)?;
                tracing::info!(error = %error, items = retries.len(), "upload failed; will retry");
                Ok(match error {
                    TransportError::RetryAfter(d) => UploadResult::RetryAfter(d),
                    _ => UploadResult::Failed,
                })
            }
        }
    }

    async fn pull(&self) -> PullResult {
        match self.try_pull().await {
            Ok(result) => result,
            Err(Error::Pull(TransportError::Unauthorized)) => PullResult::Unauthorized,
            Err(Error::Pull(TransportError::NotFound)) => PullResult::Unsupported,
            Err(Error::Pull(TransportError::RetryAfter(d))) => PullResult::RetryAfter(d),
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "pull failed");
                PullResult::Failed
            }
        }
    }

    async fn try_pull(&self) -> Result<PullResult, Error> {
        let cipher = self.store.cipher();
        let (session, cursor) = self
            .store
            .read(|c| {
                Ok((
                    store::session::load(c, cipher)?,
                    store::readings::sync_cursor(c)?,
                ))
            })
            .map_err(Error::LoadOutbox)?;
        let Some(session) = session else {
            // Never logged in (or logged out): nothing to pull, and nothing to complain about.
            return Ok(PullResult::Unsupported);
        };
        let changes = self
            .transport
            .pull(&session.token, cursor.as_deref())
            .await
            .map_err(Error::Pull)?;
        let now = Utc::now();
        let (told, withdrawn, new_balance, report_notices) = self
            .store
            .write(|tx| {
                for meter in &changes.meters {
                    store::readings::upsert_meter(tx, meter, None)?;
                }
                store::readings::merge_server_history(tx, &changes.readings, now)?;
                let changed: Vec<_> = store::outages::merge(tx, &changes.outages, true, now)?
                    .iter()
                    .map(|o| o.id)
                    .collect();
                let withdrawn = store::outages::withdraw(tx, &changes.outages_withdrawn)?;
                let told = store::outages::notifications(tx, &changed, now)?;
                let balance = match &changes.points {
                    Some(points) => store::points::save(tx, points, now)?,
                    None => None,
                };
                let notices = store::reports::merge_pull(
                    tx,
                    cipher,
                    &changes.reports,
                    &changes.report_events,
                    now,
                )?;
                store::readings::set_sync_cursor(tx, &changes.cursor)?;
                Ok((told, withdrawn, balance, notices))
            })
            .map_err(Error::StorePull)?;
        if let Some(balance) = new_balance {
            (self.events)(AppEvent::PointsChanged { balance });
        }
        // Told only after the store has them, so a listener that reads the list sees the change.
        self.tell_outages(told, withdrawn);
        for notice in report_notices {
            (self.events)(super::reports::event_of(notice));
        }
        if changes.has_more {
            return Ok(PullResult::MorePending);
        }
        self.fetch_report_photos(&session.token).await;
        Ok(PullResult::Done)
    }

    /// Downloads the photos of reports filed on another device (at most [`PHOTOS_PER_ROUND`] a
    /// round). Best effort: a failure is logged and the photo is asked for again on a later sync;
    /// it never fails the pull or blocks the rest of sync.
    async fn fetch_report_photos(&self, token: &str) {
        let cipher = self.store.cipher();
        let missing = match self
            .store
            .read(|c| store::reports::missing_photos(c, PHOTOS_PER_ROUND))
        {
            Ok(missing) => missing,
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "listing missing report photos failed");
                return;
            }
        };
        for (id, n) in missing {
            match self.transport.report_photo(token, id, n).await {
                Ok(jpeg) if crate::api::reports::is_jpeg(&jpeg) => {
                    if let Err(error) = self
                        .store
                        .write(|tx| store::reports::save_photo(tx, cipher, id, n, &jpeg))
                    {
                        tracing::warn!(error = %error_chain(&error), "storing a report photo failed");
                        return;
                    }
                }
                Ok(other) => {
                    tracing::warn!(report = %id.0, n, bytes = other.len(), "a report photo is not a JPEG; not stored");
                }
                Err(error) => {
                    tracing::info!(report = %id.0, n, error = %error, "report photo not downloaded; next sync tries again");
                    return;
                }
            }
        }
    }
}

impl Driver {
    fn tell_outages(&self, told: Vec<(OutageId, OutageState)>, withdrawn: Vec<OutageId>) {
        for (id, state) in told {
            (self.events)(AppEvent::OutageChanged { id, state });
        }
        for id in withdrawn {
            (self.events)(AppEvent::OutageWithdrawn { id });
        }
    }

    /// Tells the resident about outages whose state moved on by the clock alone (a planned
    /// outage started, an expected end passed), also when the round could not reach the server.
    fn check_outage_states(&self) {
        match self
            .store
            .write(|tx| store::outages::notifications(tx, &[], Utc::now()))
        {
            Ok(told) => self.tell_outages(told, Vec::new()),
            Err(error) => tracing::warn!(error = %error_chain(&error), "outage state check failed"),
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
