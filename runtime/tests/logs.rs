//! Probes and failing checks are logged with `tracing`.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum_kamal::{Health, healthcheck};
use http::{Request, Response};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

#[derive(Debug, Clone)]
struct Captured {
    level: Level,
    target: String,
    fields: Vec<(String, String)>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// The events of target `axum_kamal` emitted while `run` runs on a
/// current-thread runtime with paused time.
fn events_of(run: impl std::future::Future<Output = ()>) -> Vec<Captured> {
    let capture = Capture::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    tracing::subscriber::with_default(capture.clone(), || rt.block_on(run));
    let events = capture.0.lock().unwrap().clone();
    events
        .into_iter()
        .filter(|e| e.target == "axum_kamal")
        .collect()
}

#[test]
fn probes_are_debug_events_and_failing_checks_warnings() {
    let ours = events_of(async {
        let health = Health::new()
            .check("db", || async { Err::<(), _>("connection refused") })
            .optional_check("cache", || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok::<(), String>(())
            })
            .check("fine", || async { Ok::<(), String>(()) });
        let svc = ServiceBuilder::new()
            .layer(healthcheck().health(health).liveness("/livez"))
            .service(service_fn(|_: Request<()>| async {
                Ok::<_, std::convert::Infallible>(Response::new(axum::body::Body::empty()))
            }));
        for uri in ["/up", "/up", "/livez", "/other"] {
            let req = Request::get(uri).body(()).unwrap();
            svc.clone().oneshot(req).await.unwrap();
        }
    });

    let warnings: Vec<_> = ours.iter().filter(|e| e.level == Level::WARN).collect();
    assert_eq!(
        warnings.len(),
        2,
        "one warning per failing check, per run: {ours:#?}"
    );
    assert_eq!(warnings[0].field("check"), Some("db"));
    assert_eq!(warnings[0].field("error"), Some("connection refused"));
    assert_eq!(warnings[0].field("optional"), Some("false"));
    assert_eq!(warnings[1].field("check"), Some("cache"));
    assert_eq!(warnings[1].field("error"), Some("timed out after 800ms"));
    assert_eq!(warnings[1].field("optional"), Some("true"));

    let probes: Vec<_> = ours.iter().filter(|e| e.level == Level::DEBUG).collect();
    assert_eq!(probes.len(), 3, "one debug event per probe: {ours:#?}");
    assert_eq!(probes[0].field("code"), Some("503"));
    assert_eq!(probes[1].field("code"), Some("503")); // cached result
    assert_eq!(probes[2].field("probe"), Some("Liveness"));
}

#[test]
fn a_status_change_is_one_event_however_many_probes_see_it() {
    let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let ours = events_of(async {
        let health = Health::new()
            .with_shutdown(axum_kamal::ShutdownHandle::new())
            .cache_ttl(Duration::ZERO)
            .check("db", {
                let down = down.clone();
                move || {
                    let down = down.load(std::sync::atomic::Ordering::SeqCst);
                    async move { if down { Err("refused") } else { Ok(()) } }
                }
            });
        let svc = ServiceBuilder::new()
            .layer(healthcheck().health(health))
            .service(service_fn(|_: Request<()>| async {
                Ok::<_, std::convert::Infallible>(Response::new(axum::body::Body::empty()))
            }));
        // Four failing runs, then three passing ones.
        for run in 0..7 {
            down.store(run < 4, std::sync::atomic::Ordering::SeqCst);
            let req = Request::get("/up").body(()).unwrap();
            svc.clone().oneshot(req).await.unwrap();
        }
    });

    let at = |level| ours.iter().filter(|e| e.level == level).count();
    assert_eq!(at(Level::DEBUG), 7, "one debug event per probe: {ours:#?}");
    let changes: Vec<_> = ours
        .iter()
        .filter(|e| e.level != Level::DEBUG)
        .map(|e| {
            (
                e.level,
                e.field("check").unwrap_or("readiness"),
                e.field("from").unwrap_or_default(),
                e.field("to").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (Level::WARN, "db", "none", "fail"),
            (Level::INFO, "readiness", "none", "fail"),
            (Level::INFO, "db", "fail", "pass"),
            (Level::INFO, "readiness", "fail", "pass"),
        ],
        "one event per change: {ours:#?}"
    );
}
