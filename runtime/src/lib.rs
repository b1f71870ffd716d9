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
//! # let probe = http::Request::get("/up").header("host", "7c7168a662c1:3000").body(Body::empty()).unwrap();
//! # assert_eq!(app().oneshot(probe).await.unwrap().status(), StatusCode::OK);
//! # let other = http::Request::get("/").header("host", "7c7168a662c1:3000").body(Body::empty()).unwrap();
//! # assert_eq!(app().oneshot(other).await.unwrap().status(), StatusCode::FORBIDDEN);
//! # });
//! ```
//!
//! With readiness checks, a liveness path and a graceful shutdown drain (see
//! [`Health`] and [`ShutdownHandle`]):
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use axum_kamal::{Health, ShutdownHandle, kamal_app};
//! use std::sync::LazyLock;
//!
//! static SHUTDOWN: LazyLock<ShutdownHandle> = LazyLock::new(ShutdownHandle::new);
//!
//! fn health() -> Health {
//!     Health::new()
//!         .check("db", || async { Ok::<(), String>(()) /* ping the database */ })
//!         .with_shutdown(SHUTDOWN.clone())
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
//!     axum::serve(listener, app())
//!         .with_graceful_shutdown(SHUTDOWN.signal())
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
//! use http::{Request, StatusCode};
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
//! answered instead, and the fix ([`preflight()`], [`Preflight`]):
//!
//! ```no_run
//! # use axum::Router;
//! # #[axum_kamal::kamal_app]
//! # fn app() -> Router { Router::new() }
//! # async fn run() -> std::io::Result<()> {
//! let app = app();
//! axum_kamal::preflight(&app).await?;
//! axum::serve(tokio::net::TcpListener::bind("0.0.0.0:3000").await?, app).await
//! # }
//! ```
//!
//! # What is answered
//!
//! `GET` or `HEAD` on exactly the configured path (default [`DEFAULT_PATH`],
//! `/up`), query ignored, is answered with [`health_response`]:
//! `200 OK`, `content-type: text/plain; charset=utf-8`,
//! `cache-control: no-store`, `content-length: 2`, body `OK` (empty for
//! `HEAD`). Every other path reaches your app unchanged, at zero cost. With
//! `#[kamal_app]` (or [`HealthcheckLayer::add_to`]), other methods at the
//! health path get axum's `405 Method Not Allowed` with `Allow: GET,HEAD`,
//! unless your router has its own route there for them; with the layer
//! placed yourself, they reach your app.
#![deny(missing_docs)]

mod health;
mod layer;
mod preflight;
mod probe;
mod response;
mod route;
mod shutdown;
#[cfg(feature = "testing")]
pub mod testing;

/// Attribute for the function that builds your `axum::Router`: adds the
/// healthcheck's routes to the router it returns, after every layer written
/// in it ([`HealthcheckLayer::add_to`]), or configures the `healthcheck()`
/// calls you placed yourself.
///
/// See the [crate documentation](crate) for a quick start.
pub use axum_kamal_macros::kamal_app;

pub use health::{Health, HealthStatus, StartupGate, StatusChange};
pub use layer::{
    DEFAULT_PATH, HealthcheckFuture, HealthcheckLayer, HealthcheckService, healthcheck,
};
pub use preflight::{Preflight, PreflightError, preflight};
pub use probe::{Orchestrator, ProbeFailure};
pub use response::health_response;
pub use route::AppRouter;
pub use shutdown::ShutdownHandle;

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
