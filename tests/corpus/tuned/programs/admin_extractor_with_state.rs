//! Source: https://github.com/tokio-rs/axum/pull/1396
//! An admin-only back office: `from_extractor_with_state::<AdminUser, _>` outside the healthcheck (401).

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::from_extractor_with_state;
use axum::routing::get;

#[derive(Clone)]
struct AdminState {
    admin_tokens: Arc<HashSet<String>>,
}

/// An administrator, recognised by one of the configured tokens.
struct AdminUser;

impl<S> FromRequestParts<S> for AdminUser
where
    AdminState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, StatusCode> {
        let admins = AdminState::from_ref(state);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        if admins.admin_tokens.contains(token) {
            Ok(AdminUser)
        } else {
            Err(StatusCode::FORBIDDEN)
        }
    }
}

async fn dashboard() -> &'static str {
    "admin dashboard"
}

pub fn app() -> Router {
    let state = AdminState {
        admin_tokens: Arc::new(HashSet::from(["root-token".to_owned()])),
    };
    Router::new()
        .route("/", get(dashboard))
        .route("/users", get(dashboard))
        .layer(axum_kamal::healthcheck())
        .layer(from_extractor_with_state::<AdminUser, _>(state.clone()))
        .with_state(state)
}
