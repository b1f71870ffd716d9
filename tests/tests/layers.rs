//! `#[kamal_app]` on router constructors of every common shape, guarded by
//! real third-party layers that reject kamal-proxy's probe: host validation
//! (`tower_allowed_hosts`), bearer auth (tower-http
//! `ValidateRequestHeaderLayer::bearer`) and tracing (`TraceLayer`), applied
//! through `Router::layer`, `route_layer`, `ServiceBuilder`, `let` rebinding,
//! `merge`, `nest`, fallbacks and state.

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use axum_kamal::kamal_app;
use axum_kamal_tests::{
    assert_healthy, assert_healthy_head, assert_method_not_allowed, host_validation, kamal_probe,
    request, require_bearer, send, with_header,
};
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

/// The only host the apps accept.
const HOST: &str = "example.com";
/// The bearer token the apps require.
const TOKEN: &str = "s3cret";

/// A request from a legitimate, authenticated client.
fn authorized(target: &str) -> axum::extract::Request {
    with_header(
        request(Method::GET, target, HOST),
        "authorization",
        &format!("Bearer {TOKEN}"),
    )
}

/// kamal-proxy's probe gets the healthcheck (GET, HEAD, with a query), while
/// the app's layers still reject kamal-proxy on `/` with `rejected` and still
/// serve an authorized `GET /` with `home`.
async fn assert_probe_answered_and_app_guarded(app: &Router, rejected: StatusCode) {
    assert_healthy(&send(app, kamal_probe(Method::GET, "/up")).await);
    assert_healthy_head(&send(app, kamal_probe(Method::HEAD, "/up?from=kamal")).await);
    let denied = send(app, kamal_probe(Method::GET, "/")).await;
    assert_eq!(denied.status, rejected, "{denied:?}");
    let served = send(app, authorized("/")).await;
    assert_eq!(
        (served.status, served.text().as_str()),
        (StatusCode::OK, "home")
    );
}

async fn home() -> &'static str {
    "home"
}

#[kamal_app]
fn router_layers() -> Router {
    Router::new()
        .route("/", get(home))
        .layer(require_bearer(TOKEN))
        .layer(host_validation(HOST))
        .layer(TraceLayer::new_for_http())
}

#[tokio::test]
async fn router_layer_calls() {
    assert_probe_answered_and_app_guarded(&router_layers(), StatusCode::BAD_REQUEST).await;
}

/// `route_layer` guards the matched routes only; `/up` is not one of them,
/// so without the macro kamal-proxy would get a 404.
#[kamal_app]
fn route_layer() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/deploys", post(|| async { "deploy recorded" }))
        .route_layer(require_bearer(TOKEN))
}

#[tokio::test]
async fn route_layer_guarded_routes() {
    let app = route_layer();
    assert_probe_answered_and_app_guarded(&app, StatusCode::UNAUTHORIZED).await;
    assert_method_not_allowed(&send(&app, kamal_probe(Method::POST, "/up")).await);
    let mut authorized_post = authorized("/deploys");
    *authorized_post.method_mut() = Method::POST;
    assert_eq!(send(&app, authorized_post).await.text(), "deploy recorded");
}

#[kamal_app]
fn service_builder() -> Router {
    Router::new().route("/", get(home)).layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(host_validation(HOST))
            .layer(require_bearer(TOKEN)),
    )
}

#[tokio::test]
async fn service_builder_stack() {
    assert_probe_answered_and_app_guarded(&service_builder(), StatusCode::BAD_REQUEST).await;
}

#[kamal_app]
fn let_rebinding() -> Router {
    let app = Router::new().route("/", get(home));
    let app = app.layer(require_bearer(TOKEN));
    let app = app.layer(host_validation(HOST));
    app.layer(TraceLayer::new_for_http())
}

#[tokio::test]
async fn let_rebinding_of_the_router() {
    assert_probe_answered_and_app_guarded(&let_rebinding(), StatusCode::BAD_REQUEST).await;
}

#[kamal_app]
fn merged() -> Router {
    let public = Router::new().route("/", get(home));
    let admin = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .layer(require_bearer(TOKEN));
    Router::new()
        .merge(public)
        .merge(admin)
        .layer(host_validation(HOST))
}

#[tokio::test]
async fn merged_routers() {
    let app = merged();
    assert_probe_answered_and_app_guarded(&app, StatusCode::BAD_REQUEST).await;
    let admin = send(&app, request(Method::GET, "/admin", HOST)).await;
    assert_eq!(admin.status, StatusCode::UNAUTHORIZED);
}

/// Nesting under `/up` itself: only the exact path is the healthcheck.
#[kamal_app]
fn nested() -> Router {
    let api = Router::new()
        .route("/items", get(|| async { "items" }))
        .layer(require_bearer(TOKEN));
    let status = Router::new().route("/details", get(|| async { "details" }));
    Router::new()
        .route("/", get(home))
        .nest("/api", api)
        .nest("/up", status)
        .layer(host_validation(HOST))
}

#[tokio::test]
async fn nested_routers() {
    let app = nested();
    assert_probe_answered_and_app_guarded(&app, StatusCode::BAD_REQUEST).await;
    let items = send(&app, authorized("/api/items")).await;
    assert_eq!(
        (items.status, items.text().as_str()),
        (StatusCode::OK, "items")
    );
    let details = send(&app, authorized("/up/details")).await;
    assert_eq!(details.text(), "details");
    let probe_details = send(&app, kamal_probe(Method::GET, "/up/details")).await;
    assert_eq!(probe_details.status, StatusCode::BAD_REQUEST);
}

/// A members-only wall as fallback: every unknown path is 403, `/up` too.
#[kamal_app]
fn fallback() -> Router {
    Router::new()
        .route("/", get(home))
        .fallback(|| async { (StatusCode::FORBIDDEN, "members only") })
        .layer(require_bearer(TOKEN))
}

#[tokio::test]
async fn fallback_handler() {
    let app = fallback();
    assert_probe_answered_and_app_guarded(&app, StatusCode::UNAUTHORIZED).await;
    let missing = send(&app, authorized("/missing")).await;
    assert_eq!(
        (missing.status, missing.text().as_str()),
        (StatusCode::FORBIDDEN, "members only")
    );
}

#[derive(Clone)]
struct AppState {
    token: String,
    greeting: &'static str,
}

async fn greet(State(state): State<AppState>) -> &'static str {
    state.greeting
}

#[kamal_app]
fn with_state(state: AppState) -> Router {
    Router::new()
        .route("/", get(greet))
        .route_layer(require_bearer(&state.token))
        .layer(host_validation(HOST))
        .with_state(state)
}

#[tokio::test]
async fn router_with_state_and_parameters() {
    let app = with_state(AppState {
        token: TOKEN.to_owned(),
        greeting: "home",
    });
    assert_probe_answered_and_app_guarded(&app, StatusCode::BAD_REQUEST).await;
}

/// A generic `Router<S>` the caller finishes with `with_state`.
#[kamal_app]
fn generic_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(home))
        .layer(require_bearer(TOKEN))
        .layer(host_validation(HOST))
}

#[tokio::test]
async fn generic_router_finished_by_the_caller() {
    let app: Router = generic_routes::<AppState>().with_state(AppState {
        token: String::new(),
        greeting: "unused",
    });
    assert_probe_answered_and_app_guarded(&app, StatusCode::BAD_REQUEST).await;
}

/// A `Router<AppState>` returned still missing its state.
#[kamal_app]
fn stateful_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(greet))
        .layer(require_bearer(TOKEN))
        .layer(host_validation(HOST))
}

#[tokio::test]
async fn router_with_missing_state_type() {
    let app = stateful_routes().with_state(AppState {
        token: String::new(),
        greeting: "home",
    });
    assert_probe_answered_and_app_guarded(&app, StatusCode::BAD_REQUEST).await;
}

#[kamal_app]
async fn async_constructor(token: String, host: &'static str) -> Router {
    // Stands for loading configuration or connecting to a database.
    tokio::task::yield_now().await;
    Router::new()
        .route("/", get(home))
        .layer(require_bearer(&token))
        .layer(host_validation(host))
}

#[tokio::test]
async fn async_constructor_with_parameters() {
    let app = async_constructor(TOKEN.to_owned(), HOST).await;
    assert_probe_answered_and_app_guarded(&app, StatusCode::BAD_REQUEST).await;
}

struct Api {
    token: String,
}

impl Api {
    fn routes(&self) -> Router {
        Router::new()
            .route("/", get(home))
            .layer(require_bearer(&self.token))
            .layer(host_validation(HOST))
    }

    #[kamal_app]
    fn router(&self) -> Router {
        self.routes()
    }

    #[kamal_app]
    async fn into_router(self) -> Router {
        self.routes()
    }
}

/// A router from one `#[kamal_app]` function given to another gets the
/// health routes twice: it fails when built, with a message that says so.
#[test]
#[should_panic(expected = "axum-kamal: cannot add the healthcheck's GET and HEAD route at \"/up\"")]
fn nested_kamal_apps_fail_at_startup() {
    #[kamal_app]
    fn outer() -> Router {
        Api {
            token: TOKEN.to_owned(),
        }
        .router()
    }
    let _ = outer();
}

#[tokio::test]
async fn impl_methods() {
    let api = Api {
        token: TOKEN.to_owned(),
    };
    assert_probe_answered_and_app_guarded(&api.router(), StatusCode::BAD_REQUEST).await;
    assert_probe_answered_and_app_guarded(&api.into_router().await, StatusCode::BAD_REQUEST).await;
}

/// Doc comments and other attributes stay on the function.
#[kamal_app]
#[inline(never)]
#[allow(clippy::let_and_return)]
#[cfg_attr(test, doc = "Compiled for tests.")]
pub(crate) fn with_attributes() -> Router {
    let app = Router::new()
        .route("/", get(home))
        .layer(require_bearer(TOKEN));
    app
}

#[tokio::test]
async fn attributes_and_docs_are_kept() {
    assert_probe_answered_and_app_guarded(&with_attributes(), StatusCode::UNAUTHORIZED).await;
}
