//! Source: https://github.com/tower-rs/tower-http/blob/main/tower-http/src/csrf/mod.rs
//! tower-http's Go-style cross-origin protection outside the healthcheck: `CsrfLayer::new()` lets GET, HEAD and OPTIONS through.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_http::csrf::CsrfLayer;

async fn transfer() -> StatusCode {
    StatusCode::ACCEPTED
}

async fn account() -> &'static str {
    "balance: 0"
}

pub fn app() -> Router {
    let csrf = CsrfLayer::new()
        .add_trusted_origin("https://bank.example.com")
        .expect("valid origin");
    Router::new()
        .route("/account", get(account))
        .route("/transfer", post(transfer))
        .layer(axum_kamal::healthcheck())
        .layer(csrf)
}
