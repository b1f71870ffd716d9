//! Source: https://github.com/tokio-rs/axum/pull/474
//! A staging site behind HTTP basic auth, added last in the stack: `staging_password()` returns `ValidateRequestHeaderLayer::basic` (401).

use axum::Router;
use axum::body::Body;
use axum::routing::get;
#[allow(deprecated)] // the type of the layer below
use tower_http::auth::require_authorization::Basic;
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// Keeps search engines and the public off the staging copy.
#[allow(deprecated)] // tower-http calls this "too basic"; staging sites use it anyway
fn staging_password() -> ValidateRequestHeaderLayer<Basic<Body>> {
    ValidateRequestHeaderLayer::basic("preview", "let-me-in")
}

async fn landing() -> &'static str {
    "new landing page"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(landing))
        .layer(axum_kamal::healthcheck())
        .layer(staging_password())
}
