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
//! the probe in the outermost layer, before any of those run.
//!
//! # Quick start
//!
//! Put `#[kamal_app]` on the function that builds your router; the healthcheck
//! is added as the outermost `Router::layer(..)`, whatever layers you add:
//!
//! ```ignore
//! use axum::{Router, routing::get};
//! use axum_kamal::kamal_app;
//!
//! #[kamal_app]
//! fn app() -> Router {
//!     Router::new()
//!         .route("/", get(|| async { "hello" }))
//!         .layer(my_host_validation_layer())
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
//! or as the **first** layer of a `tower::ServiceBuilder`:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use axum::{Router, body::Body, routing::get};
//! use http::{Request, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! let app = ServiceBuilder::new()
//!     .layer(axum_kamal::HealthcheckLayer::new("/up"))
//!     // .layer(host validation / https redirect / auth ...)
//!     .service(Router::new().route("/", get(|| async { "hello" })));
//!
//! let probe = Request::get("/up")
//!     .header("host", "7c7168a662c1:3000")
//!     .header("user-agent", "kamal-proxy")
//!     .body(Body::empty())
//!     .unwrap();
//! let res = app.oneshot(probe).await.unwrap();
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.headers()["cache-control"], "no-store");
//! # });
//! ```
//!
//! # What is answered
//!
//! `GET` or `HEAD` on exactly the configured path (default [`DEFAULT_PATH`],
//! `/up`), query ignored, is answered with [`health_response`]:
//! `200 OK`, `content-type: text/plain; charset=utf-8`,
//! `cache-control: no-store`, `content-length: 2`, body `OK` (empty for
//! `HEAD`). Every other request reaches your app unchanged, at zero cost.
#![deny(missing_docs)]

mod health;
mod layer;
mod response;
mod shutdown;

/// Attribute for the function that builds your `axum::Router`: wraps the
/// returned router in [`HealthcheckLayer`] as its outermost layer.
///
/// See the [crate documentation](crate) for a quick start.
pub use axum_kamal_macros::kamal_app;

pub use health::Health;
pub use layer::{DEFAULT_PATH, Healthcheck, HealthcheckLayer, ResponseFuture, healthcheck};
pub use response::health_response;
pub use shutdown::ShutdownHandle;
