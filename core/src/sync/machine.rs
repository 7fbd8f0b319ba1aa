//! The sync engine's decisions, free of I/O: `update(state, input) -> (state, actions)`.
//!
//! The driver ([`crate::sync::engine`]) performs the actions (upload a batch, pull, wait) and feeds
//! their results back as inputs. The clock never appears here (delays are returned, not slept) and
//! the jitter comes from an injected RNG, so tests drive every path with canned results.

use std::time::Duration;

use rand::Rng;

use crate::{
    api::readings::{ReadingBatchResponse, ReadingOutcome},
    readings::Reading,
    store::OutboxResolution,
};

/// The code stored for a reading the server already holds with other content.
pub const CONFLICT_CODE: &str = "conflict";
/// The message shown for it.
pub const CONFLICT_MESSAGE: &str = "This reading was already submitted with other content, so \
     this version was not stored. Submit a new reading if the value is wrong.";

/// What starts a sync round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The app started.
    Start,
    /// A reading was written to the outbox.
    NewWrite,
    /// The device got a network connection back (skips any backoff).
    ConnectivityRegained,
    /// The periodic timer fired.
    Periodic,
    /// The resident or the shell asked for a sync now (skips any backoff).
    Manual,
}

/// Where the engine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Nothing in flight; waiting for a trigger.
    Idle,
    /// A batch upload is in flight.
    Uploading {
        /// Consecutive failed rounds before this one.
        failures: u32,
    },
    /// A pull of changes is in flight.
    Pulling {
        /// Consecutive failed rounds before this one.
        failures: u32,
    },
    /// Waiting before the next attempt after a failure.
    Backoff {
        /// Consecutive failed rounds.
        failures: u32,
    },
    /// The server refused the session: nothing is sent until the resident logs in again.
    NeedsLogin,
}

/// What happened, fed into [`SyncMachine::update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A trigger fired.
    Triggered(Trigger),
    /// The result of an [`Action::UploadBatch`].
    Uploaded(UploadResult),
    /// The result of an [`Action::Pull`].
    Pulled(PullResult),
    /// The delay of an [`Action::Wait`] has passed.
    BackoffElapsed,
    /// The resident logged in again.
    SessionRefreshed,
}

/// How one batch upload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadResult {
    /// The outbox was empty: nothing was sent.
    NothingQueued,
    /// The server answered for every item of the batch.
    AllAnswered,
    /// The server answered, but not for every item; those stay queued.
    SomeUnanswered,
    /// HTTP 401: the session is gone. Items stay queued, none is rejected.
    Unauthorized,
    /// HTTP 429/503 with `Retry-After`.
    RetryAfter(Duration),
    /// Network error, timeout, 5xx or an unreadable answer: nothing was lost.
    Failed,
}

/// How one pull ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullResult {
    /// Changes stored; nothing more waiting.
    Done,
    /// Changes stored; the server has more (pull again).
    MorePending,
    /// Nothing can be pulled: an older server without the sync route, or no session.
    Unsupported,
    /// HTTP 401.
    Unauthorized,
    /// HTTP 429/503 with `Retry-After`.
    RetryAfter(Duration),
    /// Network error, 5xx or unreadable answer.
    Failed,
}

/// How a sync round ended, reported to listeners and to `sync_now` callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum RoundEnd {
    /// Outbox empty and changes pulled.
    Synced,
    /// A failure; the engine retries by itself after the delay.
    WillRetry {
        /// Delay before the next attempt.
        after: Duration,
    },
    /// The session is gone; the resident must log in again.
    NeedsLogin,
}

/// What the driver must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Upload the next batch from the outbox and feed back [`Input::Uploaded`].
    UploadBatch,
    /// Pull changes since the stored cursor and feed back [`Input::Pulled`].
    Pull,
    /// Feed back [`Input::BackoffElapsed`] after this delay.
    Wait(Duration),
    /// A round started (tell listeners).
    RoundStarted,
    /// A round ended (tell listeners and `sync_now` callers).
    RoundEnded(RoundEnd),
    /// Ask the resident to log in again.
    SessionExpired,
}

/// Capped exponential backoff with full jitter: the n-th consecutive failure waits a uniformly
/// random time in `[0, min(cap, base · 2^(n-1))]`, so a city's phones that failed together do not
/// retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// The ceiling of the first delay.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
        }
    }
}

impl BackoffPolicy {
    /// The ceiling for the `failures`-th consecutive failure (1-based).
    pub fn ceiling(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A jittered delay for the `failures`-th consecutive failure.
    pub fn delay(&self, failures: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = u64::try_from(self.ceiling(failures).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=ceiling))
    }
}

/// The sync engine's state and its pure transition function.
#[derive(Debug)]
pub struct SyncMachine<R> {
    state: State,
    policy: BackoffPolicy,
    rng: R,
    /// A trigger arrived while a round was in flight: run another round after it.
    rerun: bool,
}

impl<R: Rng> SyncMachine<R> {
    /// An idle machine.
    pub fn new(policy: BackoffPolicy, rng: R) -> Self {
        SyncMachine {
            state: State::Idle,
            policy,
            rng,
            rerun: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Applies one input; returns the actions to perform, in order.
    pub fn update(&mut self, input: Input) -> Vec<Action> {
        let (state, actions) = self.transition(input);
        self.state = state;
        actions
    }

    fn transition(&mut self, input: Input) -> (State, Vec<Action>) {
        use Action as A;
        use State as S;
        match (self.state, input) {
            (S::Idle, Input::Triggered(_)) => (
                S::Uploading { failures: 0 },
                vec![A::RoundStarted, A::UploadBatch],
            ),
            (S::Uploading { .. } | S::Pulling { .. }, Input::Triggered(_)) => {
                self.rerun = true;
                (self.state, vec![])
            }
            (
                S::Backoff { failures },
                Input::Triggered(Trigger::Manual | Trigger::ConnectivityRegained)
                | Input::BackoffElapsed,
            ) => (
                S::Uploading { failures },
                vec![A::RoundStarted, A::UploadBatch],
            ),
            // A new write or the periodic timer never cuts a backoff short: that is what keeps a
            // struggling server from being hammered.
            (S::Backoff { .. }, Input::Triggered(_)) => (self.state, vec![]),
            (S::NeedsLogin, Input::SessionRefreshed) => (
                S::Uploading { failures: 0 },
                vec![A::RoundStarted, A::UploadBatch],
            ),
            (S::NeedsLogin, Input::Triggered(Trigger::Manual)) => {
                (S::NeedsLogin, vec![A::RoundEnded(RoundEnd::NeedsLogin)])
            }
            (S::Uploading { failures }, Input::Uploaded(result)) => match result {
                UploadResult::AllAnswered => (S::Uploading { failures }, vec![A::UploadBatch]),
                UploadResult::NothingQueued => (S::Pulling { failures }, vec![A::Pull]),
                UploadResult::SomeUnanswered | UploadResult::Failed => {
                    self.back_off(failures, None)
                }
                UploadResult::RetryAfter(d) => self.back_off(failures, Some(d)),
                UploadResult::Unauthorized => self.needs_login(),
            },
            (S::Pulling { failures }, Input::Pulled(result)) => match result {
                PullResult::MorePending => (S::Pulling { failures }, vec![A::Pull]),
                PullResult::Done | PullResult::Unsupported => {
                    if std::mem::take(&mut self.rerun) {
                        (S::Uploading { failures: 0 }, vec![A::UploadBatch])
                    } else {
                        (S::Idle, vec![A::RoundEnded(RoundEnd::Synced)])
                    }
                }
                PullResult::Failed => self.back_off(failures, None),
                PullResult::RetryAfter(d) => self.back_off(failures, Some(d)),
                PullResult::Unauthorized => self.needs_login(),
            },
            // Late or stray inputs (a timer after a manual retry, a refresh while not waiting
            // for one) change nothing.
            (state, _) => (state, vec![]),
        }
    }

    fn back_off(&mut self, failures: u32, retry_after: Option<Duration>) -> (State, Vec<Action>) {
        let failures = failures.saturating_add(1);
        self.rerun = false;
        // The server's Retry-After is honoured as given: it knows when it will have room.
        let after = retry_after.unwrap_or_else(|| self.policy.delay(failures, &mut self.rng));
        (
            State::Backoff { failures },
            vec![
                Action::Wait(after),
                Action::RoundEnded(RoundEnd::WillRetry { after }),
            ],
        )
    }

    fn needs_login(&mut self) -> (State, Vec<Action>) {
        self.rerun = false;
        (
            State::NeedsLogin,
            vec![
                Action::SessionExpired,
                Action::RoundEnded(RoundEnd::NeedsLogin),
            ],
        )
    }
}

/// Turns the server's per-item answers into outbox resolutions. Every item of the batch gets one:
/// items the answer does not mention stay queued. Returns whether every item was answered.
pub fn resolve_batch(
    batch: &[Reading],
    response: &ReadingBatchResponse,
) -> (Vec<OutboxResolution>, bool) {
    let mut all = true;
    let resolutions = batch
        .iter()
        .map(|item| {
            let outcome = response
                .results
                .iter()
                .find(|r| r.id == item.id)
                .map(|r| &r.outcome);
            match outcome {
                Some(ReadingOutcome::Accepted { received_at, late }) => {
                    OutboxResolution::Accepted {
                        id: item.id,
                        received_at: *received_at,
                        late: *late,
                    }
                }
                Some(ReadingOutcome::Duplicate { received_at }) => OutboxResolution::Accepted {
                    id: item.id,
                    received_at: *received_at,
                    late: false,
                },
                Some(ReadingOutcome::Conflict) => OutboxResolution::Rejected {
                    id: item.id,
                    code: CONFLICT_CODE.into(),
                    message: CONFLICT_MESSAGE.into(),
                },
                Some(ReadingOutcome::Rejected { code, message }) => OutboxResolution::Rejected {
                    id: item.id,
                    code: code.clone(),
                    message: message.clone(),
                },
                None => {
                    all = false;
                    OutboxResolution::Retry {
                        id: item.id,
                        error: "the server's answer did not mention this reading".into(),
                    }
                }
            }
        })
        .collect();
    (resolutions, all)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{TimeZone, Utc};
    use rand::{SeedableRng, rngs::StdRng};
    use uuid::Uuid;

    use super::*;
    use crate::{
        api::readings::ReadingResult,
        ids::{MeterId, ReadingId},
    };

    fn machine() -> SyncMachine<StdRng> {
        SyncMachine::new(BackoffPolicy::default(), StdRng::seed_from_u64(7))
    }

    fn wait_of(actions: &[Action]) -> Duration {
        actions
            .iter()
            .find_map(|a| match a {
                Action::Wait(d) => Some(*d),
                _ => None,
            })
            .expect("a wait action")
    }

    #[test]
    fn a_trigger_uploads_until_the_outbox_is_empty_then_pulls_then_idles() {
        let mut m = machine();
        assert_eq!(
            m.update(Input::Triggered(Trigger::Start)),
            vec![Action::RoundStarted, Action::UploadBatch]
        );
        assert_eq!(
            m.update(Input::Uploaded(UploadResult::AllAnswered)),
            vec![Action::UploadBatch]
        );
        assert_eq!(
            m.update(Input::Uploaded(UploadResult::NothingQueued)),
            vec![Action::Pull]
        );
        assert_eq!(
            m.update(Input::Pulled(PullResult::MorePending)),
            vec![Action::Pull]
        );
        assert_eq!(
            m.update(Input::Pulled(PullResult::Done)),
            vec![Action::RoundEnded(RoundEnd::Synced)]
        );
        assert_eq!(m.state(), State::Idle);
    }

    #[test]
    fn a_network_failure_backs_off_with_growing_jittered_delays_below_the_cap() {
        let mut m = machine();
        m.update(Input::Triggered(Trigger::Start));
        let mut ceilings = Vec::new();
        for n in 1..=20u32 {
            let actions = m.update(Input::Uploaded(UploadResult::Failed));
            assert_eq!(m.state(), State::Backoff { failures: n });
            let d = wait_of(&actions);
            let ceiling = m.policy.ceiling(n);
            assert!(d <= ceiling, "{d:?} > {ceiling:?}");
            ceilings.push(ceiling);
            assert_eq!(
                m.update(Input::BackoffElapsed),
                vec![Action::RoundStarted, Action::UploadBatch]
            );
        }
        assert_eq!(ceilings[0], Duration::from_secs(2));
        assert_eq!(ceilings[3], Duration::from_secs(16));
        assert_eq!(*ceilings.last().unwrap(), Duration::from_secs(15 * 60));
    }

    #[test]
    fn full_jitter_spreads_delays_over_the_whole_range() {
        let policy = BackoffPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        let delays: Vec<Duration> = (0..200).map(|_| policy.delay(5, &mut rng)).collect();
        let ceiling = policy.ceiling(5);
        assert!(delays.iter().all(|d| *d <= ceiling));
        assert!(delays.iter().any(|d| *d < ceiling / 4));
        assert!(delays.iter().any(|d| *d > ceiling * 3 / 4));
    }

    #[test]
    fn retry_after_from_the_server_is_honoured_exactly() {
        let mut m = machine();
        m.update(Input::Triggered(Trigger::Start));
        let actions = m.update(Input::Uploaded(UploadResult::RetryAfter(
            Duration::from_secs(42),
        )));
        assert_eq!(wait_of(&actions), Duration::from_secs(42));
        assert!(actions.contains(&Action::RoundEnded(RoundEnd::WillRetry {
            after: Duration::from_secs(42)
        })));
    }

    #[test]
    fn new_writes_and_the_timer_do_not_cut_a_backoff_short_but_connectivity_and_manual_do() {
        let mut m = machine();
        m.update(Input::Triggered(Trigger::Start));
        m.update(Input::Uploaded(UploadResult::Failed));
        assert!(m.update(Input::Triggered(Trigger::NewWrite)).is_empty());
        assert!(m.update(Input::Triggered(Trigger::Periodic)).is_empty());
        assert_eq!(m.state(), State::Backoff { failures: 1 });
        assert_eq!(
            m.update(Input::Triggered(Trigger::ConnectivityRegained)),
            vec![Action::RoundStarted, Action::UploadBatch]
        );
        m.update(Input::Uploaded(UploadResult::Failed));
        assert_eq!(m.state(), State::Backoff { failures: 2 });
        assert_eq!(
            m.update(Input::Triggered(Trigger::Manual)),
            vec![Action::RoundStarted, Action::UploadBatch]
        );
    }

    #[test]
    fn unauthorized_asks_for_login_and_sends_nothing_until_the_session_is_refreshed() {
        let mut m = machine();
        m.update(Input::Triggered(Trigger::Start));
        assert_eq!(
            m.update(Input::Uploaded(UploadResult::Unauthorized)),
            vec![
                Action::SessionExpired,
                Action::RoundEnded(RoundEnd::NeedsLogin)
            ]
        );
        assert!(m.update(Input::Triggered(Trigger::NewWrite)).is_empty());
        assert!(m.update(Input::BackoffElapsed).is_empty());
        assert_eq!(
            m.update(Input::Triggered(Trigger::Manual)),
            vec![Action::RoundEnded(RoundEnd::NeedsLogin)]
        );
        assert_eq!(
            m.update(Input::SessionRefreshed),
            vec![Action::RoundStarted, Action::UploadBatch]
        );
    }

    #[test]
    fn a_write_during_a_round_runs_another_upload_before_going_idle() {
        let mut m = machine();
        m.update(Input::Triggered(Trigger::Start));
        m.update(Input::Uploaded(UploadResult::NothingQueued));
        assert!(m.update(Input::Triggered(Trigger::NewWrite)).is_empty());
        assert_eq!(
            m.update(Input::Pulled(PullResult::Done)),
            vec![Action::UploadBatch]
        );
        m.update(Input::Uploaded(UploadResult::NothingQueued));
        assert_eq!(
            m.update(Input::Pulled(PullResult::Unsupported)),
            vec![Action::RoundEnded(RoundEnd::Synced)]
        );
    }

    #[test]
    fn a_success_after_failures_starts_the_next_failure_from_the_first_delay_again() {
        let mut m = machine();
        m.update(Input::Triggered(Trigger::Start));
        for _ in 0..5 {
            m.update(Input::Uploaded(UploadResult::Failed));
            m.update(Input::BackoffElapsed);
        }
        m.update(Input::Uploaded(UploadResult::NothingQueued));
        m.update(Input::Pulled(PullResult::Done));
        m.update(Input::Triggered(Trigger::NewWrite));
        m.update(Input::Uploaded(UploadResult::Failed));
        assert_eq!(m.state(), State::Backoff { failures: 1 });
    }

    fn reading(n: u128) -> Reading {
        Reading {
            id: ReadingId(Uuid::from_u128(n)),
            meter_id: MeterId(Uuid::from_u128(1)),
            values: vec![],
            taken_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
            confirmed_jump: false,
        }
    }

    #[test]
    fn each_answer_resolves_its_own_item_and_unanswered_items_stay_queued() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
        let batch: Vec<Reading> = (1..=5).map(reading).collect();
        let answer = |n: u128, outcome| ReadingResult {
            id: ReadingId(Uuid::from_u128(n)),
            outcome,
        };
        let response = ReadingBatchResponse {
            results: vec![
                answer(4, ReadingOutcome::Conflict),
                answer(
                    1,
                    ReadingOutcome::Accepted {
                        received_at: t,
                        late: true,
                    },
                ),
                answer(2, ReadingOutcome::Duplicate { received_at: t }),
                answer(
                    3,
                    ReadingOutcome::Rejected {
                        code: "below_previous".into(),
                        message: "lower".into(),
                    },
                ),
                answer(99, ReadingOutcome::Conflict),
            ],
        };
        let (res, all) = resolve_batch(&batch, &response);
        assert!(!all);
        let id = |n| ReadingId(Uuid::from_u128(n));
        assert_eq!(
            res[0],
            OutboxResolution::Accepted {
                id: id(1),
                received_at: t,
                late: true
            }
        );
        assert_eq!(
            res[1],
            OutboxResolution::Accepted {
                id: id(2),
                received_at: t,
                late: false
            }
        );
        assert_eq!(
            res[2],
            OutboxResolution::Rejected {
                id: id(3),
                code: "below_previous".into(),
                message: "lower".into()
            }
        );
        assert!(
            matches!(&res[3], OutboxResolution::Rejected { id: i, code, .. } if *i == id(4) && code == CONFLICT_CODE)
        );
        assert!(matches!(&res[4], OutboxResolution::Retry { id: i, .. } if *i == id(5)));
        assert_eq!(res.len(), 5);
    }
}
