//! Requests that are not probes cost no allocation in the healthcheck layer.

#[path = "common/counting.rs"]
mod counting;

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum_kamal::{Health, healthcheck};
use bytes::Bytes;
use counting::allocations;
use futures_util::FutureExt;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use tower::{Layer, Service};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// An inner service that allocates nothing itself: `202 Accepted` with an
/// empty axum body, as a router answers.
#[derive(Clone)]
struct Inner;

impl Service<Request<()>> for Inner {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::ACCEPTED;
        ready(Ok(response))
    }
}

/// Allocations made by the layer for one request, from `poll_ready` to the
/// response (the request is built before counting), and the response's
/// status and body.
fn count<S>(svc: &mut S, req: Request<()>) -> (usize, StatusCode, Bytes)
where
    S: Service<Request<()>, Response = Response<Body>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    let before = allocations();
    assert!(svc.poll_ready(&mut cx).is_ready());
    let mut fut = pin!(svc.call(req));
    let Poll::Ready(Ok(res)) = fut.as_mut().poll(&mut cx) else {
        panic!("not ready")
    };
    let allocated = allocations() - before;
    let status = res.status();
    let body = res
        .into_body()
        .collect()
        .now_or_never()
        .expect("a ready body");
    (allocated, status, body.expect("no body error").to_bytes())
}

fn requests() -> Vec<Request<()>> {
    ["/", "/upx", "/up/", "/livez/", "/api/users?id=1"]
        .iter()
        .map(|uri| Request::get(*uri).body(()).unwrap())
        .chain([
            Request::post("/up").body(()).unwrap(),
            Request::builder()
                .method(Method::DELETE)
                .uri("/livez")
                .body(())
                .unwrap(),
        ])
        .collect()
}

#[test]
fn pass_through_allocates_nothing() {
    let health = Health::new()
        .check("a", || async { Ok::<(), String>(()) })
        .timeout(Duration::from_secs(1))
        .details_secret("x-secret", "secret-value");
    let layers = [
        healthcheck(),
        healthcheck().liveness("/livez"),
        healthcheck().health(health).liveness("/livez"),
    ];
    for layer in layers {
        let mut svc = layer.layer(Inner);
        for req in requests() {
            let uri = req.uri().clone();
            let (n, status, body) = count(&mut svc, req);
            assert_eq!((status, body.len()), (StatusCode::ACCEPTED, 0), "{uri}");
            assert_eq!(n, 0, "{n} allocation(s) passing {uri} through {layer:?}");
        }
    }
}

#[test]
fn counter_sees_allocations() {
    // The static probe answer builds a header map: the counter must see it,
    // otherwise the test above proves nothing.
    let mut svc = healthcheck().layer(Inner);
    let (n, status, body) = count(&mut svc, Request::get("/up").body(()).unwrap());
    assert_eq!((status, body), (StatusCode::OK, Bytes::from_static(b"OK")));
    assert!(n > 0);
}
