//! Source: https://github.com/benwis/tower-governor/blob/main/README.md
//! tower_governor with its default key, the peer address, outside the healthcheck: behind kamal-proxy all traffic shares one budget with the probe.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

async fn hello() -> &'static str {
    "Hello world"
}

pub fn app() -> Router {
    let config = Arc::new(
        GovernorConfigBuilder::default()
            .per_second(2)
            .burst_size(5)
            .finish()
            .expect("valid governor config"),
    );
    Router::new()
        .route("/", get(hello))
        .layer(axum_kamal::healthcheck())
        .layer(GovernorLayer::new(config))
}
