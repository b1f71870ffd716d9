//! Source: https://github.com/tokio-rs/axum/blob/main/examples/request-id/src/main.rs
//! Request ids set, traced and copied to the response around the healthcheck: `SetRequestIdLayer` and `PropagateRequestIdLayer` never reject.

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID_HEADER: &str = "x-request-id";

async fn handler() -> &'static str {
    "Hello, World!"
}

pub fn app() -> Router {
    let x_request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            x_request_id.clone(),
            MakeRequestUuid,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request.headers().get(REQUEST_ID_HEADER);
                tracing::info_span!("http_request", request_id = ?request_id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(x_request_id));
    Router::new()
        .route("/", get(handler))
        .layer(axum_kamal::healthcheck())
        .layer(middleware)
}
