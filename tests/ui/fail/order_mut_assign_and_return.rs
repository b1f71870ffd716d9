//! Assignments to a `mut` router and an explicit `return`. A guess from a name is a
//! warning, which `#![deny(warnings)]` makes an error too (as it would any warning).
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    let mut app = Router::new().route("/", get(support::home));
    app = app.layer(healthcheck());
    return app.layer(from_fn(support::require_https));
}

fn main() {
    let _ = app();
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
