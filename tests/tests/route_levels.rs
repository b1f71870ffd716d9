//! `#[kamal_app]` adds no route level to the app's ordinary requests, in
//! every shape of function body.
//!
//! axum's `Router::layer` wraps every route in one more boxed service, and
//! each request clones that chain: one allocation more per level. The macro
//! adds the health routes after the body built the router, where no layer
//! wraps them and no other request meets them, so an ordinary request
//! through the app allocates exactly as much as through the same app
//! without the macro, however the body ends. Counting allocations shows a
//! level without timing anything; the expansion before 0.1, one more
//! `.layer(healthcheck())`, is counted too, so each test can tell the two
//! apart.

#[path = "../../runtime/tests/common/counting.rs"]
mod counting;

use std::convert::Infallible;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum_kamal::healthcheck;
use axum_kamal_tests::{host_validation, kamal_probe, request, require_bearer, with_header};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::trace::TraceLayer;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// The only host the apps accept.
const HOST: &str = "example.com";
/// The bearer token the apps require.
const TOKEN: &str = "s3cret";

/// An authorized request to `/`, answered `200 OK`.
fn ordinary() -> Request {
    with_header(
        request(Method::GET, "/", HOST),
        "authorization",
        &format!("Bearer {TOKEN}"),
    )
}

/// One request through a clone of `app`, as `axum::serve` sends it, and the
/// allocations it made (the request is built before counting). Every app
/// here answers on the first poll.
fn send(app: &Router, request: Request) -> (StatusCode, usize) {
    let (response, allocations) = counting::allocations_of(|| app.clone().oneshot(request));
    let response: Response = response.unwrap_or_else(|never: Infallible| match never {});
    (response.status(), allocations)
}

/// Allocations of an ordinary request through the macro's app, the app
/// without the macro, and the old expansion (the app plus one more
/// `.layer(healthcheck())`); checks that all three serve it and that the
/// macro's app answers the probe.
fn allocations(kamal: Router, plain: Router) -> [usize; 3] {
    let wrapped = plain.clone().layer(healthcheck());
    assert_eq!(
        send(&kamal, kamal_probe(Method::GET, "/up")).0,
        StatusCode::OK
    );
    [kamal, plain, wrapped].map(|app| {
        // As `axum::serve` prepares it for each connection: every handler
        // turned into a route once, not at each request.
        let app = app.with_state(());
        // The first request warms up lazily allocated state.
        assert_eq!(send(&app, ordinary()).0, StatusCode::OK);
        let (status, allocations) = send(&app, ordinary());
        assert_eq!(status, StatusCode::OK);
        allocations
    })
}

/// The macro's app allocates as much as the plain one, and the old
/// expansion allocates more: the level is gone, and the count can see it.
fn assert_no_extra_level(kamal: Router, plain: Router) {
    let [kamal, plain, wrapped] = allocations(kamal, plain);
    assert_eq!(kamal, plain, "allocations per request: macro vs plain");
    assert!(
        wrapped > plain,
        "the old expansion should allocate more per request ({wrapped} vs {plain})"
    );
}

axum_kamal_tests::kamal_twins!(chain / chain_plain {
    /// Host validation, then auth: the tail ends with `.layer(..)`.
    pub fn app() -> Router {
        Router::new()
            .route("/", get(|| async { "home" }))
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
    }
});

#[test]
fn router_layer_chain() {
    assert_no_extra_level(chain::app(), chain_plain::app());
}

axum_kamal_tests::kamal_twins!(builder / builder_plain {
    /// One `ServiceBuilder`, whose first layer changes the body type.
    pub fn app() -> Router {
        Router::new().route("/", get(|| async { "home" })).layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(host_validation(HOST))
                .layer(require_bearer(TOKEN)),
        )
    }
});

#[test]
fn service_builder() {
    assert_no_extra_level(builder::app(), builder_plain::app());
}

axum_kamal_tests::kamal_twins!(traced / traced_plain {
    /// `TraceLayer` outermost: its response body is not axum's `Body`.
    pub fn app() -> Router {
        Router::new()
            .route("/", get(|| async { "home" }))
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
            .layer(TraceLayer::new_for_http())
    }
});

#[test]
fn body_changing_outermost_layer() {
    assert_no_extra_level(traced::app(), traced_plain::app());
}

/// The app's state: the token its handler echoes.
#[derive(Clone)]
struct Token(&'static str);

axum_kamal_tests::kamal_twins!(stateful / stateful_plain {
    /// The tail ends with `.with_state(..)` after the last `.layer(..)`.
    pub async fn app(token: &'static str) -> Router {
        Router::new()
            .route("/", get(|State(Token(token)): State<Token>| async move { token }))
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
            .with_state(Token(token))
    }
});

#[tokio::test]
async fn with_state_after_the_last_layer() {
    assert_no_extra_level(stateful::app("t").await, stateful_plain::app("t").await);
}

/// `return router;`, the way a macro might hide it.
macro_rules! bail {
    ($router:expr) => {
        return $router
    };
}

axum_kamal_tests::kamal_twins!(early / early_plain {
    /// Two ways out: an early `return` (visible, or inside a macro) and the
    /// tail. Both are guarded; only the tail can take the healthcheck along.
    pub fn app(exit: &str) -> Router {
        let routes = Router::new().route("/", get(|| async { "home" }));
        if exit == "return" {
            return routes.layer(host_validation(HOST));
        }
        if exit == "macro" {
            bail!(routes.layer(host_validation(HOST)));
        }
        routes
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
    }
});

#[test]
fn every_way_out_answers_the_probe() {
    for exit in ["tail", "return", "macro"] {
        let app = early::app(exit);
        assert_eq!(
            send(&app, kamal_probe(Method::GET, "/up")).0,
            StatusCode::OK
        );
        let plain = early_plain::app(exit);
        assert_eq!(
            send(&plain, kamal_probe(Method::GET, "/up")).0,
            StatusCode::BAD_REQUEST,
            "without the macro, host validation rejects the probe ({exit})"
        );
        assert_no_extra_level(app, plain);
    }
}

axum_kamal_tests::kamal_twins!(no_layer / no_layer_plain {
    /// A route after the last `.layer(..)`.
    pub fn app() -> Router {
        Router::new()
            .route("/", get(|| async { "home" }))
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
            .route("/later", get(|| async { "later" }))
    }
});

#[test]
fn routes_after_the_last_layer() {
    let app = no_layer::app();
    let later = send(&app, kamal_probe(Method::GET, "/later")).0;
    assert_eq!(
        later,
        StatusCode::OK,
        "the later route is not host-validated"
    );
    assert_no_extra_level(app, no_layer_plain::app());
}

axum_kamal_tests::kamal_twins!(bound / bound_plain {
    /// The router bound with `let`, then returned.
    #[allow(clippy::let_and_return)]
    pub fn app() -> Router {
        let app = Router::new()
            .route("/", get(|| async { "home" }))
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST));
        app
    }
});

#[test]
fn let_bound_router() {
    assert_no_extra_level(bound::app(), bound_plain::app());
}

/// A macro that builds the whole guarded router, as some apps have.
macro_rules! guarded {
    ($routes:expr) => {
        $routes
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
    };
}

axum_kamal_tests::kamal_twins!(built_by_macro / built_by_macro_plain {
    /// The body is a macro call.
    pub fn app() -> Router {
        guarded!(Router::new().route("/", get(|| async { "home" })))
    }
});

#[test]
fn body_is_a_macro_call() {
    assert_no_extra_level(built_by_macro::app(), built_by_macro_plain::app());
}

axum_kamal_tests::kamal_twins!(fallback_last / fallback_last_plain {
    /// A fallback after the layers.
    pub fn app() -> Router {
        Router::new()
            .route("/", get(|| async { "home" }))
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
            .fallback(|| async { (StatusCode::NOT_FOUND, "nothing here") })
    }
});

#[test]
fn fallback_after_the_layers() {
    assert_no_extra_level(fallback_last::app(), fallback_last_plain::app());
}

axum_kamal_tests::kamal_twins!(macro_then_state / macro_then_state_plain {
    /// A macro, then `.with_state(..)`.
    pub fn app() -> Router {
        guarded!(Router::new()
            .route("/", get(|State(Token(token)): State<Token>| async move { token })))
        .with_state(Token("t"))
    }
});

#[test]
fn macro_then_with_state() {
    assert_no_extra_level(macro_then_state::app(), macro_then_state_plain::app());
}
