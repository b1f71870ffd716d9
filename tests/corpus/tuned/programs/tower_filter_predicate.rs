//! Source: https://docs.rs/tower/0.5/tower/filter/index.html
//! An internal API that only its mobile client may call: tower's `FilterLayer::new(require_client_version)` fails requests without `X-Client-Version`, mapped to 400.

use axum::error_handling::HandleErrorLayer;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{BoxError, Router};
use tower::ServiceBuilder;
use tower::filter::FilterLayer;

fn require_client_version(request: Request) -> Result<Request, BoxError> {
    if request.headers().contains_key("x-client-version") {
        Ok(request)
    } else {
        Err("missing X-Client-Version".into())
    }
}

async fn bad_request(error: BoxError) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, error.to_string())
}

async fn feed() -> &'static str {
    "[]"
}

pub fn app() -> Router {
    Router::new()
        .route("/feed", get(feed))
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(bad_request))
                .layer(FilterLayer::new(require_client_version)),
        )
}
