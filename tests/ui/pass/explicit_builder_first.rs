//! healthcheck() at the top of a ServiceBuilder runs first.
#[path = "../support/mod.rs"]
mod support;

use axum::error_handling::HandleErrorLayer;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;
use tower_http::trace::TraceLayer;

#[kamal_app(path = "/healthz")]
fn app() -> Router {
    Router::new().route("/", get(support::home)).layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(healthcheck())
            .layer(HandleErrorLayer::new(support::bad_request))
            .layer(AllowedHostLayer::new("example.com")),
    )
}

fn main() {
    let _ = app();
}
