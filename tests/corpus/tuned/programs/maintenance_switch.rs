//! Source: https://github.com/s0uthview/axum-maintenance
//! A maintenance switch, on while the app migrates, answers 503 before the healthcheck: `from_fn_with_state(state.clone(), maintenance_mode)`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

#[derive(Clone)]
struct MaintenanceState {
    enabled: Arc<AtomicBool>,
}

async fn maintenance_mode(
    State(state): State<MaintenanceState>,
    request: Request,
    next: Next,
) -> Response {
    if state.enabled.load(Ordering::Relaxed) {
        let page = Html("<h1>Maintenance</h1><p>Back soon.</p>");
        return (StatusCode::SERVICE_UNAVAILABLE, page).into_response();
    }
    next.run(request).await
}

async fn toggle(State(state): State<MaintenanceState>) -> &'static str {
    state.enabled.fetch_xor(true, Ordering::Relaxed);
    "toggled"
}

async fn home() -> &'static str {
    "Hello, world!"
}

pub fn app() -> Router {
    // The app starts in maintenance and leaves it once its data is migrated.
    let state = MaintenanceState {
        enabled: Arc::new(AtomicBool::new(true)),
    };
    Router::new()
        .route("/", get(home))
        .route("/maintenance", post(toggle))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn_with_state(state.clone(), maintenance_mode))
        .with_state(state)
}
