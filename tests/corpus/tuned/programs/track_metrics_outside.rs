//! Source: https://github.com/tokio-rs/axum/blob/main/examples/prometheus-metrics/src/main.rs
//! Request counters and latency, `from_fn(track_metrics)`, recorded outside the healthcheck so probes are counted too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;

#[derive(Clone, Default)]
struct Metrics {
    requests_total: Arc<AtomicU64>,
    latency_micros_total: Arc<AtomicU64>,
}

async fn track_metrics(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> impl IntoResponse {
    let start = Instant::now();
    let path = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => request.uri().path().to_owned(),
    };
    let response = next.run(request).await;
    let latency = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    metrics.requests_total.fetch_add(1, Ordering::Relaxed);
    metrics
        .latency_micros_total
        .fetch_add(latency, Ordering::Relaxed);
    tracing::trace!(%path, status = %response.status(), latency, "http_requests_total");
    response
}

async fn render_metrics(State(metrics): State<Metrics>) -> String {
    format!(
        "http_requests_total {}\nhttp_requests_duration_microseconds_sum {}\n",
        metrics.requests_total.load(Ordering::Relaxed),
        metrics.latency_micros_total.load(Ordering::Relaxed)
    )
}

pub fn app() -> Router {
    let metrics = Metrics::default();
    Router::new()
        .route("/fast", get(|| async {}))
        .route("/metrics", get(render_metrics))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn_with_state(metrics.clone(), track_metrics))
        .with_state(metrics)
}
