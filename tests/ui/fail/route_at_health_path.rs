//! A route of the user's own at the health path, however it gets there.
use axum::{Router, routing::get};
use axum_kamal::kamal_app;

async fn status() -> &'static str {
    "custom"
}

#[kamal_app]
fn direct() -> Router {
    Router::new().route("/up", get(status))
}

#[kamal_app(path = "/api/up")]
fn nested() -> Router {
    let api = Router::new().route("/up", get(status).post(status));
    Router::new().nest("/api", api)
}

#[kamal_app(liveness = "/livez")]
fn merged_liveness() -> Router {
    Router::new().merge(Router::new().route("/livez", get(status)))
}

fn main() {
    let _ = (direct(), nested(), merged_liveness());
}
