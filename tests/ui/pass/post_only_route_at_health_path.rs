//! A route for other methods only may share the health path.
use axum::{Router, routing::post};
use axum_kamal::kamal_app;

async fn accept() -> &'static str {
    "accepted"
}

#[kamal_app]
fn app() -> Router {
    Router::new().route("/up", post(accept).put(accept))
}

fn main() {
    let _ = app();
}
