//! Reading the head of an orchestrator's response over TCP, with `httparse`
//! (hyper's parser): shared by [`SelfProbe`](crate::SelfProbe) and the
//! testing probers.

use std::fmt;
use std::io;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::probe::{ProbeFailure, Received};

/// Largest response head read before giving up.
const MAX_HEAD: usize = 64 * 1024;

/// Most response headers read.
const MAX_HEADERS: usize = 100;

/// Reads `stream` up to the end of the final response's head: interim `1xx`
/// responses are skipped, as Go's client does (but not `101`).
pub(crate) async fn read<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Received, ProbeFailure> {
    let broken = |e: io::Error| ProbeFailure::InvalidResponse(e.to_string());
    let mut buffer = Vec::with_capacity(1024);
    let mut start = 0;
    loop {
        if let Some((len, received)) = parse(&buffer[start..])? {
            if received.status.is_informational()
                && received.status != StatusCode::SWITCHING_PROTOCOLS
            {
                start += len;
                continue;
            }
            return Ok(received);
        }
        if buffer.len() - start > MAX_HEAD {
            return Err(ProbeFailure::InvalidResponse(
                "response head larger than 64 KiB".to_owned(),
            ));
        }
        if stream.read_buf(&mut buffer).await.map_err(broken)? == 0 {
            return Err(ProbeFailure::InvalidResponse(
                "connection closed before a complete response head (EOF)".to_owned(),
            ));
        }
    }
}

/// The response head at the start of `bytes`: its length and what it says,
/// `None` while incomplete.
fn parse(bytes: &[u8]) -> Result<Option<(usize, Received)>, ProbeFailure> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let invalid = |reason: &dyn fmt::Display| {
        let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
        ProbeFailure::InvalidResponse(format!("{reason} in {:?}", String::from_utf8_lossy(line)))
    };
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(invalid(&error)),
    };
    let code = response.code.unwrap_or_default();
    let status = StatusCode::from_u16(code).map_err(|error| invalid(&error))?;
    let mut map = HeaderMap::new();
    for header in response.headers.iter() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(header.name.as_bytes()),
            HeaderValue::from_bytes(header.value),
        ) {
            map.append(name, value);
        }
    }
    Ok(Some((len, Received::new(status, &map))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> Received {
        parse(bytes).unwrap().expect("a complete head").1
    }

    #[test]
    fn heads_parse() {
        let received = head(b"HTTP/1.1 301 Moved Permanently\r\nlocation:  /x \r\n\r\n");
        assert_eq!(
            (received.status, received.location.as_deref()),
            (StatusCode::MOVED_PERMANENTLY, Some("/x"))
        );
        let received = head(b"HTTP/1.0 200\r\n\r\n");
        assert_eq!((received.status, received.location), (StatusCode::OK, None));
        assert_eq!(received.healthcheck, None);
        let received = head(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
              cache-control: no-store\r\ncontent-length: 19\r\ndate: x\r\n\r\n",
        );
        assert_eq!(received.healthcheck, Some(false));
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\n\r\nbody")
                .unwrap()
                .map(|(len, _)| len),
            Some(19)
        );
        assert!(parse(b"HTTP/1.1 200 OK\r\n").unwrap().is_none());
    }

    #[tokio::test]
    async fn interim_responses_are_skipped() {
        let mut stream: &[u8] =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n\
              content-type: text/plain; charset=utf-8\r\ncache-control: no-store\r\n\
              content-length: 19\r\n\r\nService";
        let received = read(&mut stream).await.unwrap();
        assert_eq!(received.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(received.healthcheck, Some(false));
        let mut truncated: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-";
        assert!(read(&mut truncated).await.is_err());
    }
}
