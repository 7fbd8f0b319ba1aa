//! Earning points from other capabilities without slowing them down or ever losing or doubling an
//! award.
//!
//! The transaction that stores an earning event (a reading accepted inside its submission window,
//! a rating of a closed report) also queues its earning in `points_earnings`, so the event and its
//! claim to points are durable together. After the commit the handler [wakes](Earnings::wake) this
//! process's settler, which awards every queued earning through
//! [`PointsStore::award`](crate::store::PointsStore::award): the ledger entry is written and the
//! queue row deleted in one transaction, and the ledger's unique `(user, reason, source)` key
//! turns a second settle of the same source into a no-op. So:
//!
//! - SIGKILL after the event's commit and before the award leaves the row queued; the sweep that
//!   runs at start-up (and every period after) settles it;
//! - two settlers (a wake racing the sweep, two server processes on one PostgreSQL) award a source
//!   once;
//! - the readings hot path pays one insert per on-time reading, never a balance computation.
//!
//! The amounts and monthly caps come from [`PointsSettings`](super::PointsSettings) at settle
//! time; the month of the cap is the month the event was stored in.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use connect_core::points::{EarnRule, LedgerReason};
use tokio::sync::Notify;

use crate::{
    AppState,
    store::{AwardOutcome, NewAward, PendingEarning, StoreError},
};

/// Queued earnings read per store round trip while settling.
const SETTLE_PAGE: u32 = 500;

/// The process's settler: one task, started on first wake, that settles whenever woken. Wakes
/// arriving while it works coalesce into one more pass.
#[derive(Debug, Default)]
pub struct Earnings {
    wake: Notify,
    started: AtomicBool,
}

impl Earnings {
    /// Asks the settler to run soon (call after committing an event that queued an earning).
    /// Never blocks; must be called inside the server's tokio runtime.
    pub fn wake(&self, state: &AppState) {
        if !self.started.swap(true, Ordering::AcqRel) {
            let state = state.clone();
            tokio::spawn(async move {
                loop {
                    state.earnings.wake.notified().await;
                    match settle(&state).await {
                        Ok(0) => {}
                        Ok(n) => tracing::debug!(settled = n, "earnings settled"),
                        Err(e) => {
                            tracing::warn!(error = %e, "settling earnings failed; will retry")
                        }
                    }
                }
            });
        }
        self.wake.notify_one();
    }
}

fn rule_of(reason: LedgerReason) -> Option<EarnRule> {
    match reason {
        LedgerReason::OnTimeReading => Some(EarnRule::OnTimeReading),
        LedgerReason::RatedReport => Some(EarnRule::RatedReport),
        LedgerReason::HouseInspection => Some(EarnRule::HouseInspection),
        LedgerReason::VoucherReserved | LedgerReason::VoucherExpired | LedgerReason::Adjustment => {
            None
        }
    }
}

/// The award that settles one queued earning.
pub fn award_for(state: &AppState, e: &PendingEarning) -> NewAward {
    // A reason that is not an earning rule can only come from a bug; awarding 0 clears the row.
    let rule = rule_of(e.reason).map(|r| state.settings.points.rule(r));
    if rule.is_none() {
        tracing::error!(
            reason = e.reason.as_str(),
            "queued earning with a non-earning reason"
        );
    }
    NewAward {
        user: e.user,
        reason: e.reason,
        source_id: e.source_id.clone(),
        amount: rule.map_or(0, |r| r.amount),
        monthly_cap: rule.map_or(0, |r| r.monthly_cap),
        now: e.earned_at,
    }
}

/// Settles every queued earning; returns how many added points (duplicates and capped ones are
/// cleared without adding any).
pub async fn settle(state: &AppState) -> Result<u64, StoreError> {
    let mut awarded = 0;
    loop {
        let page = state.store.pending_earnings(SETTLE_PAGE).await?;
        let awards = page.iter().map(|e| award_for(state, e)).collect();
        let outcomes = state.store.award_all(awards).await?;
        for (e, outcome) in page.iter().zip(outcomes) {
            match outcome {
                AwardOutcome::Awarded(points) => {
                    awarded += 1;
                    metrics::counter!("connect_points_awarded_total", "reason" => e.reason.as_str())
                        .increment(points.unsigned_abs());
                }
                AwardOutcome::Duplicate | AwardOutcome::Capped => {}
            }
        }
        if page.len() < SETTLE_PAGE as usize {
            return Ok(awarded);
        }
    }
}

/// Wakes the settler now and every `period` after: at start-up it settles what a crash left
/// queued, later what other processes sharing the database left behind.
pub fn spawn_sweep(state: AppState, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            state.earnings.wake(&state);
        }
    })
}
