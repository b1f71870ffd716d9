//! `allow(..)` silences a name that only looks like a guard.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app(allow(require_json))]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(from_fn(support::require_json))
}

fn main() {
    let _ = app();
}
