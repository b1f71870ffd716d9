//! The recording inner service the layer tests run `HealthcheckLayer` over,
//! and the shared probe vocabulary ([`probe`]).

pub mod probe;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum_kamal::HealthcheckLayer;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use tower::{ServiceBuilder, ServiceExt, service_fn};

use probe::Reply;

/// Extension inserted by the tests, to check it reaches the inner service.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker(pub u64);

/// What the inner service saw.
#[derive(Debug)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub marker: Option<Marker>,
}

/// Runs `req` through `layer` wrapping a recording inner service that answers
/// `418` with body `inner`. Returns the reply and what the inner service saw.
pub async fn run(layer: HealthcheckLayer, req: Request<Full<Bytes>>) -> (Reply, Vec<Seen>) {
    let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let svc = ServiceBuilder::new().layer(layer).service(service_fn({
        let log = log.clone();
        move |req: Request<Full<Bytes>>| {
            let log = log.clone();
            async move {
                let (parts, body) = req.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                log.lock().unwrap().push(Seen {
                    marker: parts.extensions.get::<Marker>().cloned(),
                    method: parts.method,
                    uri: parts.uri,
                    headers: parts.headers,
                    body,
                });
                let mut res = Response::new(Full::new(Bytes::from_static(b"inner")));
                *res.status_mut() = StatusCode::IM_A_TEAPOT;
                Ok::<_, Infallible>(res)
            }
        }
    }));
    let reply = Reply::collect(svc.oneshot(req).await.unwrap()).await;
    let seen = std::mem::take(&mut *log.lock().unwrap());
    (reply, seen)
}
