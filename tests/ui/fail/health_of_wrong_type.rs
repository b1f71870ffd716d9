//! `health = ..` of another type than `Health` is an error on the argument
//! that names the type expected: a string, and a function not called.
use axum::Router;
use axum_kamal::{Health, kamal_app};

fn readiness() -> Health {
    Health::new()
}

#[kamal_app(health = "db")]
fn named() -> Router {
    Router::new()
}

#[kamal_app(health = readiness)]
fn not_called() -> Router {
    Router::new()
}

fn main() {
    let _ = (named(), not_called());
}
