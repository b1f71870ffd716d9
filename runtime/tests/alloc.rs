//! Requests that are not probes cost no allocation in the healthcheck layer.

#[path = "common/counting.rs"]
mod counting;

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum_kamal::{Health, HealthcheckBody, healthcheck};
use bytes::Bytes;
use counting::allocations;
use futures_util::FutureExt;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use tower::{Layer, Service};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// An inner service that allocates nothing itself.
#[derive(Clone)]
struct Inner;

impl Service<Request<()>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(Response::new(Full::new(Bytes::from_static(b"inner")))))
    }
}

/// Allocations made by the layer for one request, from `poll_ready` to the
/// response (the request is built before counting), and the response's body.
fn count<S>(svc: &mut S, req: Request<()>) -> (usize, Bytes)
where
    S: Service<Request<()>, Response = Response<HealthcheckBody<Full<Bytes>>>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    let before = allocations();
    assert!(svc.poll_ready(&mut cx).is_ready());
    let mut fut = pin!(svc.call(req));
    let Poll::Ready(Ok(res)) = fut.as_mut().poll(&mut cx) else {
        panic!("not ready")
    };
    let allocated = allocations() - before;
    let body = res
        .into_body()
        .collect()
        .now_or_never()
        .expect("a ready body");
    (allocated, body.expect("no body error").to_bytes())
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
            let (n, body) = count(&mut svc, req);
            assert_eq!(body, "inner", "{uri}");
            assert_eq!(n, 0, "{n} allocation(s) passing {uri} through {layer:?}");
        }
    }
}

#[test]
fn counter_sees_allocations() {
    // The static probe answer builds a header map: the counter must see it,
    // otherwise the test above proves nothing.
    let mut svc = healthcheck().layer(Inner);
    let (n, body) = count(&mut svc, Request::get("/up").body(()).unwrap());
    assert_eq!(body, "OK");
    assert!(n > 0);
}
