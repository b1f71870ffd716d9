//! Source: https://docs.rs/tower-http/latest/tower_http/catch_panic/index.html
//! Panics turned into 500s and requests traced, both outside the healthcheck.

use axum::Router;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(CatchPanicLayer::new()),
        )
}
