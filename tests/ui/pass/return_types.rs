//! Every return type #[kamal_app] accepts: `Router`, `Router<S>`, `axum::Router<..>`,
//! a type alias, and `Result<Router<S>, E>` (with `?` and early `return`s), sync and async.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::kamal_app;

type App = Router;
type AppResult<T> = Result<T, std::num::ParseIntError>;

#[kamal_app]
fn alias() -> App {
    Router::new().route("/", get(support::home))
}

#[kamal_app]
fn stateful() -> Router<support::AppState> {
    Router::new().route("/", get(support::home))
}

#[kamal_app]
fn fallible(port: &str) -> Result<Router, std::num::ParseIntError> {
    let _port: u16 = port.parse()?;
    Ok(Router::new().route("/", get(support::home)))
}

#[kamal_app]
async fn fallible_async(port: &str) -> Result<axum::Router<support::AppState>, String> {
    if port.is_empty() {
        return Err("no port".to_owned());
    }
    let _port: u16 = port.parse().map_err(|_| "bad port".to_owned())?;
    Ok(axum::Router::new().route("/", get(support::home)))
}

#[kamal_app]
fn fallible_alias(port: &str) -> AppResult<App> {
    let _port: u16 = port.parse()?;
    Ok(Router::new())
}

fn main() {
    let _: Router = alias();
    let _ = stateful().with_state::<()>(support::AppState::default());
    let _ = fallible("3000");
    let _ = fallible_async("3000");
    let _ = fallible_alias("3000");
}
