//! `path` must be a string literal holding a plain absolute path.
use axum::Router;
use axum_kamal::kamal_app;

const HEALTH: &str = "/up";

#[kamal_app(path = "up")]
fn relative() -> Router { Router::new() }

#[kamal_app(path = "/up?full=1")]
fn query() -> Router { Router::new() }

#[kamal_app(path = "/up#top")]
fn fragment() -> Router { Router::new() }

#[kamal_app(path = "/{service}")]
fn capture() -> Router { Router::new() }

#[kamal_app(path = "/health/*rest")]
fn wildcard() -> Router { Router::new() }

#[kamal_app(path = "//up")]
fn double_slash() -> Router { Router::new() }

#[kamal_app(path = "/health check")]
fn whitespace() -> Router { Router::new() }

#[kamal_app(path = "/health/../up")]
fn dot_segments() -> Router { Router::new() }

#[kamal_app(path = "/héalth")]
fn not_ascii() -> Router { Router::new() }

#[kamal_app(path = HEALTH)]
fn not_a_literal() -> Router { Router::new() }

#[kamal_app(liveness = "livez")]
fn bad_liveness() -> Router { Router::new() }

#[kamal_app(path = "/healthz", liveness = "/healthz")]
fn same_liveness() -> Router { Router::new() }

fn main() {
    let _ = (relative(), query(), fragment(), capture(), wildcard(), double_slash());
    let _ = (whitespace(), dot_segments(), not_ascii(), not_a_literal(), bad_liveness(), same_liveness());
}
