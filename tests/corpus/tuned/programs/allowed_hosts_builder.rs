//! Source: https://github.com/iamsauravsharma/tower_allowed_hosts
//! Host validation in a `ServiceBuilder` (errors mapped to 400), outside the healthcheck: `AllowedHostLayer::new(Or::new(APEX, WWW))`.

use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{BoxError, Router};
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;
use tower_allowed_hosts::matcher::Or;

const APEX: &str = "example.com";
const WWW: &str = "www.example.com";

async fn host_error(error: BoxError) -> (StatusCode, String) {
    (
        StatusCode::BAD_REQUEST,
        format!("host not allowed: {error}"),
    )
}

async fn home() -> &'static str {
    "home"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(host_error))
                .layer(AllowedHostLayer::new(Or::new(APEX, WWW))),
        )
}
