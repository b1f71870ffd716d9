//! The common case: security layers in any order; the macro places the healthcheck first.
#[path = "../support/mod.rs"]
mod support;

use axum::error_handling::HandleErrorLayer;
use axum::{Router, routing::get};
use axum_kamal::kamal_app;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;
use tower_http::trace::TraceLayer;

/// Doc comments and other attributes are kept.
#[kamal_app]
#[must_use]
pub fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(axum::middleware::from_fn(support::require_https))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(support::bad_request))
                .layer(AllowedHostLayer::new("example.com")),
        )
        .layer(TraceLayer::new_for_http())
}

fn main() {
    let _: Router = app();
}
