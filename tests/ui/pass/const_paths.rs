//! Paths from constants (shared with deploy config and tests) and const expressions.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::kamal_app;

const HEALTH_PATH: &str = "/healthz";

mod deploy {
    pub const LIVENESS: &str = "/livez";
}

#[kamal_app(path = HEALTH_PATH, liveness = deploy::LIVENESS)]
fn app() -> Router {
    Router::new().route("/", get(support::home))
}

#[kamal_app(path = concat!("/", "ready"), liveness = "/live")]
fn expression() -> Router {
    Router::new().route("/", get(support::home))
}

fn main() {
    let _ = app();
    let _ = expression();
}
