//! A startup check, for `main`, that the healthcheck answers the
//! orchestrators' probes through every layer of the service about to be
//! served.

use std::fmt;
use std::io;
use std::time::Duration;

use axum::body::Body;
use http::{Request, Response, StatusCode};
use tokio::time::timeout;
use tower_service::Service;

use crate::probe::{Hop, MAX_REDIRECTS, Orchestrator, ProbeFailure, follow, send_in_process};

/// Sends kamal-proxy's and the kubelet's healthcheck probes, in process, to
/// the exact service `main` is about to serve, and fails unless both reach
/// the healthcheck. Same as [`Preflight::new`]`.run(service)`.
///
/// `#[kamal_app]` answers the probe before every layer written inside the
/// annotated function; a layer added anywhere else — `app().layer(auth)` in
/// `main` — runs first and can reject the probe, and only a running
/// service shows it. Call this on what you pass to `axum::serve`:
///
/// ```no_run
/// # use axum::{Router, routing::get};
/// # #[axum_kamal::kamal_app]
/// # fn app() -> Router { Router::new().route("/", get(|| async { "hello" })) }
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app = app(); // plus any layer main adds
///     axum_kamal::preflight(&app).await?;
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
///     axum::serve(listener, app).await
/// }
/// ```
///
/// The healthcheck's own answers pass: `200 OK`, and `503 Service
/// Unavailable` from failing readiness checks (a database not up yet at
/// startup). They are recognised by their exact status and headers
/// (`content-type: text/plain; charset=utf-8`, `cache-control: no-store`,
/// `content-length`). Anything else — a `400` from host validation, a `401`
/// from auth, a redirect to HTTPS, a `404`, even a `200` of another shape —
/// fails with a [`PreflightError`] that says what answered and how to fix
/// it. The probes run your readiness checks once, on the Tokio runtime
/// (with its timer, as `#[tokio::main]` gives) that runs `main`.
///
/// # Errors
/// If a probe does not reach the healthcheck.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum::{Router, middleware::{self, Next}, extract::Request, response::{IntoResponse, Response}};
/// use http::StatusCode;
///
/// async fn require_auth(req: Request, next: Next) -> Response {
///     if req.headers().contains_key("authorization") { next.run(req).await }
///     else { StatusCode::UNAUTHORIZED.into_response() }
/// }
///
/// let built = Router::new().layer(axum_kamal::healthcheck());
/// assert!(axum_kamal::preflight(&built).await.is_ok());
///
/// let served = built.layer(middleware::from_fn(require_auth));
/// let error = axum_kamal::preflight(&served).await.unwrap_err();
/// assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
/// assert!(error.to_string().contains("never reached the healthcheck"));
/// # });
/// ```
pub async fn preflight<S, RB>(service: &S) -> Result<(), PreflightError>
where
    S: Service<Request<Body>, Response = Response<RB>> + Clone,
    S::Error: fmt::Display,
{
    Preflight::new().run(service).await
}

/// The settings of [`preflight()`]: path, port, timeout and orchestrators.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::Duration;
/// use axum::Router;
/// use axum_kamal::{Orchestrator, Preflight};
///
/// let app = Router::new().layer(axum_kamal::HealthcheckLayer::new("/healthz"));
/// Preflight::new()
///     .path("/healthz")
///     .port(3000)
///     .timeout(Duration::from_secs(2))
///     .orchestrators([Orchestrator::Kubelet, Orchestrator::AwsAlb])
///     .run(&app)
///     .await
///     .unwrap();
/// # });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preflight {
    path: String,
    port: u16,
    timeout: Duration,
    orchestrators: Vec<Orchestrator>,
}

impl Default for Preflight {
    /// Same as [`Preflight::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Preflight {
    /// Path `/up`, port 80 in `Host`, 5 s per probe, kamal-proxy's and the
    /// kubelet's probes.
    ///
    /// ```
    /// let preflight = axum_kamal::Preflight::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            path: crate::DEFAULT_PATH.to_owned(),
            port: 80,
            timeout: Duration::from_secs(5),
            orchestrators: vec![Orchestrator::KamalProxy, Orchestrator::Kubelet],
        }
    }

    /// The healthcheck path (`#[kamal_app(path = "..")]`).
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    ///
    /// ```
    /// let preflight = axum_kamal::Preflight::new().path("/healthz");
    /// ```
    #[must_use]
    #[track_caller]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = crate::probe::healthcheck_path(path.into());
        self
    }

    /// The port the probes put in `Host` (the port you listen on).
    ///
    /// ```
    /// let preflight = axum_kamal::Preflight::new().port(3000);
    /// ```
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How long each probe, redirects included, may take (default 5 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let preflight = axum_kamal::Preflight::new().timeout(Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whose probes to send, in order (default kamal-proxy's, then the
    /// kubelet's).
    ///
    /// ```
    /// use axum_kamal::{Orchestrator, Preflight};
    /// let preflight = Preflight::new().orchestrators(Orchestrator::ALL);
    /// ```
    #[must_use]
    pub fn orchestrators(mut self, orchestrators: impl IntoIterator<Item = Orchestrator>) -> Self {
        self.orchestrators = orchestrators.into_iter().collect();
        self
    }

    /// Sends each orchestrator's probe through a clone of `service`,
    /// following redirects as it does, and stops at the first one that does
    /// not end at the healthcheck.
    ///
    /// # Errors
    /// If a probe does not reach the healthcheck (see [`preflight()`]).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let app = axum::Router::new();
    /// let error = axum_kamal::Preflight::new().run(&app).await.unwrap_err();
    /// assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    /// # });
    /// ```
    pub async fn run<S, RB>(&self, service: &S) -> Result<(), PreflightError>
    where
        S: Service<Request<Body>, Response = Response<RB>> + Clone,
        S::Error: fmt::Display,
    {
        for &orchestrator in &self.orchestrators {
            let host = format!("{}:{}", orchestrator.default_host_name(), self.port);
            let first = Hop::first(orchestrator, orchestrator.user_agent(), host, &self.path);
            let error = |cause| PreflightError {
                orchestrator,
                request: first.clone(),
                cause,
            };
            let probe = follow(first.clone(), MAX_REDIRECTS, |hop| {
                send_in_process(service, hop)
            });
            let answer = timeout(self.timeout, probe)
                .await
                .unwrap_or(Err(ProbeFailure::Timeout(self.timeout)))
                .map_err(|failure| error(Cause::Failed(failure)))?;
            if answer.healthcheck.is_none() {
                return Err(error(Cause::Answered {
                    status: answer.status,
                    location: answer.location,
                }));
            }
        }
        Ok(())
    }
}

/// A probe sent by [`preflight()`] did not reach the healthcheck: something
/// in front of it answered. Its message says what answered, and the fix.
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
    /// A final answer that is not the healthcheck's.
    Answered {
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
    /// let error = axum_kamal::preflight(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.orchestrator(), axum_kamal::Orchestrator::KamalProxy);
    /// # });
    /// ```
    #[must_use]
    pub fn orchestrator(&self) -> Orchestrator {
        self.orchestrator
    }

    /// The status that answered instead of the healthcheck, if one did.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = axum_kamal::preflight(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    /// # });
    /// ```
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match &self.cause {
            Cause::Answered { status, .. } => Some(*status),
            Cause::Failed(_) => None,
        }
    }

    /// The `Location` of the redirect that answered, if one did.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = axum_kamal::preflight(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.location(), None);
    /// # });
    /// ```
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        match &self.cause {
            Cause::Answered { location, .. } => location.as_deref(),
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
    /// let error = axum_kamal::preflight(&axum::Router::new()).await.unwrap_err();
    /// assert_eq!(error.failure(), None); // a 404 answered
    /// # });
    /// ```
    #[must_use]
    pub fn failure(&self) -> Option<&ProbeFailure> {
        match &self.cause {
            Cause::Answered { .. } => None,
            Cause::Failed(failure) => Some(failure),
        }
    }
}

impl fmt::Display for PreflightError {
    /// `preflight: kamal-proxy's probe (GET /up, Host: 7c7168a662c1:80,
    /// User-Agent: kamal-proxy) never reached the healthcheck: 401
    /// Unauthorized answered instead. …` and the fix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = &self.request;
        write!(
            f,
            "preflight: {}'s probe (GET {}, Host: {}, User-Agent: {}) never reached the healthcheck: ",
            self.orchestrator, request.target, request.host, request.user_agent
        )?;
        match &self.cause {
            Cause::Answered { status, location } => {
                write!(f, "{status} answered instead")?;
                if let Some(location) = location {
                    write!(f, " (Location: {location})")?;
                }
                f.write_str(
                    ", not the healthcheck's answer. A layer in front of the healthcheck \
                     answered — one added outside the #[kamal_app] function, e.g. in main — \
                     or no healthcheck serves this path",
                )?;
            }
            Cause::Failed(failure) => write!(f, "{failure}")?,
        }
        f.write_str(
            ". Fix: move that layer into the #[kamal_app] function, or make \
             axum_kamal::healthcheck() the outermost layer of the service you serve \
             (its last .layer(..) call, or the first layer of a ServiceBuilder)",
        )
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
