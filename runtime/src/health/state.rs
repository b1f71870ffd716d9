//! Runtime state of a [`Health`]: the run cache, and the answers.

use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared, join_all};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::{Check, Health};
use crate::response::{answer, plain_text};

type SharedRun = Shared<BoxFuture<'static, Arc<Report>>>;

/// A `Health` plus its run cache; lives in the layer configuration.
pub(crate) struct HealthState {
    health: Health,
    slot: Mutex<Slot>,
}

struct Slot {
    next_id: u64,
    state: RunState,
}

enum RunState {
    Idle,
    Running { id: u64, run: SharedRun },
    Done { report: Arc<Report> },
}

#[derive(Debug)]
struct Report {
    finished: Instant,
    checks: Vec<Outcome>,
}

#[derive(Debug)]
struct Outcome {
    name: Arc<str>,
    optional: bool,
    duration: Duration,
    error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pass,
    Warn,
    Fail,
    Draining,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Draining => "draining",
        }
    }

    fn code(self) -> StatusCode {
        match self {
            Status::Pass | Status::Warn => StatusCode::OK,
            Status::Fail | Status::Draining => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl Report {
    fn status(&self) -> Status {
        let mut status = Status::Pass;
        for c in self.checks.iter().filter(|c| c.error.is_some()) {
            if !c.optional {
                return Status::Fail;
            }
            status = Status::Warn;
        }
        status
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
            slot: Mutex::new(Slot {
                next_id: 0,
                state: RunState::Idle,
            }),
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
        if self.health.shutdown.is_draining() {
            return ready(self.respond(Status::Draining, &[], probe));
        }
        if self.health.checks.is_empty() {
            return ready(self.respond(Status::Pass, &[], probe));
        }
        let (id, run) = {
            let mut slot = self.lock();
            match &slot.state {
                RunState::Done { report } if self.is_fresh(report) => {
                    let report = Arc::clone(report);
                    drop(slot);
                    return ready(self.respond_report(&report, probe));
                }
                RunState::Running { id, run } => (*id, run.clone()),
                RunState::Idle | RunState::Done { .. } => {
                    let id = slot.next_id;
                    slot.next_id += 1;
                    let run = run_checks(Arc::clone(&self.health.checks), self.health.timeout)
                        .boxed()
                        .shared();
                    slot.state = RunState::Running {
                        id,
                        run: run.clone(),
                    };
                    (id, run)
                }
            }
        };
        let this = Arc::clone(self);
        Box::pin(async move {
            let report = run.await;
            this.finish(id, &report);
            this.respond_report(&report, probe)
        })
    }

    /// Whether `report` is still within the reuse window.
    fn is_fresh(&self, report: &Report) -> bool {
        report
            .finished
            .checked_add(self.health.cache_ttl)
            .is_none_or(|until| until > Instant::now())
    }

    /// Stores the result of run `id` unless a newer run replaced it.
    fn finish(&self, id: u64, report: &Arc<Report>) {
        let mut slot = self.lock();
        if matches!(slot.state, RunState::Running { id: current, .. } if current == id) {
            slot.state = RunState::Done {
                report: Arc::clone(report),
            };
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
        // Shutdown may have started while the checks ran.
        let status = if self.health.shutdown.is_draining() {
            Status::Draining
        } else {
            report.status()
        };
        self.respond(status, &report.checks, probe)
    }

    fn respond(&self, status: Status, checks: &[Outcome], probe: Probe) -> Response<Bytes> {
        tracing::debug!(
            target: "axum_kamal",
            status = status.as_str(),
            code = status.code().as_u16(),
            head = probe.head,
            details = probe.details,
            "healthcheck probe answered"
        );
        if probe.details {
            answer(
                status.code(),
                HeaderValue::from_static("application/json"),
                details_json(status, checks),
                probe.head,
            )
        } else {
            plain_text(status.code(), probe.head)
        }
    }
}

fn details_json(status: Status, checks: &[Outcome]) -> Bytes {
    let checks: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": &*c.name,
                "status": if c.error.is_some() { "fail" } else { "pass" },
                "optional": c.optional,
                "duration_ms": u64::try_from(c.duration.as_millis()).unwrap_or(u64::MAX),
                "error": c.error,
            })
        })
        .collect();
    let json = serde_json::json!({ "status": status.as_str(), "checks": checks });
    Bytes::from(serde_json::to_vec(&json).expect("serializing a JSON value cannot fail"))
}

/// Runs all checks concurrently.
async fn run_checks(checks: Arc<Vec<Check>>, timeout: Duration) -> Arc<Report> {
    let outcomes = join_all(checks.iter().map(|check| run_one(check, timeout))).await;
    Arc::new(Report {
        finished: Instant::now(),
        checks: outcomes,
    })
}

async fn run_one(check: &Check, timeout: Duration) -> Outcome {
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
    let duration = start.elapsed();
    if let Some(error) = &error {
        tracing::warn!(
            target: "axum_kamal",
            check = &*check.name,
            error = error.as_str(),
            optional = check.optional,
            duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            "health check failed"
        );
    }
    Outcome {
        name: Arc::clone(&check.name),
        optional: check.optional,
        duration,
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
