//! Status changes: the readiness last observed, and each change as a
//! `tracing` event, a metric and a call of the `on_change` hook.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use super::run::panic_message;
use super::{Health, HealthStatus as Status, StatusChange};

/// The readiness status last observed ([`status_code`]; 0 before the
/// first): an atomic, so that the probes that only confirm it take no lock.
#[derive(Default)]
pub(super) struct Readiness(AtomicU8);

impl Readiness {
    /// Notes the readiness status `status`, reporting it if it changed.
    pub(super) fn observe(&self, status: Status, health: &Health) {
        let code = status_code(status);
        // Most probes confirm the status: a load, no write.
        if self.0.load(Ordering::Acquire) == code {
            return;
        }
        let from = self.0.swap(code, Ordering::AcqRel);
        if from == code {
            return;
        }
        let from = STATUSES.get(usize::from(from).wrapping_sub(1)).copied();
        tracing::info!(
            target: "axum_kamal",
            from = from.map_or("none", Status::as_str),
            to = status.as_str(),
            "readiness changed"
        );
        changed(
            health,
            &StatusChange {
                check: None,
                from,
                to: status,
                error: None,
            },
        );
    }
}

/// Every status, numbered by [`status_code`].
const STATUSES: [Status; 5] = [
    Status::Pass,
    Status::Warn,
    Status::Fail,
    Status::Starting,
    Status::Draining,
];

/// `status` as 1 + its index in [`STATUSES`] (0 is "none yet").
fn status_code(status: Status) -> u8 {
    let index = STATUSES
        .iter()
        .position(|s| *s == status)
        .unwrap_or_default();
    u8::try_from(index + 1).unwrap_or_default()
}

/// Reports `change` to the metrics and to `health`'s hook.
pub(super) fn changed(health: &Health, change: &StatusChange) {
    #[cfg(feature = "metrics")]
    super::metrics::status_changed(change);
    if let Some(hook) = &health.on_change {
        // Like a check's, the hook's panic never reaches the server.
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| hook(change))) {
            tracing::warn!(
                target: "axum_kamal",
                error = panic_message(&*payload).as_str(),
                "health on_change hook failed"
            );
        }
    }
}

/// A check's change as one `tracing` event: a warning when it stops passing.
pub(super) fn log_check_change(change: &StatusChange, duration: Duration, optional: bool) {
    let check = change.check.as_deref().unwrap_or_default();
    let from = change.from.map_or("none", Status::as_str);
    let duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    match &change.error {
        Some(error) => tracing::warn!(
            target: "axum_kamal",
            check,
            error = error.as_str(),
            optional,
            duration_ms,
            from,
            to = change.to.as_str(),
            "health check failed"
        ),
        None => tracing::info!(
            target: "axum_kamal",
            check,
            duration_ms,
            from,
            to = change.to.as_str(),
            "health check passed"
        ),
    }
}
