//! Source: https://docs.rs/tower-http/latest/tower_http/auth/async_require_authorization/index.html
//! Tokens checked against a session store asynchronously: `AsyncRequireAuthorizationLayer::new(SessionTokenAuth { .. })` answers 401 without `Authorization`.

use std::collections::HashSet;
use std::future::{Ready, ready};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::header::AUTHORIZATION;
use axum::http::{Request, Response, StatusCode};
use axum::routing::get;
use tower_http::auth::{AsyncAuthorizeRequest, AsyncRequireAuthorizationLayer};

#[derive(Clone)]
struct SessionTokenAuth {
    tokens: Arc<HashSet<String>>,
}

impl<B> AsyncAuthorizeRequest<B> for SessionTokenAuth {
    type RequestBody = B;
    type ResponseBody = Body;
    type Future = Ready<Result<Request<B>, Response<Body>>>;

    fn authorize(&mut self, request: Request<B>) -> Self::Future {
        let known = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|token| self.tokens.contains(token));
        if known {
            return ready(Ok(request));
        }
        let mut unauthorized = Response::new(Body::empty());
        *unauthorized.status_mut() = StatusCode::UNAUTHORIZED;
        ready(Err(unauthorized))
    }
}

async fn notes() -> &'static str {
    "notes"
}

pub fn app() -> Router {
    let auth = SessionTokenAuth {
        tokens: Arc::new(HashSet::from(["session-1".to_owned()])),
    };
    Router::new()
        .route("/notes", get(notes))
        .layer(axum_kamal::healthcheck())
        .layer(AsyncRequireAuthorizationLayer::new(auth))
}
