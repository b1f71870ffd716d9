//! Only functions returning an axum Router (or a `Result` of one) are accepted:
//! one error over the return type, saying what is.
use axum_kamal::kamal_app;

#[kamal_app]
fn app() -> String {
    String::from("not a router")
}

#[kamal_app]
fn routes() -> Vec<axum::Router> {
    Vec::new()
}

#[kamal_app]
fn optional() -> Option<axum::Router> {
    None
}

#[kamal_app]
fn opaque() -> impl Into<axum::Router> {
    axum::Router::new()
}

fn main() {
    let _ = app();
    let _ = routes();
    let _ = optional();
}
