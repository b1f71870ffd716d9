//! A [`Health`] at run time: what a probe is answered, from the gates, the
//! run cache and the watchdog.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::cache::{Cached, Report, Slot};
use super::details::details_json;
use super::events::{Readiness, changed};
use super::reason::public_reason;
use super::watchdog::Heartbeat;
use super::{Health, HealthStatus as Status, StatusChange};
use crate::response::{plain_text, probe_response};

/// A `Health` plus its run cache; lives in the layer configuration.
pub(crate) struct HealthState {
    pub(super) health: Health,
    slot: Mutex<Slot>,
    readiness: Readiness,
    pub(super) heartbeat: Heartbeat,
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
            readiness: Readiness::default(),
            heartbeat: Heartbeat::default(),
        })
    }

    /// Answers a readiness probe (the layer has matched method and path).
    pub(crate) fn probe<B>(
        self: &Arc<Self>,
        req: &Request<B>,
    ) -> BoxFuture<'static, Response<Bytes>> {
        self.start_watchdog();
        let probe = self.probe_kind(req);
        let ready =
            |res| -> BoxFuture<'static, Response<Bytes>> { Box::pin(std::future::ready(res)) };
        // Statuses that no run decides are noted here; a run's when recorded.
        if let Some(status) = self.gate() {
            self.observe(status);
            return ready(self.respond(status, None, false, probe));
        }
        if self.health.checks.is_empty() {
            self.observe(Status::Pass);
            return ready(self.respond(Status::Pass, None, false, probe));
        }
        match self.cached() {
            Cached::Ready { report, stale } => ready(self.respond_report(&report, stale, probe)),
            Cached::Run(run) => {
                let this = Arc::clone(self);
                Box::pin(async move {
                    let report = run.await;
                    this.respond_report(&report, false, probe)
                })
            }
        }
    }

    /// Answers a liveness probe if the [watchdog](Health::watchdog) is on:
    /// `503` while the runtime's heartbeat is late; `None` without a
    /// watchdog (the plain `200`).
    pub(crate) fn liveness<B>(self: &Arc<Self>, req: &Request<B>) -> Option<Response<Bytes>> {
        let limit = self.health.watchdog?;
        self.start_watchdog();
        let probe = self.probe_kind(req);
        let late = self.heartbeat.is_late(limit, Instant::now());
        tracing::debug!(
            target: "axum_kamal",
            probe = "Liveness",
            late,
            head = probe.head,
            "healthcheck probe answered"
        );
        if !late {
            return Some(plain_text(StatusCode::OK, probe.head));
        }
        let body = if self.health.public_reason {
            Bytes::from_static(b"timeout: watchdog")
        } else {
            Bytes::from_static(b"Service Unavailable")
        };
        Some(probe_response(
            StatusCode::SERVICE_UNAVAILABLE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
            body,
            probe.head,
        ))
    }

    fn probe_kind<B>(&self, req: &Request<B>) -> Probe {
        Probe {
            head: req.method() == Method::HEAD,
            details: self.wants_details(req.headers()),
        }
    }

    /// The preflight's answer: the drain's or the startup gate's `503`, else
    /// `200`, without running the checks or noting a status change.
    pub(crate) fn respond_unchecked<B>(&self, req: &Request<B>) -> Response<Bytes> {
        let probe = Probe {
            head: req.method() == Method::HEAD,
            details: false,
        };
        self.respond(self.gate().unwrap_or(Status::Pass), None, false, probe)
    }

    /// The per-check timeout, `None` without checks.
    pub(crate) fn check_timeout(&self) -> Option<Duration> {
        (!self.health.checks.is_empty()).then_some(self.health.timeout)
    }

    /// `Draining` once shutdown started, `Starting` until the startup gate
    /// opens: answered without running checks.
    pub(super) fn gate(&self) -> Option<Status> {
        if self.health.shutdown.is_draining() {
            Some(Status::Draining)
        } else if self.health.startup.as_ref().is_some_and(|g| !g.is_open()) {
            Some(Status::Starting)
        } else {
            None
        }
    }

    /// Notes the readiness status `status`, reporting it if it changed.
    pub(super) fn observe(&self, status: Status) {
        self.readiness.observe(status, &self.health);
    }

    pub(super) fn changed(&self, change: &StatusChange) {
        changed(&self.health, change);
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Slot> {
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

    fn respond_report(&self, report: &Report, stale: bool, probe: Probe) -> Response<Bytes> {
        // Shutdown may have started while the checks ran. A report's own
        // status was noted when it was recorded: noting it again here could
        // undo a newer run's change when this probe answers late. A stale
        // one was not: the refresh stopped.
        let status = match self.gate() {
            Some(status) => status,
            None if stale => Status::Fail,
            None => return self.respond(report.status(), Some(report), false, probe),
        };
        self.observe(status);
        self.respond(status, Some(report), stale, probe)
    }

    /// The answer with `status`, detailing `report`'s checks if asked.
    fn respond(
        &self,
        status: Status,
        report: Option<&Report>,
        stale: bool,
        probe: Probe,
    ) -> Response<Bytes> {
        let code = if status.is_ready() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        tracing::debug!(
            target: "axum_kamal",
            status = status.as_str(),
            code = code.as_u16(),
            head = probe.head,
            details = probe.details,
            stale,
            "healthcheck probe answered"
        );
        if probe.details {
            let output = match status {
                Status::Starting | Status::Draining => Some(status.as_str().to_owned()),
                _ if stale => report.map(|r| {
                    let age = Instant::now().saturating_duration_since(r.finished);
                    format!("stale: the background refresh has not finished a run for {age:?}")
                }),
                _ => None,
            };
            probe_response(
                code,
                HeaderValue::from_static("application/health+json"),
                details_json(status, report, output.as_deref()),
                probe.head,
            )
        } else if self.health.public_reason && !status.is_ready() {
            probe_response(
                code,
                HeaderValue::from_static("text/plain; charset=utf-8"),
                Bytes::from(public_reason(status, report, stale)),
                probe.head,
            )
        } else {
            plain_text(code, probe.head)
        }
    }
}
