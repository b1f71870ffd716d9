//! Source: https://github.com/shockerqt/balance/blob/main/apps/server/src/modules/auth/auth.rs
//! An `auth_context` middleware that decodes the caller when it can and leaves authorisation to the handlers: `from_fn(auth_context)` never rejects.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

#[derive(Clone, Default)]
struct AuthContext {
    user_id: Option<u64>,
}

async fn auth_context(mut request: Request, next: Next) -> Response {
    let user_id = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|header| header.to_str().ok())
        .and_then(|header| header.strip_prefix("Bearer user-"))
        .and_then(|id| id.parse().ok());
    request.extensions_mut().insert(AuthContext { user_id });
    next.run(request).await
}

async fn orders(Extension(context): Extension<AuthContext>) -> Result<String, StatusCode> {
    let user_id = context.user_id.ok_or(StatusCode::UNAUTHORIZED)?;
    Ok(format!("orders of {user_id}"))
}

pub fn app() -> Router {
    Router::new()
        .route("/orders", get(orders))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(auth_context))
}
