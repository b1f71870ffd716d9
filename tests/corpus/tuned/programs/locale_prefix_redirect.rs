//! Source: https://github.com/ichigo-dev/meower/blob/main/dev_proto/system/auth_server/src/layers/i18n.rs
//! Localised site: `from_fn_with_state(state.clone(), locale_redirect)` sends a path without a locale to /en/... (303, then 404 at /en/up).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

#[derive(Clone)]
struct AppState {
    locales: &'static [&'static str],
    fallback_locale: &'static str,
}

async fn locale_redirect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let first_segment = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    if state.locales.contains(&first_segment) {
        return next.run(request).await;
    }
    let preferred = request
        .headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.get(..2))
        .filter(|language| state.locales.contains(language))
        .unwrap_or(state.fallback_locale);
    Redirect::to(&format!("/{preferred}{path}")).into_response()
}

async fn home() -> &'static str {
    "welcome"
}

async fn accueil() -> &'static str {
    "bienvenue"
}

pub fn app() -> Router {
    let state = AppState {
        locales: &["en", "fr"],
        fallback_locale: "en",
    };
    Router::new()
        .route("/en", get(home))
        .route("/fr", get(accueil))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn_with_state(state.clone(), locale_redirect))
        .with_state(state)
}
