//! A startup check, for `main`, that the healthcheck answers the
//! orchestrators' probes through every layer of the service about to be
//! served: [`preflight()`](crate::preflight()) and its settings,
//! [`Preflight`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use http::{Request, Response, StatusCode};
use tokio::time::timeout;
use tower_service::Service;

use crate::probe::{
    Hop, InProcessProbe, Orchestrator, Probe, ProbeFailure, follow, send_in_process,
};

/// Sends kamal-proxy's and the kubelet's healthcheck probes, in process, to
/// the exact service `main` is about to serve on `serving_on`, and fails
/// unless both reach the healthcheck: [`Preflight::new`] with the port of
/// `serving_on` in each probe's `Host`.
///
/// `#[kamal_app]` answers the probe before every layer written inside the
/// annotated function; a layer added anywhere else — `app().layer(auth)` in
/// `main` — runs first and can reject the probe, and only a running
/// service shows it (with explicit placement, so can a layer placed before
/// `healthcheck()`). Call this on what you pass to `axum::serve`, with the
/// address it listens on (the probes' `Host` names its port):
///
/// ```no_run
/// # use axum::{Router, routing::get};
/// # #[axum_kamal::kamal_app]
/// # fn app() -> Router { Router::new().route("/", get(|| async { "hello" })) }
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app = app(); // plus any layer main adds
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
///     axum_kamal::preflight(&app, listener.local_addr()?).await?;
///     axum::serve(listener, app).await
/// }
/// ```
///
/// The probes ask whether the healthcheck answers, not whether your
/// dependencies are up: the healthcheck recognises them (by a request
/// extension only this crate can set) and answers without running the
/// readiness checks, so a database that is down does not hold the listener
/// back. It answers `200 OK`, or `503 Service Unavailable` while the
/// [startup gate](crate::Health::startup) is closed or the drain has
/// started, which passes too ([`PreflightReport::is_ready`] says which).
/// Each probe carries what a served request carries: the orchestrator's
/// headers and a `ConnectInfo<SocketAddr>` peer address (see
/// [`Probe::peer_addr`]), so per-peer rate limits and client-IP layers
/// see what they see when served.
///
/// It fails with a [`PreflightError`] saying what happened: something in
/// front of the healthcheck answered (a `400` from host validation, a `401`
/// from auth, a redirect to HTTPS, a `404`), the healthcheck answered but a
/// layer changed its status, or no answer came within the orchestrator's
/// probe timeout. It warns (a [`PreflightWarning`], also logged with
/// `tracing` at `WARN`, target `axum_kamal`) when a layer changed one of the
/// healthcheck's headers but not its status, or when the readiness checks
/// may run longer than an orchestrator waits for the probe.
///
/// Runs on the Tokio runtime (with its timer, as `#[tokio::main]` gives)
/// that runs `main`.
///
/// # Errors
/// If a probe does not reach the healthcheck, or a layer changed the
/// status it answered.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum::{Router, middleware::{self, Next}, extract::Request, response::{IntoResponse, Response}};
/// use axum::http::StatusCode;
///
/// async fn require_auth(req: Request, next: Next) -> Response {
///     if req.headers().contains_key("authorization") { next.run(req).await }
///     else { StatusCode::UNAUTHORIZED.into_response() }
/// }
///
/// let serving_on = ([0, 0, 0, 0], 3000).into();
/// let built = Router::new().layer(axum_kamal::healthcheck());
/// assert!(axum_kamal::preflight(&built, serving_on).await.unwrap().is_ready());
///
/// let served = built.layer(middleware::from_fn(require_auth));
/// let error = axum_kamal::preflight(&served, serving_on).await.unwrap_err();
/// assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
/// assert!(error.to_string().contains("Host: 7c7168a662c1:3000"));
/// assert!(error.to_string().contains("never reached the healthcheck"));
/// # });
/// ```
pub async fn preflight<S, RB>(
    service: &S,
    serving_on: SocketAddr,
) -> Result<PreflightReport, PreflightError>
where
    S: Service<Request<Body>, Response = Response<RB>> + Clone,
    S::Error: fmt::Display,
{
    Preflight::serving_on(serving_on.port()).run(service).await
}

/// The probes [`preflight()`](crate::preflight()) sends: kamal-proxy's and
/// the kubelet's by default, or the ones you deploy with.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::Duration;
/// use axum::Router;
/// use axum_kamal::preflight::Preflight;
/// use axum_kamal::probe::Probe;
///
/// let app = Router::new().layer(axum_kamal::HealthcheckLayer::new("/healthz"));
/// Preflight::new()
///     .probes([
///         Probe::kubelet().port(3000).path("/healthz").timeout(Duration::from_secs(2)),
///         Probe::aws_alb().port(3000).path("/healthz"),
///     ])
///     .run(&app)
///     .await
///     .unwrap();
/// # });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preflight {
    probes: Vec<Probe>,
}

impl Default for Preflight {
    /// Same as [`Preflight::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Preflight {
    /// kamal-proxy's and the kubelet's probes with their defaults
    /// ([`Probe::new`]: path `/up`, port 80 in `Host`, each orchestrator's
    /// timeout and peer address).
    ///
    /// ```
    /// let preflight = axum_kamal::preflight::Preflight::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::serving_on(80)
    }

    /// kamal-proxy's and the kubelet's probes, naming `port` in `Host`.
    fn serving_on(port: u16) -> Self {
        Self {
            probes: vec![Probe::kamal_proxy().port(port), Probe::kubelet().port(port)],
        }
    }

    /// The probes to send, in order, instead of the default ones.
    ///
    /// ```
    /// use axum_kamal::{preflight::Preflight, probe::{Orchestrator, Probe}};
    /// let every = Preflight::new().probes(Orchestrator::ALL.map(|o| Probe::new(o).port(3000)));
    /// ```
    #[must_use]
    pub fn probes(mut self, probes: impl IntoIterator<Item = Probe>) -> Self {
        self.probes = probes.into_iter().collect();
        self
    }

    /// Sends each orchestrator's probe through a clone of `service`,
    /// following redirects as it does, and stops at the first one that does
    /// not end at the healthcheck's own answer.
    ///
    /// # Errors
    /// If a probe does not reach the healthcheck, or a layer changed the
    /// status it answered (see [`preflight()`](crate::preflight())).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let app = axum::Router::new();
    /// let error = axum_kamal::preflight::Preflight::new().run(&app).await.unwrap_err();
    /// assert_eq!(error.status(), Some(axum::http::StatusCode::NOT_FOUND));
    /// # });
    /// ```
    pub async fn run<S, RB>(&self, service: &S) -> Result<PreflightReport, PreflightError>
    where
        S: Service<Request<Body>, Response = Response<RB>> + Clone,
        S::Error: fmt::Display,
    {
        let mut report = PreflightReport::default();
        for probe in &self.probes {
            let orchestrator = probe.orchestrator();
            let probe_timeout = probe.timeout;
            let first = probe.first_hop();
            let error = |cause| PreflightError {
                orchestrator,
                request: first.clone(),
                cause,
            };
            let mark = InProcessProbe::new(true);
            let exchange = follow(first.clone(), probe.max_redirects, |hop| {
                send_in_process(service, hop, &mark)
            });
            let received = timeout(probe_timeout, exchange)
                .await
                .unwrap_or(Err(ProbeFailure::Timeout(probe_timeout)))
                .map_err(|failure| error(Cause::Failed(failure)))?;
            let Some(answered) = received.reached.and_then(|reached| reached.status) else {
                return Err(error(Cause::Answered {
                    status: received.status,
                    location: received.location,
                }));
            };
            if received.status != answered {
                return Err(error(Cause::Changed {
                    answered,
                    status: received.status,
                    location: received.location,
                }));
            }
            if !received.changes.is_empty() {
                report.warnings.push(PreflightWarning::ChangedAnswer {
                    orchestrator,
                    changes: received.changes,
                });
            }
            let check_timeout = received.reached.and_then(|reached| reached.check_timeout);
            if let Some(check_timeout) = check_timeout.filter(|t| *t >= probe_timeout) {
                report.warnings.push(PreflightWarning::ChecksOutlastProbe {
                    orchestrator,
                    check_timeout,
                    probe_timeout,
                });
            }
            report.statuses.push((orchestrator, answered));
        }
        for warning in &report.warnings {
            tracing::warn!(target: "axum_kamal", "{warning}");
        }
        Ok(report)
    }
}

/// What [`preflight()`](crate::preflight()) found when every probe reached
/// the healthcheck: the status it answered each orchestrator (`200`, or
/// `503` while the startup gate is closed or the drain has started) and the
/// warnings.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum_kamal::{Health, StartupGate, healthcheck};
///
/// let gate = StartupGate::new();
/// let app = axum::Router::new().layer(healthcheck().health(Health::new().startup(gate.clone())));
/// let report = axum_kamal::preflight(&app, ([0, 0, 0, 0], 3000).into()).await.unwrap();
/// assert!(!report.is_ready()); // the healthcheck answered 503: starting
/// assert!(report.warnings().is_empty());
/// # });
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreflightReport {
    statuses: Vec<(Orchestrator, StatusCode)>,
    warnings: Vec<PreflightWarning>,
}

impl PreflightReport {
    /// The status the healthcheck answered each orchestrator's probe, in
    /// the order they were sent.
    #[must_use]
    pub fn statuses(&self) -> &[(Orchestrator, StatusCode)] {
        &self.statuses
    }

    /// Whether the healthcheck answered `200 OK` to every probe (`503`
    /// means the startup gate is still closed or the drain has started).
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.statuses
            .iter()
            .all(|(_, status)| *status == StatusCode::OK)
    }

    /// What reached the healthcheck but deserves a look.
    #[must_use]
    pub fn warnings(&self) -> &[PreflightWarning] {
        &self.warnings
    }
}

/// Something [`preflight()`](crate::preflight()) passed but reports, also
/// logged with `tracing` at `WARN` (target `axum_kamal`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PreflightWarning {
    /// The healthcheck answered, and a layer in front of it changed one of
    /// its headers but not its status (e.g. tower-http's
    /// `SetResponseHeaderLayer::overriding(CACHE_CONTROL, ..)`): the
    /// orchestrator still sees the healthcheck's status.
    ChangedAnswer {
        /// Whose probe.
        orchestrator: Orchestrator,
        /// What changed, e.g. `cache-control: no-store became public, max-age=60`.
        changes: Vec<String>,
    },
    /// The readiness checks may run for `check_timeout`
    /// ([`Health::timeout`](crate::Health::timeout)), at least as long as
    /// the orchestrator waits for the probe: a slow check fails the probe
    /// with a timeout instead of a `503`.
    ChecksOutlastProbe {
        /// Whose probe.
        orchestrator: Orchestrator,
        /// The readiness checks' timeout.
        check_timeout: Duration,
        /// The orchestrator's probe timeout.
        probe_timeout: Duration,
    },
}

impl fmt::Display for PreflightWarning {
    /// One line that names the numbers or the headers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ChangedAnswer {
                orchestrator,
                changes,
            } => write!(
                f,
                "preflight: {orchestrator}'s probe reached the healthcheck, and a layer in front \
                 of it changed its answer ({}); the status is unchanged, so the probe passes",
                changes.join(", ")
            ),
            Self::ChecksOutlastProbe {
                orchestrator,
                check_timeout,
                probe_timeout,
            } => write!(
                f,
                "preflight: the readiness checks may run for {check_timeout:?} (Health::timeout), \
                 but {orchestrator} gives up on a probe after {probe_timeout:?} ({}): a slow check \
                 fails the probe with a timeout instead of a 503. Set Health::timeout below \
                 {probe_timeout:?}, or raise the probe's timeout",
                orchestrator.timeout_setting()
            ),
        }
    }
}

/// A probe sent by [`preflight()`](crate::preflight()) did not end at the
/// healthcheck's own answer: something in front of it answered, a layer
/// changed the status it answered, or no answer came. Its message says
/// which, and the fix.
///
/// Converts into an [`io::Error`] (kind `Other`), so `?` works in a `main`
/// returning `std::io::Result<()>`. Its `Debug` is its message, so what
/// Rust prints when `main` returns it is readable.
#[derive(Clone)]
pub struct PreflightError {
    orchestrator: Orchestrator,
    request: Hop,
    cause: Cause,
}

#[derive(Clone, Debug)]
enum Cause {
    /// A final response the healthcheck never saw the probe for.
    Answered {
        status: StatusCode,
        location: Option<String>,
    },
    /// The healthcheck answered `answered`; a layer in front made it `status`.
    Changed {
        answered: StatusCode,
        status: StatusCode,
        location: Option<String>,
    },
    /// No final answer: a redirect that cannot be followed, a timeout, a
    /// service error.
    Failed(ProbeFailure),
}

impl PreflightError {
    /// Whose probe failed.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = axum_kamal::preflight::Preflight::new().run(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.orchestrator(), axum_kamal::probe::Orchestrator::KamalProxy);
    /// # });
    /// ```
    #[must_use]
    pub fn orchestrator(&self) -> Orchestrator {
        self.orchestrator
    }

    /// The status that answered instead of the healthcheck's, if one did
    /// (from a layer in front of it, or the healthcheck's own status as a
    /// layer changed it).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = axum_kamal::preflight::Preflight::new().run(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.status(), Some(axum::http::StatusCode::NOT_FOUND));
    /// # });
    /// ```
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match &self.cause {
            Cause::Answered { status, .. } | Cause::Changed { status, .. } => Some(*status),
            Cause::Failed(_) => None,
        }
    }

    /// The `Location` of the redirect that answered, if one did.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = axum_kamal::preflight::Preflight::new().run(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.location(), None);
    /// # });
    /// ```
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        match &self.cause {
            Cause::Answered { location, .. } | Cause::Changed { location, .. } => {
                location.as_deref()
            }
            Cause::Failed(
                ProbeFailure::HttpsRedirect { location } | ProbeFailure::BadRedirect { location },
            ) => Some(location),
            Cause::Failed(_) => None,
        }
    }

    /// Why the probe got no final answer (a redirect to `https://`, too
    /// many redirects, a timeout, a service error), if that is what
    /// happened.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = axum_kamal::preflight::Preflight::new().run(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.failure(), None); // a 404 answered
    /// # });
    /// ```
    #[must_use]
    pub fn failure(&self) -> Option<&ProbeFailure> {
        match &self.cause {
            Cause::Answered { .. } | Cause::Changed { .. } => None,
            Cause::Failed(failure) => Some(failure),
        }
    }
}

impl fmt::Display for PreflightError {
    /// `preflight: kamal-proxy's probe (GET /up, Host: 7c7168a662c1:3000,
    /// User-Agent: kamal-proxy) never reached the healthcheck: 401
    /// Unauthorized answered instead. …` and the fix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = &self.request;
        write!(
            f,
            "preflight: {}'s probe (GET {}, Host: {}, User-Agent: {}) ",
            self.orchestrator, request.target, request.host, request.user_agent
        )?;
        let located = |location: &Option<String>| {
            location
                .as_ref()
                .map(|location| format!(" (Location: {location})"))
                .unwrap_or_default()
        };
        match &self.cause {
            Cause::Answered { status, location } => write!(
                f,
                "never reached the healthcheck: {status} answered instead{}. A layer in front \
                 of the healthcheck answered (one added around the #[kamal_app] function's \
                 router, e.g. in main; with explicit placement, also one placed before \
                 healthcheck()), or no healthcheck serves this path. Fix: move that layer \
                 behind the healthcheck: into the #[kamal_app] function, after healthcheck() \
                 in its chain, or make axum_kamal::healthcheck() the outermost layer of the \
                 service you serve (its last .layer(..) call, or the first layer of a \
                 ServiceBuilder)",
                located(location)
            ),
            Cause::Changed {
                answered,
                status,
                location,
            } => write!(
                f,
                "reached the healthcheck, which answered {answered}, but a layer in front of it \
                 changed that to {status}{}. Fix: move that layer behind the healthcheck, or \
                 make it leave the healthcheck's answer alone",
                located(location)
            ),
            Cause::Failed(failure) => write!(
                f,
                "never reached the healthcheck: {failure}. Fix: move the layer that stopped it \
                 behind the healthcheck: into the #[kamal_app] function, after healthcheck() \
                 in its chain, or make axum_kamal::healthcheck() the outermost layer of the \
                 service you serve"
            ),
        }
    }
}

impl fmt::Debug for PreflightError {
    /// The same as `Display`: `main` prints an error it returns with `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for PreflightError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failure()
            .map(|failure| failure as &(dyn std::error::Error + 'static))
    }
}

impl From<PreflightError> for io::Error {
    /// An [`io::ErrorKind::Other`] error carrying the [`PreflightError`].
    fn from(error: PreflightError) -> Self {
        io::Error::other(error)
    }
}
