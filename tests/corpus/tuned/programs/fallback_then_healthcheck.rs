//! Source: https://github.com/tokio-rs/axum/blob/main/examples/global-404-handler/src/main.rs
//! The global 404 handler is set before the healthcheck layer is added, so the layer wraps it and answers /up.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

async fn handler() -> Html<&'static str> {
    Html("<h1>Hello, World!</h1>")
}

async fn handler_404() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html("<h1>404</h1><p>Nothing to see here</p>"),
    )
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(handler))
        .fallback(handler_404)
        .layer(axum_kamal::healthcheck())
}
