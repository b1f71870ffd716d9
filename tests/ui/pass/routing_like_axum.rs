//! Route specificity, nested services and nest prefixes follow axum's router.
#[path = "../support/mod.rs"]
mod support;

use axum::routing::{MethodFilter, get, on, post};
use axum::Router;
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app(path = "/api/health")]
fn ranked() -> Router {
    Router::new()
        .route("/api/{*rest}", get(support::home))
        .layer(healthcheck())
        .route("/{tenant}/health", get(support::home))
}

#[kamal_app(path = "/internal/up")]
fn exact_beats_nested_service() -> Router {
    Router::new()
        .route("/internal/up", post(support::home))
        .layer(healthcheck())
        .nest_service("/internal", get(support::home))
}

#[kamal_app]
fn trailing_slash_prefix() -> Router {
    Router::new()
        .route("/{*page}", get(support::home))
        .layer(healthcheck())
        .nest("/up/", Router::new().route("/", get(support::home)))
}

#[kamal_app]
fn other_methods_at_the_path() -> Router {
    let create = post(support::home);
    Router::new()
        .route("/up", on(MethodFilter::PUT, support::home))
        .route("/up", create)
}

fn main() {
    let _ = (ranked(), exact_beats_nested_service(), trailing_slash_prefix(), other_methods_at_the_path());
}
