//! `healthcheck().around(x)` runs the healthcheck, then `x`: host validation
//! inside it is fine, and so is everything added before.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use axum::error_handling::HandleErrorLayer;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app(path = "/healthz")]
#[allow(deprecated)]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(ValidateRequestHeaderLayer::bearer("secret"))
        .layer(healthcheck().around(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(support::bad_request))
                .layer(AllowedHostLayer::new("example.com")),
        ))
}

fn main() {
    let _ = app();
}
