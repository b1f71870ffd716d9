//! Source: https://github.com/benwis/tower-governor/blob/main/README.md
//! Rate limiting by client IP (`SmartIpKeyExtractor`, falling back to the peer) outside the healthcheck: one probe is well within the burst.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::SmartIpKeyExtractor;

async fn hello() -> &'static str {
    "Hello world"
}

pub fn app() -> Router {
    let governor_conf = Arc::new(
        GovernorConfigBuilder::default()
            .per_second(2)
            .burst_size(5)
            .key_extractor(SmartIpKeyExtractor)
            .finish()
            .expect("valid governor config"),
    );
    Router::new()
        .route("/", get(hello))
        .layer(axum_kamal::healthcheck())
        .layer(GovernorLayer::new(governor_conf))
}
