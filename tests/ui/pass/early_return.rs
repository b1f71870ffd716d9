//! `return` in the body returns the router, which still gets the healthcheck.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::kamal_app;

#[kamal_app]
fn app(minimal: bool) -> Router {
    if minimal {
        return Router::new();
    }
    Router::new().route("/", get(support::home))
}

fn main() {
    let _ = app(true);
    let _ = app(false);
}
