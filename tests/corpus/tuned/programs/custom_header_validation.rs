//! Source: https://docs.rs/tower-http/latest/tower_http/validate_request/index.html
//! Internal service: `ValidateRequestHeaderLayer::custom(require_gateway_header)` rejects requests that did not come through the API gateway (403).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// The gateway stamps every request it forwards.
#[allow(clippy::result_large_err)] // the signature `ValidateRequestHeaderLayer::custom` takes
fn require_gateway_header(request: &mut Request<Body>) -> Result<(), Response<Body>> {
    if request.headers().contains_key("x-gateway-signature") {
        Ok(())
    } else {
        let mut forbidden = Response::new(Body::from("not through the gateway"));
        *forbidden.status_mut() = StatusCode::FORBIDDEN;
        Err(forbidden)
    }
}

async fn ledger() -> &'static str {
    "ledger"
}

pub fn app() -> Router {
    Router::new()
        .route("/ledger", get(ledger))
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(ValidateRequestHeaderLayer::custom(require_gateway_header)),
        )
}
