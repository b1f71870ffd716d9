//! Source: https://github.com/tokio-rs/axum/blob/main/examples/key-value-store/src/main.rs
//! The key/value store's stack (errors handled, load shedding, concurrency limit, timeout, tracing) outside the healthcheck, with the bearer-protected admin routes nested at /admin.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{BoxError, Router};
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

type SharedState = Arc<RwLock<AppState>>;

#[derive(Default)]
struct AppState {
    db: HashMap<String, Bytes>,
}

async fn kv_get(
    Path(key): Path<String>,
    State(state): State<SharedState>,
) -> Result<Bytes, StatusCode> {
    let db = &state
        .read()
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .db;
    db.get(&key).cloned().ok_or(StatusCode::NOT_FOUND)
}

async fn kv_set(Path(key): Path<String>, State(state): State<SharedState>, bytes: Bytes) {
    if let Ok(mut state) = state.write() {
        state.db.insert(key, bytes);
    }
}

fn admin_routes() -> Router<SharedState> {
    async fn delete_all_keys(State(state): State<SharedState>) {
        if let Ok(mut state) = state.write() {
            state.db.clear();
        }
    }

    #[allow(deprecated)] // tower-http calls bearer auth "too basic"
    let require_token = ValidateRequestHeaderLayer::bearer("secret-token");
    Router::new()
        .route("/keys", delete(delete_all_keys))
        .layer(require_token)
}

async fn handle_error(error: BoxError) -> impl IntoResponse {
    if error.is::<tower::timeout::error::Elapsed>() {
        return (StatusCode::REQUEST_TIMEOUT, Cow::from("request timed out"));
    }
    if error.is::<tower::load_shed::error::Overloaded>() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Cow::from("service is overloaded, try again later"),
        );
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Cow::from(format!("Unhandled internal error: {error}")),
    )
}

pub fn app() -> Router {
    let shared_state = SharedState::default();
    Router::new()
        .route("/{key}", get(kv_get).post(kv_set))
        .nest("/admin", admin_routes())
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(handle_error))
                .load_shed()
                .concurrency_limit(1024)
                .timeout(Duration::from_secs(10))
                .layer(TraceLayer::new_for_http()),
        )
        .with_state(shared_state)
}
