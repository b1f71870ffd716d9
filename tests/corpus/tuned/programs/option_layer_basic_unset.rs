//! Source: https://github.com/kube-rs/kube/pull/408
//! Basic auth only when configured: `option_layer(settings.basic_auth.map(|(user, password)| ..))` is `None` here (no credentials set), so nothing runs before the healthcheck.

use axum::Router;
use axum::routing::get;
use tower::util::option_layer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

struct Settings {
    basic_auth: Option<(String, String)>,
}

impl Settings {
    fn load() -> Self {
        let basic_auth = std::env::var("CORPUS_UNSET_BASIC_AUTH")
            .ok()
            .and_then(|pair| {
                pair.split_once(':')
                    .map(|(user, password)| (user.to_owned(), password.to_owned()))
            });
        Self { basic_auth }
    }
}

async fn docs() -> &'static str {
    "internal docs"
}

pub fn app() -> Router {
    let settings = Settings::load();
    #[allow(deprecated)] // tower-http calls basic auth "too basic"
    let maybe_auth = option_layer(
        settings
            .basic_auth
            .map(|(user, password)| ValidateRequestHeaderLayer::basic(&user, &password)),
    );
    Router::new()
        .route("/docs", get(docs))
        .layer(axum_kamal::healthcheck())
        .layer(maybe_auth)
}
