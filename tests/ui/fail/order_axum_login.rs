//! axum-login's `login_required!` outside the healthcheck.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use axum_login::login_required;

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(login_required!(support::Backend, login_url = "/login"))
}

fn main() {
    let _ = app();
}
