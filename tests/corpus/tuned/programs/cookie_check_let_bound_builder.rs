//! Source: https://github.com/tokio-rs/axum/blob/main/examples/oauth/src/main.rs
//! A middleware stack bound with `let` before use: `from_fn(require_session_cookie)`, inside it, answers 401 without the session cookie.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::COOKIE;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::cors::CorsLayer;

static COOKIE_NAME: &str = "SESSION";

async fn require_session_cookie(request: Request, next: Next) -> Result<Response, StatusCode> {
    let has_session = request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| {
            value
                .split(';')
                .any(|pair| pair.trim().starts_with(COOKIE_NAME))
        });
    if has_session {
        Ok(next.run(request).await)
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

async fn profile() -> &'static str {
    "profile"
}

pub fn app() -> Router {
    let middleware = ServiceBuilder::new()
        .layer(CorsLayer::permissive())
        .layer(from_fn(require_session_cookie));
    Router::new()
        .route("/profile", get(profile))
        .layer(axum_kamal::healthcheck())
        .layer(middleware)
}
