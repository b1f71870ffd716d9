//! Source: https://github.com/maxcountryman/tower-sessions/blob/main/examples/counter.rs
//! A signed-in check on a tower-sessions session, applied to the whole router outside the healthcheck.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

async fn session_required(
    session: Session,
    request: Request,
    next: Next,
) -> Result<Response, StatusCode> {
    match session.get::<String>("user_id").await {
        Ok(Some(_)) => Ok(next.run(request).await),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

pub fn app() -> Router {
    let sessions = SessionManagerLayer::new(MemoryStore::default()).with_secure(false);
    Router::new()
        .route("/", get(|| async { "dashboard" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(session_required))
        .layer(sessions)
}
