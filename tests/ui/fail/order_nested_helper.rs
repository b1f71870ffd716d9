//! A router nested by a helper at a prefix the probe never reaches hides
//! nothing: the healthcheck in `.route_layer(..)` is still never passed.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

fn api() -> Router {
    Router::new().route("/items", get(support::home))
}

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .nest("/api", api())
        .route_layer(healthcheck())
}

fn main() {
    let _ = app();
}
