//! Source: https://github.com/tokio-rs/axum/blob/main/examples/prometheus-metrics/src/main.rs
//! Request counting and latency in a middleware outside the healthcheck, so the probe is measured too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::IntoResponse;
use axum::routing::get;

static REQUESTS: AtomicU64 = AtomicU64::new(0);

async fn http_metrics(request: Request, next: Next) -> impl IntoResponse {
    let start = Instant::now();
    let response = next.run(request).await;
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(latency = ?start.elapsed(), "request");
    response
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(http_metrics))
}
