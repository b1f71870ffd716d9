//! Source: https://docs.rs/tower-http/latest/tower_http/request_id/index.html
//! Set and propagate `x-request-id` with a counter, in a ServiceBuilder whose last layer is the healthcheck.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{HeaderValue, Request};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

#[derive(Clone, Default)]
struct Counter {
    next: Arc<AtomicU64>,
}

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = self.next.fetch_add(1, Ordering::Relaxed).to_string();
        Some(RequestId::new(HeaderValue::from_str(&id).ok()?))
    }
}

pub fn app() -> Router {
    Router::new().route("/", get(|| async { "ok" })).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(Counter::default()))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(axum_kamal::healthcheck()),
    )
}
