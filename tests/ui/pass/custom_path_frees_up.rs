//! With `path = "/healthz"`, the user may route `/up` themselves.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::kamal_app;

#[kamal_app(path = "/healthz")]
fn app() -> Router {
    Router::new().route("/up", get(support::home))
}

fn main() {
    let _ = app();
}
