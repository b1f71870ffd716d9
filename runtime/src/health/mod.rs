//! Readiness checks behind the healthcheck path.

mod cache;
mod details;
mod events;
#[cfg(feature = "metrics")]
mod metrics;
mod reason;
mod run;
mod state;
mod tolerance;
mod watchdog;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::HeaderName;

use crate::shutdown::ShutdownHandle;

pub(crate) use state::HealthState;
pub use tolerance::Tolerance;

/// Default per-check timeout of [`Health::timeout`]: below the kubelet's
/// default `timeoutSeconds` (1 s), so a slow check answers `503` before the
/// probe gives up, with room for the exchange.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(800);
/// Default result reuse window of [`Health::cache_ttl`].
const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(1);

type CheckFn = dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync;

type ChangeHook = dyn Fn(&StatusChange) + Send + Sync;

#[derive(Clone)]
struct Check {
    name: Arc<str>,
    optional: bool,
    run: Arc<CheckFn>,
    tolerance: Tolerance,
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
/// * answers `503 Service Unavailable` at once, without running checks, if
///   shutdown has started (see [`Health::shutdown_handle`]: by default the
///   [process-wide drain](ShutdownHandle::process_wide)) or the
///   [startup gate](Health::startup) is still closed;
/// * otherwise runs every check **concurrently**, each bounded by
///   [`timeout`](Health::timeout) (default 800 ms, below the kubelet's 1 s). A check that returns `Err`,
///   times out or **panics** fails; a panic never reaches the server.
///   Keep checks asynchronous: a check that blocks its thread cannot be
///   timed out;
/// * answers `200 OK` if every required check passed (failing
///   [optional checks](Health::optional_check), and failures within a
///   check's [`Tolerance`](Health::check_with), only show as `warn` in the
///   details), `503 Service Unavailable` otherwise.
///
/// Probes arriving while a run is in progress share it, and a finished run
/// is reused for [`cache_ttl`](Health::cache_ttl) (default 1 s): a storm of
/// simultaneous probes runs each check at most once. With
/// [`refresh_every`](Health::refresh_every) the checks run in a background
/// task instead and every probe answers from the latest run at once; a
/// result too old, or a run cancelled mid-way, counts as failing.
///
/// The public answer discloses nothing: body `OK` or `Service Unavailable`
/// (or, [opted in](Health::public_reason), a reason class and check names),
/// always `cache-control: no-store`, no body for `HEAD`. An
/// `application/health+json` report is only given to requests carrying the
/// [`details_secret`](Health::details_secret) header.
///
/// Every probe emits a `tracing` debug event; each status change of a check
/// or of the readiness emits one event (a warning when a check fails, with
/// its name and error; target `axum_kamal`) and calls the
/// [`on_change`](Health::on_change) hook. With the `metrics` feature, each
/// run records `axum_kamal_check_up{check}` (gauge, 1 or 0) and
/// `axum_kamal_check_duration_seconds{check}` (histogram), and each change
/// `axum_kamal_status_changes_total{check, to}` (counter, `check=""` for the
/// readiness) through the [`metrics`](https://docs.rs/metrics) facade.
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
/// use axum::http::{Request, StatusCode};
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
    checks: Arc<Vec<Check>>,
    timeout: Duration,
    cache_ttl: Duration,
    details: Option<DetailsAuth>,
    shutdown: ShutdownHandle,
    startup: Option<StartupGate>,
    refresh: Option<Duration>,
    on_change: Option<Arc<ChangeHook>>,
    public_reason: bool,
    watchdog: Option<Duration>,
}

impl Health {
    /// No checks, 800 ms timeout, 1 s result reuse, no details, following the
    /// [process-wide drain](ShutdownHandle::process_wide).
    ///
    /// ```
    /// let layer = axum_kamal::healthcheck().health(axum_kamal::Health::new());
    /// ```
    pub fn new() -> Self {
        Self {
            checks: Arc::default(),
            timeout: DEFAULT_TIMEOUT,
            cache_ttl: DEFAULT_CACHE_TTL,
            details: None,
            shutdown: ShutdownHandle::process_wide(),
            startup: None,
            refresh: None,
            on_change: None,
            public_reason: false,
            watchdog: None,
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
        self.add(name.into(), false, Tolerance::NONE, f)
    }

    /// Adds a required check with its [`Tolerance`]: how many failures it
    /// may have before readiness turns `503`, and how many passes bring it
    /// back. [`check`](Self::check) is `check_with(name, Tolerance::NONE, f)`.
    ///
    /// Raise it where your own probes come more often than a dependency
    /// blips, e.g. `Tolerance::fail_after(3, Duration::from_secs(10))` keeps
    /// readiness green through one slow ping.
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum_kamal::{Health, Tolerance};
    ///
    /// let health = Health::new()
    ///     .check_with("db", Tolerance::fail_after(3, Duration::from_secs(10)), || async {
    ///         Ok::<(), String>(())
    ///     })
    ///     .check("cache", || async { Ok::<(), String>(()) }); // no tolerance
    /// ```
    pub fn check_with<F, Fut, E>(self, name: impl Into<String>, tolerance: Tolerance, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        self.add(name.into(), false, tolerance, f)
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
        self.add(name.into(), true, Tolerance::NONE, f)
    }

    fn add<F, Fut, E>(mut self, name: String, optional: bool, tolerance: Tolerance, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        let run: Arc<CheckFn> = Arc::new(move || {
            let fut = f();
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        });
        Arc::make_mut(&mut self.checks).push(Check {
            name: name.into(),
            optional,
            run,
            tolerance,
        });
        self
    }

    /// Runs the checks every `period` in a background task, from the first
    /// probe on, and answers every probe from the latest result at once:
    /// probe latency no longer depends on check latency, and a slow
    /// dependency is found without waiting for a probe. The first probe
    /// waits for the first run. [`cache_ttl`](Self::cache_ttl) no longer
    /// applies.
    ///
    /// A background result never outlives its refresh: one older than
    /// 3 × `period` + the [check timeout](Self::timeout) answers `503`
    /// (details `output`: `stale: ..`, [public reason](Self::public_reason)
    /// `timeout`), and when the task is dropped mid-run (its runtime shut
    /// down) that run counts as failed by every check (`cancelled mid-run`)
    /// and the next probe starts a new task.
    ///
    /// The task stops when the drain starts and when the app holding this
    /// `Health` (every clone of its layer) is dropped.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = axum_kamal::Health::new()
    ///     .check("db", || async { Ok::<(), String>(()) })
    ///     .refresh_every(Duration::from_secs(5));
    /// ```
    pub fn refresh_every(mut self, period: Duration) -> Self {
        assert!(
            !period.is_zero(),
            "axum-kamal: the refresh period must not be zero"
        );
        self.refresh = Some(period);
        self
    }

    /// Readiness answers `503` (status `starting`, no check run) until
    /// [`gate.open()`](StartupGate::open): for migrations or a cache warm-up
    /// that must finish before traffic arrives (Kubernetes' startupProbe,
    /// Kamal's deploy waiting for `200`). A liveness path is not gated.
    ///
    /// ```
    /// use axum_kamal::{Health, StartupGate};
    ///
    /// let started = StartupGate::new();
    /// let health = Health::new().startup(started.clone());
    /// // after migrations:
    /// started.open();
    /// ```
    pub fn startup(mut self, gate: StartupGate) -> Self {
        self.startup = Some(gate);
        self
    }

    /// Calls `hook` once per status change (not per probe): of a check
    /// (its first result, then each change between `pass`, `warn` and
    /// `fail`) and of the readiness as a whole (`starting`, `pass`, `warn`,
    /// `fail`, `draining`). Each change is also one `tracing` event (target
    /// `axum_kamal`): a warning when a check fails, info otherwise. The hook
    /// runs on the task that observed the change; keep it short. A panic in
    /// it is caught and logged as a warning.
    ///
    /// ```
    /// use axum_kamal::{Health, HealthStatus};
    ///
    /// let health = Health::new().on_change(|change| {
    ///     if change.check.is_none() && change.to == HealthStatus::Fail {
    ///         eprintln!("not ready: {:?}", change.error);
    ///     }
    /// });
    /// ```
    pub fn on_change(mut self, hook: impl Fn(&StatusChange) + Send + Sync + 'static) -> Self {
        self.on_change = Some(Arc::new(hook));
        self
    }

    /// Gives the class of a `503` in its body, for whoever reads the answer
    /// (`curl`, the output of a Docker `HEALTHCHECK` command, which
    /// `docker inspect` keeps; kamal-proxy reads the body and discards it,
    /// basecamp/kamal#1917 asks for it in the deploy's output):
    /// `starting`, `draining`, `timeout: db` (every failing required check
    /// gave no result in time, or `timeout` alone for a
    /// [stale](Self::refresh_every) background result), or
    /// `failing: db, cache`; on the liveness path, a late
    /// [watchdog](Self::watchdog) gives `timeout: watchdog`. Check names at
    /// most, never their errors: those
    /// stay in the logs and the [details](Self::details_secret). Off by
    /// default (body `Service Unavailable`): check names tell a stranger
    /// what the app depends on.
    ///
    /// ```
    /// let health = axum_kamal::Health::new().public_reason();
    /// ```
    pub fn public_reason(mut self) -> Self {
        self.public_reason = true;
        self
    }

    /// Turns on the runtime watchdog: the liveness path (see
    /// [`HealthcheckLayer::liveness`](crate::HealthcheckLayer::liveness))
    /// answers `503` while a heartbeat task on the runtime serving the probes
    /// runs more than `limit` late, i.e. while that runtime cannot run a
    /// task in time: every worker blocked by CPU-bound or blocking code, a
    /// deadlock in a `std` lock, an endless loop without `.await`. A wedged
    /// runtime then fails liveness (and is restarted) instead of answering a
    /// slow `200` between its stalls.
    ///
    /// The task beats every `limit / 4` from the first probe on and logs an
    /// error for each late beat; the answer just after a stall is `503` too,
    /// whichever of the probe and the beat runs first. Before the first beat
    /// and without a liveness path the watchdog changes no answer. It cannot
    /// answer *during* a stall: nothing on that runtime runs then, the probe
    /// included (the orchestrator's probe timeout covers that). Readiness is
    /// unaffected.
    ///
    /// # Panics
    ///
    /// If `limit` is zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum_kamal::{Health, healthcheck};
    ///
    /// let layer = healthcheck()
    ///     .liveness("/livez")
    ///     .health(Health::new().watchdog(Duration::from_secs(2)));
    /// ```
    pub fn watchdog(mut self, limit: Duration) -> Self {
        assert!(
            !limit.is_zero(),
            "axum-kamal: the watchdog limit must not be zero"
        );
        self.watchdog = Some(limit);
        self
    }

    /// Sets the timeout of each check (default 800 ms). A check still running
    /// after it fails with `timed out after ..`. Keep it below the probe
    /// timeout of every orchestrator that probes the app (the kubelet's
    /// `timeoutSeconds`, 1 s by default; 5 s for kamal-proxy): the
    /// preflight warns when it is not.
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

    /// The per-check timeout set by [`timeout`](Self::timeout).
    #[cfg(feature = "testing")]
    pub(crate) fn check_timeout(&self) -> Duration {
        self.timeout
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
    /// of the bare `OK`, in the layout of the IETF draft
    /// [draft-inadarei-api-health-check](https://datatracker.ietf.org/doc/draft-inadarei-api-health-check/):
    /// `content-type: application/health+json`, same status code, for example
    ///
    /// ```json
    /// {"status":"fail","checks":{
    ///   "db:responseTime":[{"componentId":"db","componentType":"component","observedValue":800,
    ///     "observedUnit":"ms","status":"fail","time":"2026-12-01T00:57:37Z","optional":false,
    ///     "output":"timed out after 800ms"}],
    ///   "cache:responseTime":[{"componentId":"cache","componentType":"component","observedValue":1,
    ///     "observedUnit":"ms","status":"pass","time":"2026-12-01T00:57:37Z","optional":true}]}}
    /// ```
    ///
    /// The top-level `status` is `pass`, `warn` (only optional checks or
    /// tolerated failures, see [`Tolerance`]) or `fail`;
    /// while draining or before the [startup gate](Self::startup) opens it is
    /// `fail` with `"output":"draining"` or `"output":"starting"`. Each check's
    /// `status` is `pass`, `warn` or `fail`, `observedValue` its duration,
    /// `time` when its run ended, `output` its error. The secret is compared
    /// in constant time (its length is not hidden: use a long random secret).
    /// The header only selects the body format on the healthcheck path; it
    /// never changes which requests are probes or what reaches your app.
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
            .field("startup", &self.startup)
            .field("refresh", &self.refresh)
            .field("public_reason", &self.public_reason)
            .field("watchdog", &self.watchdog)
            .finish_non_exhaustive()
    }
}

/// A readiness status: of one check, or of the readiness as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HealthStatus {
    /// Passing (`200`).
    Pass,
    /// Passing with concerns (`200`): an optional check fails, or a required
    /// one within its [`Tolerance`].
    Warn,
    /// Failing (`503`).
    Fail,
    /// The [startup gate](Health::startup) is not open yet (`503`).
    Starting,
    /// Shutdown has started (`503`).
    Draining,
}

impl HealthStatus {
    /// `"pass"`, `"warn"`, `"fail"`, `"starting"` or `"draining"`.
    ///
    /// ```
    /// assert_eq!(axum_kamal::HealthStatus::Warn.as_str(), "warn");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Pass => "pass",
            HealthStatus::Warn => "warn",
            HealthStatus::Fail => "fail",
            HealthStatus::Starting => "starting",
            HealthStatus::Draining => "draining",
        }
    }

    /// Whether readiness answers `200` with this status.
    ///
    /// ```
    /// assert!(axum_kamal::HealthStatus::Warn.is_ready());
    /// assert!(!axum_kamal::HealthStatus::Draining.is_ready());
    /// ```
    pub fn is_ready(self) -> bool {
        matches!(self, HealthStatus::Pass | HealthStatus::Warn)
    }
}

/// One status change, given to the [`Health::on_change`] hook.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusChange {
    /// The check that changed, or `None` for the readiness as a whole.
    pub check: Option<String>,
    /// The status before, `None` for the first one.
    pub from: Option<HealthStatus>,
    /// The status now.
    pub to: HealthStatus,
    /// The check's error when it is not passing (`None` for the readiness
    /// as a whole).
    pub error: Option<String>,
}

/// The startup gate of a [`Health`]: readiness answers `503` until
/// [`open`](Self::open) is called. Clones share the gate.
#[derive(Clone, Default)]
pub struct StartupGate(Arc<AtomicBool>);

impl StartupGate {
    /// A closed gate.
    ///
    /// ```
    /// assert!(!axum_kamal::StartupGate::new().is_open());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares the app started; idempotent.
    ///
    /// ```
    /// let gate = axum_kamal::StartupGate::new();
    /// gate.clone().open();
    /// assert!(gate.is_open());
    /// ```
    pub fn open(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether [`open`](Self::open) was called.
    pub fn is_open(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

impl fmt::Debug for StartupGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartupGate")
            .field("open", &self.is_open())
            .finish()
    }
}
