//! Source: https://docs.rs/tower-http/latest/tower_http/set_header/index.html
//! Security response headers set with SetResponseHeaderLayer outside the healthcheck.

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(axum_kamal::healthcheck())
        .layer(SetResponseHeaderLayer::overriding(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000"),
        ))
}
