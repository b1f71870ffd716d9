//! Every blocking layer before the healthcheck is reported in one build.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;
use axum::error_handling::HandleErrorLayer;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;

#[kamal_app]
#[allow(deprecated)]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(ValidateRequestHeaderLayer::basic("user", "password"))
        .layer(TraceLayer::new_for_http())
        .layer(from_fn(support::require_https))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(support::bad_request))
                .layer(AllowedHostLayer::new("example.com")),
        )
}

fn main() {
    let _ = app();
}
