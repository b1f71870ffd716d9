//! Unknown, duplicated and malformed arguments, each on its token, all reported,
//! with "did you mean" for a positional path and near-miss names.
use axum::Router;
use axum_kamal::kamal_app;

#[kamal_app(port = 3000)]
fn unknown() -> Router { Router::new() }

#[kamal_app(path = "/a", path = "/b")]
fn duplicated() -> Router { Router::new() }

#[kamal_app(path "/healthz")]
fn missing_eq() -> Router { Router::new() }

#[kamal_app("/healthz")]
fn bare_literal() -> Router { Router::new() }

#[kamal_app(blocking = TenantLayer)]
fn list_without_parens() -> Router { Router::new() }

#[kamal_app(blocking("TenantLayer"))]
fn list_of_strings() -> Router { Router::new() }

#[kamal_app(path = "/a" allow(x))]
fn missing_comma() -> Router { Router::new() }

#[kamal_app(pth = "/a", path = "b", health)]
fn all_at_once() -> Router { Router::new() }

#[kamal_app(health_path = "/healthz", liveness_path = "/livez")]
fn near_misses() -> Router { Router::new() }

fn main() {
    let _ = (unknown(), duplicated(), missing_eq(), bare_literal());
    let _ = (list_without_parens(), list_of_strings(), missing_comma(), all_at_once());
    let _ = near_misses();
}
