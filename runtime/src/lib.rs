//! Kamal / Kubernetes healthchecks for axum that answer **before** host
//! validation, HTTPS redirects and authentication.
//!
//! Kamal 2's kamal-proxy checks a new container before switching traffic to
//! it with exactly:
//!
//! ```text
//! GET /up HTTP/1.1
//! Host: 7c7168a662c1:3000
//! User-Agent: kamal-proxy
//! Accept-Encoding: gzip
//! ```
//!
//! An app that validates the `Host` header, redirects to HTTPS or requires
//! authentication rejects that probe, and the deploy fails. This crate answers
//! the probe before any of those run.
//!
//! # Quick start
//!
//! Put `#[kamal_app]` on the function that builds your router: it adds the
//! healthcheck's routes to the router your function returns, after all its
//! layers, so none of them runs for the probe and no other request pays for
//! it ([`HealthcheckLayer::add_to`]):
//!
//! ```
//! use axum::{Router, middleware, routing::get};
//! use axum_kamal::kamal_app;
//! # use axum::{body::Body, extract::Request, http::StatusCode, response::{IntoResponse, Response}};
//! # async fn only_example_com(req: Request, next: middleware::Next) -> Response {
//! #     match req.headers().get("host") {
//! #         Some(h) if h == "example.com" => next.run(req).await,
//! #         _ => StatusCode::FORBIDDEN.into_response(),
//! #     }
//! # }
//!
//! #[kamal_app]
//! fn app() -> Router {
//!     Router::new()
//!         .route("/", get(|| async { "hello" }))
//!         .layer(middleware::from_fn(only_example_com)) // host validation
//! }
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! # use tower::ServiceExt;
//! # let probe = axum::http::Request::get("/up").header("host", "7c7168a662c1:3000").body(Body::empty()).unwrap();
//! # assert_eq!(app().oneshot(probe).await.unwrap().status(), StatusCode::OK);
//! # let other = axum::http::Request::get("/").header("host", "7c7168a662c1:3000").body(Body::empty()).unwrap();
//! # assert_eq!(app().oneshot(other).await.unwrap().status(), StatusCode::FORBIDDEN);
//! # });
//! ```
//!
//! Its arguments, what it emits, explicit placement, its diagnostics and its
//! limitations are on the [`kamal_app`] page. With readiness checks, a
//! liveness path and a graceful shutdown drain (see [`Health`] and
//! [`ShutdownHandle`]):
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use axum_kamal::{Health, ShutdownHandle, kamal_app};
//!
//! fn health() -> Health {
//!     Health::new().check("db", || async { Ok::<(), String>(()) /* ping the database */ })
//! }
//!
//! #[kamal_app(health = health(), liveness = "/livez")]
//! fn app() -> Router {
//!     Router::new().route("/", get(|| async { "hello" }))
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//!     // SIGTERM or Ctrl-C: `/up` answers 503 while in-flight requests finish.
//!     axum::serve(listener, app())
//!         .with_graceful_shutdown(ShutdownHandle::process_wide().signal())
//!         .await
//! }
//! ```
//!
//! Without the macro, add [`healthcheck()`] yourself as the **last**
//! `Router::layer` call (the last one added is the outermost):
//!
//! ```
//! use axum::{Router, routing::get};
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     // .layer(host validation / https redirect / auth ...)
//!     .layer(axum_kamal::healthcheck());
//! ```
//!
//! or as the **first** layer of a `tower::ServiceBuilder`, before layers that
//! may change the response body type (the service answers with axum's
//! `Body`):
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use axum::{Router, body::Body, routing::get};
//! use axum::http::{Request, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt};
//! use tower_http::{compression::CompressionLayer, trace::TraceLayer};
//!
//! let app: Router = Router::new().route("/", get(|| async { "hello" })).layer(
//!     ServiceBuilder::new()
//!         .layer(axum_kamal::healthcheck()) // first: answers /up
//!         .layer(TraceLayer::new_for_http())
//!         .layer(CompressionLayer::new()), // host validation, auth ... after it
//! );
//!
//! let probe = Request::get("/up")
//!     .header("host", "7c7168a662c1:3000")
//!     .header("user-agent", "kamal-proxy")
//!     .header("accept-encoding", "gzip")
//!     .body(Body::empty())
//!     .unwrap();
//! let res = app.oneshot(probe).await.unwrap();
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.headers()["cache-control"], "no-store");
//! # });
//! ```
//!
//! # Before serving: the preflight
//!
//! A layer added outside the annotated function (in `main`, around the
//! returned router) runs before the healthcheck, and no compile-time check
//! sees it. One line before `axum::serve` sends kamal-proxy's and the
//! kubelet's probes to the exact service you serve and fails with what
//! answered instead, and the fix ([`preflight()`], [`preflight::Preflight`]):
//!
//! ```no_run
//! # use axum::Router;
//! # #[axum_kamal::kamal_app]
//! # fn app() -> Router { Router::new() }
//! # async fn run() -> std::io::Result<()> {
//! let app = app();
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//! axum_kamal::preflight(&app, listener.local_addr()?).await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! # Starting, probing itself, stopping
//!
//! [`serve()`] binds first and answers liveness `200` and readiness `503`
//! while the app's startup (migrations, warm-up) runs, then serves the app
//! on the same listener. [`SelfProbe`] is a Docker `HEALTHCHECK` without
//! curl: the app's own binary sends kamal-proxy's probe to itself.
//! [`ShutdownHandle::signal_with_delay`] keeps accepting for a while after
//! `SIGTERM`, readiness already `503`, for Kubernetes' endpoint removal.
//!
//! ```no_run
//! # use axum::Router;
//! # #[axum_kamal::kamal_app(liveness = "/livez")]
//! # fn app() -> Router { Router::new() }
//! # async fn migrate() -> std::io::Result<()> { Ok(()) }
//! use std::time::Duration;
//! use axum_kamal::{SelfProbe, ShutdownHandle};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<std::process::ExitCode> {
//!     let addr = "0.0.0.0:3000".parse().unwrap();
//!     if std::env::args().nth(1).as_deref() == Some("healthcheck") {
//!         return Ok(SelfProbe::new(addr).run().await);
//!     }
//!     let listener = tokio::net::TcpListener::bind(addr).await?;
//!     let startup = async {
//!         migrate().await?;
//!         Ok::<_, std::io::Error>(app())
//!     };
//!     // Kubernetes: 5 s for the endpoint removal to reach the load
//!     // balancers. Kamal: `signal()`, kamal-proxy drains before the signal.
//!     let drain = ShutdownHandle::process_wide().signal_with_delay(Duration::from_secs(5));
//!     axum_kamal::serve(listener, startup)
//!         .liveness("/livez")
//!         .with_graceful_shutdown(drain)
//!         .await?;
//!     Ok(std::process::ExitCode::SUCCESS)
//! }
//! ```
//!
//! # In your tests: a deploy config that agrees
//!
//! [`testing::AppSettings`](https://docs.rs/axum-kamal/latest/axum_kamal/testing/struct.AppSettings.html)
//! (feature `testing`) reads Kamal's `config/deploy.yml` and a Kubernetes
//! manifest's probes and fails, naming both values, where their path, port,
//! probe timeout or startup budget disagree with the app:
//! `AppSettings::new(3000).layer(&layer).health(&health).check_kamal(include_str!("../config/deploy.yml"))`.
//!
//! # What is answered
//!
//! `GET` or `HEAD` on exactly the configured path (default [`DEFAULT_PATH`],
//! `/up`), query ignored, is answered with [`health_response`]:
//! `200 OK`, `content-type: text/plain; charset=utf-8`,
//! `cache-control: no-store`, `content-length: 2`, body `OK` (empty for
//! `HEAD`). Every other request reaches your app unchanged: with
//! `#[kamal_app]` it never meets the health routes (the same instructions as
//! without the macro); with [`healthcheck()`] placed by hand it costs one
//! method and one path comparison. With
//! `#[kamal_app]` (or [`HealthcheckLayer::add_to`]), other methods at the
//! health path get axum's `405 Method Not Allowed` with `Allow: GET,HEAD`,
//! unless your router has its own route there for them; with the layer
//! placed yourself, they reach your app.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `testing` | off | [`testing`]: kamal-proxy's, the kubelet's, an AWS ALB's and Docker's `curl -f` probes, in process or over TCP, and `AppSettings`, which checks `config/deploy.yml` and Kubernetes manifests against the app (adds `yaml-rust2`) |
//! | `metrics` | off | check status, duration and status changes through the [`metrics`](https://docs.rs/metrics) facade (see [`Health`]) |
//!
//! ```toml
//! [dependencies]
//! axum-kamal = "0.1"
//!
//! [dev-dependencies]
//! axum-kamal = { version = "0.1", features = ["testing"] }
//! ```
//!
//! # Minimum supported Rust
//!
//! Rust 1.85 (edition 2024). CI builds and tests both crates with Rust 1.85,
//! with the current stable, and with their dependencies at the lowest
//! versions their `Cargo.toml` files declare.
//!
//! # Compared with other health libraries
//!
#![doc = include_str!("../docs/health-comparison.md")]
#![deny(missing_docs)]

#[cfg(feature = "testing")]
mod deploy_config;
mod health;
mod layer;
pub mod preflight;
pub mod probe;
mod response;
mod response_head;
mod route;
mod self_probe;
mod serve;
mod shutdown;
#[cfg(feature = "testing")]
pub mod testing;

/// Attribute for the function that builds your `axum::Router`: answers
/// Kamal's and Kubernetes' probes before every layer written in that
/// function.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum::{Router, body::Body, http::{Request, StatusCode}, middleware::from_fn, routing::get};
/// use axum_kamal::kamal_app;
/// use tower::ServiceExt;
/// # use axum::{middleware::Next, response::{IntoResponse, Response}};
/// # // Host validation: 400 unless `Host: example.com`.
/// # async fn only_example_com(req: axum::extract::Request, next: Next) -> Response {
/// #     match req.headers().get("host") {
/// #         Some(h) if h == "example.com" => next.run(req).await,
/// #         _ => StatusCode::BAD_REQUEST.into_response(),
/// #     }
/// # }
///
/// #[kamal_app]
/// fn app() -> Router {
///     Router::new()
///         .route("/", get(|| async { "hello" }))
///         .layer(from_fn(only_example_com)) // host validation: 400 for any other Host
/// }
///
/// // kamal-proxy's probe: the container id as Host, plain HTTP.
/// let probe = Request::get("/up")
///     .header("host", "7c7168a662c1:3000")
///     .header("user-agent", "kamal-proxy")
///     .header("accept-encoding", "gzip")
///     .body(Body::empty())
///     .unwrap();
/// assert_eq!(app().oneshot(probe).await.unwrap().status(), StatusCode::OK);
/// // Every other request still meets host validation.
/// let other = Request::get("/").header("host", "7c7168a662c1:3000").body(Body::empty()).unwrap();
/// assert_eq!(app().oneshot(other).await.unwrap().status(), StatusCode::BAD_REQUEST);
/// # });
/// ```
///
/// # What it emits
///
/// The function's body runs unchanged (its `return`s and `?`s included) and
/// builds your router; then [`HealthcheckLayer::add_to`] adds the health
/// routes (`GET` and `HEAD` on the readiness path, and on the liveness path
/// if set) to the router it returned. axum's `Router::layer` wraps only the
/// routes that exist when it is called, so no layer of the function runs for
/// the probe, and no other request meets anything new. Other methods at the
/// health path get axum's `405 Method Not Allowed` (`Allow: GET,HEAD`), or
/// your own route's answer where you route them (`.route("/up",
/// post(webhook))` keeps working, behind your layers). A `GET` or `HEAD`
/// route of your own at the health path is a compile error (and, if the
/// macro cannot see it, a panic naming the path when the router is built).
///
/// The function may be sync or `async`, a free function or a method, take
/// any parameters, and return `Router`, `Router<S>`, a type alias of them,
/// or `Result<Router<S>, E>` (the routes go on the `Ok` router; see
/// [`AppRouter`]). Any other return type is one error on that type.
///
/// ```
/// use axum::{Router, routing::get};
///
/// struct Config { greeting: &'static str }
///
/// #[axum_kamal::kamal_app]
/// async fn app(config: &Config) -> Result<Router<()>, std::io::Error> {
///     let greeting = config.greeting;
///     Ok(Router::new().route("/", get(move || async move { greeting })))
/// }
/// ```
///
/// # Arguments
///
/// All optional, in any order, each at most once; an unknown or misspelt
/// one is an error that names the arguments (and the one you probably
/// meant: `health_path` → `path`).
///
/// ## `path = ".."`: the readiness path
///
/// The path kamal-proxy probes, default [`DEFAULT_PATH`] (`/up`). Set the
/// same one in Kamal's `proxy.healthcheck.path`. A string literal or any
/// `&'static str` constant, so deploy config, app and tests can share one;
/// either way it is checked at compile time with the rules of
/// [`HealthcheckLayer::new`].
///
/// ```
/// use axum::Router;
///
/// pub const HEALTH_PATH: &str = "/healthz";
///
/// #[axum_kamal::kamal_app(path = HEALTH_PATH)] // or path = "/healthz"
/// fn app() -> Router {
///     Router::new()
/// }
/// ```
///
/// `/healthz` is then the healthcheck and `/up` an ordinary request.
///
/// ## `liveness = ".."`: a liveness path
///
/// A second path, answered `200` while the process serves, without running
/// the checks of `health` and not gated by the startup gate or the drain:
/// for Kubernetes' `livenessProbe`, which restarts the container when it
/// fails (a database outage must not). It must differ from `path`
/// (checked at compile time).
///
/// ```
/// use axum::Router;
///
/// #[axum_kamal::kamal_app(liveness = "/livez")]
/// fn app() -> Router {
///     Router::new()
/// }
/// ```
///
/// ## `health = EXPR`: readiness checks
///
/// Any expression of type [`Health`]: the readiness path answers `200` when
/// its checks pass and `503` when a required one fails, before the startup
/// gate opens, or once shutdown has started. The expression may use the
/// function's parameters and is evaluated once, before the body runs.
///
/// ```
/// use axum::Router;
/// use axum_kamal::Health;
///
/// struct Config { database_up: bool }
///
/// fn readiness(config: &Config) -> Health {
///     let up = config.database_up;
///     Health::new().check("db", move || async move {
///         if up { Ok(()) } else { Err("connection refused") }
///     })
/// }
///
/// #[axum_kamal::kamal_app(health = readiness(config), liveness = "/livez")]
/// fn app(config: &Config) -> Router {
///     Router::new()
/// }
/// ```
///
/// ## `blocking(..)` and `allow(..)`: what the macro cannot know
///
/// Both take layer type names, middleware function names or extractor
/// names, and matter only once you place `healthcheck()` yourself (below).
/// `blocking(..)` declares a layer that rejects requests, so one that runs
/// before the healthcheck is an error; `allow(..)` declares one that lets
/// the probe through, which silences the finding about it (a warning or an
/// error).
///
/// ```compile_fail
/// use axum::{Router, extract::Request, middleware::{Next, from_fn}, response::Response};
/// use axum_kamal::healthcheck;
///
/// // Rejects requests without a tenant: the macro cannot know.
/// async fn tenant_guard(req: Request, next: Next) -> Response { next.run(req).await }
///
/// #[axum_kamal::kamal_app(blocking(tenant_guard))]
/// fn app() -> Router {
///     Router::new()
///         .layer(healthcheck())
///         .layer(from_fn(tenant_guard)) // error: runs before the healthcheck
/// }
/// ```
///
/// ```text
/// error: `from_fn(tenant_guard)` runs before the healthcheck and can reject or redirect kamal-proxy's probe, as #[kamal_app(blocking(..))] declares
/// ```
///
/// Without `allow(require_json)`, the next example would warn (and here,
/// under `#![deny(warnings)]`, fail; see [the rules](#diagnostics-and-their-rules)):
///
/// ```text
/// warning: use of deprecated macro `kamal_app_warning`: `from_fn(require_json)` runs before the healthcheck and, judging by its name, can reject or redirect kamal-proxy's probe
/// ```
///
/// ```
/// # #![deny(warnings)]
/// use axum::{Router, extract::Request, middleware::{Next, from_fn}, response::Response};
/// use axum_kamal::healthcheck;
///
/// // Its name sounds like a guard, yet it only sets a default header.
/// async fn require_json(req: Request, next: Next) -> Response { next.run(req).await }
///
/// #[axum_kamal::kamal_app(allow(require_json))]
/// fn app() -> Router {
///     Router::new()
///         .layer(healthcheck())
///         .layer(from_fn(require_json)) // no warning
/// }
/// # fn main() { let _ = app(); }
/// ```
///
/// ## `crate = ".."`: a renamed dependency
///
/// When your Cargo.toml renames the dependency (`kamal = { package =
/// "axum-kamal", .. }`), give the macro its name; without it the macro reads
/// your Cargo.toml and tells you to.
///
/// ```
/// # use axum_kamal as kamal;
/// use axum::Router;
///
/// #[kamal::kamal_app(crate = "kamal")]
/// fn app() -> Router {
///     Router::new()
/// }
/// ```
///
/// # Explicit placement and its diagnostics
///
/// To let some layers see the probe (request ids, metrics, access logs),
/// place [`healthcheck()`] yourself; the macro keeps it there and configures
/// it with its arguments. Layers that run before it see the probe, layers
/// after it do not. axum's order: successive `Router::layer` calls run
/// bottom-to-top (the last call is the outermost), `tower::ServiceBuilder`
/// layers run top-to-bottom.
///
/// ```
/// use axum::{Router, middleware::from_fn, routing::get};
/// # use axum::{extract::Request, middleware::Next, response::Response};
/// # async fn validate_host(req: Request, next: Next) -> Response { next.run(req).await }
/// # async fn log_requests(req: Request, next: Next) -> Response { next.run(req).await }
///
/// #[axum_kamal::kamal_app]
/// fn app() -> Router {
///     Router::new()
///         .route("/", get(|| async { "hello" }))
///         .layer(from_fn(validate_host))    // runs after the healthcheck: never sees the probe
///         .layer(axum_kamal::healthcheck()) // answers /up here
///         .layer(from_fn(log_requests))     // runs first: logs the probe too
/// }
/// ```
///
/// The macro then reads the function the way axum builds it (`Router` and
/// `ServiceBuilder` chains, `let` bindings, conditional layers) and reports
/// at compile time, all at once, each finding as sure as its evidence:
///
/// - **errors**, for what it knows: a layer of its table (host validation,
///   HTTPS redirects, tower-http's auth, axum-login, `from_extractor`, ...)
///   that blocks the probe and runs before `healthcheck()`; a `fallback`,
///   catch-all route or merged router added after `.layer(healthcheck())`,
///   which takes the probe past it; a `healthcheck()` the probe never
///   passes (in `.route_layer(..)`, on a nested router); a route of your
///   own at the health path; a layer named in `blocking(..)`.
/// - **warnings**, for what it guesses: anything else before
///   `healthcheck()` that can answer instead of passing the request on
///   (`from_fn(..)`, `map_request(..)`, a closure, a layer from a helper, a
///   layer type it does not know), unless its table or vocabulary knows it
///   to be harmless. Warnings come through the only channel a procedural
///   macro has on stable Rust, a `#[deprecated]` macro, so they read "use of
///   deprecated macro `kamal_app_warning`" followed by the finding.
///   `allow(..)` silences one; `blocking(..)` makes it an error.
///
/// ```compile_fail
/// use axum::{Router, middleware::from_extractor};
/// # struct RequireAuth;
/// # impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequireAuth {
/// #     type Rejection = axum::http::StatusCode;
/// #     async fn from_request_parts(_: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
/// #         Err(axum::http::StatusCode::UNAUTHORIZED)
/// #     }
/// # }
///
/// #[axum_kamal::kamal_app]
/// fn app() -> Router {
///     Router::new()
///         .layer(axum_kamal::healthcheck())
///         .layer(from_extractor::<RequireAuth>()) // error: runs before the healthcheck
/// }
/// ```
///
/// The rules of these findings, the words names are judged by, the
/// `explain` argument and the table of recognised layers follow.
///
/// # Diagnostics and their rules
///
#[doc = include_str!("../docs/diagnostics.md")]
///
/// # The layer table
///
#[doc = include_str!("../docs/layer-table.md")]
///
/// # Limitations
///
/// - Only layers written **inside** the annotated function are bypassed. A
///   layer added to its result elsewhere (`app().layer(auth)` in `main`)
///   runs before the healthcheck, and no compile-time check sees it: call
///   [`preflight()`]
///   on the exact service you serve, and probe it in your tests with
///   [`testing::Prober`](https://docs.rs/axum-kamal/latest/axum_kamal/testing/struct.Prober.html)
///   (feature `testing`).
/// - Only `GET` and `HEAD` on the exact path are answered: `/up/`, `/UP`
///   and `/up/extra` are ordinary requests.
/// - A router built by one `#[kamal_app]` function and returned by another
///   gets the health routes twice: building it panics with a message that
///   says so. Annotate only the function that returns the finished router.
/// - A function of your own named `healthcheck`, called without arguments
///   in the annotated function, is taken for [`healthcheck()`]: rename it.
/// - Without `health`, the answer is a liveness signal: `200 OK` as soon as
///   the router serves.
pub use axum_kamal_macros::kamal_app;

pub use health::{Health, HealthStatus, StartupGate, StatusChange, Tolerance};
pub use layer::{
    DEFAULT_PATH, HealthcheckFuture, HealthcheckLayer, HealthcheckService, healthcheck,
};
pub use preflight::preflight;
pub use response::health_response;
pub use route::AppRouter;
pub use self_probe::SelfProbe;
pub use serve::{Serve, serve};
pub use shutdown::ShutdownHandle;

// The README's Rust examples, compiled as doctests (only under `cargo test
// --doc`; the README sits outside this package).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// What `#[kamal_app]`'s expansion calls; not a public API.
#[doc(hidden)]
pub mod __private {
    /// The problem with a health path given to `#[kamal_app]`, checked at
    /// compile time with the rules
    /// [`HealthcheckLayer::new`](crate::HealthcheckLayer::new) applies at
    /// run time.
    pub const fn check_path(path: &str) -> Result<(), &'static str> {
        crate::layer::check_path(path)
    }

    /// The problem when the liveness path equals the readiness path.
    pub const fn check_distinct(readiness: &str, liveness: &str) -> Result<(), &'static str> {
        let (a, b) = (readiness.as_bytes(), liveness.as_bytes());
        if a.len() != b.len() {
            return Ok(());
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return Ok(());
            }
            i += 1;
        }
        Err(
            "axum-kamal: `liveness` must differ from the readiness `path`: liveness answers \
             without running the checks that readiness runs",
        )
    }
}
