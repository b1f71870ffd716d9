//! A macro error comes alone: nothing named only by the arguments (a parameter,
//! an import, a function) draws a warning of its own.
#![deny(warnings)]
use axum::Router;
use axum_kamal::{Health, kamal_app};

fn readiness(name: &str) -> Health {
    Health::new().check(name.to_owned(), || async { Ok::<(), String>(()) })
}

#[kamal_app(health = readiness(&db), pth = "/up")]
fn app(db: String) -> Router {
    Router::new()
}

fn main() {
    let _ = app(String::new());
}
