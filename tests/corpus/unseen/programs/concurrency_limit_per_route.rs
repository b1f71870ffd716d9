//! Source: https://github.com/tokio-rs/axum/blob/main/examples/key-value-store/src/main.rs
//! A concurrency limit with its error handler outside the healthcheck: each route gets its own copy.

use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::routing::get;
use tower::{BoxError, ServiceBuilder};

async fn overloaded(_: BoxError) -> StatusCode {
    StatusCode::SERVICE_UNAVAILABLE
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(200)).await;
    "done"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(slow))
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(overloaded))
                .concurrency_limit(4)
                .timeout(Duration::from_secs(2)),
        )
}
