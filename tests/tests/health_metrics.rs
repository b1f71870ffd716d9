//! The `metrics` feature, recorded by a real recorder (metrics-util's
//! `DebuggingRecorder`, installed process-wide: this binary holds only this
//! test) while kamal-proxy's probe reaches a real server over TCP.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum_kamal::{Health, ShutdownHandle, healthcheck};
use axum_kamal_tests::{KAMAL_PROBE, TestServer, assert_healthy};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::{CompositeKey, MetricKind};

/// What the recorder holds: key, unit, description, value.
type Snapshot = [(
    CompositeKey,
    Option<metrics::Unit>,
    Option<metrics::SharedString>,
    DebugValue,
)];

/// The value of the metric `name` of `kind` with exactly `labels`.
fn find<'a>(
    snapshot: &'a Snapshot,
    kind: MetricKind,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a DebugValue> {
    snapshot.iter().find_map(|(key, _, _, value)| {
        let matches = key.kind() == kind
            && key.key().name() == name
            && key.key().labels().count() == labels.len()
            && labels
                .iter()
                .all(|(k, v)| key.key().labels().any(|l| l.key() == *k && l.value() == *v));
        matches.then_some(value)
    })
}

#[tokio::test]
async fn check_status_duration_and_changes_are_recorded() {
    let recorder = DebuggingRecorder::new();
    let snapshotter: Snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this process");

    let down = Arc::new(AtomicBool::new(false));
    let health = Health::new()
        .with_shutdown(ShutdownHandle::new())
        .cache_ttl(Duration::ZERO)
        .check("db", {
            let down = down.clone();
            move || {
                let down = down.load(Ordering::SeqCst);
                async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    if down { Err("db down") } else { Ok(()) }
                }
            }
        });
    let server = TestServer::start(Router::new().layer(healthcheck().health(health))).await;

    // Two passing runs: one change (from no status) of the check and of
    // the readiness. Each snapshot takes the counts and durations recorded
    // since the previous one.
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    let first = Recorded::take(&snapshotter);
    assert_eq!(first.check_up(), Some(1.0));
    first.assert_runs(2);
    assert_eq!(first.changes("db", "pass"), Some(1));
    assert_eq!(first.changes("", "pass"), Some(1));

    // Three failing runs: one change each.
    down.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        let reply = server.exchange(KAMAL_PROBE).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    }
    let then = Recorded::take(&snapshotter);
    assert_eq!(then.check_up(), Some(0.0));
    then.assert_runs(3);
    assert_eq!(then.changes("db", "fail"), Some(1));
    assert_eq!(then.changes("", "fail"), Some(1));
    assert_eq!(then.changes("db", "pass"), Some(0));
}

/// One snapshot of the recorder.
struct Recorded(Box<Snapshot>);

impl Recorded {
    fn take(snapshotter: &Snapshotter) -> Self {
        Self(snapshotter.snapshot().into_vec().into_boxed_slice())
    }

    fn check_up(&self) -> Option<f64> {
        match find(
            &self.0,
            MetricKind::Gauge,
            "axum_kamal_check_up",
            &[("check", "db")],
        )? {
            DebugValue::Gauge(value) => Some(value.into_inner()),
            other => panic!("not a gauge: {other:?}"),
        }
    }

    /// `n` durations recorded, each at least the check's 20 ms.
    fn assert_runs(&self, n: usize) {
        match find(
            &self.0,
            MetricKind::Histogram,
            "axum_kamal_check_duration_seconds",
            &[("check", "db")],
        ) {
            Some(DebugValue::Histogram(runs)) => {
                assert_eq!(runs.len(), n, "{runs:?}");
                assert!(
                    runs.iter().all(|secs| secs.into_inner() >= 0.020),
                    "{runs:?}"
                );
            }
            other => panic!("no duration histogram: {other:?}"),
        }
    }

    fn changes(&self, check: &str, to: &str) -> Option<u64> {
        match find(
            &self.0,
            MetricKind::Counter,
            "axum_kamal_status_changes_total",
            &[("check", check), ("to", to)],
        )? {
            DebugValue::Counter(n) => Some(*n),
            other => panic!("not a counter: {other:?}"),
        }
    }
}
