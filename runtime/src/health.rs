//! Readiness checks behind the healthcheck path.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared, join_all};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use crate::response::plain_response;
use crate::shutdown::ShutdownHandle;

/// Default per-check timeout of [`Health::timeout`].
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default result reuse window of [`Health::cache_ttl`].
const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(1);

type CheckFn = dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync;

#[derive(Clone)]
struct Check {
    name: Arc<str>,
    optional: bool,
    run: Arc<CheckFn>,
}

#[derive(Clone)]
struct DetailsAuth {
    header: HeaderName,
    secret: Arc<[u8]>,
}

/// Readiness checks run by the healthcheck path, configured with
/// [`HealthcheckLayer::health`](crate::HealthcheckLayer::health) (or
/// `#[kamal_app(health = EXPR)]`).
///
/// Without a `Health`, the healthcheck path always answers `200 OK`. With
/// one, each probe:
///
/// * answers `503 Service Unavailable` at once if shutdown has started (see
///   [`Health::shutdown_handle`]);
/// * otherwise runs every check **concurrently**, each bounded by
///   [`timeout`](Health::timeout) (default 2 s). A check that returns `Err`,
///   times out or **panics** fails; a panic never reaches the server.
///   Keep checks asynchronous: a check that blocks its thread cannot be
///   timed out;
/// * answers `200 OK` if every required check passed (failing
///   [optional checks](Health::optional_check) only add a warning to the
///   details), `503 Service Unavailable` otherwise.
///
/// Probes arriving while a run is in progress share it, and a finished run
/// is reused for [`cache_ttl`](Health::cache_ttl) (default 1 s): a storm of
/// simultaneous probes runs each check at most once.
///
/// The public answer discloses nothing: body `OK` or `Service Unavailable`,
/// always `cache-control: no-store`, no body for `HEAD`. A JSON report is
/// only given to requests carrying the
/// [`details_secret`](Health::details_secret) header.
///
/// Every probe emits a `tracing` debug event, every failing check a warning
/// with its name and error (target `axum_kamal`).
///
/// Checks run on the Tokio runtime serving the request and use its timer
/// (`axum::serve` always provides both).
///
/// # Example
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum::{Router, body::Body, routing::get};
/// use axum_kamal::{Health, healthcheck};
/// use http::{Request, StatusCode};
/// use std::time::Duration;
/// use tower::ServiceExt;
///
/// let health = Health::new()
///     .check("db", || async {
///         // e.g. sqlx::query("SELECT 1").execute(&pool).await.map(|_| ())
///         Ok::<(), String>(())
///     })
///     .optional_check("cache", || async { Err("redis unreachable") })
///     .timeout(Duration::from_secs(1));
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .layer(healthcheck().health(health));
///
/// let res = app.oneshot(Request::get("/up").body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(res.status(), StatusCode::OK); // only an optional check failed
/// # });
/// ```
#[derive(Clone)]
pub struct Health {
    checks: Vec<Check>,
    timeout: Duration,
    cache_ttl: Duration,
    details: Option<DetailsAuth>,
    shutdown: ShutdownHandle,
}

impl Health {
    /// No checks, 2 s timeout, 1 s result reuse, no details, following the
    /// [process-wide drain](ShutdownHandle::process_wide).
    ///
    /// ```
    /// let layer = axum_kamal::healthcheck().health(axum_kamal::Health::new());
    /// ```
    pub fn new() -> Self {
        Self {
            checks: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            cache_ttl: DEFAULT_CACHE_TTL,
            details: None,
            shutdown: ShutdownHandle::process_wide(),
        }
    }

    /// Adds a required check: readiness answers `503` when it fails.
    ///
    /// `f` is called once per run and its future awaited, bounded by the
    /// [`timeout`](Self::timeout). `Ok(())` passes; `Err(e)` fails with
    /// `e.to_string()` as the error shown in the details and logs.
    ///
    /// ```
    /// use axum_kamal::Health;
    /// use std::sync::Arc;
    ///
    /// struct Db;
    /// impl Db {
    ///     async fn ping(&self) -> std::io::Result<()> { Ok(()) }
    /// }
    ///
    /// let db = Arc::new(Db);
    /// let health = Health::new().check("db", move || {
    ///     let db = db.clone();
    ///     async move { db.ping().await }
    /// });
    /// ```
    pub fn check<F, Fut, E>(self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        self.add(name.into(), false, f)
    }

    /// Adds an optional check: when it fails, readiness still answers `200`,
    /// the details report it with overall status `warn`, and a warning is
    /// logged.
    ///
    /// ```
    /// let health = axum_kamal::Health::new()
    ///     .optional_check("search", || async { Err::<(), _>("index stale") });
    /// ```
    pub fn optional_check<F, Fut, E>(self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        self.add(name.into(), true, f)
    }

    fn add<F, Fut, E>(mut self, name: String, optional: bool, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        let run: Arc<CheckFn> = Arc::new(move || {
            let fut = f();
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        });
        self.checks.push(Check {
            name: name.into(),
            optional,
            run,
        });
        self
    }

    /// Sets the timeout of each check (default 2 s). A check still running
    /// after it fails with `timed out after ..`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = axum_kamal::Health::new().timeout(Duration::from_millis(500));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how long a finished run's result answers later probes (default
    /// 1 s). `Duration::ZERO` runs the checks for every probe that does not
    /// find a run in progress.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = axum_kamal::Health::new().cache_ttl(Duration::from_secs(5));
    /// ```
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Answers probes that carry `header: secret` with a JSON report instead
    /// of the bare `OK`: `content-type: application/json`, same status code,
    /// for example
    ///
    /// ```json
    /// {"status":"fail","checks":[
    ///   {"name":"db","status":"fail","optional":false,"duration_ms":2000,"error":"timed out after 2s"},
    ///   {"name":"cache","status":"pass","optional":true,"duration_ms":1,"error":null}]}
    /// ```
    ///
    /// `status` is `pass`, `warn` (only optional checks failed), `fail` or
    /// `draining`. The secret is compared in constant time (its length is not
    /// hidden: use a long random secret). The header only selects the body
    /// format on the healthcheck path; it never changes which requests are
    /// probes or what reaches your app.
    ///
    /// # Panics
    ///
    /// Panics if `header` is not a valid header name or `secret` is empty.
    ///
    /// ```
    /// let health = axum_kamal::Health::new()
    ///     .details_secret("x-health-secret", std::env::var("HEALTH_SECRET").unwrap_or_else(|_| "s3cr3t-long-random".into()));
    /// ```
    pub fn details_secret(mut self, header: impl AsRef<str>, secret: impl Into<String>) -> Self {
        let header = header.as_ref();
        let header = HeaderName::from_bytes(header.as_bytes())
            .unwrap_or_else(|_| panic!("axum-kamal: invalid details header name {header:?}"));
        let secret = secret.into();
        assert!(
            !secret.is_empty(),
            "axum-kamal: the details secret must not be empty"
        );
        self.details = Some(DetailsAuth {
            header,
            secret: secret.into_bytes().into(),
        });
        self
    }

    /// The handle that starts this health's shutdown drain: the
    /// [process-wide](ShutdownHandle::process_wide) one unless
    /// [`with_shutdown`](Self::with_shutdown) gave another. Clones of this
    /// `Health` share it, and so does every other `Health` following the
    /// process-wide drain: a `Health` built once for the app and once more
    /// for `main` drains both.
    ///
    /// ```
    /// let health = axum_kamal::Health::new();
    /// let shutdown = health.shutdown_handle();
    /// // axum::serve(listener, app).with_graceful_shutdown(shutdown.signal())
    /// # drop(shutdown);
    /// ```
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Follows `handle` instead of the process-wide drain: an isolated drain
    /// for tests that run in one process, or for several servers in one
    /// process that stop separately.
    ///
    /// ```
    /// use axum_kamal::{Health, ShutdownHandle};
    ///
    /// let handle = ShutdownHandle::new();
    /// let health = Health::new().with_shutdown(handle.clone());
    /// handle.trigger();
    /// assert!(health.shutdown_handle().is_draining());
    /// assert!(!ShutdownHandle::process_wide().is_draining());
    /// ```
    pub fn with_shutdown(mut self, handle: ShutdownHandle) -> Self {
        self.shutdown = handle;
        self
    }
}

impl Default for Health {
    /// Same as [`Health::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names<'a>(&'a [Check]);
        impl fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|c| (&*c.name, c.optional)))
                    .finish()
            }
        }
        f.debug_struct("Health")
            .field("checks (name, optional)", &Names(&self.checks))
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field(
                "details_header",
                &self.details.as_ref().map(|d| d.header.as_str()),
            )
            .field("shutdown", &self.shutdown)
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Runtime state shared by a layer and all its services.

type SharedRun = Shared<BoxFuture<'static, Arc<Report>>>;

/// A `Health` plus its run cache; lives in the layer configuration.
pub(crate) struct HealthState {
    checks: Arc<[Check]>,
    timeout: Duration,
    cache_ttl: Duration,
    details: Option<DetailsAuth>,
    shutdown: ShutdownHandle,
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

/// How the probe will be answered.
pub(crate) enum Answer {
    Ready(Response<Bytes>),
    Pending(BoxFuture<'static, Response<Bytes>>),
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
            .field("checks", &self.checks.len())
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field("shutdown", &self.shutdown)
            .finish_non_exhaustive()
    }
}

impl HealthState {
    pub(crate) fn new(health: Health) -> Arc<Self> {
        Arc::new(Self {
            checks: health.checks.into(),
            timeout: health.timeout,
            cache_ttl: health.cache_ttl,
            details: health.details,
            shutdown: health.shutdown,
            slot: Mutex::new(Slot {
                next_id: 0,
                state: RunState::Idle,
            }),
        })
    }

    /// Answers a readiness probe (the layer has matched method and path).
    pub(crate) fn probe<B>(self: &Arc<Self>, req: &Request<B>) -> Answer {
        let probe = Probe {
            head: req.method() == Method::HEAD,
            details: self.wants_details(req.headers()),
        };
        if self.shutdown.is_draining() {
            return Answer::Ready(self.respond(Status::Draining, &[], probe));
        }
        if self.checks.is_empty() {
            return Answer::Ready(self.respond(Status::Pass, &[], probe));
        }
        let (id, run) = {
            let mut slot = self.lock();
            match &slot.state {
                RunState::Done { report } if self.is_fresh(report) => {
                    let report = Arc::clone(report);
                    drop(slot);
                    return Answer::Ready(self.respond_report(&report, probe));
                }
                RunState::Running { id, run } => (*id, run.clone()),
                RunState::Idle | RunState::Done { .. } => {
                    let id = slot.next_id;
                    slot.next_id += 1;
                    let run = run_checks(Arc::clone(&self.checks), self.timeout)
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
        Answer::Pending(Box::pin(async move {
            let report = run.await;
            this.finish(id, &report);
            this.respond_report(&report, probe)
        }))
    }

    /// Whether `report` is still within the reuse window.
    fn is_fresh(&self, report: &Report) -> bool {
        report
            .finished
            .checked_add(self.cache_ttl)
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
        let Some(auth) = &self.details else {
            return false;
        };
        headers
            .get(&auth.header)
            .is_some_and(|value| bool::from(value.as_bytes().ct_eq(&auth.secret)))
    }

    fn respond_report(&self, report: &Report, probe: Probe) -> Response<Bytes> {
        // Shutdown may have started while the checks ran.
        let status = if self.shutdown.is_draining() {
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
            plain_response(
                status.code(),
                HeaderValue::from_static("application/json"),
                details_json(status, checks),
                probe.head,
            )
        } else {
            public_response(status.code(), probe.head)
        }
    }
}

/// The bare answer: `OK` or `Service Unavailable`.
pub(crate) fn public_response(code: StatusCode, head: bool) -> Response<Bytes> {
    let body: &'static str = if code.is_success() {
        "OK"
    } else {
        "Service Unavailable"
    };
    plain_response(
        code,
        HeaderValue::from_static("text/plain; charset=utf-8"),
        Bytes::from_static(body.as_bytes()),
        head,
    )
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
async fn run_checks(checks: Arc<[Check]>, timeout: Duration) -> Arc<Report> {
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
