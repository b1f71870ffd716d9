//! Paths break the runtime's rules at compile time, literal or constant, each
//! reported on the argument.
use axum::Router;
use axum_kamal::kamal_app;

const RELATIVE: &str = "up";
const LIVE: &str = "/live";

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

#[kamal_app(path = "/a|b")]
fn not_a_path_char() -> Router { Router::new() }

#[kamal_app(path = RELATIVE)]
fn bad_constant() -> Router { Router::new() }

#[kamal_app(liveness = "livez")]
fn bad_liveness() -> Router { Router::new() }

#[kamal_app(path = "/healthz", liveness = "/healthz")]
fn same_liveness() -> Router { Router::new() }

#[kamal_app(path = LIVE, liveness = LIVE)]
fn same_constant() -> Router { Router::new() }

#[kamal_app(liveness = "/up")]
fn liveness_on_the_default_path() -> Router { Router::new() }

fn main() {
    let _ = (relative(), query(), fragment(), capture(), wildcard(), double_slash());
    let _ = (whitespace(), dot_segments(), not_ascii(), not_a_path_char(), bad_constant());
    let _ = (bad_liveness(), same_liveness(), same_constant(), liveness_on_the_default_path());
}
