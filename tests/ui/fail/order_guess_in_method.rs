//! A guess on a method, in an inherent and in a trait impl, is the same
//! warning: the macro emits it inside the method's body, where it stands in
//! any function.
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

trait App {
    fn router(&self) -> Router;
}

struct Admin;

impl App for Admin {
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
    let _ = Admin.router();
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
