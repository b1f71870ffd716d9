//! Source: https://docs.rs/tower/0.5/tower/util/enum.Either.html
//! Auth chosen at startup with `tower::util::Either`: the production branch, `Either::Left(ValidateRequestHeaderLayer::custom(api_token))`, runs before the healthcheck (401).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use axum::routing::get;
use tower::layer::util::Identity;
use tower::util::Either;
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[derive(Clone, Copy, PartialEq)]
enum Environment {
    Development,
    Production,
}

#[allow(clippy::result_large_err)] // the signature `ValidateRequestHeaderLayer::custom` takes
fn api_token(request: &mut Request<Body>) -> Result<(), Response<Body>> {
    if token_is_valid(request.headers()) {
        return Ok(());
    }
    let mut unauthorized = Response::new(Body::empty());
    *unauthorized.status_mut() = StatusCode::UNAUTHORIZED;
    Err(unauthorized)
}

fn token_is_valid(headers: &HeaderMap) -> bool {
    headers
        .get("x-api-token")
        .is_some_and(|token| token == "prod-token")
}

async fn status() -> &'static str {
    "all systems go"
}

pub fn app() -> Router {
    let environment = if cfg!(debug_assertions) && std::env::var_os("CORPUS_DEV").is_some() {
        Environment::Development
    } else {
        Environment::Production
    };
    let auth = if environment == Environment::Production {
        Either::Left(ValidateRequestHeaderLayer::custom(api_token))
    } else {
        Either::Right(Identity::new())
    };
    Router::new()
        .route("/status", get(status))
        .layer(axum_kamal::healthcheck())
        .layer(auth)
}
