//! Source: https://github.com/tokio-rs/axum/blob/main/examples/global-404-handler/src/main.rs
//! The custom 404 handler is added after the healthcheck layer, so it is not wrapped by it: `.fallback(handler_404)` gets /up (404).

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

async fn handler() -> Html<&'static str> {
    Html("<h1>Hello, World!</h1>")
}

async fn handler_404() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, "nothing to see here")
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(handler))
        .layer(axum_kamal::healthcheck())
        .fallback(handler_404)
}
