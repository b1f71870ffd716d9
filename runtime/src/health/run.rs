//! Running the checks: concurrently, each bounded by the timeout, a panic
//! caught as a failure.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::join_all;
use tokio::time::Instant;

use super::Check;

/// One check's result, before its tolerance applies.
pub(super) struct CheckResult {
    pub(super) duration: Duration,
    pub(super) error: Option<String>,
    /// The error is that no result came in time: the check timed out, or
    /// its run was cancelled.
    pub(super) timed_out: bool,
}

impl CheckResult {
    /// The result of a run that never finished: a background refresh whose
    /// task was dropped mid-run (its runtime shut down).
    pub(super) fn cancelled() -> Self {
        Self {
            duration: Duration::ZERO,
            error: Some("cancelled mid-run".to_owned()),
            timed_out: true,
        }
    }
}

/// Runs all checks concurrently.
pub(super) async fn run_checks(checks: &[Check], timeout: Duration) -> Vec<CheckResult> {
    join_all(checks.iter().map(|check| run_one(check, timeout))).await
}

async fn run_one(check: &Check, timeout: Duration) -> CheckResult {
    let start = Instant::now();
    let mut timed_out = false;
    let error = match std::panic::catch_unwind(AssertUnwindSafe(|| (check.run)())) {
        Err(payload) => Some(panic_message(&*payload)),
        Ok(fut) => {
            match tokio::time::timeout(timeout, AssertUnwindSafe(fut).catch_unwind()).await {
                Err(_elapsed) => {
                    timed_out = true;
                    Some(format!("timed out after {timeout:?}"))
                }
                Ok(Err(payload)) => Some(panic_message(&*payload)),
                Ok(Ok(Err(error))) => Some(error),
                Ok(Ok(Ok(()))) => None,
            }
        }
    };
    CheckResult {
        duration: start.elapsed(),
        error,
        timed_out,
    }
}

/// `panicked: <message>` for a panic payload.
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string panic payload");
    format!("panicked: {msg}")
}
