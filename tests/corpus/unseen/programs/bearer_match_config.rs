//! Source: https://docs.rs/tower-http/latest/tower_http/validate_request/struct.ValidateRequestHeaderLayer.html#method.bearer
//! An API token from configuration, applied by a `match` that rebinds the router after the healthcheck (tower-http deprecated `bearer`, hence the module's allow).
#![allow(deprecated)]

use axum::Router;
use axum::routing::get;
use tower_http::validate_request::ValidateRequestHeaderLayer;

struct Config {
    api_token: Option<&'static str>,
}

fn load_config() -> Config {
    Config {
        api_token: Some("s3cr3t"),
    }
}

// Written as the pattern is found, rebinding before returning.
#[allow(clippy::let_and_return)]
pub fn app() -> Router {
    let config = load_config();
    let app = Router::new()
        .route("/api/items", get(|| async { "[]" }))
        .layer(axum_kamal::healthcheck());
    let app = match config.api_token {
        Some(token) => app.layer(ValidateRequestHeaderLayer::bearer(token)),
        None => app,
    };
    app
}
