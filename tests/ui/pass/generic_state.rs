//! `-> Router<S>` for any state type, with `axum::Router` spelled in full.
#[path = "../support/mod.rs"]
mod support;

use axum::routing::get;
use axum_kamal::kamal_app;

#[kamal_app]
pub(crate) fn app<S>() -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    axum::Router::new().route("/", get(support::home))
}

fn main() {
    let _: axum::Router<support::AppState> = app();
}
