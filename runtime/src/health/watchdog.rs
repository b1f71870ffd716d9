//! The runtime watchdog: a heartbeat task on the runtime that serves the
//! probes; liveness fails while it runs late.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::time::Instant;

use super::state::HealthState;

/// Beats per watchdog limit: a beat every quarter of the limit, so a late
/// one stands out from the scheduling jitter of a busy runtime.
const BEATS_PER_LIMIT: u32 = 4;

/// The heartbeat task's last beats.
#[derive(Default)]
pub(super) struct Heartbeat {
    started: AtomicBool,
    beats: Mutex<Option<Beats>>,
}

#[derive(Clone, Copy)]
struct Beats {
    last: Instant,
    /// Time between the last beat and the one before it.
    gap: Duration,
}

impl Heartbeat {
    /// Whether the runtime is late by more than `limit`: its last beat is
    /// older, or came that long after the one before (the runtime has just
    /// come back from a stall, and the probe answered after it must say
    /// so, whichever of the two ran first). `false` before the first beat.
    pub(super) fn is_late(&self, limit: Duration, now: Instant) -> bool {
        let beats = *self.beats.lock().unwrap_or_else(|e| e.into_inner());
        beats.is_some_and(|b| b.gap > limit || now.saturating_duration_since(b.last) > limit)
    }

    /// Notes a beat at `now`; returns the gap since the previous one.
    fn beat(&self, now: Instant) -> Duration {
        let mut beats = self.beats.lock().unwrap_or_else(|e| e.into_inner());
        let gap = beats.map_or(Duration::ZERO, |b| now.saturating_duration_since(b.last));
        *beats = Some(Beats { last: now, gap });
        gap
    }
}

impl HealthState {
    /// Starts the heartbeat task on the current runtime, once, if the
    /// watchdog is on.
    pub(super) fn start_watchdog(self: &Arc<Self>) {
        let Some(limit) = self.health.watchdog else {
            return;
        };
        // Every probe asks: a load, no write, once started.
        let started = &self.heartbeat.started;
        if !started.load(Ordering::Acquire) && !started.swap(true, Ordering::AcqRel) {
            self.heartbeat.beat(Instant::now());
            tokio::spawn(heartbeat(HeartbeatTask(Arc::downgrade(self)), limit));
        }
    }
}

/// Beats every `limit / BEATS_PER_LIMIT` until the state is dropped,
/// warning when a beat comes late. `task` is an argument, not a local: it is
/// dropped with the task even if the task never ran.
async fn heartbeat(task: HeartbeatTask, limit: Duration) {
    let state = &task.0;
    let period = (limit / BEATS_PER_LIMIT).max(Duration::from_millis(1));
    loop {
        tokio::time::sleep(period).await;
        let Some(state) = state.upgrade() else { return };
        let gap = state.heartbeat.beat(Instant::now());
        if gap > limit {
            tracing::error!(
                target: "axum_kamal",
                gap_ms = u64::try_from(gap.as_millis()).unwrap_or(u64::MAX),
                limit_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                "runtime stalled: the watchdog's heartbeat ran late, liveness answers 503"
            );
        }
    }
}

/// The heartbeat task's end: when its runtime shuts down while the state
/// lives on, the next probe starts a new one (on the runtime serving it).
struct HeartbeatTask(Weak<HealthState>);

impl Drop for HeartbeatTask {
    fn drop(&mut self) {
        if let Some(state) = self.0.upgrade() {
            *state
                .heartbeat
                .beats
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = None;
            state.heartbeat.started.store(false, Ordering::Release);
        }
    }
}
