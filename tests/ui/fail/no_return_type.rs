//! A function must say it returns a Router.
use axum_kamal::kamal_app;

#[kamal_app]
fn app() {}

fn main() {
    app();
}
