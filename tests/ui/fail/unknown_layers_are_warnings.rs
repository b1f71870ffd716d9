//! A layer from a helper function or a variable, before the healthcheck, is
//! unknown: a warning (an error too under `#![deny(warnings)]`), never trusted in silence.
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

fn security() -> tower::layer::util::Identity {
    tower::layer::util::Identity::new()
}

#[kamal_app]
fn app(extra: tower::layer::util::Identity) -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(security())
        .layer(extra)
}

fn main() {
    let _ = app(tower::layer::util::Identity::new());
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
