//! Behaviour of `HealthcheckLayer` in process, over a recording inner service.

mod common;

use axum_kamal::{DEFAULT_PATH, HealthcheckLayer, health_response, healthcheck};
use bytes::Bytes;
use common::probe::{
    CONTAINER_HOST, Reply, assert_healthy, assert_healthy_head, assert_not_healthcheck, kamal_probe,
};
use common::{Marker, run};
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use tower::ServiceExt;

#[tokio::test]
async fn absolute_form_uri_is_answered() {
    let (res, seen) = run(
        healthcheck(),
        kamal_probe(Method::GET, &format!("http://{CONTAINER_HOST}/up")),
    )
    .await;
    assert_healthy(&res);
    assert!(seen.is_empty());
}

#[tokio::test]
async fn non_matching_paths_reach_inner_unchanged() {
    for uri in [
        "/upx",
        "/UP",
        "/Up",
        "/up/",
        "/up/extra",
        "//up",
        "/up/../admin",
        "/%75p",
        "/",
        "/up.json",
        "/other?path=/up",
    ] {
        for method in [Method::GET, Method::HEAD] {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(uri)
                .header(header::HOST, "example.com")
                .header("x-custom", "1")
                .body(Full::new(Bytes::from_static(b"payload")))
                .unwrap();
            req.extensions_mut().insert(Marker(7));

            let (res, seen) = run(healthcheck(), req).await;
            assert_not_healthcheck(&res, StatusCode::IM_A_TEAPOT);
            assert_eq!(res.body, "inner", "{method} {uri}");
            assert_eq!(seen.len(), 1, "{method} {uri}");
            let seen = &seen[0];
            assert_eq!(seen.method, method);
            assert_eq!(seen.uri, uri);
            assert_eq!(seen.headers.len(), 2);
            assert_eq!(seen.headers[header::HOST], "example.com");
            assert_eq!(seen.headers["x-custom"], "1");
            assert_eq!(seen.body, "payload");
            assert_eq!(seen.marker, Some(Marker(7)));
        }
    }
}

#[tokio::test]
async fn other_methods_on_the_path_pass_through() {
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::PATCH,
        Method::TRACE,
        Method::from_bytes(b"PURGE").unwrap(),
    ] {
        let mut req = kamal_probe(method.clone(), "/up");
        *req.body_mut() = Full::new(Bytes::from_static(b"body"));
        let (res, seen) = run(healthcheck(), req).await;
        assert_not_healthcheck(&res, StatusCode::IM_A_TEAPOT);
        assert_eq!(seen.len(), 1, "{method}");
        assert_eq!(seen[0].method, method);
        assert_eq!(seen[0].uri, "/up");
        assert_eq!(seen[0].body, "body");
        assert_eq!(seen[0].headers[header::USER_AGENT], "kamal-proxy");
    }
}

#[tokio::test]
async fn custom_path_with_new() {
    let layer = HealthcheckLayer::new("/healthz");
    assert_eq!(layer.path(), "/healthz");

    let (res, seen) = run(layer.clone(), kamal_probe(Method::GET, "/healthz")).await;
    assert_healthy(&res);
    assert!(seen.is_empty());

    // The default path is no longer special.
    let (res, seen) = run(layer, kamal_probe(Method::GET, "/up")).await;
    assert_not_healthcheck(&res, StatusCode::IM_A_TEAPOT);
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn custom_path_with_with_path() {
    let layer = HealthcheckLayer::with_path(healthcheck(), "/internal/ready");
    assert_eq!(layer.path(), "/internal/ready");

    let (res, seen) = run(layer.clone(), kamal_probe(Method::HEAD, "/internal/ready")).await;
    assert_healthy_head(&res);
    assert!(seen.is_empty());

    let (res, seen) = run(layer, kamal_probe(Method::GET, DEFAULT_PATH)).await;
    assert_not_healthcheck(&res, StatusCode::IM_A_TEAPOT);
    assert_eq!(seen.len(), 1);
}

#[test]
fn with_path_does_not_affect_clones() {
    let a = healthcheck();
    let b = a.clone().with_path("/b");
    assert_eq!(a.path(), "/up");
    assert_eq!(b.path(), "/b");
    assert_eq!(HealthcheckLayer::default().path(), DEFAULT_PATH);
}

#[test]
#[should_panic(expected = "axum-kamal: a health path must start with `/`, not \"up\"")]
fn new_rejects_relative_path() {
    HealthcheckLayer::new("up");
}

#[test]
#[should_panic(expected = "axum-kamal: a health path must start with `/`, not \"\"")]
fn new_rejects_empty_path() {
    HealthcheckLayer::new("");
}

#[test]
#[should_panic(
    expected = "a health path holds no query (`?`); the healthcheck ignores queries, not \"/up?x=1\""
)]
fn new_rejects_query() {
    HealthcheckLayer::new("/up?x=1");
}

#[test]
#[should_panic(
    expected = "a health path holds no fragment (`#`); it is never sent to the server, not \"/up#top\""
)]
fn new_rejects_fragment() {
    HealthcheckLayer::new("/up#top");
}

#[test]
#[should_panic(expected = "a health path must not contain whitespace")]
fn new_rejects_whitespace() {
    HealthcheckLayer::new("/u p");
}

#[test]
#[should_panic(expected = "captures like `{id}` match many")]
fn new_rejects_route_params() {
    HealthcheckLayer::new("/{id}");
}

#[test]
#[should_panic(expected = "wildcards (`*`) match many")]
fn new_rejects_wildcard() {
    HealthcheckLayer::new("/up/*");
}

#[test]
#[should_panic(expected = "a health path must not contain `//`")]
fn new_rejects_empty_segment() {
    HealthcheckLayer::new("//up");
}

#[test]
#[should_panic(expected = "must start with `/`, not \"up\"")]
fn with_path_validates() {
    let _ = healthcheck().with_path("up");
}

#[test]
#[should_panic(expected = "a health path must not contain `//`")]
fn with_path_rejects_double_slash() {
    let _ = healthcheck().with_path("/a//b");
}

#[tokio::test]
async fn as_outermost_axum_router_layer() {
    use axum::{Router, body::Body, routing::get};

    // An inner layer that rejects every request whose Host is not ours,
    // like strict host validation would.
    async fn strict_host(
        req: Request<Body>,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        if req
            .headers()
            .get(header::HOST)
            .is_some_and(|h| h == "example.com")
        {
            next.run(req).await
        } else {
            let mut res = axum::response::Response::new(Body::from("bad host"));
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
    }
    let reject_all = axum::middleware::from_fn(strict_host);
    let app: Router = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/up", get(|| async { "user up handler" }))
        .route("/other", get(|| async { "other" }))
        .layer(reject_all)
        .layer(healthcheck());

    let send = |method: Method, uri: &str| {
        let req = kamal_probe::<Body>(method, uri);
        let app = app.clone();
        async move { Reply::collect(app.oneshot(req).await.unwrap()).await }
    };

    assert_healthy(&send(Method::GET, "/up").await);
    assert_healthy_head(&send(Method::HEAD, "/up").await);

    // Everything else goes through the user's layers.
    let res = send(Method::GET, "/").await;
    assert_not_healthcheck(&res, StatusCode::FORBIDDEN);
    let res = send(Method::GET, "/up/").await;
    assert_not_healthcheck(&res, StatusCode::FORBIDDEN);
    let res = send(Method::POST, "/up").await;
    assert_not_healthcheck(&res, StatusCode::FORBIDDEN);
    assert_eq!(res.body, "bad host");
}

#[tokio::test]
async fn axum_route_layer_order_inside_is_bypassed() {
    use axum::{Router, body::Body, routing::get};

    // Healthcheck on a router whose only route is elsewhere: still answered.
    let app: Router = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(healthcheck());
    let res = app
        .oneshot(Request::get("/up?probe=1").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_healthy(&Reply::collect(res).await);
}

#[test]
fn health_response_works_with_common_bodies() {
    let res: Response<axum::body::Body> = health_response(&Method::GET);
    assert_eq!(res.status(), StatusCode::OK);
    let res: Response<Full<Bytes>> = health_response(&Method::HEAD);
    assert_eq!(res.headers()[header::CONTENT_LENGTH], "2");
    let res: Response<Bytes> = health_response(&Method::GET);
    assert_eq!(res.body(), "OK");
}

#[test]
fn services_and_futures_are_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>(_: &T) {}
    let layer = healthcheck();
    assert_send_sync(&layer);

    use tower::Layer;
    let svc = layer.layer(axum::Router::<()>::new());
    assert_send_sync(&svc);

    fn assert_send<T: Send>(_: &T) {}
    let mut svc = svc;
    let fut = tower::Service::call(
        &mut svc,
        Request::get("/up").body(axum::body::Body::empty()).unwrap(),
    );
    assert_send(&fut);
}

#[tokio::test]
async fn answered_even_when_the_app_routes_up_to_a_post_only_handler() {
    use axum::{Router, body::Body, routing::post};

    let app: Router = Router::new()
        .route("/up", post(|| async { "posted" }))
        .layer(healthcheck());

    let res = app
        .clone()
        .oneshot(Request::get("/up").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let res = Reply::collect(res).await;
    // axum's method router sets `Allow` (its routes' methods) on whatever its
    // fallback answers, whatever the status (`RouteFuture::poll` and
    // `set_allow_header` in axum 0.8 `routing/route.rs`); the healthcheck
    // wraps that fallback here. Nothing else is added.
    assert_eq!(res.header("allow"), Some("POST"));
    assert_healthy(&res.without_header("allow"));

    let res = app
        .oneshot(Request::post("/up").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let res = Reply::collect(res).await;
    assert_not_healthcheck(&res, StatusCode::OK);
    assert_eq!(res.body, "posted");
}

/// The service answers with axum's `Body` around any inner body, here
/// tower-http's `CompressionBody`, which cannot be built from bytes: probes
/// get the plain answer (before compression, though kamal-proxy accepts
/// gzip), other requests the inner body with its size hint and its end
/// passed through (tower-http keeps an identity body's exact size:
/// `CompressionBody::size_hint` in tower-http 0.7 `compression/body.rs`).
#[tokio::test]
async fn any_inner_body_passes_through_the_healthcheck() {
    use http_body::Body as _;
    use http_body_util::BodyExt;
    use std::convert::Infallible;
    use tower::{ServiceBuilder, service_fn};
    use tower_http::compression::CompressionLayer;

    const PAGE: &str = "a page long enough for tower-http to compress it";
    let svc = ServiceBuilder::new()
        .layer(healthcheck())
        .layer(CompressionLayer::new())
        .service(service_fn(|_: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                PAGE.as_bytes(),
            ))))
        }));
    let call = |req| {
        let svc = svc.clone();
        async move { svc.oneshot(req).await.unwrap() }
    };

    let probe = call(kamal_probe(Method::GET, "/up")).await;
    assert_eq!(probe.headers().get(header::CONTENT_ENCODING), None);
    assert_eq!(probe.body().size_hint().exact(), Some(2));
    assert_healthy(&Reply::collect(probe).await);

    let head = call(kamal_probe(Method::HEAD, "/up")).await;
    assert!(head.body().is_end_stream());
    assert_eq!(head.body().size_hint().exact(), Some(0));

    let plain = call(Request::get("/").body(Full::default()).unwrap()).await;
    assert_eq!(plain.body().size_hint().exact(), Some(PAGE.len() as u64));
    let body = plain.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, PAGE);

    let gzip = call(kamal_probe(Method::GET, "/")).await;
    assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(gzip.body().size_hint().exact(), None);
    let body = gzip.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body[..2], [0x1f, 0x8b], "a gzip stream");
}
