//! A kamal-proxy-like prober for your tests (feature `testing`).
//!
//! `#[kamal_app]` answers kamal-proxy's healthcheck before every layer
//! written **inside** the annotated function. A layer added elsewhere — e.g.
//! `app().layer(auth)` in `main` — still runs first and can reject the probe,
//! and no compile-time check can see it. [`KamalProber`] closes that gap at
//! test time: it sends kamal-proxy's exact request to the service you really
//! serve, the way kamal-proxy does, and tells you whether the deploy would
//! succeed.
//!
//! ```toml
//! [dev-dependencies]
//! axum-kamal = { version = "0.1", features = ["testing"] }
//! ```
//!
//! Like kamal-proxy, the prober sends
//!
//! ```text
//! GET /up HTTP/1.1
//! Host: 7c7168a662c1:80
//! User-Agent: kamal-proxy
//! Accept-Encoding: gzip
//! ```
//!
//! (`Host` is `<container id>:<app_port>`) over plain HTTP, without any
//! `X-Forwarded-*` header, every [`interval`](KamalProber::interval) until it
//! gets a `2xx` or the [`deploy_timeout`](KamalProber::deploy_timeout)
//! passes. Each check has its own [`timeout`](KamalProber::timeout) and
//! follows redirects like Go's default HTTP client: a relative or `http://`
//! `Location` is requested in turn, an `https://` one fails (kamal-proxy's TLS
//! handshake against a plain-HTTP app fails), and it stops after
//! [`max_redirects`](KamalProber::max_redirects).
//!
//! The defaults are kamal-proxy's: path `/up`, interval 1 s, timeout 5 s,
//! deploy timeout 30 s, 10 redirects, app port 80 (Kamal's default
//! `proxy.app_port`). Shorten them in tests, so a failing deploy fails fast.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//!
//! use axum::{Router, middleware, routing::get};
//! use axum_kamal::testing::{KamalProber, ProbeFailure};
//! use http::StatusCode;
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
//! let prober = KamalProber::new()
//!     .interval(Duration::from_millis(10))
//!     .deploy_timeout(Duration::from_millis(100));
//!
//! // The router as the function builds it: the deploy succeeds.
//! assert!(prober.probe_router(app()).await.is_healthy());
//!
//! // The router as `main` serves it, with one more layer: the deploy fails.
//! let deploy = prober.probe_router(app().layer(middleware::from_fn(require_auth))).await;
//! assert_eq!(
//!     deploy.failure(),
//!     Some(&ProbeFailure::Status(StatusCode::UNAUTHORIZED))
//! );
//! # });
//! ```
//!
//! [`KamalProber::probe_addr`] does the same over a real TCP connection, to
//! an app served by `axum::serve` (or anything else) on a local port.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use http::header::{ACCEPT_ENCODING, HOST, REFERER, USER_AGENT};
use http::{HeaderValue, Request, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tower_service::Service;

/// The container id [`KamalProber::new`] puts in `Host`: 12 hex digits, as
/// Docker abbreviates container ids.
///
/// ```
/// use axum_kamal::testing::{DEFAULT_CONTAINER_ID, KamalProber};
///
/// assert_eq!(KamalProber::new().host(), format!("{DEFAULT_CONTAINER_ID}:80"));
/// ```
pub const DEFAULT_CONTAINER_ID: &str = "7c7168a662c1";

/// The `User-Agent` of kamal-proxy's healthcheck.
///
/// ```
/// let request = axum_kamal::testing::KamalProber::new().request::<()>();
/// assert_eq!(request.headers()["user-agent"], axum_kamal::testing::KAMAL_PROXY_USER_AGENT);
/// ```
pub const KAMAL_PROXY_USER_AGENT: &str = "kamal-proxy";

/// Largest response head read over TCP before giving up.
const MAX_HEAD: usize = 64 * 1024;

/// Probes an app the way kamal-proxy does before switching traffic to it.
///
/// Build it with [`KamalProber::new`] and the builder methods, then probe a
/// service in process ([`probe_router`](Self::probe_router),
/// [`probe_service`](Self::probe_service)) or a listening app over TCP
/// ([`probe_addr`](Self::probe_addr)). Each `probe_*` runs a whole deploy and
/// returns its [`Deploy`] outcome; each `check_*` sends one healthcheck
/// (following redirects) and returns its status or why it failed.
///
/// ```
/// use std::time::Duration;
/// use axum_kamal::testing::KamalProber;
///
/// let prober = KamalProber::new()
///     .container_id("0123456789ab")
///     .app_port(3000)
///     .path("/up")
///     .interval(Duration::from_millis(50))
///     .timeout(Duration::from_millis(200))
///     .deploy_timeout(Duration::from_secs(2))
///     .max_redirects(10);
/// assert_eq!(prober.host(), "0123456789ab:3000");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KamalProber {
    container_id: String,
    app_port: u16,
    path: String,
    interval: Duration,
    timeout: Duration,
    deploy_timeout: Duration,
    max_redirects: usize,
}

impl Default for KamalProber {
    /// Same as [`KamalProber::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl KamalProber {
    /// A prober with kamal-proxy's defaults: container id
    /// [`DEFAULT_CONTAINER_ID`], app port 80, path `/up`, interval 1 s,
    /// timeout 5 s, deploy timeout 30 s, at most 10 redirects.
    ///
    /// ```
    /// let prober = axum_kamal::testing::KamalProber::new();
    /// assert_eq!(prober.host(), "7c7168a662c1:80");
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            container_id: DEFAULT_CONTAINER_ID.to_owned(),
            app_port: 80,
            path: crate::DEFAULT_PATH.to_owned(),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
            deploy_timeout: Duration::from_secs(30),
            max_redirects: 10,
        }
    }

    /// The container id sent in `Host` (kamal-proxy targets the container by
    /// its id).
    ///
    /// ```
    /// let prober = axum_kamal::testing::KamalProber::new().container_id("0123456789ab");
    /// assert_eq!(prober.host(), "0123456789ab:80");
    /// ```
    #[must_use]
    pub fn container_id(mut self, id: impl Into<String>) -> Self {
        self.container_id = id.into();
        self
    }

    /// The port sent in `Host`: Kamal's `proxy.app_port` (default 80). It
    /// does not choose where [`probe_addr`](Self::probe_addr) connects.
    ///
    /// ```
    /// let prober = axum_kamal::testing::KamalProber::new().app_port(3000);
    /// assert_eq!(prober.host(), "7c7168a662c1:3000");
    /// ```
    #[must_use]
    pub fn app_port(mut self, port: u16) -> Self {
        self.app_port = port;
        self
    }

    /// The healthcheck path: Kamal's `proxy.healthcheck.path` (default
    /// `/up`), e.g. the path given to `#[kamal_app(path = "..")]`. It may
    /// carry a query.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    ///
    /// ```
    /// let prober = axum_kamal::testing::KamalProber::new().path("/healthz");
    /// assert_eq!(prober.request::<()>().uri(), "/healthz");
    /// ```
    #[must_use]
    #[track_caller]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        assert!(
            path.starts_with('/'),
            "healthcheck path {path:?} must start with '/'"
        );
        self.path = path;
        self
    }

    /// Time between the starts of two healthchecks: Kamal's
    /// `proxy.healthcheck.interval` (default 1 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let prober = axum_kamal::testing::KamalProber::new().interval(Duration::from_millis(20));
    /// ```
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How long one healthcheck, redirects included, may take: Kamal's
    /// `proxy.healthcheck.timeout` (default 5 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let prober = axum_kamal::testing::KamalProber::new().timeout(Duration::from_millis(200));
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the whole deploy may take before it fails: Kamal's
    /// `deploy_timeout` (default 30 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let prober = axum_kamal::testing::KamalProber::new().deploy_timeout(Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn deploy_timeout(mut self, deploy_timeout: Duration) -> Self {
        self.deploy_timeout = deploy_timeout;
        self
    }

    /// Redirect limit of one healthcheck. Like Go's default client
    /// (`stopped after 10 redirects`), a check fails when a redirect arrives
    /// after `max` requests; `0` follows none.
    ///
    /// ```
    /// let prober = axum_kamal::testing::KamalProber::new().max_redirects(0);
    /// ```
    #[must_use]
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// The `Host` header of the probe: `<container id>:<app port>`.
    ///
    /// ```
    /// assert_eq!(axum_kamal::testing::KamalProber::new().app_port(3000).host(), "7c7168a662c1:3000");
    /// ```
    #[must_use]
    pub fn host(&self) -> String {
        format!("{}:{}", self.container_id, self.app_port)
    }

    /// The probe exactly as [`probe_addr`](Self::probe_addr) writes it on the
    /// wire (and as kamal-proxy's Go client does).
    ///
    /// ```
    /// let bytes = axum_kamal::testing::KamalProber::new().app_port(3000).request_bytes();
    /// assert_eq!(
    ///     bytes,
    ///     b"GET /up HTTP/1.1\r\nHost: 7c7168a662c1:3000\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n"
    /// );
    /// ```
    #[must_use]
    pub fn request_bytes(&self) -> Vec<u8> {
        wire_request(&Hop::first(self))
    }

    /// The probe as an in-process request, as `axum::serve` would hand it to
    /// your service: origin-form URI, `Host`, `User-Agent: kamal-proxy`,
    /// `Accept-Encoding: gzip` and an empty (default) body.
    ///
    /// ```
    /// let probe = axum_kamal::testing::KamalProber::new().request::<axum::body::Body>();
    /// assert_eq!(probe.method(), http::Method::GET);
    /// assert_eq!(probe.uri(), "/up");
    /// assert_eq!(probe.headers()["host"], "7c7168a662c1:80");
    /// ```
    #[must_use]
    pub fn request<B: Default>(&self) -> Request<B> {
        in_process_request(&Hop::first(self)).expect("a path starting with '/' is a valid URI")
    }

    /// One healthcheck of `service` in process: sends [`request`](Self::request)
    /// through `service` (cloned, and polled ready first), follows redirects
    /// back into it, within [`timeout`](Self::timeout). Returns the `2xx`
    /// status, or why kamal-proxy would count the check as failed.
    ///
    /// Redirects to `http://` URLs are sent to the same service with the new
    /// `Host`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum::{Router, body::Body};
    /// use http::StatusCode;
    ///
    /// let app = Router::new().layer(axum_kamal::healthcheck());
    /// let status = axum_kamal::testing::KamalProber::new()
    ///     .check_service::<_, Body, _>(app)
    ///     .await;
    /// assert_eq!(status, Ok(StatusCode::OK));
    /// # });
    /// ```
    pub async fn check_service<S, B, RB>(&self, service: S) -> Result<StatusCode, ProbeFailure>
    where
        S: Service<Request<B>, Response = Response<RB>> + Clone,
        S::Error: fmt::Display,
        B: Default,
    {
        let send = |hop: Hop| {
            let mut service = service.clone();
            async move {
                let request = in_process_request(&hop).map_err(|_| ProbeFailure::BadRedirect {
                    location: hop.target.clone(),
                })?;
                poll_fn(|cx| service.poll_ready(cx))
                    .await
                    .map_err(|e| ProbeFailure::Service(e.to_string()))?;
                let response = service
                    .call(request)
                    .await
                    .map_err(|e| ProbeFailure::Service(e.to_string()))?;
                Ok(Answer {
                    status: response.status(),
                    location: response
                        .headers()
                        .get(http::header::LOCATION)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                })
            }
        };
        self.check(send).await
    }

    /// [`check_service`](Self::check_service) for an `axum::Router`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum::Router;
    /// use axum_kamal::testing::{KamalProber, ProbeFailure};
    /// use http::StatusCode;
    ///
    /// let prober = KamalProber::new();
    /// let with = Router::new().layer(axum_kamal::healthcheck());
    /// assert_eq!(prober.check_router(with).await, Ok(StatusCode::OK));
    /// let without = Router::new();
    /// assert_eq!(prober.check_router(without).await, Err(ProbeFailure::Status(StatusCode::NOT_FOUND)));
    /// # });
    /// ```
    pub async fn check_router(&self, router: axum::Router) -> Result<StatusCode, ProbeFailure> {
        self.check_service::<_, axum::body::Body, _>(router).await
    }

    /// One healthcheck over real TCP: connects to `addr`, writes
    /// [`request_bytes`](Self::request_bytes), reads the response head and
    /// follows redirects (an `http://` `Location` naming the probe's own
    /// `Host` goes to `addr` again, any other host is resolved), within
    /// [`timeout`](Self::timeout).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum::Router;
    /// use http::StatusCode;
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let app = Router::new().layer(axum_kamal::healthcheck());
    /// tokio::spawn(async move { axum::serve(listener, app).await });
    ///
    /// let status = axum_kamal::testing::KamalProber::new().check_addr(addr).await;
    /// assert_eq!(status, Ok(StatusCode::OK));
    /// # });
    /// ```
    pub async fn check_addr(&self, addr: SocketAddr) -> Result<StatusCode, ProbeFailure> {
        let own_host = self.host();
        let send = |hop: Hop| {
            let own_host = own_host.clone();
            async move {
                let target = if hop.host.eq_ignore_ascii_case(&own_host) {
                    Target::Addr(addr)
                } else {
                    Target::Name(hop.host.clone())
                };
                exchange(target, &wire_request(&hop)).await
            }
        };
        self.check(send).await
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
    /// use axum::{Router, body::Body};
    /// use tower::ServiceBuilder;
    ///
    /// let app = ServiceBuilder::new()
    ///     .layer(axum_kamal::HealthcheckLayer::new("/up"))
    ///     .service(Router::new());
    /// let deploy = axum_kamal::testing::KamalProber::new()
    ///     .probe_service::<_, Body, _>(app)
    ///     .await;
    /// assert!(deploy.is_healthy());
    /// # });
    /// ```
    pub async fn probe_service<S, B, RB>(&self, service: S) -> Deploy
    where
        S: Service<Request<B>, Response = Response<RB>> + Clone,
        S::Error: fmt::Display,
        B: Default,
    {
        self.deploy(|| self.check_service(service.clone())).await
    }

    /// [`probe_service`](Self::probe_service) for an `axum::Router`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use axum::Router;
    /// use axum_kamal::testing::KamalProber;
    ///
    /// let prober = KamalProber::new()
    ///     .interval(Duration::from_millis(10))
    ///     .deploy_timeout(Duration::from_millis(50));
    /// assert!(prober.probe_router(Router::new().layer(axum_kamal::healthcheck())).await.is_healthy());
    /// assert!(!prober.probe_router(Router::new()).await.is_healthy()); // 404
    /// # });
    /// ```
    pub async fn probe_router(&self, router: axum::Router) -> Deploy {
        self.probe_service::<_, axum::body::Body, _>(router).await
    }

    /// A whole deploy over real TCP against the app listening on `addr`: a
    /// [`check_addr`](Self::check_addr) every [`interval`](Self::interval)
    /// until one succeeds or the [`deploy_timeout`](Self::deploy_timeout)
    /// passes. Connection refused (nothing listening yet) is a failed check,
    /// as for kamal-proxy, so the app may still be starting.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use axum::Router;
    /// use axum_kamal::testing::{KamalProber, ProbeFailure};
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let app = Router::new().layer(axum_kamal::healthcheck());
    /// tokio::spawn(async move { axum::serve(listener, app).await });
    ///
    /// let prober = KamalProber::new().app_port(3000).deploy_timeout(Duration::from_secs(2));
    /// let deploy = prober.probe_addr(addr).await;
    /// assert!(deploy.is_healthy(), "{deploy}");
    /// assert_eq!(deploy.attempts(), 1);
    /// # });
    /// ```
    pub async fn probe_addr(&self, addr: SocketAddr) -> Deploy {
        self.deploy(|| self.check_addr(addr)).await
    }

    /// Runs `send` for the probe and each redirect it is given, within the
    /// per-check timeout.
    async fn check<F, Fut>(&self, send: F) -> Result<StatusCode, ProbeFailure>
    where
        F: FnMut(Hop) -> Fut,
        Fut: Future<Output = Result<Answer, ProbeFailure>>,
    {
        timeout(self.timeout, self.follow(send))
            .await
            .unwrap_or(Err(ProbeFailure::Timeout(self.timeout)))
    }

    async fn follow<F, Fut>(&self, mut send: F) -> Result<StatusCode, ProbeFailure>
    where
        F: FnMut(Hop) -> Fut,
        Fut: Future<Output = Result<Answer, ProbeFailure>>,
    {
        let mut hop = Hop::first(self);
        let mut requests = 0;
        loop {
            let answer = send(hop.clone()).await?;
            requests += 1;
            let location = match answer.location {
                Some(location) if is_followed_redirect(answer.status) => location,
                _ if answer.status.is_success() => return Ok(answer.status),
                _ => return Err(ProbeFailure::Status(answer.status)),
            };
            if requests >= self.max_redirects {
                return Err(ProbeFailure::TooManyRedirects(self.max_redirects));
            }
            hop = hop.redirect(&location)?;
        }
    }

    /// Repeats `check` like kamal-proxy's deploy loop.
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

/// The outcome of a deploy run by a `KamalProber::probe_*` method.
///
/// ```
/// use axum_kamal::testing::{Deploy, ProbeFailure};
/// use http::StatusCode;
///
/// let ok = Deploy::Healthy { attempts: 2, status: StatusCode::OK };
/// assert!(ok.is_healthy());
/// assert_eq!(ok.to_string(), "healthy after 2 attempts (200 OK)");
///
/// let failed = Deploy::Failed { attempts: 30, reason: ProbeFailure::Status(StatusCode::BAD_REQUEST) };
/// assert_eq!(failed.failure(), Some(&ProbeFailure::Status(StatusCode::BAD_REQUEST)));
/// assert_eq!(
///     failed.to_string(),
///     "deploy failed after 30 attempts: target failed to become healthy: unexpected status 400 Bad Request"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Deploy {
    /// A check got a `2xx`: kamal-proxy would switch traffic to the app.
    Healthy {
        /// Checks started, the successful one included.
        attempts: u32,
        /// The `2xx` status of the successful check.
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
    /// Whether kamal-proxy would switch traffic to the app.
    ///
    /// ```
    /// use axum_kamal::testing::Deploy;
    /// assert!(Deploy::Healthy { attempts: 1, status: http::StatusCode::OK }.is_healthy());
    /// ```
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        matches!(self, Self::Healthy { .. })
    }

    /// How many checks were started.
    ///
    /// ```
    /// use axum_kamal::testing::Deploy;
    /// assert_eq!(Deploy::Healthy { attempts: 3, status: http::StatusCode::OK }.attempts(), 3);
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
    /// Deploy::Failed { attempts: 1, reason: ProbeFailure::Status(http::StatusCode::UNAUTHORIZED) }
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

/// Why one healthcheck failed, as kamal-proxy would see it.
///
/// ```
/// use axum_kamal::testing::ProbeFailure;
///
/// let https = ProbeFailure::HttpsRedirect { location: "https://7c7168a662c1:3000/up".into() };
/// assert!(https.to_string().contains("server gave HTTP response to HTTPS client"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeFailure {
    /// The answer was not a `2xx` (a redirect without `Location`, or one Go's
    /// client does not follow, included): e.g. `400` from host validation,
    /// `401` from auth, `429` from a rate limit.
    Status(StatusCode),
    /// A redirect to an `https://` URL: kamal-proxy follows it and its TLS
    /// handshake fails against the plain-HTTP app (Go reports `http: server
    /// gave HTTP response to HTTPS client`).
    HttpsRedirect {
        /// The `Location` header.
        location: String,
    },
    /// A redirect to something Go's client cannot request (another scheme,
    /// an unparsable URL).
    BadRedirect {
        /// The `Location` header.
        location: String,
    },
    /// Still redirected after this many requests (`stopped after 10
    /// redirects`).
    TooManyRedirects(usize),
    /// No complete answer within this time.
    Timeout(Duration),
    /// The TCP connection could not be made, e.g. `ConnectionRefused` while
    /// the app is not listening yet.
    Connect {
        /// The address or `host:port` dialled.
        target: String,
        /// The kind of the I/O error.
        kind: io::ErrorKind,
        /// The I/O error's message.
        message: String,
    },
    /// The connection failed after it was made, or the answer was not an
    /// HTTP/1.x response.
    InvalidResponse(String),
    /// The in-process service returned an error instead of a response.
    Service(String),
}

impl fmt::Display for ProbeFailure {
    /// A one-line reason, worded like kamal-proxy's (Go's) errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(status) => write!(f, "unexpected status {status}"),
            Self::HttpsRedirect { location } => write!(
                f,
                "redirected to {location}: TLS handshake with a plain-HTTP app fails \
                 (http: server gave HTTP response to HTTPS client)"
            ),
            Self::BadRedirect { location } => write!(f, "cannot follow redirect to {location:?}"),
            Self::TooManyRedirects(max) => write!(f, "stopped after {max} redirects"),
            Self::Timeout(after) => {
                write!(f, "no answer within {after:?} (context deadline exceeded)")
            }
            Self::Connect {
                target, message, ..
            } => write!(f, "dial tcp {target}: {message}"),
            Self::InvalidResponse(message) => write!(f, "invalid response: {message}"),
            Self::Service(message) => write!(f, "service error: {message}"),
        }
    }
}

impl std::error::Error for ProbeFailure {}

/// One request of a check: the first, or one following a redirect.
#[derive(Clone, Debug)]
struct Hop {
    host: String,
    /// Origin-form target: path and query.
    target: String,
    /// `Referer`, set by Go's client on redirected requests.
    referer: Option<String>,
}

impl Hop {
    fn first(prober: &KamalProber) -> Self {
        Self {
            host: prober.host(),
            target: prober.path.clone(),
            referer: None,
        }
    }

    /// The request Go's client makes for `location`, answered to this one.
    fn redirect(&self, location: &str) -> Result<Self, ProbeFailure> {
        let bad = || ProbeFailure::BadRedirect {
            location: location.to_owned(),
        };
        let reference = location.split('#').next().unwrap_or_default().trim();
        let (host, target) = match scheme(reference) {
            Some(s) if s.eq_ignore_ascii_case("https") => {
                return Err(ProbeFailure::HttpsRedirect {
                    location: location.to_owned(),
                });
            }
            Some(s) if s.eq_ignore_ascii_case("http") => {
                split_authority(&reference[s.len() + 1..]).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
            None if reference.starts_with("//") => split_authority(reference).ok_or_else(bad)?,
            None if reference.starts_with('/') => (self.host.clone(), reference.to_owned()),
            None if reference.is_empty() => (self.host.clone(), self.target.clone()),
            None if reference.starts_with('?') => {
                let path = self.target.split('?').next().unwrap_or("/");
                (self.host.clone(), format!("{path}{reference}"))
            }
            None => {
                let path = self.target.split('?').next().unwrap_or("/");
                let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
                (self.host.clone(), format!("{dir}{reference}"))
            }
        };
        if host.is_empty() || !target.starts_with('/') {
            return Err(bad());
        }
        Ok(Self {
            referer: Some(format!("http://{}{}", self.host, self.target)),
            host,
            target,
        })
    }
}

/// The scheme of an absolute URL (`http` in `http://..`), if any.
fn scheme(reference: &str) -> Option<&str> {
    let (scheme, _) = reference.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// `//host:port/path?q` → (`host:port`, `/path?q`).
fn split_authority(rest: &str) -> Option<(String, String)> {
    let rest = rest.strip_prefix("//")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(end);
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let target = match target {
        "" => "/".to_owned(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_owned(),
    };
    Some((authority.to_owned(), target))
}

/// Redirect statuses Go's client follows.
fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The request bytes, header order as Go's client writes them.
fn wire_request(hop: &Hop) -> Vec<u8> {
    let referer = hop
        .referer
        .as_ref()
        .map(|r| format!("Referer: {r}\r\n"))
        .unwrap_or_default();
    format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {KAMAL_PROXY_USER_AGENT}\r\n{referer}Accept-Encoding: gzip\r\n\r\n",
        hop.target, hop.host
    )
    .into_bytes()
}

fn in_process_request<B: Default>(hop: &Hop) -> Result<Request<B>, http::Error> {
    let mut builder = Request::get(hop.target.as_str())
        .header(HOST, HeaderValue::try_from(hop.host.as_str())?)
        .header(USER_AGENT, KAMAL_PROXY_USER_AGENT);
    if let Some(referer) = &hop.referer {
        builder = builder.header(REFERER, HeaderValue::try_from(referer.as_str())?);
    }
    builder.header(ACCEPT_ENCODING, "gzip").body(B::default())
}

/// What one request got back.
struct Answer {
    status: StatusCode,
    location: Option<String>,
}

/// Where a TCP request goes.
enum Target {
    Addr(SocketAddr),
    /// `host` or `host:port` from a redirect, resolved like Go (port 80 by
    /// default).
    Name(String),
}

/// Writes `request` on a new connection to `target` and reads the status and
/// `Location` of the answer.
async fn exchange(target: Target, request: &[u8]) -> Result<Answer, ProbeFailure> {
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
    let mut buffer = Vec::with_capacity(1024);
    let mut start = 0;
    loop {
        if let Some(len) = find_head_end(&buffer[start..]) {
            let head = &buffer[start..start + len];
            let answer = parse_head(head)?;
            // Go's client skips interim 1xx answers (but not 101).
            if answer.status.is_informational() && answer.status != StatusCode::SWITCHING_PROTOCOLS
            {
                start += len;
                continue;
            }
            return Ok(answer);
        }
        if buffer.len() - start > MAX_HEAD {
            return Err(ProbeFailure::InvalidResponse(
                "response head larger than 64 KiB".to_owned(),
            ));
        }
        let mut chunk = [0; 4096];
        let read = stream.read(&mut chunk).await.map_err(broken)?;
        if read == 0 {
            return Err(ProbeFailure::InvalidResponse(
                "connection closed before a complete response head (EOF)".to_owned(),
            ));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// Length of the head at the start of `bytes`, `\r\n\r\n` included.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

fn parse_head(head: &[u8]) -> Result<Answer, ProbeFailure> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let invalid =
        || ProbeFailure::InvalidResponse(format!("malformed status line {status_line:?}"));
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(invalid());
    }
    let status = StatusCode::from_bytes(code.as_bytes()).map_err(|_| invalid())?;
    let location = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    });
    Ok(Answer { status, location })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(host: &str, target: &str) -> Hop {
        Hop {
            host: host.to_owned(),
            target: target.to_owned(),
            referer: None,
        }
    }

    fn redirect(location: &str) -> Result<(String, String), ProbeFailure> {
        hop("7c7168a662c1:3000", "/a/up?x=1")
            .redirect(location)
            .map(|h| (h.host, h.target))
    }

    #[test]
    fn redirects_resolve_like_a_browser() {
        let own = |t: &str| Ok(("7c7168a662c1:3000".to_owned(), t.to_owned()));
        assert_eq!(redirect("/health"), own("/health"));
        assert_eq!(redirect("health"), own("/a/health"));
        assert_eq!(redirect("?y=2"), own("/a/up?y=2"));
        assert_eq!(redirect(""), own("/a/up?x=1"));
        assert_eq!(redirect("/h#frag"), own("/h"));
        assert_eq!(
            redirect("http://other:8080/z?q"),
            Ok(("other:8080".to_owned(), "/z?q".to_owned()))
        );
        assert_eq!(
            redirect("HTTP://other"),
            Ok(("other".to_owned(), "/".to_owned()))
        );
        assert_eq!(
            redirect("//other?q"),
            Ok(("other".to_owned(), "/?q".to_owned()))
        );
        assert!(matches!(
            redirect("https://7c7168a662c1:3000/up"),
            Err(ProbeFailure::HttpsRedirect { .. })
        ));
        assert!(matches!(
            redirect("ftp://x/"),
            Err(ProbeFailure::BadRedirect { .. })
        ));
        assert!(matches!(
            redirect("http:///x"),
            Err(ProbeFailure::BadRedirect { .. })
        ));
    }

    #[test]
    fn redirected_requests_carry_a_referer() {
        let next = hop("h:1", "/up").redirect("/b").unwrap();
        assert_eq!(
            wire_request(&next),
            b"GET /b HTTP/1.1\r\nHost: h:1\r\nUser-Agent: kamal-proxy\r\nReferer: http://h:1/up\r\nAccept-Encoding: gzip\r\n\r\n"
        );
    }

    #[test]
    fn heads_parse() {
        let answer =
            parse_head(b"HTTP/1.1 301 Moved Permanently\r\nlocation:  /x \r\n\r\n").unwrap();
        assert_eq!(
            (answer.status, answer.location.as_deref()),
            (StatusCode::MOVED_PERMANENTLY, Some("/x"))
        );
        let answer = parse_head(b"HTTP/1.0 200\r\n\r\n").unwrap();
        assert_eq!((answer.status, answer.location), (StatusCode::OK, None));
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert_eq!(find_head_end(b"HTTP/1.1 200 OK\r\n\r\nbody"), Some(19));
    }
}
