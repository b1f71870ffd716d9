//! Source: https://github.com/tokio-rs/axum/blob/main/examples/multipart-form/src/main.rs
//! Upload limits outside the healthcheck: `DefaultBodyLimit::disable()` and `RequestBodyLimitLayer` only look at bodies.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

async fn show_form() -> &'static str {
    "<form action=/ method=post enctype=multipart/form-data>"
}

async fn accept_form(body: axum::body::Bytes) -> StatusCode {
    if body.is_empty() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(show_form).post(accept_form))
        .route("/upload", post(accept_form))
        .layer(axum_kamal::healthcheck())
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(250 * 1024 * 1024))
        .layer(TraceLayer::new_for_http())
}
