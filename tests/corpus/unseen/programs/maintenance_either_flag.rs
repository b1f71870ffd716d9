//! Source: https://docs.rs/tower/latest/tower/util/enum.Either.html
//! A maintenance page switched on by configuration through `Either`, outside the healthcheck.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::layer::util::Identity;
use tower::util::Either;

struct Config {
    maintenance: bool,
}

async fn maintenance_page(_request: Request, _next: Next) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "Back soon").into_response()
}

pub fn app() -> Router {
    let config = Config { maintenance: true };
    let maintenance = if config.maintenance {
        Either::Left(from_fn(maintenance_page))
    } else {
        Either::Right(Identity::new())
    };
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(axum_kamal::healthcheck())
        .layer(maintenance)
}
