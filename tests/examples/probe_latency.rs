//! Probe latency with a 200 ms readiness check, checked fresh on every probe
//! vs answered from a background refresh, over real TCP on 127.0.0.1.
//!
//! ```sh
//! cargo run --release -p axum-kamal-tests --example probe_latency
//! ```
//!
//! For each mode: a server whose `Health` has one check sleeping 200 ms, then
//! `PROBES` (default 50) kamal-proxy probes, one at a time on fresh
//! connections, 100 ms apart (kamal-proxy probes once a second). Prints the
//! median, 90th percentile and maximum latency. Exits non-zero if a probe is
//! not answered `200`.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum_kamal::{Health, ShutdownHandle, healthcheck};
use axum_kamal_tests::{KAMAL_PROBE, TestServer};

const CHECK: Duration = Duration::from_millis(200);

fn health(background: bool) -> Health {
    let health = Health::new()
        .with_shutdown(ShutdownHandle::new())
        .check("db", || async {
            tokio::time::sleep(CHECK).await;
            Ok::<(), String>(())
        });
    if background {
        health.refresh_every(Duration::from_secs(1))
    } else {
        health.cache_ttl(Duration::ZERO)
    }
}

async fn measure(background: bool, probes: usize) -> Vec<Duration> {
    let server =
        TestServer::start(Router::new().layer(healthcheck().health(health(background)))).await;
    // The first probe starts the refresh and waits for its first run.
    assert_eq!(server.exchange(KAMAL_PROBE).await.status, StatusCode::OK);
    let mut latencies = Vec::with_capacity(probes);
    for _ in 0..probes {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let start = Instant::now();
        let reply = server.exchange(KAMAL_PROBE).await;
        latencies.push(start.elapsed());
        assert_eq!(reply.status, StatusCode::OK);
    }
    latencies.sort();
    latencies
}

#[tokio::main]
async fn main() {
    let probes: usize = std::env::var("PROBES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    println!("check: {CHECK:?}, probes: {probes} per mode, 100 ms apart, fresh connections");
    for (mode, background) in [
        ("fresh (cache_ttl 0)", false),
        ("background (refresh_every 1 s)", true),
    ] {
        let latencies = measure(background, probes).await;
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        println!(
            "{mode:32} median {:>10.3?}  p90 {:>10.3?}  max {:>10.3?}",
            at(0.5),
            at(0.9),
            latencies[latencies.len() - 1]
        );
    }
}
