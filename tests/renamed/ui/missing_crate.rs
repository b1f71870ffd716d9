//! axum-kamal is `kamal` in this crate's Cargo.toml: without `crate = "kamal"`,
//! one error on the attribute says so, instead of unresolved paths.
use axum::Router;

#[kamal::kamal_app]
fn app() -> Router {
    Router::new()
}

fn main() {
    let _ = app();
}
