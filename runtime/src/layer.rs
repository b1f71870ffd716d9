//! The tower layer that answers healthcheck probes.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Method, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::health::{Health, HealthState};
use crate::probe::{InProcessProbe, Reached};
use crate::response::healthy;
use axum::body::Body;

/// The path answered by [`healthcheck()`]: `/up`, the path kamal-proxy probes
/// by default.
///
/// ```
/// assert_eq!(axum_kamal::DEFAULT_PATH, "/up");
/// assert_eq!(axum_kamal::healthcheck().path(), axum_kamal::DEFAULT_PATH);
/// ```
pub const DEFAULT_PATH: &str = "/up";

/// Returns a [`HealthcheckLayer`] answering [`DEFAULT_PATH`] (`/up`).
///
/// Use it for *explicit placement*: put it yourself in a `.layer(..)` chain or
/// a `ServiceBuilder`, outside (after, in `Router::layer` order) every layer
/// that could reject the probe. Inside a `#[kamal_app]` function the macro
/// rewrites such calls to use the path configured on the macro.
///
/// # Example
///
/// ```
/// use axum::{Router, routing::get};
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     // .layer(host_validation) ...
///     .layer(axum_kamal::healthcheck()); // last = outermost
/// ```
pub fn healthcheck() -> HealthcheckLayer {
    HealthcheckLayer::new(DEFAULT_PATH)
}

/// Tower [`Layer`] that answers healthcheck probes (`GET` or `HEAD` on one
/// exact path) before the wrapped service sees them, and passes every other
/// request through untouched.
///
/// A request is a probe exactly when its method is `GET` or `HEAD` **and**
/// `req.uri().path()` equals the configured path byte for byte. The query
/// string is ignored; there is no normalisation, so with the default path
/// `/upx`, `/UP`, `/up/`, `/up/extra`, `//up` and `/up/../admin` are *not*
/// probes, and neither is `POST /up`. The answer is
/// [`health_response`](crate::health_response): `200 OK`, body `OK`,
/// `cache-control: no-store`.
///
/// Requests that are not probes cost a method and a path comparison, and
/// their response body becomes axum's [`Body`](axum::body::Body) with
/// `Body::new`, which boxes nothing when it already is one (a router's) and
/// boxes once what `Router::layer` would box anyway (tower-http's bodies).
/// [`add_to`](Self::add_to), what `#[kamal_app]` emits by default, costs
/// other requests nothing. Cloning the layer or its
/// service (axum clones a route's services for every request) copies a
/// literal path set alone; a path given as a `String`, a liveness path and a
/// [`Health`] are shared through an [`Arc`].
///
/// # Examples
///
/// With `axum` (the layer added last is the outermost one):
///
/// ```
/// use axum::{Router, routing::get};
/// use axum_kamal::HealthcheckLayer;
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .layer(HealthcheckLayer::new("/healthz"));
/// ```
///
/// With `tower::ServiceBuilder` (the first layer is the outermost one), over
/// a service of any `http_body::Body` with `Bytes` data; the response body is
/// axum's `Body`:
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum_kamal::HealthcheckLayer;
/// use axum::http::{Request, Response, StatusCode};
/// use http_body_util::{BodyExt, Full};
/// use std::convert::Infallible;
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// let svc = ServiceBuilder::new()
///     .layer(HealthcheckLayer::new("/up"))
///     .service(service_fn(|_req: Request<()>| async {
///         Ok::<_, Infallible>(Response::new(Full::from("app")))
///     }));
///
/// let res = svc.clone().oneshot(Request::get("/up").body(()).unwrap()).await.unwrap();
/// assert_eq!(res.status(), StatusCode::OK);
/// assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "OK");
///
/// let res = svc.oneshot(Request::get("/other").body(()).unwrap()).await.unwrap();
/// assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "app");
/// # });
/// ```
///
/// # Access logs with explicit placement
///
/// With tower-http's `TraceLayer` outside the healthcheck, probes are in the
/// access log, and its default classifier (`ServerErrorsAsFailures`) counts
/// every `5xx` as a failure: each `503` of a healthcheck that is not ready
/// logs `ERROR … response failed classification=Status code: 503`, once a
/// second under Kamal. `on_failure` only sees the classification, not the
/// request, so the fix is the classifier: give `TraceLayer::new` one that
/// counts the probes' answers as answers and everything else as tower-http
/// does (the probes still get their access-log line, at the `on_response`
/// level, with their status):
///
/// ```
/// use std::fmt::Display;
/// use axum::{Router, routing::get};
/// use axum::http::{Request, Response, StatusCode};
/// use tower_http::classify::{
///     ClassifiedResponse, ClassifyResponse, MakeClassifier, NeverClassifyEos,
///     ServerErrorsAsFailures, ServerErrorsFailureClass,
/// };
/// use tower_http::trace::TraceLayer;
///
/// /// `ServerErrorsAsFailures`, except on the healthcheck's path, where a
/// /// `503` means "not ready", not a failure of the server.
/// #[derive(Clone, Copy)]
/// struct ProbesAreAnswers(&'static str);
///
/// /// The classifier of one request: whether it is a probe.
/// #[derive(Clone, Copy)]
/// struct IsProbe(bool);
///
/// impl MakeClassifier for ProbesAreAnswers {
///     type Classifier = IsProbe;
///     type FailureClass = ServerErrorsFailureClass;
///     type ClassifyEos = NeverClassifyEos<ServerErrorsFailureClass>;
///
///     fn make_classifier<B>(&self, request: &Request<B>) -> IsProbe {
///         IsProbe(request.uri().path() == self.0)
///     }
/// }
///
/// impl ClassifyResponse for IsProbe {
///     type FailureClass = ServerErrorsFailureClass;
///     type ClassifyEos = NeverClassifyEos<ServerErrorsFailureClass>;
///
///     fn classify_response<B>(
///         self,
///         response: &Response<B>,
///     ) -> ClassifiedResponse<Self::FailureClass, Self::ClassifyEos> {
///         match self {
///             IsProbe(true) => ClassifiedResponse::Ready(Ok(())),
///             IsProbe(false) => ServerErrorsAsFailures::new().classify_response(response),
///         }
///     }
///
///     fn classify_error<E: Display + 'static>(self, error: &E) -> Self::FailureClass {
///         ServerErrorsAsFailures::new().classify_error(error)
///     }
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .layer(axum_kamal::healthcheck())
///     .layer(TraceLayer::new(ProbesAreAnswers(axum_kamal::DEFAULT_PATH)));
///
/// let unavailable = Response::builder().status(StatusCode::SERVICE_UNAVAILABLE).body(()).unwrap();
/// let probe = ProbesAreAnswers("/up").make_classifier(&Request::get("/up").body(()).unwrap());
/// assert!(matches!(probe.classify_response(&unavailable), ClassifiedResponse::Ready(Ok(()))));
/// let other = ProbesAreAnswers("/up").make_classifier(&Request::get("/").body(()).unwrap());
/// assert!(matches!(other.classify_response(&unavailable), ClassifiedResponse::Ready(Err(_))));
/// ```
///
/// `tests/tests/access_logs.rs` checks it against a served app: no `ERROR`
/// line for a failing probe, one for an app route's `500`.
#[derive(Clone, Debug)]
pub struct HealthcheckLayer {
    config: Config,
}

/// The configuration of a layer, copied into each of its services. axum
/// clones a route's services for every request, so the common case, a
/// literal path alone (what `#[kamal_app]` emits without `health =` or
/// `liveness =`), is a plain copy of one `&str`; anything else is shared
/// through one `Arc`.
#[derive(Clone, Debug)]
pub(crate) enum Config {
    Literal(&'static str),
    Shared(Arc<Settings>),
}

/// A layer's configuration as set.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    path: Cow<'static, str>,
    liveness: Option<Cow<'static, str>>,
    health: Option<Arc<HealthState>>,
}

impl HealthcheckLayer {
    /// Creates a layer answering probes on `path`: a literal path set alone
    /// is copied into each service; with a `String` path, a liveness path or
    /// a [`Health`], the settings are shared through one `Arc`.
    ///
    /// # Panics
    ///
    /// Panics if `path` is not a plain absolute path: it must start with `/`,
    /// hold only the characters RFC 3986 allows in a path (letters, digits,
    /// `-._~!$&'()+,;=:@%/`; no `*`, `?`, `#`, `{`, `}`, whitespace, control
    /// or non-ASCII characters) and no empty (`//`), `.` or `..` segment.
    /// Such a path could never equal a request's path, so it is a
    /// configuration bug. `#[kamal_app]` checks the same rules at compile
    /// time.
    ///
    /// ```
    /// let layer = axum_kamal::HealthcheckLayer::new("/healthz");
    /// assert_eq!(layer.path(), "/healthz");
    /// ```
    ///
    /// ```should_panic
    /// axum_kamal::HealthcheckLayer::new("up"); // no leading `/`
    /// ```
    pub fn new(path: impl Into<Cow<'static, str>>) -> Self {
        Self {
            config: Config::new(Settings {
                path: valid_path(path.into()),
                liveness: None,
                health: None,
            }),
        }
    }

    /// Replaces the probed path, keeping the rest of the configuration.
    ///
    /// This is what `#[kamal_app(path = "...")]` emits around explicit
    /// [`healthcheck()`] calls.
    ///
    /// # Panics
    ///
    /// Same rules as [`HealthcheckLayer::new`].
    ///
    /// ```
    /// use axum_kamal::{HealthcheckLayer, healthcheck};
    ///
    /// let layer = HealthcheckLayer::with_path(healthcheck(), "/ready");
    /// assert_eq!(layer.path(), "/ready");
    /// ```
    pub fn with_path(self, path: impl Into<Cow<'static, str>>) -> Self {
        let path = valid_path(path.into());
        self.update(|settings| settings.path = path)
    }

    /// Runs `health`'s checks on every probe of the (readiness) path: `200`
    /// when they pass, `503` when a required one fails or shutdown has
    /// started. See [`Health`] for the details.
    ///
    /// This is what `#[kamal_app(health = EXPR)]` emits. Replaces a previous
    /// `Health`; clones of the returned layer share the result cache.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use axum_kamal::{Health, healthcheck};
    ///
    /// let health = Health::new().check("db", || async { Ok::<(), String>(()) });
    /// let app: Router = Router::new()
    ///     .route("/", get(|| async { "hello" }))
    ///     .layer(healthcheck().health(health));
    /// ```
    pub fn health(self, health: Health) -> Self {
        let state = HealthState::new(health);
        self.update(|settings| settings.health = Some(state))
    }

    /// Also answers `GET`/`HEAD` on `path` with a plain `200 OK`, without
    /// running checks and even while shutting down: a *liveness* probe
    /// (e.g. Kubernetes' `livenessProbe` on `/livez`), next to the readiness
    /// path.
    ///
    /// This is what `#[kamal_app(liveness = "/livez")]` emits.
    ///
    /// # Panics
    ///
    /// Same path rules as [`HealthcheckLayer::new`]; also panics if `path`
    /// equals the readiness path.
    ///
    /// ```
    /// let layer = axum_kamal::healthcheck().liveness("/livez");
    /// assert_eq!(layer.liveness_path(), Some("/livez"));
    /// ```
    pub fn liveness(self, path: impl Into<Cow<'static, str>>) -> Self {
        let path = valid_path(path.into());
        self.update(|settings| settings.liveness = Some(path))
    }

    /// The liveness path, if [`liveness`](Self::liveness) was set.
    ///
    /// ```
    /// assert_eq!(axum_kamal::healthcheck().liveness_path(), None);
    /// ```
    pub fn liveness_path(&self) -> Option<&str> {
        self.config.liveness()
    }

    /// The path answered by this layer.
    ///
    /// ```
    /// assert_eq!(axum_kamal::healthcheck().path(), "/up");
    /// ```
    pub fn path(&self) -> &str {
        self.config.path()
    }

    /// The configuration its services get.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// Applies `f` to a copy of the settings.
    fn update(self, f: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = self.config.settings();
        f(&mut settings);
        Self {
            config: Config::new(settings),
        }
    }
}

impl Default for HealthcheckLayer {
    /// Same as [`healthcheck()`].
    fn default() -> Self {
        healthcheck()
    }
}

impl<S> Layer<S> for HealthcheckLayer {
    type Service = HealthcheckService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HealthcheckService {
            inner,
            config: self.config.clone(),
        }
    }
}

impl Config {
    /// The compact form of `settings`.
    ///
    /// # Panics
    ///
    /// If the liveness path equals the readiness path.
    fn new(settings: Settings) -> Config {
        if settings.liveness.as_ref() == Some(&settings.path) {
            panic!(
                "axum-kamal: the liveness path {:?} must differ from the readiness path",
                settings.path
            );
        }
        match (&settings.path, &settings.liveness, &settings.health) {
            (Cow::Borrowed(path), None, None) => Config::Literal(path),
            _ => Config::Shared(Arc::new(settings)),
        }
    }

    fn settings(&self) -> Settings {
        match self {
            Config::Literal(path) => Settings {
                path: Cow::Borrowed(path),
                liveness: None,
                health: None,
            },
            Config::Shared(settings) => Settings::clone(settings),
        }
    }

    pub(crate) fn path(&self) -> &str {
        match self {
            Config::Literal(path) => path,
            Config::Shared(settings) => &settings.path,
        }
    }

    pub(crate) fn liveness(&self) -> Option<&str> {
        match self {
            Config::Literal(_) => None,
            Config::Shared(settings) => settings.liveness.as_deref(),
        }
    }

    fn health(&self) -> Option<&Arc<HealthState>> {
        match self {
            Config::Literal(_) => None,
            Config::Shared(settings) => settings.health.as_ref(),
        }
    }

    /// Which probe, if any, `req` is: for every other request, the common
    /// case, a method and a path comparison.
    #[inline]
    pub(crate) fn health_path<B>(&self, req: &Request<B>) -> Option<HealthPath> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let path = req.uri().path();
        if path == self.path() {
            Some(HealthPath::Readiness)
        } else if self.liveness() == Some(path) {
            Some(HealthPath::Liveness)
        } else {
            None
        }
    }

    /// The response to `req`, a probe, which it consumes. Kept out of line:
    /// probes are rare next to the requests that only pay for
    /// [`health_path`](Self::health_path).
    #[cold]
    #[inline(never)]
    pub(crate) fn respond<B>(&self, path: HealthPath, req: Request<B>) -> ProbeResponse {
        let health = match path {
            HealthPath::Readiness => self.health(),
            HealthPath::Liveness => None,
        };
        if let Some(probe) = req.extensions().get::<InProcessProbe>() {
            if let Some(response) = in_process(probe, health, &req) {
                return ProbeResponse::Checked(Box::pin(std::future::ready(response)));
            }
        }
        // The runtime watchdog, if on, answers liveness.
        if let (HealthPath::Liveness, Some(health)) = (path, self.health()) {
            if let Some(response) = health.liveness(&req) {
                return ProbeResponse::Checked(Box::pin(std::future::ready(response)));
            }
        }
        if let Some(health) = health {
            return ProbeResponse::Checked(health.probe(&req));
        }
        tracing::debug!(
            target: "axum_kamal",
            probe = ?path,
            method = %req.method(),
            "healthcheck probe answered"
        );
        ProbeResponse::Healthy {
            head: req.method() == Method::HEAD,
        }
    }
}

/// An in-process probe (preflight or prober) at the healthcheck: notes that
/// it was reached, with its checks' timeout, and for the preflight answers
/// at once without running the checks (`None`: answer as usual).
fn in_process<B>(
    probe: &InProcessProbe,
    health: Option<&Arc<HealthState>>,
    req: &Request<B>,
) -> Option<Response<Bytes>> {
    let check_timeout = health.and_then(|health| health.check_timeout());
    if !probe.skip_checks {
        probe.note(Reached {
            status: None,
            check_timeout,
        });
        return None;
    }
    let response = match health {
        Some(health) => health.respond_unchecked(req),
        None => healthy(req.method() == Method::HEAD),
    };
    probe.note(Reached {
        status: Some(response.status()),
        check_timeout,
    });
    Some(response)
}

/// Which of a healthcheck's paths a probe asks for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HealthPath {
    Readiness,
    Liveness,
}

/// The response to a probe: the part of [`HealthcheckFuture`] that is not
/// the inner service's, and the whole response of the health routes.
pub(crate) enum ProbeResponse {
    /// The plain `200 OK`, built when polled, without a body for `HEAD`.
    Healthy { head: bool },
    /// A run of the [`Health`] checks, or their cached or draining answer.
    Checked(BoxFuture<'static, Response<Bytes>>),
}

impl ProbeResponse {
    /// The response: `Healthy` is ready on every poll; `Checked` must not be
    /// polled once it has answered.
    pub(crate) fn poll<B: From<Bytes>>(&mut self, cx: &mut Context<'_>) -> Poll<Response<B>> {
        match self {
            ProbeResponse::Healthy { head } => Poll::Ready(healthy(*head)),
            ProbeResponse::Checked(fut) => fut.as_mut().poll(cx).map(|res| res.map(B::from)),
        }
    }
}

/// `path`, or a panic with a clear message unless it is a plain absolute path.
fn valid_path(path: Cow<'static, str>) -> Cow<'static, str> {
    if let Err(problem) = check_path(&path) {
        panic!("{problem}, not {path:?}");
    }
    path
}

/// The rules every health path follows, at run time ([`HealthcheckLayer`])
/// and at compile time (`#[kamal_app]`'s const assertions): one plain
/// absolute path, matched byte for byte, made of the characters RFC 3986
/// allows in a path (`pchar` and `/`) but `*`.
pub(crate) const fn check_path(path: &str) -> Result<(), &'static str> {
    let bytes = path.as_bytes();
    if bytes.is_empty() || bytes[0] != b'/' {
        return Err("axum-kamal: a health path must start with `/`");
    }
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let problem = match byte {
            b'?' => {
                "axum-kamal: a health path holds no query (`?`); the healthcheck ignores queries"
            }
            b'#' => {
                "axum-kamal: a health path holds no fragment (`#`); it is never sent to the server"
            }
            b'{' | b'}' => {
                "axum-kamal: a health path is one exact path; captures like `{id}` match many"
            }
            b'*' => "axum-kamal: a health path is one exact path; wildcards (`*`) match many",
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                "axum-kamal: a health path must not contain whitespace"
            }
            0x80.. => "axum-kamal: a health path must be ASCII; percent-encode other characters",
            b'/' if i > 0 && bytes[i - 1] == b'/' => {
                "axum-kamal: a health path must not contain `//` (an empty segment)"
            }
            b'.' if is_dot_segment(bytes, i) => {
                "axum-kamal: a health path must not contain `.` or `..` segments"
            }
            _ if is_path_byte(byte) => "",
            _ => {
                "axum-kamal: a health path may only hold the characters of a URL path (RFC 3986); \
                 percent-encode the others"
            }
        };
        if !problem.is_empty() {
            return Err(problem);
        }
        i += 1;
    }
    Ok(())
}

/// Whether the `.` at `i` begins a `.` or `..` segment.
const fn is_dot_segment(bytes: &[u8], i: usize) -> bool {
    if bytes[i - 1] != b'/' {
        return false;
    }
    ends_segment(bytes, i + 1) || (bytes[i + 1] == b'.' && ends_segment(bytes, i + 2))
}

/// Whether a segment ends at `j`: the end of the path or a `/`.
const fn ends_segment(bytes: &[u8], j: usize) -> bool {
    j == bytes.len() || bytes[j] == b'/'
}

/// RFC 3986 `pchar` (unreserved, sub-delims, `:`, `@`, `%`) and `/`, less `*`.
const fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'%'
                | b'/'
        )
}

/// Tower [`Service`] produced by [`HealthcheckLayer`]: answers probes itself
/// and forwards everything else to the inner service `S`.
///
/// `poll_ready` delegates to the inner service, so a probe waits for the inner
/// service's readiness like any request would (an axum `Router` is always
/// ready).
///
/// Its response body is axum's [`Body`](axum::body::Body), holding the inner
/// service's body, whatever that is: layers that change the body type
/// (tower-http's `TraceLayer`, `CompressionLayer`) may come after it in a
/// `ServiceBuilder` given to `Router::layer`:
///
/// ```
/// use axum::{Router, routing::get};
/// use tower::ServiceBuilder;
/// use tower_http::{compression::CompressionLayer, trace::TraceLayer};
///
/// let app: Router = Router::new().route("/", get(|| async { "hello" })).layer(
///     ServiceBuilder::new()
///         .layer(axum_kamal::healthcheck()) // first: answers /up
///         .layer(TraceLayer::new_for_http())
///         .layer(CompressionLayer::new()), // host validation, auth ... after it
/// );
/// ```
#[derive(Clone, Debug)]
pub struct HealthcheckService<S> {
    inner: S,
    config: Config,
}

impl<S> HealthcheckService<S> {
    /// The path answered by this service.
    ///
    /// ```
    /// use tower_layer::Layer;
    ///
    /// assert_eq!(axum_kamal::healthcheck().layer(()).path(), "/up");
    /// ```
    pub fn path(&self) -> &str {
        self.config.path()
    }

    /// A reference to the wrapped service.
    ///
    /// ```
    /// use tower_layer::Layer;
    ///
    /// assert_eq!(*axum_kamal::healthcheck().layer(7).get_ref(), 7);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// A mutable reference to the wrapped service.
    ///
    /// ```
    /// use tower_layer::Layer;
    ///
    /// let mut svc = axum_kamal::healthcheck().layer(7);
    /// *svc.get_mut() += 1;
    /// assert_eq!(svc.into_inner(), 8);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes the healthcheck service, returning the wrapped service.
    ///
    /// ```
    /// use tower_layer::Layer;
    ///
    /// assert_eq!(axum_kamal::healthcheck().layer(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HealthcheckService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = HealthcheckFuture<S::Future, ResBody>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let kind = match self.config.health_path(&req) {
            None => Kind::Inner {
                fut: self.inner.call(req),
            },
            Some(path) => Kind::Probe {
                response: self.config.respond(path, req),
            },
        };
        HealthcheckFuture {
            kind,
            body: PhantomData,
        }
    }
}

pin_project! {
    /// Response future of [`HealthcheckService`]: the inner service's future
    /// (pass-through, polled in place, never boxed; its response's body
    /// becomes axum's `Body`), the plain `200 OK`
    /// (built when polled), or (probes running [`Health`] checks only) a
    /// boxed check run. It is no larger than the inner future needs, since
    /// axum boxes it for every request.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum_kamal::HealthcheckFuture;
    /// use axum::http::{Request, Response};
    /// use http_body_util::{BodyExt, Empty};
    /// use std::convert::Infallible;
    /// use tower::{Layer, Service, service_fn};
    ///
    /// let mut svc = axum_kamal::healthcheck().layer(service_fn(|_: Request<()>| async {
    ///     Ok::<_, Infallible>(Response::new(Empty::new()))
    /// }));
    /// let fut: HealthcheckFuture<_, Empty<_>> = svc.call(Request::get("/up").body(()).unwrap());
    /// let res = fut.await.unwrap();
    /// assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "OK");
    /// # });
    /// ```
    pub struct HealthcheckFuture<F, B> {
        #[pin]
        kind: Kind<F>,
        body: PhantomData<fn() -> B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] fut: F },
        Probe { response: ProbeResponse },
    }
}

impl<F, B> fmt::Debug for HealthcheckFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Inner { .. } => "Inner",
            Kind::Probe { .. } => "Probe",
        };
        f.debug_struct("HealthcheckFuture")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for HealthcheckFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Output = Result<Response<Body>, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { fut } => fut.poll(cx).map_ok(|res| res.map(Body::new)),
            KindProj::Probe { response } => response.poll(cx).map(Ok),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_paths() {
        for p in [
            "/",
            "/up",
            "/up/",
            "/healthz",
            "/a/b-c_d.e~f",
            "/%7Eup",
            "/v1/up:check",
            "/.well-known/up",
            "/a/...",
        ] {
            assert_eq!(check_path(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn invalid_paths() {
        for p in [
            "", "up", " /up", "/up ", "/u p", "/up?x", "/up#x", "/{id}", "/up/*", "/*rest", "//up",
            "/a//b", "/up\n", "/up\t", "/\u{0}", "/üp", "/./up", "/a/../b", "/a/..", "/.", "/a|b",
            "/\"up\"", "/[up]", "/<up>", "/up^", "/up\\", "/`up`",
        ] {
            assert!(check_path(p).is_err(), "{p:?} should be rejected");
        }
    }

    #[test]
    fn a_literal_path_alone_is_copied_the_rest_shared() {
        // axum clones the service for every request: a literal path costs
        // no reference count there, and one `&str` only.
        let literal = HealthcheckLayer::new("/up");
        assert!(matches!(literal.config, Config::Literal("/up")));
        // Guards the per-request clone: one `&str`, no tag.
        assert!(std::mem::size_of::<Config>() <= 16);
        let live = HealthcheckLayer::new("/up").liveness("/livez");
        assert!(matches!(live.config, Config::Shared(_)));
        assert_eq!(live.liveness_path(), Some("/livez"));
        let made = HealthcheckLayer::new("/up").liveness(String::from("/livez"));
        assert!(matches!(made.config, Config::Shared(_)));
        assert_eq!(made.liveness_path(), Some("/livez"));
        let health = HealthcheckLayer::new("/up").health(Health::new());
        assert!(matches!(health.config, Config::Shared(_)));
    }

    #[test]
    fn response_future_adds_no_more_than_a_tag() {
        // axum boxes the future of every request: answering probes must not
        // make the box of an ordinary request larger than the inner future.
        type Inner = BoxFuture<'static, Result<Response<Bytes>, std::convert::Infallible>>;
        let size = std::mem::size_of::<HealthcheckFuture<Inner, Bytes>>();
        assert!(size <= std::mem::size_of::<Inner>() + 8, "{size} bytes");
    }

    #[test]
    fn route_is_exact() {
        let layer = HealthcheckLayer::new("/up").liveness("/livez");
        let route = |m: Method, uri: &str| {
            let req = Request::builder().method(m).uri(uri).body(()).unwrap();
            layer.config.health_path(&req).map(|r| format!("{r:?}"))
        };
        let ready = Some("Readiness".to_owned());
        let live = Some("Liveness".to_owned());
        assert_eq!(route(Method::GET, "/up"), ready);
        assert_eq!(route(Method::HEAD, "/up?x=1"), ready);
        assert_eq!(route(Method::GET, "http://example.com:3000/up"), ready);
        assert_eq!(route(Method::GET, "/livez"), live);
        assert_eq!(route(Method::HEAD, "/livez?x"), live);
        assert_eq!(route(Method::POST, "/up"), None);
        assert_eq!(route(Method::POST, "/livez"), None);
        assert_eq!(route(Method::GET, "/up/"), None);
        assert_eq!(route(Method::GET, "/UP"), None);
        assert_eq!(route(Method::GET, "/livez/"), None);
    }
}
