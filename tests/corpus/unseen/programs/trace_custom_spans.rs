//! Source: https://github.com/tokio-rs/axum/blob/main/examples/tracing-aka-logging/src/main.rs
//! TraceLayer with a custom span outside the healthcheck, so the probe is traced too.

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::routing::get;
use tower_http::trace::TraceLayer;
use tracing::info_span;

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "Hello" }))
        .layer(axum_kamal::healthcheck())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let matched = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str);
                info_span!("http_request", method = ?request.method(), matched)
            }),
        )
}
