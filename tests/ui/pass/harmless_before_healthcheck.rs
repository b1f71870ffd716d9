//! What the table or the vocabulary knows to be harmless runs before the
//! healthcheck without a word (macros/src/quiet.rs checks that the pass
//! cases draw none): request logging and ids, a response mapper, an
//! `Accept` check (the corpus in tests/corpus covers axum-login's manager
//! layer and sessions).
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::{from_fn, map_response};
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
#[allow(deprecated)]
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app]
#[allow(deprecated)]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(map_response(support::add_server_header))
        .layer(from_fn(support::log_requests))
        .layer(from_fn(support::add_request_id))
        .layer(ValidateRequestHeaderLayer::accept("application/json"))
}

fn main() {
    let _ = app();
}
