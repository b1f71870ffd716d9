//! Source: https://github.com/tokio-rs/axum/issues/1394
//! A private beta: `map_request_with_state(beta.clone(), require_beta_invite)` returns `Err(StatusCode::FORBIDDEN)` without the invite cookie.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::COOKIE;
use axum::middleware::map_request_with_state;
use axum::routing::get;

#[derive(Clone)]
struct Beta {
    invite_codes: Arc<Vec<String>>,
}

async fn require_beta_invite(
    State(beta): State<Beta>,
    request: Request,
) -> Result<Request, StatusCode> {
    let invited = request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|cookie| cookie.to_str().ok())
        .flat_map(|cookie| cookie.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("beta_invite="))
        .any(|code| beta.invite_codes.iter().any(|known| known == code));
    if invited {
        Ok(request)
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

async fn app_shell() -> &'static str {
    "beta"
}

pub fn app() -> Router {
    let beta = Beta {
        invite_codes: Arc::new(vec!["early-bird".to_owned()]),
    };
    Router::new()
        .route("/", get(app_shell))
        .layer(axum_kamal::healthcheck())
        .layer(map_request_with_state(beta.clone(), require_beta_invite))
}
