//! Source: https://github.com/tokio-rs/axum/blob/main/examples/todos/src/main.rs
//! A request timeout and a body limit in a ServiceBuilder outside the healthcheck.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub fn app() -> Router {
    Router::new()
        .route(
            "/upload",
            post(|body: String| async move { body.len().to_string() }),
        )
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(10),
                ))
                .layer(RequestBodyLimitLayer::new(1024 * 1024)),
        )
}
