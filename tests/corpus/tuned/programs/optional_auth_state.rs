//! Source: https://docs.rs/axum/0.8/axum/middleware/index.html#passing-state-from-middleware-to-handlers
//! Documents readable by anyone, editable by their owner: `from_fn_with_state(state.clone(), optional_auth)` records who is signed in and never rejects.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

#[derive(Clone, Debug)]
struct CurrentUser {
    name: String,
}

#[derive(Clone)]
struct AppState {
    sessions: Arc<HashMap<String, CurrentUser>>,
}

async fn optional_auth(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let user = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.sessions.get(token).cloned());
    request.extensions_mut().insert(user);
    next.run(request).await
}

async fn document(Extension(user): Extension<Option<CurrentUser>>) -> String {
    match user {
        Some(user) => format!("document (editable by {})", user.name),
        None => "document (read only)".to_owned(),
    }
}

pub fn app() -> Router {
    let state = AppState {
        sessions: Arc::new(HashMap::from([(
            "t0k3n".to_owned(),
            CurrentUser {
                name: "ada".to_owned(),
            },
        )])),
    };
    Router::new()
        .route("/documents/{id}", get(document))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn_with_state(state.clone(), optional_auth))
        .with_state(state)
}
