//! Runtime state of a [`Health`]: the run cache, check streaks, status
//! changes, the background refresh, and the answers.

use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Either, Shared, join_all, select};
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::{Check, Health, HealthStatus as Status, StatusChange};
use crate::response::{plain_text, probe_response};

type SharedRun = Shared<BoxFuture<'static, Arc<Report>>>;

/// A `Health` plus its run cache; lives in the layer configuration.
pub(crate) struct HealthState {
    health: Health,
    slot: Mutex<Slot>,
    /// The readiness status last observed, for change events
    /// ([`status_code`]; 0 before the first): an atomic, so that the probes
    /// that only confirm it take no lock.
    status: AtomicU8,
}

#[derive(Default)]
struct Slot {
    next_id: u64,
    /// The latest finished run.
    last: Option<Arc<Report>>,
    /// The run in progress, shared by the probes that wait for it.
    running: Option<(u64, SharedRun)>,
    /// Per check, in the order of `Health::checks`.
    streaks: Vec<Streak>,
    /// Whether the background refresh task was started.
    refreshing: bool,
}

/// A check's history, for its tolerance and its change events.
#[derive(Default)]
struct Streak {
    passed_once: bool,
    failures: u32,
    failing_since: Option<Instant>,
    status: Option<Status>,
}

#[derive(Debug)]
struct Report {
    id: u64,
    finished: Instant,
    /// Wall-clock time of `finished`, for the details.
    time: SystemTime,
    checks: Vec<Outcome>,
}

#[derive(Debug)]
struct Outcome {
    name: Arc<str>,
    optional: bool,
    duration: Duration,
    error: Option<String>,
    /// `Pass`, `Warn` (optional, or a tolerated failure) or `Fail`.
    status: Status,
}

impl Report {
    fn status(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max_by_key(|status| match status {
                Status::Pass => 0,
                Status::Warn => 1,
                _ => 2,
            })
            .unwrap_or(Status::Pass)
    }
}

/// What a probe asked for.
#[derive(Clone, Copy)]
struct Probe {
    head: bool,
    details: bool,
}

impl fmt::Debug for HealthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthState")
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

impl HealthState {
    pub(crate) fn new(health: Health) -> Arc<Self> {
        Arc::new(Self {
            health,
            slot: Mutex::default(),
            status: AtomicU8::new(0),
        })
    }

    /// Answers a readiness probe (the layer has matched method and path).
    pub(crate) fn probe<B>(
        self: &Arc<Self>,
        req: &Request<B>,
    ) -> BoxFuture<'static, Response<Bytes>> {
        let probe = Probe {
            head: req.method() == Method::HEAD,
            details: self.wants_details(req.headers()),
        };
        let ready =
            |res| -> BoxFuture<'static, Response<Bytes>> { Box::pin(std::future::ready(res)) };
        // Statuses that no run decides are noted here; a run's in `record`.
        if let Some(status) = self.gate() {
            self.observe(status);
            return ready(self.respond(status, None, probe));
        }
        if self.health.checks.is_empty() {
            self.observe(Status::Pass);
            return ready(self.respond(Status::Pass, None, probe));
        }
        let run = {
            let mut slot = self.lock();
            if let Some(period) = self.health.refresh {
                if !std::mem::replace(&mut slot.refreshing, true) {
                    tokio::spawn(refresh(Arc::downgrade(self), period));
                }
            }
            match &slot.last {
                Some(report) if self.is_fresh(report) => {
                    let report = Arc::clone(report);
                    drop(slot);
                    return ready(self.respond_report(&report, probe));
                }
                _ => self.current_run(&mut slot),
            }
        };
        let this = Arc::clone(self);
        Box::pin(async move {
            let report = run.await;
            this.respond_report(&report, probe)
        })
    }

    /// The preflight's answer: the drain's or the startup gate's `503`, else
    /// `200`, without running the checks or noting a status change.
    pub(crate) fn respond_unchecked<B>(&self, req: &Request<B>) -> Response<Bytes> {
        let probe = Probe {
            head: req.method() == Method::HEAD,
            details: false,
        };
        self.respond(self.gate().unwrap_or(Status::Pass), None, probe)
    }

    /// The per-check timeout, `None` without checks.
    pub(crate) fn check_timeout(&self) -> Option<Duration> {
        (!self.health.checks.is_empty()).then_some(self.health.timeout)
    }

    /// `Draining` once shutdown started, `Starting` until the startup gate
    /// opens: answered without running checks.
    fn gate(&self) -> Option<Status> {
        if self.health.shutdown.is_draining() {
            Some(Status::Draining)
        } else if self.health.startup.as_ref().is_some_and(|g| !g.is_open()) {
            Some(Status::Starting)
        } else {
            None
        }
    }

    /// The run in progress, or a new one.
    fn current_run(self: &Arc<Self>, slot: &mut Slot) -> SharedRun {
        if let Some((_, run)) = &slot.running {
            return run.clone();
        }
        let id = slot.next_id;
        slot.next_id += 1;
        // The run holds no strong reference: it is stored in the slot.
        let state = Arc::downgrade(self);
        let checks = Arc::clone(&self.health.checks);
        let timeout = self.health.timeout;
        let run = async move {
            let results = run_checks(&checks, timeout).await;
            match state.upgrade() {
                Some(state) => state.record(id, &checks, results),
                // Nobody is left to answer: the report only ends the run.
                None => Arc::new(Report {
                    id,
                    finished: Instant::now(),
                    time: SystemTime::now(),
                    checks: Vec::new(),
                }),
            }
        }
        .boxed()
        .shared();
        slot.running = Some((id, run.clone()));
        run
    }

    /// Whether `report` still answers probes: always with a background
    /// refresh, else within the reuse window.
    fn is_fresh(&self, report: &Report) -> bool {
        self.health.refresh.is_some()
            || report
                .finished
                .checked_add(self.health.cache_ttl)
                .is_none_or(|until| until > Instant::now())
    }

    /// Applies each check's tolerance to the results of run `id`, stores the
    /// report and reports the changes. Called once per run, by the run.
    fn record(&self, id: u64, checks: &[Check], results: Vec<CheckResult>) -> Arc<Report> {
        let now = Instant::now();
        let mut changes = Vec::new();
        let report = {
            let mut slot = self.lock();
            slot.streaks.resize_with(checks.len(), Streak::default);
            let outcomes = checks
                .iter()
                .zip(results)
                .zip(&mut slot.streaks)
                .map(|((check, result), streak)| {
                    let status = streak.update(check, result.error.is_some(), now);
                    if streak.status != Some(status) {
                        changes.push((
                            StatusChange {
                                check: Some(check.name.to_string()),
                                from: streak.status.replace(status),
                                to: status,
                                error: result.error.clone(),
                            },
                            result.duration,
                            check.optional,
                        ));
                    }
                    #[cfg(feature = "metrics")]
                    super::metrics::check_ran(&check.name, result.error.is_none(), result.duration);
                    Outcome {
                        name: Arc::clone(&check.name),
                        optional: check.optional,
                        duration: result.duration,
                        error: result.error,
                        status,
                    }
                })
                .collect();
            let report = Arc::new(Report {
                id,
                finished: now,
                time: SystemTime::now(),
                checks: outcomes,
            });
            if slot.last.as_ref().is_none_or(|last| last.id < id) {
                slot.last = Some(Arc::clone(&report));
            }
            if slot
                .running
                .as_ref()
                .is_some_and(|(running, _)| *running == id)
            {
                slot.running = None;
            }
            report
        };
        for (change, duration, optional) in changes {
            log_check_change(&change, duration, optional);
            self.changed(&change);
        }
        // The readiness changes with the checks, probed or not.
        if self.gate().is_none() {
            self.observe(report.status());
        }
        report
    }

    /// Notes the readiness status `status`, reporting it if it changed.
    fn observe(&self, status: Status) {
        let code = status_code(status);
        // Most probes confirm the status: a load, no write.
        if self.status.load(Ordering::Acquire) == code {
            return;
        }
        let from = self.status.swap(code, Ordering::AcqRel);
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
        self.changed(&StatusChange {
            check: None,
            from,
            to: status,
            error: None,
        });
    }

    fn changed(&self, change: &StatusChange) {
        #[cfg(feature = "metrics")]
        super::metrics::status_changed(change);
        if let Some(hook) = &self.health.on_change {
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

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Nothing panics while the lock is held; recover anyway.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wants_details(&self, headers: &HeaderMap) -> bool {
        let Some(auth) = &self.health.details else {
            return false;
        };
        headers
            .get(&auth.header)
            .is_some_and(|value| bool::from(value.as_bytes().ct_eq(&auth.secret)))
    }

    fn respond_report(&self, report: &Report, probe: Probe) -> Response<Bytes> {
        // Shutdown may have started while the checks ran. A report's own
        // status was noted when it was recorded: noting it again here could
        // undo a newer run's change when this probe answers late.
        let status = match self.gate() {
            Some(status) => {
                self.observe(status);
                status
            }
            None => report.status(),
        };
        self.respond(status, Some(report), probe)
    }

    /// The answer with `status`, detailing `report`'s checks if asked.
    fn respond(&self, status: Status, report: Option<&Report>, probe: Probe) -> Response<Bytes> {
        let code = if status.is_ready() {
            http::StatusCode::OK
        } else {
            http::StatusCode::SERVICE_UNAVAILABLE
        };
        tracing::debug!(
            target: "axum_kamal",
            status = status.as_str(),
            code = code.as_u16(),
            head = probe.head,
            details = probe.details,
            "healthcheck probe answered"
        );
        if probe.details {
            probe_response(
                code,
                HeaderValue::from_static("application/health+json"),
                details_json(status, report),
                probe.head,
            )
        } else {
            plain_text(code, probe.head)
        }
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

impl Streak {
    /// Counts one run of `check` and returns its status under its tolerance.
    fn update(&mut self, check: &Check, failed: bool, now: Instant) -> Status {
        if !failed {
            self.passed_once = true;
            self.failures = 0;
            self.failing_since = None;
            return Status::Pass;
        }
        self.failures = self.failures.saturating_add(1);
        let since = *self.failing_since.get_or_insert(now);
        let tolerance = check.fail_after;
        let tolerated = self.passed_once
            && self.failures < tolerance.failures
            && now.saturating_duration_since(since) < tolerance.streak;
        if check.optional || tolerated {
            Status::Warn
        } else {
            Status::Fail
        }
    }
}

/// A check's change as one `tracing` event: a warning when it stops passing.
fn log_check_change(change: &StatusChange, duration: Duration, optional: bool) {
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

/// Runs the checks every `period` until the drain starts or the state is
/// dropped. Holds the state only while starting a run.
async fn refresh(state: Weak<HealthState>, period: Duration) {
    loop {
        let (run, shutdown) = {
            let Some(state) = state.upgrade() else { return };
            if state.gate() == Some(Status::Draining) {
                return;
            }
            let run = state.current_run(&mut state.lock());
            (run, state.health.shutdown.clone())
        };
        run.await;
        let sleep = pin!(tokio::time::sleep(period));
        if let Either::Right(_) = select(sleep, pin!(shutdown.triggered())).await {
            return;
        }
    }
}

/// The details in the `application/health+json` layout of
/// draft-inadarei-api-health-check (section 3: `status`, `output`; section 4:
/// `checks`, keyed `{componentName}:{measurementName}`, each an array of
/// component details). `draining` and `starting` are `fail` with that word as
/// the `output`; `optional` is an additional key (section 4.10).
fn details_json(status: Status, report: Option<&Report>) -> Bytes {
    let mut by_key = serde_json::Map::new();
    if let Some(report) = report {
        add_checks(&mut by_key, report);
    }
    let mut json = serde_json::json!({
        "status": if status.is_ready() { status.as_str() } else { "fail" },
        "checks": by_key,
    });
    if matches!(status, Status::Draining | Status::Starting) {
        json["output"] = status.as_str().into();
    }
    Bytes::from(serde_json::to_vec(&json).expect("serializing a JSON value cannot fail"))
}

/// `report`'s checks as the draft's `checks` object (section 4).
fn add_checks(by_key: &mut serde_json::Map<String, serde_json::Value>, report: &Report) {
    let time = rfc3339(report.time);
    for c in &report.checks {
        let mut detail = serde_json::json!({
            "componentId": &*c.name,
            "componentType": "component",
            "observedValue": u64::try_from(c.duration.as_millis()).unwrap_or(u64::MAX),
            "observedUnit": "ms",
            "status": c.status.as_str(),
            "time": time,
            "optional": c.optional,
        });
        // Section 4.8: no `output` for a passing check.
        if let Some(error) = &c.error {
            detail["output"] = error.as_str().into();
        }
        let key = format!("{}:responseTime", c.name);
        match by_key
            .entry(key)
            .or_insert_with(|| serde_json::Value::Array(Vec::new()))
        {
            serde_json::Value::Array(details) => details.push(detail),
            _ => unreachable!("every key holds an array"),
        }
    }
}

/// `time` as an RFC 3339 UTC date-time with seconds (`2026-12-01T00:57:37Z`).
fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's
    // `civil_from_days`, for dates after the epoch).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// One check's result, before its tolerance applies.
struct CheckResult {
    duration: Duration,
    error: Option<String>,
}

/// Runs all checks concurrently.
async fn run_checks(checks: &[Check], timeout: Duration) -> Vec<CheckResult> {
    join_all(checks.iter().map(|check| run_one(check, timeout))).await
}

async fn run_one(check: &Check, timeout: Duration) -> CheckResult {
    let start = Instant::now();
    let error = match std::panic::catch_unwind(AssertUnwindSafe(|| (check.run)())) {
        Err(payload) => Some(panic_message(&*payload)),
        Ok(fut) => {
            match tokio::time::timeout(timeout, AssertUnwindSafe(fut).catch_unwind()).await {
                Err(_elapsed) => Some(format!("timed out after {timeout:?}")),
                Ok(Err(payload)) => Some(panic_message(&*payload)),
                Ok(Ok(Err(error))) => Some(error),
                Ok(Ok(Ok(()))) => None,
            }
        }
    };
    CheckResult {
        duration: start.elapsed(),
        error,
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string panic payload");
    format!("panicked: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        let at = |secs| rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // `date -u -d @951782400`: the leap day of 2000.
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        // `date -u -d @1796086657`
        assert_eq!(at(1_796_086_657), "2026-12-01T00:57:37Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
