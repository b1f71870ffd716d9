//! Host validation applied after merging and after the healthcheck still runs first.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use axum::error_handling::HandleErrorLayer;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;

#[kamal_app]
fn app() -> Router {
    let api = Router::new().route("/api", get(support::home));
    Router::new()
        .nest("/v1", Router::new().route("/items", get(support::home)))
        .merge(api)
        .layer(healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(support::bad_request))
                .layer(AllowedHostLayer::new("example.com")),
        )
}

fn main() {
    let _ = app();
}
