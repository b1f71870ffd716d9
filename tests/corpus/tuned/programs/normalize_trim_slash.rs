//! Source: https://github.com/tower-rs/tower-http/issues/560
//! The reporter's stack: trace, CORS and `NormalizePathLayer::trim_trailing_slash()` outside the healthcheck; trimming leaves /up as it is.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use tower_http::cors::CorsLayer;
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

#[derive(Clone)]
struct Client {
    user_agent: &'static str,
}

async fn get_av(State(client): State<Client>, Path(bc): Path<String>) -> String {
    format!("{} fetched {bc}", client.user_agent)
}

pub fn app() -> Router {
    let client = Client {
        user_agent: "downloader/1.0",
    };
    Router::new()
        .route("/av/{bc}", get(get_av))
        .layer(axum_kamal::healthcheck())
        .layer(TraceLayer::new_for_http().on_body_chunk(
            |chunk: &Bytes, _latency: Duration, _span: &Span| {
                tracing::debug!("streaming {} bytes", chunk.len());
            },
        ))
        .layer(CorsLayer::permissive())
        .layer(NormalizePathLayer::trim_trailing_slash())
        .with_state(client)
}
