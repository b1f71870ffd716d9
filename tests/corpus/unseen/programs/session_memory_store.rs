//! Source: https://github.com/maxcountryman/tower-sessions/blob/main/examples/counter.rs
//! tower-sessions' manager with a memory store outside the healthcheck: it loads or creates a session and passes on.

use axum::Router;
use axum::routing::get;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

async fn visits(session: Session) -> String {
    let count: usize = session.get("visits").await.ok().flatten().unwrap_or(0);
    let _ = session.insert("visits", count + 1).await;
    format!("visits: {count}")
}

pub fn app() -> Router {
    let store = MemoryStore::default();
    let layer = SessionManagerLayer::new(store).with_secure(false);
    Router::new()
        .route("/", get(visits))
        .layer(axum_kamal::healthcheck())
        .layer(layer)
}
