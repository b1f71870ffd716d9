//! axum-login's `login_required!` wrapped by the healthcheck.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use axum_login::login_required;

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(login_required!(support::Backend, login_url = "/login"))
        .layer(healthcheck())
}

fn main() {
    let _ = app();
}
