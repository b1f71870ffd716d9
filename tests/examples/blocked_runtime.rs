//! Probe latency and answers while every worker of the server's runtime is
//! CPU-blocked, with and without the runtime watchdog, over real TCP on
//! 127.0.0.1.
//!
//! ```sh
//! cargo run --release -p axum-kamal-tests --example blocked_runtime
//! ```
//!
//! The server: a multi-thread runtime with 2 workers serving an app with a
//! liveness path (`/livez`) and a `Health` without checks (`/up`), with
//! `watchdog(200 ms)` or without. The client: a runtime of its own, on
//! another thread. Both servers run side by side and take turns. Each of
//! `ROUNDS` (default 20) rounds, per server: every worker is blocked by a
//! busy loop for 1 s, and 100 ms into the stall kamal-proxy's probe headers
//! on `/livez` and on `/up`, each on a fresh connection, are written at
//! once; the latency is from writing the probe to the parsed answer. Then,
//! without a stall, 5 × `ROUNDS` probes of each path per server, 20 ms
//! apart, give the idle latency. Prints medians, their ratio (with / without)
//! and the answers' status codes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum_kamal::{Health, ShutdownHandle, healthcheck};
use axum_kamal_tests::{TestServer, block_every_worker, kamal_probe_bytes};
use tokio::runtime::Runtime;

const WORKERS: usize = 2;
const STALL: Duration = Duration::from_secs(1);
const PROBE_INTO_STALL: Duration = Duration::from_millis(100);
const LIMIT: Duration = Duration::from_millis(200);

/// Latencies and status codes of one path's probes.
#[derive(Default)]
struct Probes {
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
}

impl Probes {
    fn add(&mut self, latency: Duration, status: u16) {
        self.latencies.push(latency);
        *self.statuses.entry(status).or_default() += 1;
    }

    fn median(&mut self) -> Duration {
        self.latencies.sort();
        self.latencies[self.latencies.len() / 2]
    }

    fn statuses(&self) -> String {
        let codes: Vec<String> = self
            .statuses
            .iter()
            .map(|(code, n)| format!("{code} ×{n}"))
            .collect();
        codes.join(", ")
    }
}

fn app(watchdog: bool) -> Router {
    let mut health = Health::new().with_shutdown(ShutdownHandle::new());
    if watchdog {
        health = health.watchdog(LIMIT);
    }
    Router::new().layer(healthcheck().liveness("/livez").health(health))
}

/// One probe of `path` on a fresh connection: its latency and status.
async fn probe(server: &TestServer, path: &str) -> (Duration, u16) {
    let request = kamal_probe_bytes("GET", path);
    let start = Instant::now();
    let reply = server.exchange(&request).await;
    (start.elapsed(), reply.status.as_u16())
}

/// A server runtime with [`WORKERS`] workers serving [`app`]`(watchdog)`.
fn serve(watchdog: bool) -> (Runtime, TestServer) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(TestServer::start(app(watchdog)));
    (runtime, server)
}

/// The `/livez` and `/up` probes of one server.
#[derive(Default)]
struct Paths {
    livez: Probes,
    up: Probes,
}

impl Paths {
    async fn probe_both(&mut self, server: &TestServer) {
        let (livez, up) = tokio::join!(probe(server, "/livez"), probe(server, "/up"));
        self.livez.add(livez.0, livez.1);
        self.up.add(up.0, up.1);
    }
}

/// Per server (without, then with the watchdog): probes during stalls, then
/// idle. The servers take turns, so both see the same machine.
fn measure(rounds: usize) -> [(Paths, Paths); 2] {
    let servers = [serve(false), serve(true)];
    let client = Runtime::new().unwrap();
    client.block_on(async {
        let mut results: [(Paths, Paths); 2] = Default::default();
        for (_, server) in &servers {
            // Starts the watchdog's heartbeat, if any.
            probe(server, "/livez").await;
        }
        for _ in 0..rounds {
            for ((runtime, server), (stalled, _)) in servers.iter().zip(&mut results) {
                tokio::time::sleep(Duration::from_millis(300)).await;
                block_every_worker(runtime.handle(), WORKERS, STALL);
                tokio::time::sleep(PROBE_INTO_STALL).await;
                stalled.probe_both(server).await;
                tokio::time::sleep(STALL).await;
            }
        }
        for _ in 0..rounds * 5 {
            for ((_, server), (_, idle)) in servers.iter().zip(&mut results) {
                tokio::time::sleep(Duration::from_millis(20)).await;
                idle.probe_both(server).await;
            }
        }
        results
    })
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    println!(
        "{WORKERS} workers busy-blocked for {STALL:?}, probes {PROBE_INTO_STALL:?} into the \
         stall, {rounds} rounds; watchdog limit {LIMIT:?}"
    );
    let [
        (mut off_stalled, mut off_idle),
        (mut on_stalled, mut on_idle),
    ] = measure(rounds);
    let rows = [
        (
            "stalled /livez",
            &mut off_stalled.livez,
            &mut on_stalled.livez,
        ),
        ("stalled /up", &mut off_stalled.up, &mut on_stalled.up),
        ("idle /livez", &mut off_idle.livez, &mut on_idle.livez),
        ("idle /up", &mut off_idle.up, &mut on_idle.up),
    ];
    for (name, off, on) in rows {
        let (off_median, on_median) = (off.median(), on.median());
        println!(
            "{name:15} without: median {off_median:>10.3?} [{}]   with: median {on_median:>10.3?} \
             [{}]   with/without {:.3}",
            off.statuses(),
            on.statuses(),
            on_median.as_secs_f64() / off_median.as_secs_f64()
        );
    }
}
