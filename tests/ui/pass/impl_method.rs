//! A method in an `impl` block, taking `&self`.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::kamal_app;

struct Server {
    greeting: &'static str,
}

impl Server {
    #[kamal_app]
    fn router(&self) -> Router {
        let greeting = self.greeting;
        Router::new().route("/", get(move || async move { greeting }))
    }
}

fn main() {
    let _ = Server { greeting: "hi" }.router();
}
