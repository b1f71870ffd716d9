//! Probers faithful to each orchestrator, for your tests (feature
//! `testing`).
//!
//! `#[kamal_app]` answers the healthcheck before every layer written
//! **inside** the annotated function. A layer added elsewhere — e.g.
//! `app().layer(auth)` in `main` — still runs first and can reject the probe,
//! and no compile-time check can see it. [`preflight`](crate::preflight())
//! catches it when the app starts; a [`Prober`] shows it in your tests: it
//! sends an orchestrator's exact request to the service you really serve (in
//! process, or over TCP to a listening app), follows redirects as that
//! orchestrator does, repeats it like a deploy, and says whether the
//! healthcheck answered or something in front of it did.
//!
//! ```toml
//! [dev-dependencies]
//! axum-kamal = { version = "0.1", features = ["testing"] }
//! ```
//!
//! A [`Prober`] repeats a [`Probe`], one per [`Orchestrator`]:
//! [`Probe::kamal_proxy`], [`Probe::kubelet`], [`Probe::aws_alb`],
//! [`Probe::docker_curl`]. Like kamal-proxy, [`Probe::kamal_proxy`] sends
//!
//! ```text
//! GET /up HTTP/1.1
//! Host: 7c7168a662c1:80
//! User-Agent: kamal-proxy
//! Accept-Encoding: gzip
//! ```
//!
//! (`Host` is `<container id>:<app_port>`) over plain HTTP, without any
//! `X-Forwarded-*` header, every [`interval`](Prober::interval) until it
//! gets a `2xx` or the [`deploy_timeout`](Prober::deploy_timeout) passes.
//! Each check has its own [`timeout`](Probe::timeout) and follows redirects
//! like Go's default HTTP client: a relative or `http://` `Location` is
//! requested in turn, an `https://` one fails (the TLS handshake against a
//! plain-HTTP app fails), and it stops after
//! [`max_redirects`](Probe::max_redirects). The other probes differ as
//! [`Orchestrator`] documents (request headers, healthy statuses, redirects,
//! default timings).
//!
//! Shorten the timings in tests, so a failing deploy fails fast.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//!
//! use axum::{Router, middleware, routing::get};
//! use axum_kamal::testing::{Probe, ProbeFailure, Prober};
//! use axum::http::StatusCode;
//! # use axum::{extract::Request, middleware::Next, response::{IntoResponse, Response}};
//! # async fn require_auth(req: Request, next: Next) -> Response {
//! #     if req.headers().contains_key("authorization") { next.run(req).await }
//! #     else { StatusCode::UNAUTHORIZED.into_response() }
//! # }
//!
//! #[axum_kamal::kamal_app]
//! fn app() -> Router {
//!     Router::new().route("/", get(|| async { "hello" }))
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let prober = Prober::new(Probe::kamal_proxy())
//!     .interval(Duration::from_millis(10))
//!     .deploy_timeout(Duration::from_millis(100));
//!
//! // The router as the function builds it: the deploy succeeds.
//! assert!(prober.probe_service(app()).await.is_healthy());
//!
//! // The router as `main` serves it, with one more layer: the deploy fails.
//! let deploy = prober.probe_service(app().layer(middleware::from_fn(require_auth))).await;
//! assert_eq!(
//!     deploy.failure(),
//!     Some(&ProbeFailure::Status(StatusCode::UNAUTHORIZED))
//! );
//! # });
//! ```
//!
//! [`Prober::probe_addr`] does the same over a real TCP connection, to an
//! app served by `axum::serve` (or anything else) on a local port.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use http::{Request, Response, StatusCode};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tower_service::Service;

pub use crate::deploy_config::{AppSettings, DeployConfigError, Disagreement};
use crate::probe::{Hop, InProcessProbe, Received, follow, send_in_process};
pub use crate::probe::{Orchestrator, Probe, ProbeFailure};
use crate::response_head;

/// The container id [`Probe::kamal_proxy`] puts in `Host`: 12 hex digits,
/// as Docker abbreviates container ids.
///
/// ```
/// use axum_kamal::testing::{DEFAULT_CONTAINER_ID, Probe};
///
/// assert_eq!(Probe::kamal_proxy().host(), format!("{DEFAULT_CONTAINER_ID}:80"));
/// ```
pub const DEFAULT_CONTAINER_ID: &str = "7c7168a662c1";

/// The `User-Agent` of kamal-proxy's healthcheck.
///
/// ```
/// let request = axum_kamal::testing::Probe::kamal_proxy().request();
/// assert_eq!(request.headers()["user-agent"], axum_kamal::testing::KAMAL_PROXY_USER_AGENT);
/// ```
pub const KAMAL_PROXY_USER_AGENT: &str = "kamal-proxy";

/// Probes an app the way an [`Orchestrator`] does, again and again like a
/// deploy: a [`Probe`] (the request and its timeout) plus the deploy's
/// timing.
///
/// Build it from a probe, then probe a service in process
/// ([`probe_service`](Self::probe_service), an `axum::Router` or any tower
/// service around it) or a listening app over TCP
/// ([`probe_addr`](Self::probe_addr)). Each `probe_*` runs a whole deploy
/// and returns its [`Deploy`] outcome; each `check_*` sends one healthcheck
/// (following redirects as the orchestrator does) and returns the status
/// the orchestrator counted as healthy, or why it failed: a `503` from the
/// healthcheck's own checks is [`ProbeFailure::NotReady`], any other
/// unhealthy status [`ProbeFailure::Status`].
///
/// ```
/// use std::time::Duration;
/// use axum_kamal::testing::{Probe, Prober};
///
/// let prober = Prober::new(
///     Probe::kamal_proxy()
///         .host_name("0123456789ab")
///         .port(3000)
///         .timeout(Duration::from_millis(200)),
/// )
/// .interval(Duration::from_millis(50))
/// .deploy_timeout(Duration::from_secs(2));
/// assert_eq!(prober.probe().host(), "0123456789ab:3000");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prober {
    probe: Probe,
    interval: Duration,
    deploy_timeout: Duration,
}

impl From<Probe> for Prober {
    /// Same as [`Prober::new`].
    fn from(probe: Probe) -> Self {
        Self::new(probe)
    }
}

impl Prober {
    /// A prober repeating `probe` every
    /// [`default_interval`](Orchestrator::default_interval) of its
    /// orchestrator (kamal-proxy's 1 s, the kubelet's `periodSeconds` 10 s),
    /// for up to 30 s (Kamal's `deploy_timeout`; the kubelet's
    /// `periodSeconds` × `failureThreshold` 3).
    ///
    /// ```
    /// use axum_kamal::testing::{Probe, Prober};
    /// let prober = Prober::new(Probe::kubelet().port(3000));
    /// assert_eq!(prober.probe().host(), "10.244.0.7:3000");
    /// ```
    #[must_use]
    pub fn new(probe: Probe) -> Self {
        Self {
            interval: probe.orchestrator.default_interval(),
            deploy_timeout: Duration::from_secs(30),
            probe,
        }
    }

    /// The probe it repeats.
    ///
    /// ```
    /// use axum_kamal::testing::{Orchestrator, Probe, Prober};
    /// assert_eq!(Prober::new(Probe::kubelet()).probe().orchestrator(), Orchestrator::Kubelet);
    /// ```
    #[must_use]
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Time between the starts of two healthchecks (Kamal's
    /// `proxy.healthcheck.interval`, the kubelet's `periodSeconds`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum_kamal::testing::{Probe, Prober};
    /// let prober = Prober::new(Probe::kamal_proxy()).interval(Duration::from_millis(20));
    /// ```
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How long the whole deploy may take before it fails (Kamal's
    /// `deploy_timeout`, the kubelet's startup window `periodSeconds` ×
    /// `failureThreshold`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum_kamal::testing::{Probe, Prober};
    /// let prober = Prober::new(Probe::kamal_proxy()).deploy_timeout(Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn deploy_timeout(mut self, deploy_timeout: Duration) -> Self {
        self.deploy_timeout = deploy_timeout;
        self
    }

    /// One healthcheck of `service` in process: sends
    /// the probe's [`request`](Probe::request) through `service` (cloned, and polled
    /// ready first), follows redirects back into it as the orchestrator does,
    /// within the probe's [`timeout`](Probe::timeout).
    ///
    /// `service` is what `axum::serve` takes: an `axum::Router`, or any
    /// tower service of `axum::extract::Request` around it. Redirects to
    /// `http://` URLs are sent to the same service with the new `Host`.
    ///
    /// # Errors
    /// [`ProbeFailure::NotReady`] when the healthcheck answered `503`,
    /// [`ProbeFailure::Status`] when something else answered a status the
    /// orchestrator counts as failed, [`ProbeFailure::ChecksOutlastProbe`]
    /// when the probe timed out at a healthcheck whose readiness checks may
    /// run longer than the probe's [`timeout`](Probe::timeout), and the other variants
    /// when no final answer came.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum::Router;
    /// use axum_kamal::testing::{Probe, ProbeFailure, Prober};
    /// use axum::http::StatusCode;
    ///
    /// let prober = Prober::new(Probe::kamal_proxy());
    /// let with = Router::new().layer(axum_kamal::healthcheck());
    /// assert_eq!(prober.check_service(with).await, Ok(StatusCode::OK));
    /// let without = Router::new();
    /// assert_eq!(prober.check_service(without).await, Err(ProbeFailure::Status(StatusCode::NOT_FOUND)));
    /// # });
    /// ```
    pub async fn check_service<S, RB>(&self, service: S) -> Result<StatusCode, ProbeFailure>
    where
        S: Service<Request<Body>, Response = Response<RB>> + Clone,
        S::Error: fmt::Display,
    {
        let probe = InProcessProbe::new(false);
        let checked = self
            .check(|hop| send_in_process(&service, hop, &probe))
            .await;
        match (
            checked,
            probe.take().and_then(|reached| reached.check_timeout),
        ) {
            (Err(ProbeFailure::Timeout(probe_timeout)), Some(check_timeout))
                if check_timeout >= probe_timeout =>
            {
                Err(ProbeFailure::ChecksOutlastProbe {
                    probe_timeout,
                    check_timeout,
                })
            }
            (checked, _) => checked,
        }
    }

    /// One healthcheck over real TCP: connects to `addr`, writes
    /// the probe's [`request_bytes`](Probe::request_bytes), reads the response head and
    /// follows redirects as the orchestrator does (an `http://` `Location`
    /// naming the probe's own `Host` goes to `addr` again, any other host is
    /// resolved), within the probe's [`timeout`](Probe::timeout).
    ///
    /// # Errors
    /// As [`check_service`](Self::check_service), plus
    /// [`ProbeFailure::Connect`] and [`ProbeFailure::InvalidResponse`].
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum::Router;
    /// use axum::http::StatusCode;
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let app = Router::new().layer(axum_kamal::healthcheck());
    /// tokio::spawn(async move { axum::serve(listener, app).await });
    ///
    /// use axum_kamal::testing::{Probe, Prober};
    /// let status = Prober::new(Probe::kubelet()).check_addr(addr).await;
    /// assert_eq!(status, Ok(StatusCode::OK));
    /// # });
    /// ```
    pub async fn check_addr(&self, addr: SocketAddr) -> Result<StatusCode, ProbeFailure> {
        let own_host = self.probe.host();
        self.check(|hop| {
            let target = if hop.host.eq_ignore_ascii_case(&own_host) {
                Target::Addr(addr)
            } else {
                Target::Name(hop.host.clone())
            };
            async move { exchange(target, &hop.wire_request()).await }
        })
        .await
    }

    /// A whole deploy against `service` in process: a
    /// [`check_service`](Self::check_service) every
    /// [`interval`](Self::interval) until one succeeds or the
    /// [`deploy_timeout`](Self::deploy_timeout) passes.
    ///
    /// Probe the service exactly as `main` serves it, with every layer added
    /// there.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use axum::Router;
    /// use tower::ServiceBuilder;
    /// use axum_kamal::testing::{Probe, Prober};
    ///
    /// let app = ServiceBuilder::new()
    ///     .layer(axum_kamal::HealthcheckLayer::new("/up"))
    ///     .service(Router::new());
    /// assert!(Prober::new(Probe::kamal_proxy()).probe_service(app).await.is_healthy());
    ///
    /// let prober = Prober::new(Probe::kamal_proxy())
    ///     .interval(Duration::from_millis(10))
    ///     .deploy_timeout(Duration::from_millis(50));
    /// assert!(!prober.probe_service(Router::new()).await.is_healthy()); // 404
    /// # });
    /// ```
    pub async fn probe_service<S, RB>(&self, service: S) -> Deploy
    where
        S: Service<Request<Body>, Response = Response<RB>> + Clone,
        S::Error: fmt::Display,
    {
        self.deploy(|| self.check_service(service.clone())).await
    }

    /// A whole deploy over real TCP against the app listening on `addr`: a
    /// [`check_addr`](Self::check_addr) every [`interval`](Self::interval)
    /// until one succeeds or the [`deploy_timeout`](Self::deploy_timeout)
    /// passes. Connection refused (nothing listening yet) is a failed check,
    /// as for the orchestrators, so the app may still be starting.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use axum::Router;
    /// use axum_kamal::testing::{Probe, Prober};
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let app = Router::new().layer(axum_kamal::healthcheck());
    /// tokio::spawn(async move { axum::serve(listener, app).await });
    ///
    /// let prober = Prober::new(Probe::kamal_proxy().port(3000)).deploy_timeout(Duration::from_secs(2));
    /// let deploy = prober.probe_addr(addr).await;
    /// assert!(deploy.is_healthy(), "{deploy}");
    /// assert_eq!(deploy.attempts(), 1);
    /// # });
    /// ```
    pub async fn probe_addr(&self, addr: SocketAddr) -> Deploy {
        self.deploy(|| self.check_addr(addr)).await
    }

    /// Runs `send` for the probe and each redirect followed, within the
    /// per-check timeout, and judges the answer it stops at.
    async fn check<F, Fut>(&self, send: F) -> Result<StatusCode, ProbeFailure>
    where
        F: FnMut(Hop) -> Fut,
        Fut: Future<Output = Result<Received, ProbeFailure>>,
    {
        let probe = &self.probe;
        let received = timeout(
            probe.timeout,
            follow(probe.first_hop(), probe.max_redirects, send),
        )
        .await
        .unwrap_or(Err(ProbeFailure::Timeout(probe.timeout)))?;
        received.judge(probe.orchestrator)
    }

    /// Repeats `check` like a deploy loop.
    async fn deploy<F, Fut>(&self, mut check: F) -> Deploy
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<StatusCode, ProbeFailure>>,
    {
        let deadline = Instant::now() + self.deploy_timeout;
        let mut attempts = 0;
        let mut last = None;
        loop {
            let started = Instant::now();
            attempts += 1;
            match timeout_at(deadline, check()).await {
                Ok(Ok(status)) => return Deploy::Healthy { attempts, status },
                Ok(Err(reason)) => last = Some(reason),
                Err(_) => {
                    let reason = last.unwrap_or(ProbeFailure::Timeout(started.elapsed()));
                    return Deploy::Failed { attempts, reason };
                }
            }
            let next = started + self.interval;
            if next >= deadline {
                let reason = last.expect("set by the failed check above");
                return Deploy::Failed { attempts, reason };
            }
            sleep_until(next).await;
        }
    }
}

/// The outcome of a deploy run by a `Prober::probe_*` method.
///
/// ```
/// use axum_kamal::testing::{Deploy, ProbeFailure};
/// use axum::http::StatusCode;
///
/// let ok = Deploy::Healthy { attempts: 2, status: StatusCode::OK };
/// assert!(ok.is_healthy());
/// assert_eq!(ok.to_string(), "healthy after 2 attempts (200 OK)");
///
/// let failed = Deploy::Failed { attempts: 30, reason: ProbeFailure::Status(StatusCode::BAD_REQUEST) };
/// assert_eq!(failed.failure(), Some(&ProbeFailure::Status(StatusCode::BAD_REQUEST)));
/// assert!(failed.to_string().starts_with(
///     "deploy failed after 30 attempts: target failed to become healthy: unexpected status 400 Bad Request, not from the healthcheck"
/// ));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Deploy {
    /// A check got a status the orchestrator counts as healthy (for
    /// kamal-proxy a `2xx`: it switches traffic to the app).
    Healthy {
        /// Checks started, the successful one included.
        attempts: u32,
        /// The status of the successful check.
        status: StatusCode,
    },
    /// No check succeeded before the deploy timeout: the deploy fails.
    Failed {
        /// Checks started (the last one may have been cut short by the
        /// deploy timeout).
        attempts: u32,
        /// Why the last completed check failed, or [`ProbeFailure::Timeout`]
        /// if none completed.
        reason: ProbeFailure,
    },
}

impl Deploy {
    /// Whether the orchestrator would count the app healthy (kamal-proxy
    /// would switch traffic to it).
    ///
    /// ```
    /// use axum_kamal::testing::Deploy;
    /// assert!(Deploy::Healthy { attempts: 1, status: axum::http::StatusCode::OK }.is_healthy());
    /// ```
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        matches!(self, Self::Healthy { .. })
    }

    /// How many checks were started.
    ///
    /// ```
    /// use axum_kamal::testing::Deploy;
    /// assert_eq!(Deploy::Healthy { attempts: 3, status: axum::http::StatusCode::OK }.attempts(), 3);
    /// ```
    #[must_use]
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Healthy { attempts, .. } | Self::Failed { attempts, .. } => *attempts,
        }
    }

    /// Why the deploy failed, if it did.
    ///
    /// ```
    /// use axum_kamal::testing::{Deploy, ProbeFailure};
    /// use std::time::Duration;
    ///
    /// let failed = Deploy::Failed { attempts: 1, reason: ProbeFailure::Timeout(Duration::from_secs(5)) };
    /// assert_eq!(failed.failure(), Some(&ProbeFailure::Timeout(Duration::from_secs(5))));
    /// ```
    #[must_use]
    pub fn failure(&self) -> Option<&ProbeFailure> {
        match self {
            Self::Healthy { .. } => None,
            Self::Failed { reason, .. } => Some(reason),
        }
    }

    /// Panics with the reason unless the deploy succeeded.
    ///
    /// # Panics
    /// If the deploy failed.
    ///
    /// ```should_panic
    /// use axum_kamal::testing::{Deploy, ProbeFailure};
    ///
    /// Deploy::Failed { attempts: 1, reason: ProbeFailure::Status(axum::http::StatusCode::UNAUTHORIZED) }
    ///     .assert_healthy();
    /// ```
    #[track_caller]
    pub fn assert_healthy(&self) {
        assert!(self.is_healthy(), "{self}");
    }
}

impl fmt::Display for Deploy {
    /// `healthy after 1 attempt (200 OK)` or `deploy failed after 30
    /// attempts: target failed to become healthy: <reason>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.attempts() == 1 { "" } else { "s" };
        match self {
            Self::Healthy { attempts, status } => {
                write!(f, "healthy after {attempts} attempt{plural} ({status})")
            }
            Self::Failed { attempts, reason } => write!(
                f,
                "deploy failed after {attempts} attempt{plural}: target failed to become healthy: {reason}"
            ),
        }
    }
}

/// Where a TCP request goes.
enum Target {
    Addr(SocketAddr),
    /// `host` or `host:port` from a redirect, resolved like Go (port 80 by
    /// default).
    Name(String),
}

/// Writes `request` on a new connection to `target` and reads the status and
/// `Location` of the response.
async fn exchange(target: Target, request: &[u8]) -> Result<Received, ProbeFailure> {
    let connect = |target: String| {
        move |e: io::Error| ProbeFailure::Connect {
            target,
            kind: e.kind(),
            message: e.to_string(),
        }
    };
    let mut stream = match target {
        Target::Addr(addr) => TcpStream::connect(addr)
            .await
            .map_err(connect(addr.to_string()))?,
        Target::Name(host) => {
            let dial = if host.ends_with(']') || !host.contains(':') {
                format!("{host}:80")
            } else {
                host
            };
            TcpStream::connect(dial.as_str())
                .await
                .map_err(connect(dial))?
        }
    };
    let broken = |e: io::Error| ProbeFailure::InvalidResponse(e.to_string());
    stream.write_all(request).await.map_err(broken)?;
    response_head::read(&mut stream).await
}
