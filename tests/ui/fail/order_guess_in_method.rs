//! A guess on a method inside an `impl` block is the same warning (denied here
//! to snapshot it): the macro emits it in a function beside the method, which
//! an impl block allows (a `const _` it does not).
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

struct Server;

impl Server {
    #[kamal_app]
    fn router(&self) -> Router {
        Router::new()
            .route("/", get(support::home))
            .layer(healthcheck())
            .layer(from_fn(support::redirect_to_canonical_host))
    }
}

fn main() {
    let _ = Server.router();
}
