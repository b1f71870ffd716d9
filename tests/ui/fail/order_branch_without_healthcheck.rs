//! With explicit placement, every returned router needs its healthcheck().
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app(monitored: bool) -> Router {
    let app = Router::new().route("/", get(support::home));
    if monitored {
        app.layer(healthcheck())
    } else {
        app
    }
}

fn main() {
    let _ = app(true);
}
