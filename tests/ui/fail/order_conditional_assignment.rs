//! Layers added to a `let mut` router in an `if` or `match` statement after
//! it holds the healthcheck run before it where the branch is taken: a
//! warning each (KA004), even for a layer that surely blocks.
#![allow(deprecated)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::{from_fn, map_request};
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::validate_request::ValidateRequestHeaderLayer;

pub enum Stage {
    Staging,
    Production,
}

#[kamal_app]
fn app(force_https: bool, stage: Stage) -> Router {
    let mut app = Router::new()
        .route("/", get(support::home))
        .layer(healthcheck());
    if force_https {
        app = app.layer(map_request(support::enforce_tls));
    }
    match stage {
        Stage::Staging => app = app.layer(ValidateRequestHeaderLayer::basic("staff", "secret")),
        Stage::Production => {}
    }
    if !force_https {
        app = app.layer(from_fn(support::log_requests));
    } else {
        app = app.layer(from_fn(support::security_headers));
    }
    app
}

fn main() {
    let _ = app(false, Stage::Production);
    let _ = app(true, Stage::Staging);
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
