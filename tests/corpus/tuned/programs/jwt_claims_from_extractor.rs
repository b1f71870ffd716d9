//! Source: https://github.com/tokio-rs/axum/blob/main/examples/jwt/src/main.rs
//! The jwt example's `Claims` extractor turned into middleware for every route: `from_extractor::<Claims>()` answers the probe 400 (missing credentials).

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::from_extractor;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

struct Claims {
    subject: String,
}

enum AuthError {
    MissingCredentials,
    InvalidToken,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            AuthError::MissingCredentials => (StatusCode::BAD_REQUEST, "Missing credentials"),
            AuthError::InvalidToken => (StatusCode::BAD_REQUEST, "Invalid token"),
        };
        (status, Json(message)).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Claims {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(AuthError::MissingCredentials)?;
        // A real app verifies the signature (jsonwebtoken::decode); the
        // subject here is the token's second dot-separated part.
        let subject = token.split('.').nth(1).ok_or(AuthError::InvalidToken)?;
        Ok(Claims {
            subject: subject.to_owned(),
        })
    }
}

async fn protected() -> &'static str {
    "Welcome to the protected area :)"
}

async fn whoami(claims: Claims) -> String {
    claims.subject
}

pub fn app() -> Router {
    Router::new()
        .route("/protected", get(protected))
        .route("/whoami", get(whoami))
        .layer(axum_kamal::healthcheck())
        .layer(from_extractor::<Claims>())
}
