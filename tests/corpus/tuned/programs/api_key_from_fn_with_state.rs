//! Source: https://www.joshfinnie.com/blog/full-stack-rust-part-4
//! A URL shortener whose API key guard `from_fn_with_state(state.clone(), require_api_key)` wraps the whole router, healthcheck included (401).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};

#[derive(Clone)]
struct AppState {
    api_key: Arc<str>,
}

async fn require_api_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, StatusCode> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(key) if key == &*state.api_key => Ok(next.run(request).await),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

async fn list_urls() -> &'static str {
    "[]"
}

async fn shorten() -> StatusCode {
    StatusCode::CREATED
}

pub fn app() -> Router {
    let state = AppState {
        api_key: Arc::from("super-secret-key-change-me"),
    };
    Router::new()
        .route("/api/urls", get(list_urls))
        .route("/api/shorten", post(shorten))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn_with_state(state.clone(), require_api_key))
        .with_state(state)
}
