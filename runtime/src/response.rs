//! The healthcheck answer itself.

use std::sync::LazyLock;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};

/// Builds the answer to a healthcheck probe: this is *the handler* behind
/// [`HealthcheckLayer`](crate::HealthcheckLayer), usable on its own.
///
/// The response is always `200 OK` with
///
/// * `content-type: text/plain; charset=utf-8`
/// * `cache-control: no-store`
/// * `content-length: 2`
///
/// and the body `OK`. For a `HEAD` request the headers are the same
/// (including `content-length: 2`) but the body is empty. Any other method is
/// answered as `GET`; deciding *which* requests are probes is the layer's job.
///
/// The body type only needs `From<Bytes>`, so it works with
/// `axum::body::Body`, `http_body_util::Full<Bytes>`, or anything similar.
/// Header values are static: building the answer allocates only the
/// response's header map.
///
/// # Example
///
/// ```
/// use axum_kamal::health_response;
/// use axum::body::Bytes;
/// use axum::http::{Method, StatusCode};
///
/// let res = health_response::<Bytes>(&Method::GET);
/// assert_eq!(res.status(), StatusCode::OK);
/// assert_eq!(res.headers()["cache-control"], "no-store");
/// assert_eq!(res.body(), "OK");
///
/// let head = health_response::<Bytes>(&Method::HEAD);
/// assert_eq!(head.headers()["content-length"], "2");
/// assert!(head.body().is_empty());
/// ```
///
/// It can also serve as a plain axum handler:
///
/// ```
/// use axum::{Router, body::Body, http::Method, response::Response, routing::get};
///
/// async fn up(method: Method) -> Response<Body> {
///     axum_kamal::health_response(&method)
/// }
///
/// let app: Router = Router::new().route("/up", get(up));
/// ```
pub fn health_response<B: From<Bytes>>(method: &Method) -> Response<B> {
    healthy(method == Method::HEAD)
}

/// [`health_response`] to a `HEAD` request (no body) or to a `GET`.
pub(crate) fn healthy<B: From<Bytes>>(head: bool) -> Response<B> {
    plain_text(StatusCode::OK, head)
}

/// The plain-text answer to a probe: `status` with its reason phrase as the
/// body (`OK`, `Service Unavailable`), the one builder of the public answers.
pub(crate) fn plain_text<B: From<Bytes>>(status: StatusCode, head: bool) -> Response<B> {
    let body = status.canonical_reason().unwrap_or_default();
    probe_response(
        status,
        HeaderValue::from_static("text/plain; charset=utf-8"),
        Bytes::from_static(body.as_bytes()),
        head,
    )
}

/// Builds a response with the fixed probe headers and `content-length`
/// computed from `body`; the body is dropped for `HEAD` (`head == true`).
pub(crate) fn probe_response<B: From<Bytes>>(
    status: StatusCode,
    content_type: HeaderValue,
    body: Bytes,
    head: bool,
) -> Response<B> {
    let content_length = content_length(body.len());
    let body = if head { Bytes::new() } else { body };
    let mut res = Response::new(B::from(body));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_LENGTH, content_length);
    res
}

/// `content-length` for `len` bytes. The values for the plain-text bodies are
/// made once and shared (a clone copies no bytes), so answering a probe
/// allocates only the response's header map.
fn content_length(len: usize) -> HeaderValue {
    static PLAIN: LazyLock<[(usize, HeaderValue); 2]> = LazyLock::new(|| {
        [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].map(|status| {
            let len = status.canonical_reason().unwrap_or_default().len();
            (len, HeaderValue::from(len))
        })
    });
    PLAIN
        .iter()
        .find(|(plain, _)| *plain == len)
        .map_or_else(|| HeaderValue::from(len), |(_, value)| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_answer() {
        let res = health_response::<Bytes>(&Method::GET);
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers().len(), 3);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(res.headers()[header::CONTENT_LENGTH], "2");
        assert_eq!(res.body(), &Bytes::from_static(b"OK"));
    }

    #[test]
    fn head_answer_has_same_headers_and_no_body() {
        let get = health_response::<Bytes>(&Method::GET);
        let head = health_response::<Bytes>(&Method::HEAD);
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(head.headers(), get.headers());
        assert!(head.body().is_empty());
    }

    #[test]
    fn content_length_values() {
        for n in [0usize, 1, 2, 19, 20, 12345] {
            assert_eq!(content_length(n), n.to_string().as_str());
        }
    }

    #[test]
    fn unavailable_answer() {
        let res = plain_text::<Bytes>(StatusCode::SERVICE_UNAVAILABLE, false);
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::CONTENT_LENGTH], "19");
        assert_eq!(res.body(), &Bytes::from_static(b"Service Unavailable"));
        let head = plain_text::<Bytes>(StatusCode::SERVICE_UNAVAILABLE, true);
        assert_eq!(head.headers(), res.headers());
        assert!(head.body().is_empty());
    }
}
