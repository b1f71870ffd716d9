//! `examples/deploy/kubernetes.yaml` checked with the kubelet's prober: each
//! `httpGet` probe of the Deployment, with the path, port, timeout, period
//! and failure threshold the manifest sets, against the quickstart configured
//! with the manifest's environment and served by `axum::serve` on 127.0.0.1
//! (and in process). The startup probe never runs the readiness checks: a
//! database down during a rollout fails readiness only.

use std::time::Duration;

use axum_kamal::preflight::Preflight;
use axum_kamal::testing::{Deploy, Probe, ProbeFailure, Prober};
use axum_kamal_examples::{Config, app, app_without_healthcheck};
use axum_kamal_tests::TestServer;
use http::StatusCode;
use yaml_rust2::{Yaml, YamlLoader};

const MANIFEST: &str = include_str!("../../examples/deploy/kubernetes.yaml");

/// One `httpGet` probe as the kubelet runs it.
#[derive(Debug)]
struct HttpGetProbe {
    kind: &'static str,
    path: String,
    port: u16,
    timeout: Duration,
    period: Duration,
    failure_threshold: u32,
}

impl HttpGetProbe {
    /// The kubelet's request for it: `Host: <pod ip>:<port>`, its path and
    /// timeout.
    fn probe(&self) -> Probe {
        Probe::kubelet()
            .port(self.port)
            .path(self.path.clone())
            .timeout(self.timeout)
    }

    /// The kubelet's prober for it: its [`probe`](Self::probe), and as long
    /// to succeed as the kubelet allows before acting
    /// (`periodSeconds` × `failureThreshold`).
    fn prober(&self) -> Prober {
        Prober::new(self.probe())
            .interval(self.period)
            .deploy_timeout(self.period * self.failure_threshold)
    }
}

/// The manifest's Deployment container.
fn container(documents: &[Yaml]) -> &Yaml {
    let deployment = documents
        .iter()
        .find(|doc| doc["kind"].as_str() == Some("Deployment"))
        .expect("a Deployment");
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_vec()
        .expect("containers");
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

/// A port given by name (resolved against the container's ports) or number.
fn resolve_port(container: &Yaml, port: &Yaml) -> u16 {
    let number = match port {
        Yaml::Integer(number) => *number,
        Yaml::String(name) => container["ports"]
            .as_vec()
            .expect("ports")
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .and_then(|p| p["containerPort"].as_i64())
            .unwrap_or_else(|| panic!("no container port named {name}")),
        other => panic!("port {other:?}"),
    };
    u16::try_from(number).expect("a port number")
}

/// `key` in seconds, or the core/v1 `Probe` default.
fn seconds(probe: &Yaml, key: &str, default: i64) -> u64 {
    let value = probe[key].as_i64().unwrap_or(default);
    u64::try_from(value).expect("non-negative seconds")
}

fn http_get_probes(container: &Yaml) -> Vec<HttpGetProbe> {
    ["startupProbe", "readinessProbe", "livenessProbe"]
        .into_iter()
        .map(|kind| {
            let probe = &container[kind];
            let http_get = &probe["httpGet"];
            assert!(
                http_get["scheme"].is_badvalue() && http_get["host"].is_badvalue(),
                "{kind}: plain HTTP to the pod IP"
            );
            HttpGetProbe {
                kind,
                path: http_get["path"].as_str().expect("path").to_owned(),
                port: resolve_port(container, &http_get["port"]),
                timeout: Duration::from_secs(seconds(probe, "timeoutSeconds", 1)),
                period: Duration::from_secs(seconds(probe, "periodSeconds", 10)),
                failure_threshold: u32::try_from(seconds(probe, "failureThreshold", 3))
                    .expect("threshold"),
            }
        })
        .collect()
}

/// The container's `env`, as the quickstart's configuration reads it.
fn config(container: &Yaml) -> Config {
    let env = container["env"].as_vec().expect("env");
    Config::from_lookup(|name| {
        env.iter()
            .find(|var| var["name"].as_str() == Some(name))
            .and_then(|var| var["value"].as_str().map(str::to_owned))
    })
}

#[tokio::test]
async fn the_manifests_probes_pass_against_the_quickstart() {
    let documents = YamlLoader::load_from_str(MANIFEST).expect("valid YAML");
    let container = container(&documents);
    let probes = http_get_probes(container);
    let config = config(container);
    // The manifest runs the app in production mode: without the healthcheck
    // its probes would be rejected.
    assert_eq!(config.allowed_hosts.to_string(), "app.example.com");
    assert!(config.force_https);

    // The app listens where the probes knock (`ADDR`'s port).
    let listen = container["env"].as_vec().unwrap().iter().find_map(|var| {
        (var["name"].as_str() == Some("ADDR")).then(|| var["value"].as_str().unwrap())
    });
    for probe in &probes {
        assert_eq!(
            listen.and_then(|addr| addr.rsplit(':').next()),
            Some(probe.port.to_string().as_str()),
            "{probe:?}"
        );
    }
    assert_eq!(
        probes
            .iter()
            .map(|p| (p.kind, p.path.as_str()))
            .collect::<Vec<_>>(),
        [
            ("startupProbe", "/livez"),
            ("readinessProbe", "/up"),
            ("livenessProbe", "/livez")
        ]
    );

    let server = TestServer::start(app(&config)).await;
    for probe in &probes {
        let deploy = probe.prober().probe_addr(server.addr()).await;
        assert_eq!(
            deploy,
            Deploy::Healthy {
                attempts: 1,
                status: StatusCode::OK
            },
            "{probe:?}"
        );
    }

    // Without #[kamal_app], host validation answers every probe.
    let without = TestServer::start(app_without_healthcheck(&config)).await;
    for probe in &probes {
        assert_eq!(
            probe.prober().check_addr(without.addr()).await,
            Err(ProbeFailure::Status(StatusCode::BAD_REQUEST)),
            "{probe:?}"
        );
    }
}

#[tokio::test]
async fn while_draining_readiness_fails_and_liveness_passes() {
    // The manifest's comments: on SIGTERM /up answers 503 (the pod leaves
    // the Service endpoints) while /livez, the startup and liveness probes'
    // path, keeps answering 200 (no restart).
    let documents = YamlLoader::load_from_str(MANIFEST).expect("valid YAML");
    let container = container(&documents);
    let config = config(container);
    let server = TestServer::start(app(&config)).await;
    config.shutdown.trigger();
    for probe in http_get_probes(container) {
        let verdict = probe.prober().check_addr(server.addr()).await;
        let expected = match probe.kind {
            "readinessProbe" => Err(ProbeFailure::NotReady),
            _ => Ok(StatusCode::OK),
        };
        assert_eq!(verdict, expected, "{probe:?}");
    }
}

#[tokio::test]
async fn a_database_down_during_a_rollout_fails_readiness_only() {
    // A new pod whose database refuses connections: it must start (startup
    // probe) and stay alive (liveness) while kept out of the Service
    // (readiness), over TCP and in process alike.
    let documents = YamlLoader::load_from_str(MANIFEST).expect("valid YAML");
    let container = container(&documents);
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let database = closed.local_addr().unwrap().to_string();
    drop(closed);
    let config = config(container).with_database_addr(database);
    let server = TestServer::start(app(&config)).await;
    for probe in http_get_probes(container) {
        let expected = match probe.kind {
            "readinessProbe" => Err(ProbeFailure::NotReady),
            _ => Ok(StatusCode::OK),
        };
        let prober = probe.prober();
        assert_eq!(
            prober.check_addr(server.addr()).await,
            expected,
            "{probe:?} over TCP"
        );
        assert_eq!(
            prober.check_service(app(&config)).await,
            expected,
            "{probe:?} in process"
        );
    }
}

#[tokio::test]
async fn the_readiness_checks_fit_the_manifests_probe_timeouts() {
    // The preflight with each probe's timeoutSeconds: no warning that the
    // checks (800 ms by default) outlast a probe.
    let documents = YamlLoader::load_from_str(MANIFEST).expect("valid YAML");
    let container = container(&documents);
    // A database that is down: the preflight does not run the check.
    let config = config(container).with_database_addr("127.0.0.1:9");
    for probe in http_get_probes(container) {
        let report = Preflight::new()
            .probes([probe.probe()])
            .run(&app(&config))
            .await
            .unwrap();
        assert_eq!(report.warnings(), [], "{probe:?}");
        assert!(report.is_ready(), "{probe:?}: {report:?}");
    }
}

#[test]
fn the_service_targets_the_probed_port() {
    let documents = YamlLoader::load_from_str(MANIFEST).expect("valid YAML");
    let container = container(&documents);
    let service = documents
        .iter()
        .find(|doc| doc["kind"].as_str() == Some("Service"))
        .expect("a Service");
    let target = &service["spec"]["ports"][0]["targetPort"];
    let probed: Vec<u16> = http_get_probes(container).iter().map(|p| p.port).collect();
    assert_eq!(probed, [3000; 3]);
    assert_eq!(resolve_port(container, target), 3000);
}
