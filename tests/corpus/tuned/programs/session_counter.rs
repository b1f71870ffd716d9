//! Source: https://github.com/maxcountryman/tower-sessions/blob/main/examples/counter.rs
//! tower-sessions' `SessionManagerLayer` outside the healthcheck: it loads sessions lazily and never rejects.

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

const COUNTER_KEY: &str = "counter";

async fn handler(session: Session) -> impl IntoResponse {
    let counter: usize = session
        .get(COUNTER_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let _ = session.insert(COUNTER_KEY, counter + 1).await;
    format!("Current count: {counter}")
}

pub fn app() -> Router {
    let session_store = MemoryStore::default();
    let session_layer = SessionManagerLayer::new(session_store).with_secure(false);
    Router::new()
        .route("/", get(handler))
        .layer(axum_kamal::healthcheck())
        .layer(session_layer)
}
