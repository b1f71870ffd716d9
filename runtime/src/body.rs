//! The response body of [`HealthcheckService`](crate::HealthcheckService).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// Response body of [`HealthcheckService`](crate::HealthcheckService):
    /// the inner service's body `B`, polled in place, or the healthcheck's
    /// own answer.
    ///
    /// Like tower-http's `ResponseBody` types, it lets the healthcheck wrap a
    /// service of any body type: the layers after it in a `ServiceBuilder`
    /// (tower-http's `TraceLayer`, `CompressionLayer` ...) change the body
    /// type, and no body type needs to be buildable from the answer's bytes.
    /// Its data is `Bytes` and its error `B`'s; the answer never fails. An
    /// axum `Router` accepts a service answering with it in `Router::layer`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum_kamal::HealthcheckBody;
    /// use http::{Request, Response};
    /// use http_body_util::{BodyExt, Full};
    /// use std::convert::Infallible;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// let svc = axum_kamal::healthcheck().layer(service_fn(|_: Request<()>| async {
    ///     Ok::<_, Infallible>(Response::new(Full::from("app")))
    /// }));
    /// for (path, body) in [("/up", "OK"), ("/", "app")] {
    ///     let req = Request::get(path).body(()).unwrap();
    ///     let res: Response<HealthcheckBody<Full<_>>> = svc.clone().oneshot(req).await.unwrap();
    ///     assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), body);
    /// }
    /// # });
    /// ```
    #[derive(Debug)]
    pub struct HealthcheckBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<B> {
        Inner { #[pin] body: B },
        // The answer's bytes until they are sent; `None` once sent or when
        // empty (a `HEAD` answer).
        Answer { data: Option<Bytes> },
    }
}

impl<B> HealthcheckBody<B> {
    /// The inner service's body, passed through.
    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    /// The healthcheck's own answer.
    pub(crate) fn answer(data: Bytes) -> Self {
        Self {
            kind: Kind::Answer {
                data: Some(data).filter(|data| !data.is_empty()),
            },
        }
    }
}

impl<B> Body for HealthcheckBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Answer { data } => Poll::Ready(data.take().map(|data| Ok(Frame::data(data)))),
        }
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Answer { data } => data.is_none(),
        }
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Answer { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |data| data.len() as u64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty, Full};

    #[tokio::test]
    async fn answer_is_one_frame_with_an_exact_size() {
        let body = HealthcheckBody::<Empty<Bytes>>::answer(Bytes::from_static(b"OK"));
        assert!(!body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(2));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "OK");
    }

    #[test]
    fn empty_answer_has_ended() {
        let body = HealthcheckBody::<Empty<Bytes>>::answer(Bytes::new());
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
    }

    #[tokio::test]
    async fn inner_body_is_passed_through() {
        let body = HealthcheckBody::inner(Full::new(Bytes::from_static(b"inner")));
        assert_eq!(body.size_hint().exact(), Some(5));
        assert!(!body.is_end_stream());
        assert_eq!(body.collect().await.unwrap().to_bytes(), "inner");
        assert!(HealthcheckBody::inner(Empty::<Bytes>::new()).is_end_stream());
    }
}
