//! Loggers, request ids, CORS and security headers may run before the healthcheck.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(from_fn(support::log_requests))
        .layer(from_fn(support::security_headers))
        .layer(from_fn(support::add_request_id))
        .layer(CorsLayer::permissive())
        .layer(TraceLayer::new_for_http())
}

fn main() {
    let _ = app();
}
