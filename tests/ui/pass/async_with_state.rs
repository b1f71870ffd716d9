//! An async constructor with parameters and state; the macro places the healthcheck.
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn_with_state;
use axum::{Router, routing::get};
use axum_kamal::kamal_app;
use support::AppState;

#[kamal_app]
pub async fn app(state: AppState, prefix: &str) -> Router {
    let api = Router::new().route("/items", get(support::home));
    Router::new()
        .nest(prefix, api)
        .layer(from_fn_with_state(state.clone(), support::check_allowed_host))
        .with_state(state)
}

fn main() {
    let _ = app(AppState::default(), "/api");
}
