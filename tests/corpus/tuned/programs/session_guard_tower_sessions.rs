//! Source: https://github.com/maxcountryman/tower-sessions/blob/main/examples/counter.rs
//! Pages for signed-in users only: `from_fn(require_signed_in)` reads the tower-sessions `Session` and answers 401 without a user id.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

const USER_ID_KEY: &str = "user_id";

async fn require_signed_in(session: Session, request: Request, next: Next) -> Response {
    match session.get::<u64>(USER_ID_KEY).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => (StatusCode::UNAUTHORIZED, "sign in first").into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn inbox() -> &'static str {
    "inbox"
}

pub fn app() -> Router {
    let session_store = MemoryStore::default();
    let session_layer = SessionManagerLayer::new(session_store).with_secure(false);
    Router::new()
        .route("/inbox", get(inbox))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(require_signed_in))
        .layer(session_layer)
}
