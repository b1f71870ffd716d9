//! Source: https://github.com/mitchellkrogza/nginx-ultimate-bad-bot-blocker
//! A bad-bot blocker ported to axum: `from_fn(block_bad_bots)` refuses scrapers by `User-Agent`; kamal-proxy's is not on the list.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::USER_AGENT;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;

const BAD_BOTS: [&str; 5] = ["AhrefsBot", "MJ12bot", "SemrushBot", "DotBot", "PetalBot"];

async fn block_bad_bots(request: Request, next: Next) -> Result<Response, StatusCode> {
    let user_agent = request
        .headers()
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if BAD_BOTS.iter().any(|bot| user_agent.contains(bot)) {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(next.run(request).await)
    }
}

async fn blog() -> &'static str {
    "posts"
}

pub fn app() -> Router {
    Router::new()
        .route("/blog", get(blog))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(block_bad_bots))
}
