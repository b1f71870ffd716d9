//! Bindings in branches and nested blocks stay there; destructured names are not guessed.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

fn instrument(app: Router) -> (Router, usize) {
    (app, 1)
}

#[kamal_app]
#[allow(deprecated)]
fn app(secure: bool, early: bool) -> Router {
    let guard = TraceLayer::new_for_http();
    if early {
        let guard = ValidateRequestHeaderLayer::bearer("t");
        return Router::new().route("/", get(support::home)).route_layer(guard).layer(healthcheck());
    }
    // Shadowed by the destructuring below, which must not keep this binding.
    #[allow(unused_variables)]
    let stale: Router = Router::new().layer(healthcheck()).layer(ValidateRequestHeaderLayer::bearer("t"));
    let (stale, _count) = instrument(Router::new().route("/", get(support::home)).layer(healthcheck()));
    if secure {
        let guard = ValidateRequestHeaderLayer::bearer("t");
        stale.route_layer(guard).layer(healthcheck())
    } else {
        stale.layer(guard)
    }
}

fn main() {
    let _ = app(true, false);
}
