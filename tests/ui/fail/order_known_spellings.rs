//! Spellings the table knows, wherever they hide: an extractor used as
//! middleware, a bearer check present only when configured (`option_layer`
//! and `.map(..)`), and a layer bound with `let`, reported where it runs.
#[path = "../support/mod.rs"]
mod support;

use axum::error_handling::HandleErrorLayer;
use axum::middleware::from_extractor_with_state;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower::ServiceBuilder;
use tower::util::option_layer;
use tower_allowed_hosts::AllowedHostLayer;
#[allow(deprecated)]
use tower_http::validate_request::ValidateRequestHeaderLayer;

pub struct Config {
    pub api_token: Option<String>,
}

#[kamal_app]
#[allow(deprecated)]
fn app(config: &Config, state: support::AppState) -> Router {
    let hosts = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(support::bad_request))
        .layer(AllowedHostLayer::new("example.com"));
    Router::new()
        .route("/", get(support::home))
        .with_state(state.clone())
        .layer(healthcheck())
        .layer(from_extractor_with_state::<support::AdminUser, _>(state))
        .layer(option_layer(
            config.api_token.as_deref().map(ValidateRequestHeaderLayer::bearer),
        ))
        .layer(hosts)
}

fn main() {
    let config = Config { api_token: None };
    let _ = app(&config, support::AppState::default());
}
