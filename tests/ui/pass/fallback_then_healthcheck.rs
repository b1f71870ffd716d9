//! A fallback set before `.layer(healthcheck())` is wrapped by it.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .fallback(support::not_found)
        .layer(healthcheck())
}

fn main() {
    let _ = app();
}
