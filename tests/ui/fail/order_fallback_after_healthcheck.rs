//! A fallback set after `.layer(healthcheck())` takes the probe past it.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .fallback(support::not_found)
}

fn main() {
    let _ = app();
}
