//! ServiceBuilder runs top-to-bottom: host validation above healthcheck().
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use axum::error_handling::HandleErrorLayer;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;

#[kamal_app]
fn app() -> Router {
    Router::new().route("/", get(support::home)).layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(support::bad_request))
            .layer(AllowedHostLayer::new("example.com"))
            .layer(healthcheck()),
    )
}

fn main() {
    let _ = app();
}
