//! Source: https://github.com/tokio-rs/axum/pull/474
//! Auth added after the healthcheck but with `route_layer`, which wraps matched routes only: unmatched /up still reaches the healthcheck.

use axum::Router;
use axum::routing::{delete, get};
use tower_http::validate_request::ValidateRequestHeaderLayer;

async fn list_keys() -> &'static str {
    "[]"
}

async fn delete_all_keys() {}

pub fn app() -> Router {
    #[allow(deprecated)] // tower-http calls bearer auth "too basic"
    let admin_token = ValidateRequestHeaderLayer::bearer("secret-token");
    Router::new()
        .route("/keys", get(list_keys))
        .route("/admin/keys", delete(delete_all_keys))
        .layer(axum_kamal::healthcheck())
        .route_layer(admin_token)
}
