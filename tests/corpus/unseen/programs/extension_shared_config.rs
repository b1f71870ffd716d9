//! Source: https://docs.rs/axum/latest/axum/struct.Extension.html
//! Shared configuration as an `Extension` layer outside the healthcheck.

use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};

struct AppConfig {
    name: &'static str,
}

async fn name(Extension(config): Extension<Arc<AppConfig>>) -> &'static str {
    config.name
}

pub fn app() -> Router {
    let config = Arc::new(AppConfig { name: "shop" });
    Router::new()
        .route("/", get(name))
        .layer(axum_kamal::healthcheck())
        .layer(Extension(config))
}
