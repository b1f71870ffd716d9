//! Merged and nested routers with their own security layers; default placement.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::kamal_app;
use axum::error_handling::HandleErrorLayer;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;

#[kamal_app]
fn app() -> Router {
    let admin = Router::new()
        .route("/", get(support::home))
        .layer(from_fn(support::require_https));
    let public = Router::new().route("/", get(support::home)).fallback(support::not_found);
    Router::new()
        .nest("/admin", admin)
        .merge(public)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(support::bad_request))
                .layer(AllowedHostLayer::new("example.com")),
        )
}

fn main() {
    let _ = app();
}
