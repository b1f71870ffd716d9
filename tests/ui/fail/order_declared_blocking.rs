//! `blocking(..)` marks a middleware the table cannot know.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app(blocking(tenant_guard))]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(from_fn(support::tenant_guard))
}

fn main() {
    let _ = app();
}
