//! Mixed load against the quickstart, in one process on 127.0.0.1, bounded in
//! time; then probe latency while every handler of an app is stuck.
//!
//! ```sh
//! cargo run --release -p axum-kamal-tests --example mixed_load
//! DURATION_SECS=60 CONNECTIONS=500 cargo run --release -p axum-kamal-tests --example mixed_load
//! ```
//!
//! Phase 1: `CONNECTIONS` (default 300) concurrent clients for
//! `DURATION_SECS` (default 30) send kamal-proxy probes (`GET` and `HEAD`),
//! app requests with an allowed host (`/`, `/whoami`: 200), with the
//! container host (`/`: the app's own 400) and `POST /up` (the app's own 400),
//! over keep-alive connections that are replaced every 50 requests. Counts
//! probes sent and failed, requests by outcome, transport errors, probe
//! latency, and the resident set size (`VmRSS`) after a warm-up and at the end.
//!
//! Phase 2: an app whose handlers never finish (behind `#[kamal_app]`) with
//! `CONNECTIONS` stuck requests; probes on fresh connections for 5 s.
//!
//! Exits non-zero if a probe failed, a request got an unexpected answer, or
//! a transport error occurred.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::get;
use axum_kamal_examples::{Config, app};
use axum_kamal_tests::CONTAINER_HOST;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KAMAL_PROBE: &[u8] = b"GET /up HTTP/1.1\r\nHost: 7c7168a662c1:3000\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident set size of this process, in KiB.
fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[derive(Default)]
struct Stats {
    probes: AtomicU64,
    probes_failed: AtomicU64,
    app_ok: AtomicU64,
    app_rejected: AtomicU64,
    unexpected: AtomicU64,
    transport_errors: AtomicU64,
    probe_latency_us: std::sync::Mutex<Vec<u32>>,
}

async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build_http()
}

/// What one request is and what it must get.
#[derive(Clone, Copy)]
enum Kind {
    Probe,
    HeadProbe,
    AppOk(&'static str),
    ContainerHostOnRoot,
    PostUp,
}

const MIX: [Kind; 10] = [
    Kind::Probe,
    Kind::AppOk("/"),
    Kind::Probe,
    Kind::AppOk("/whoami"),
    Kind::HeadProbe,
    Kind::AppOk("/"),
    Kind::ContainerHostOnRoot,
    Kind::Probe,
    Kind::PostUp,
    Kind::AppOk("/"),
];

async fn one(client: &HttpClient, addr: SocketAddr, kind: Kind, stats: &Stats) {
    let (method, path, host) = match kind {
        Kind::Probe => (Method::GET, "/up", CONTAINER_HOST),
        Kind::HeadProbe => (Method::HEAD, "/up", CONTAINER_HOST),
        Kind::AppOk(path) => (Method::GET, path, "localhost"),
        Kind::ContainerHostOnRoot => (Method::GET, "/", CONTAINER_HOST),
        Kind::PostUp => (Method::POST, "/up", CONTAINER_HOST),
    };
    let request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("host", host)
        .header("user-agent", "kamal-proxy")
        .body(Empty::new())
        .expect("request");
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(5), async {
        let response = client.request(request).await?;
        let status = response.status();
        let cache = response.headers().get("cache-control").cloned();
        let body = response.into_body().collect().await?.to_bytes();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, cache, body))
    })
    .await;
    let probe = matches!(kind, Kind::Probe | Kind::HeadProbe);
    if probe {
        stats.probes.fetch_add(1, Ordering::Relaxed);
    }
    let Ok(Ok((status, cache, body))) = result else {
        stats.transport_errors.fetch_add(1, Ordering::Relaxed);
        if probe {
            stats.probes_failed.fetch_add(1, Ordering::Relaxed);
        }
        return;
    };
    let good = match kind {
        Kind::Probe | Kind::HeadProbe => {
            let expected: &[u8] = if matches!(kind, Kind::Probe) {
                b"OK"
            } else {
                b""
            };
            let ok = status == StatusCode::OK
                && cache.as_ref().is_some_and(|c| c == "no-store")
                && body.as_ref() == expected;
            if ok {
                let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                stats.probe_latency_us.lock().unwrap().push(us);
            } else {
                stats.probes_failed.fetch_add(1, Ordering::Relaxed);
            }
            ok
        }
        Kind::AppOk(_) => {
            let ok = status == StatusCode::OK;
            if ok {
                stats.app_ok.fetch_add(1, Ordering::Relaxed);
            }
            ok
        }
        Kind::ContainerHostOnRoot | Kind::PostUp => {
            let ok = status == StatusCode::BAD_REQUEST;
            if ok {
                stats.app_rejected.fetch_add(1, Ordering::Relaxed);
            }
            ok
        }
    };
    if !good {
        stats.unexpected.fetch_add(1, Ordering::Relaxed);
    }
}

fn percentiles(mut us: Vec<u32>) -> String {
    if us.is_empty() {
        return "no samples".to_owned();
    }
    us.sort_unstable();
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    format!(
        "n={} p50={}µs p99={}µs p99.9={}µs max={}µs",
        us.len(),
        at(0.5),
        at(0.99),
        at(0.999),
        us[us.len() - 1]
    )
}

async fn mixed_load(connections: u64, duration: Duration) -> bool {
    let addr = serve(app(&Config::default())).await;
    let stats = Arc::new(Stats::default());
    let rss_start = vm_rss_kib();
    let start = Instant::now();
    let deadline = start + duration;
    let warmup = Duration::from_secs(5).min(duration / 4);
    let workers: Vec<_> = (0..connections)
        .map(|i| {
            let stats = stats.clone();
            tokio::spawn(async move {
                let mut n = i as usize;
                while Instant::now() < deadline {
                    // A client of its own with one pooled connection: replaced
                    // every 50 requests.
                    let client = client();
                    for _ in 0..50 {
                        if Instant::now() >= deadline {
                            break;
                        }
                        one(&client, addr, MIX[n % MIX.len()], &stats).await;
                        n += 1;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(warmup).await;
    let rss_warm = vm_rss_kib();
    let probes_at_warm = stats.probes.load(Ordering::Relaxed);
    let mut panicked = 0;
    for worker in workers {
        if worker.await.is_err() {
            panicked += 1;
        }
    }
    let elapsed = start.elapsed();
    // Let the server drop its idle connections.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_end = vm_rss_kib();
    let s = &stats;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let latency = std::mem::take(&mut *s.probe_latency_us.lock().unwrap());
    println!("phase 1: mixed load, {connections} concurrent clients, {elapsed:.1?}");
    println!(
        "  probes sent {} failed {}; app 200 {}; app's own 400 {}; unexpected {}; transport errors {}; worker panics {panicked}",
        load(&s.probes),
        load(&s.probes_failed),
        load(&s.app_ok),
        load(&s.app_rejected),
        load(&s.unexpected),
        load(&s.transport_errors),
    );
    let total = load(&s.probes) + load(&s.app_ok) + load(&s.app_rejected);
    println!(
        "  throughput {:.0} req/s; probe latency {}",
        total as f64 / elapsed.as_secs_f64(),
        percentiles(latency)
    );
    println!(
        "  VmRSS start {rss_start} KiB, after {warmup:?} warm-up {rss_warm} KiB ({probes_at_warm} probes), end {rss_end} KiB (end - warm {:+} KiB)",
        rss_end as i64 - rss_warm as i64
    );
    load(&s.probes_failed) == 0
        && load(&s.unexpected) == 0
        && load(&s.transport_errors) == 0
        && panicked == 0
}

async fn never() -> &'static str {
    std::future::pending().await
}

#[axum_kamal::kamal_app]
fn stuck_app() -> Router {
    Router::new().route("/", get(never)).fallback(never)
}

async fn stuck_handlers(connections: u64) -> bool {
    let addr = serve(stuck_app()).await;
    let mut parked = Vec::new();
    for _ in 0..connections {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .expect("write");
        parked.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let (mut latency, mut failed) = (Vec::new(), 0u64);
    while Instant::now() < deadline {
        let started = Instant::now();
        let ok = tokio::time::timeout(Duration::from_secs(5), async {
            let mut stream = TcpStream::connect(addr).await.ok()?;
            stream.write_all(KAMAL_PROBE).await.ok()?;
            let mut buf = vec![0; 512];
            let mut got = 0;
            // Headers and the 2-byte body arrive together in practice.
            while !buf[..got].ends_with(b"\r\n\r\nOK") {
                let n = stream.read(&mut buf[got..]).await.ok()?;
                if n == 0 {
                    return None;
                }
                got += n;
            }
            Some(buf[..got].starts_with(b"HTTP/1.1 200 OK\r\n"))
        })
        .await;
        if matches!(ok, Ok(Some(true))) {
            latency.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        } else {
            failed += 1;
        }
    }
    println!("phase 2: {connections} requests stuck in the app for 5 s");
    println!(
        "  probes answered {} failed {failed}; latency {}",
        latency.len(),
        percentiles(latency)
    );
    drop(parked);
    failed == 0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let duration = Duration::from_secs(env("DURATION_SECS", 30));
    let connections = env("CONNECTIONS", 300);
    let load_ok = mixed_load(connections, duration).await;
    let stuck_ok = stuck_handlers(connections).await;
    if load_ok && stuck_ok {
        println!("ok");
    } else {
        println!("FAILED");
        std::process::exit(1);
    }
}
