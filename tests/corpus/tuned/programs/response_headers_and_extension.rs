//! Source: https://docs.rs/tower-http/latest/tower_http/set_header/index.html
//! Shared state as an `Extension` and a fixed `Server` header on every response, both outside the healthcheck: neither looks at the request.

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::http::header::SERVER;
use axum::routing::get;
use axum::{Extension, Router};
use tower_http::set_header::SetResponseHeaderLayer;

struct Catalogue {
    items: Vec<&'static str>,
}

async fn items(Extension(catalogue): Extension<Arc<Catalogue>>) -> String {
    catalogue.items.join(",")
}

pub fn app() -> Router {
    let catalogue = Arc::new(Catalogue {
        items: vec!["tea", "coffee"],
    });
    Router::new()
        .route("/items", get(items))
        .layer(axum_kamal::healthcheck())
        .layer(Extension(catalogue))
        .layer(SetResponseHeaderLayer::overriding(
            SERVER,
            HeaderValue::from_static("shop"),
        ))
}
