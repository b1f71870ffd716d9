//! `healthcheck().around(..)` is one layer: a later `.layer()` still runs before it.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, middleware::from_fn, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app]
#[allow(deprecated)]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck().around(from_fn(support::log_requests)))
        .layer(ValidateRequestHeaderLayer::bearer("secret"))
}

fn main() {
    let _ = app();
}
