//! Source: https://github.com/AscendingCreations/AxumCSRF
//! axum_csrf's `CsrfLayer` outside the healthcheck only attaches a token; forms verify it in their handlers.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Form, Router};
use axum_csrf::{CsrfConfig, CsrfLayer, CsrfToken};

#[derive(serde::Deserialize)]
struct Keys {
    authenticity_token: String,
}

async fn root(token: CsrfToken) -> impl IntoResponse {
    let value = token.authenticity_token().unwrap_or_default();
    (
        token,
        format!("<input name=authenticity_token value={value}>"),
    )
}

async fn check_key(token: CsrfToken, Form(payload): Form<Keys>) -> StatusCode {
    if token.verify(&payload.authenticity_token).is_ok() {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    }
}

pub fn app() -> Router {
    let config = CsrfConfig::default();
    Router::new()
        .route("/", get(root).post(check_key))
        .layer(axum_kamal::healthcheck())
        .layer(CsrfLayer::new(config))
}
