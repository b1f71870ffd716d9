//! Only functions returning an axum Router are accepted.
use axum_kamal::kamal_app;

#[kamal_app]
fn app() -> String {
    String::from("not a router")
}

#[kamal_app]
fn routes() -> Vec<axum::Router> {
    Vec::new()
}

fn main() {
    let _ = app();
    let _ = routes();
}
