//! `explain` prints, for reviewers, the stack kamal-proxy's probe meets in
//! execution order, each layer with its verdict and how sure it is; off by
//! default.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::trace::TraceLayer;

#[kamal_app(explain, allow(audit))]
fn placed() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(from_fn(support::require_https))
        .layer(healthcheck())
        .layer(from_fn(support::audit))
        .layer(from_fn(support::redirect_to_canonical_host))
        .layer(TraceLayer::new_for_http())
}

#[kamal_app(explain)]
fn default_placement() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(from_fn(support::require_https))
}

fn main() {
    let _ = (placed(), default_placement());
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
