//! The public reason of a `503`, opted into with
//! [`Health::public_reason`](super::Health::public_reason): a class and at
//! most the names of the checks, never their errors.

use super::HealthStatus as Status;
use super::cache::Report;

/// `starting`, `draining`, `timeout` (a stale background result), or, for
/// the required checks that fail, `timeout: a, b` when every one of them
/// gave no result in time and `failing: a, b` otherwise.
pub(super) fn public_reason(status: Status, report: Option<&Report>, stale: bool) -> String {
    match status {
        Status::Starting | Status::Draining => return status.as_str().to_owned(),
        _ if stale => return "timeout".to_owned(),
        _ => {}
    }
    let failing: Vec<_> = report
        .map(|r| &r.checks[..])
        .unwrap_or_default()
        .iter()
        .filter(|c| c.status == Status::Fail)
        .collect();
    let class = if !failing.is_empty() && failing.iter().all(|c| c.timed_out) {
        "timeout"
    } else {
        "failing"
    };
    let names: Vec<&str> = failing.iter().map(|c| &*c.name).collect();
    format!("{class}: {}", names.join(", "))
}
