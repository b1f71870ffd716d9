//! Source: https://docs.rs/tower-http/latest/tower_http/validate_request/struct.ValidateRequestHeaderLayer.html#method.accept
//! A JSON API using tower-http's `ValidateRequestHeaderLayer::accept("application/json")`: it only refuses an `Accept` that excludes JSON, and the probe sends none.

use axum::routing::get;
use axum::{Json, Router};
use tower_http::validate_request::ValidateRequestHeaderLayer;

async fn invoices() -> Json<Vec<u32>> {
    Json(vec![7, 8])
}

pub fn app() -> Router {
    Router::new()
        .route("/invoices", get(invoices))
        .layer(axum_kamal::healthcheck())
        .layer(ValidateRequestHeaderLayer::accept("application/json"))
}
