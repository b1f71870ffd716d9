//! An extractor named `RequireAuth` used as middleware.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_extractor;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(from_extractor::<support::RequireAuth>())
}

fn main() {
    let _ = app();
}
