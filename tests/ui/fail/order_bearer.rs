//! tower-http's bearer auth outside the healthcheck.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app]
#[allow(deprecated)]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(ValidateRequestHeaderLayer::bearer("secret"))
}

fn main() {
    let _ = app();
}
