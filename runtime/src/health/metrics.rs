//! The `metrics` feature: what a [`Health`](super::Health) records through
//! the `metrics` facade crate (listed in `Health`'s documentation).

use std::sync::Arc;
use std::time::Duration;

use super::StatusChange;

/// Gauge: 1 if the check's last run passed, else 0.
pub(crate) const CHECK_UP: &str = "axum_kamal_check_up";
/// Histogram: each run's duration in seconds.
pub(crate) const CHECK_DURATION: &str = "axum_kamal_check_duration_seconds";
/// Counter: status changes, by check (`""`: readiness) and new status.
pub(crate) const STATUS_CHANGES: &str = "axum_kamal_status_changes_total";

/// Records one run of `check`; its name is shared with the labels, not copied.
pub(crate) fn check_ran(check: &Arc<str>, passed: bool, duration: Duration) {
    metrics::gauge!(CHECK_UP, "check" => Arc::clone(check)).set(if passed { 1.0 } else { 0.0 });
    metrics::histogram!(CHECK_DURATION, "check" => Arc::clone(check))
        .record(duration.as_secs_f64());
}

/// Counts one status change.
pub(crate) fn status_changed(change: &StatusChange) {
    let check = change.check.clone().unwrap_or_default();
    metrics::counter!(STATUS_CHANGES, "check" => check, "to" => change.to.as_str()).increment(1);
}
