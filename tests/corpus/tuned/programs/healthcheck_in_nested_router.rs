//! Source: https://github.com/tokio-rs/axum/blob/main/examples/versioning/src/main.rs
//! The healthcheck added to the API router, which is then nested at /api: it only sees /api/..., so /up falls through to the 404 (`.nest("/api", api)`).

use axum::Router;
use axum::routing::get;
use tower_http::trace::TraceLayer;

async fn users() -> &'static str {
    "[]"
}

async fn index() -> &'static str {
    "index"
}

pub fn app() -> Router {
    let api = Router::new()
        .route("/v1/users", get(users))
        .layer(axum_kamal::healthcheck());
    Router::new()
        .route("/", get(index))
        .nest("/api", api)
        .layer(TraceLayer::new_for_http())
}
