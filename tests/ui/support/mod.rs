//! Pieces the trybuild cases share: handlers, state, middleware functions and
//! an axum-login backend. Layers themselves are written inline in each case,
//! since the macro reads them there.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;

use axum::BoxError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum_login::{AuthUser, AuthnBackend, UserId};

pub async fn home() -> &'static str {
    "home"
}

pub async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// Maps the `BoxError` of tower_allowed_hosts and tower's shedding layers to a response.
pub async fn bad_request(_: BoxError) -> StatusCode {
    StatusCode::BAD_REQUEST
}

#[derive(Clone, Default)]
pub struct AppState {
    pub allowed_host: &'static str,
}

pub async fn require_https(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn check_allowed_host(State(_): State<AppState>, request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn require_json(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn log_requests(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn security_headers(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn add_request_id(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn tenant_guard(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn enforce_tls(request: Request) -> Result<Request, StatusCode> {
    Ok(request)
}

pub async fn redirect_to_canonical_host(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn maintenance_mode(State(_): State<AppState>, request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn resolve_tenant(State(_): State<AppState>, request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn optional_auth(State(_): State<AppState>, request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn auth_context(request: Request, next: Next) -> Response {
    next.run(request).await
}

pub async fn add_server_header(response: Response) -> Response {
    response
}

pub async fn audit(request: Request, next: Next) -> Response {
    next.run(request).await
}

/// An extractor whose name says it guards.
pub struct RequireAuth;

/// An extractor that needs the app's state, as admin checks do.
pub struct AdminUser;

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = StatusCode;

    async fn from_request_parts(_: &mut Parts, _: &AppState) -> Result<Self, StatusCode> {
        Err(StatusCode::UNAUTHORIZED)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequireAuth {
    type Rejection = StatusCode;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        Err(StatusCode::UNAUTHORIZED)
    }
}

#[derive(Debug, Clone)]
pub struct User {
    id: i64,
    pw_hash: Vec<u8>,
}

impl AuthUser for User {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.pw_hash
    }
}

/// The smallest axum-login backend.
#[derive(Clone, Default)]
pub struct Backend {
    users: HashMap<i64, User>,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = i64;
    type Error = Infallible;

    async fn authenticate(&self, id: i64) -> Result<Option<User>, Infallible> {
        Ok(self.users.get(&id).cloned())
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, Infallible> {
        Ok(self.users.get(id).cloned())
    }
}
