//! `testing::AppSettings` on the examples' deploy files (`examples/deploy/`)
//! and on wrong ones: each drift named with both values.
//!
//! The app is the quickstart as those files deploy it: its port from the
//! `ADDR` that `config/deploy.yml` sets, its paths from its
//! `#[kamal_app(liveness = LIVENESS_PATH)]`, its check timeout from its
//! `Health`.

use std::time::Duration;

use axum_kamal::testing::{AppSettings, DeployConfigError, Disagreement};
use axum_kamal::{Health, healthcheck};
use axum_kamal_examples::{Config, LIVENESS_PATH, readiness};
use yaml_rust2::YamlLoader;

const DEPLOY_YML: &str = include_str!("../../examples/deploy/config/deploy.yml");
const MANIFEST: &str = include_str!("../../examples/deploy/kubernetes.yaml");

/// The port of the `ADDR` that `deploy.yml` gives the container.
fn deployed_port() -> u16 {
    let doc = &YamlLoader::load_from_str(DEPLOY_YML).unwrap()[0];
    let addr = doc["env"]["clear"]["ADDR"]
        .as_str()
        .expect("env.clear.ADDR");
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

fn quickstart() -> AppSettings {
    let config = Config::from_vars(Some("app.example.com"), Some("1"))
        .with_database_addr("db.internal:5432");
    AppSettings::new(deployed_port())
        .layer(&healthcheck().liveness(LIVENESS_PATH))
        .health(&readiness(&config))
        .startup(Duration::from_secs(3))
}

/// `text` with `from` (which must be there) replaced by `to`.
fn edited(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the file");
    text.replacen(from, to, 1)
}

fn disagreements(result: Result<(), DeployConfigError>) -> Vec<String> {
    found(result).iter().map(Disagreement::to_string).collect()
}

fn found(result: Result<(), DeployConfigError>) -> Vec<Disagreement> {
    match result {
        Err(DeployConfigError::Disagree(found)) => found,
        other => panic!("expected disagreements, got {other:?}"),
    }
}

/// How a disagreement about a probe timeout names the app's check timeout.
const CHECKS_MAY_TAKE: &str = "but the app's checks may take ";

#[test]
fn the_examples_agree_with_the_quickstart() {
    assert_eq!(deployed_port(), 3000);
    quickstart().check_kamal(DEPLOY_YML).unwrap();
    quickstart().check_kubernetes(MANIFEST).unwrap();
}

#[test]
fn kamal_path_port_timeout_and_budget_drift_are_named() {
    let wrong = edited(DEPLOY_YML, "path: /up", "path: /health");
    // Shorter than any check timeout the quickstart has had.
    let wrong = edited(&wrong, "timeout: 5", "timeout: 0.5");
    let wrong = edited(&wrong, "deploy_timeout: 30", "deploy_timeout: 3");
    let found = found(quickstart().check_kamal(&wrong));
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 3, "{shown:#?}");
    assert_eq!(
        shown[0],
        "proxy.healthcheck.path is /health, but the app answers readiness on /up"
    );
    assert_eq!(
        (found[1].setting.as_str(), found[1].config.as_str()),
        ("proxy.healthcheck.timeout", "500ms")
    );
    assert!(shown[1].contains(CHECKS_MAY_TAKE), "{}", shown[1]);
    assert_eq!(
        shown[2],
        "deploy_timeout is 3s, but the app starts in up to 3s, plus one probe interval of 1s"
    );
}

#[test]
fn kamal_defaults_apply_to_unset_keys() {
    // No app_port: kamal-proxy forwards to port 80.
    let wrong = edited(DEPLOY_YML, "  app_port: 3000\n", "");
    assert_eq!(
        disagreements(quickstart().check_kamal(&wrong)),
        ["proxy.app_port is 80, but the app listens on 3000"]
    );
    // Nothing set: /up, 80, 5 s, 30 s.
    AppSettings::new(80).check_kamal("service: x\n").unwrap();
    // The default 5 s probe timeout is too short for 5 s checks.
    let slow = AppSettings::new(80).health(&Health::new().timeout(Duration::from_secs(5)));
    assert_eq!(
        disagreements(slow.check_kamal("")),
        [
            "proxy.healthcheck.timeout is 5s (the default), but the app's checks may take 5s: the \
          probe must wait longer"
        ]
    );
}

#[test]
fn kamal_durations_are_numbers_of_seconds() {
    let wrong = edited(DEPLOY_YML, "timeout: 5", "timeout: 5s");
    let error = quickstart().check_kamal(&wrong).unwrap_err();
    assert!(matches!(error, DeployConfigError::Invalid(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("proxy.healthcheck.timeout: expected a number of seconds")
    );
    // Fractions are seconds too: Kamal passes `0.5s` on.
    let half = edited(DEPLOY_YML, "interval: 1", "interval: 0.5");
    quickstart().check_kamal(&half).unwrap();
}

#[test]
fn not_yaml_is_invalid() {
    let error = quickstart().check_kamal("proxy: [unclosed").unwrap_err();
    assert!(matches!(error, DeployConfigError::Invalid(ref why) if why.starts_with("not YAML")));
}

#[test]
fn kubernetes_path_port_timeout_scheme_and_budget_drift_are_named() {
    let wrong = edited(
        MANIFEST,
        "            - name: http\n              containerPort: 3000",
        "            - name: http\n              containerPort: 8080",
    );
    let wrong = edited(
        &wrong,
        "livenessProbe:\n            httpGet:\n              path: /livez",
        "livenessProbe:\n            httpGet:\n              path: /up",
    );
    let wrong = edited(&wrong, "failureThreshold: 30", "failureThreshold: 2");
    let wrong = edited(
        &wrong,
        "          readinessProbe:\n            httpGet:\n",
        "          readinessProbe:\n            httpGet:\n              scheme: HTTPS\n",
    );
    let found = disagreements(quickstart().check_kubernetes(&wrong));
    for expected in [
        "app.startupProbe.httpGet.port is 8080, but the app listens on 3000",
        "app.startupProbe is initialDelaySeconds + periodSeconds × failureThreshold = 2s, but \
         the app starts in up to 3s",
        "app.readinessProbe.httpGet.port is 8080, but the app listens on 3000",
        "app.readinessProbe.httpGet.scheme is HTTPS, but the app serves plain HTTP",
        "app.livenessProbe.httpGet.path is /up, but the app answers liveness on /livez",
        "app.livenessProbe.httpGet.port is 8080, but the app listens on 3000",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "{expected:?} not in {found:#?}"
        );
    }
    assert_eq!(found.len(), 6, "{found:#?}");
}

/// A Deployment whose one container has `probe` (YAML lines, as under the
/// probe's key) as its readiness probe.
fn deployment(probe: &str) -> String {
    let probe: String = probe
        .lines()
        .map(|line| format!("            {line}\n"))
        .collect();
    format!(
        "kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: app
          ports:
            - name: http
              containerPort: 3000
          readinessProbe:
{probe}"
    )
}

#[test]
fn kubernetes_defaults_apply_to_unset_keys() {
    // Without timeoutSeconds the kubelet waits 1 s: not longer than 1 s checks.
    let app = AppSettings::new(3000).health(&Health::new().timeout(Duration::from_secs(1)));
    let manifest = deployment("httpGet:\n  path: /up\n  port: http");
    assert_eq!(
        disagreements(app.check_kubernetes(&manifest)),
        [
            "app.readinessProbe.timeoutSeconds is 1s (the default), but the app's checks may take \
          1s: the probe must wait longer"
        ]
    );
    let given = deployment("httpGet:\n  path: /up\n  port: http\ntimeoutSeconds: 2");
    app.check_kubernetes(&given).unwrap();
    // No path: the kubelet probes `/`.
    let rootless = deployment("httpGet:\n  port: 3000\ntimeoutSeconds: 2");
    assert_eq!(
        disagreements(app.check_kubernetes(&rootless)),
        ["app.readinessProbe.httpGet.path is /, but the app answers readiness on /up"]
    );
}

#[test]
fn a_port_name_no_container_port_has() {
    let wrong = edited(
        MANIFEST,
        "path: /livez\n              port: http\n            periodSeconds: 10",
        "path: /livez\n              port: web\n            periodSeconds: 10",
    );
    assert_eq!(
        disagreements(quickstart().check_kubernetes(&wrong)),
        [
            "app.livenessProbe.httpGet.port is web (no container port of that name), but the app \
          listens on 3000"
        ]
    );
}

#[test]
fn a_liveness_probe_needs_a_liveness_path() {
    let no_liveness = AppSettings::new(3000)
        .health(&readiness(&Config::from_vars(None, None)))
        .startup(Duration::from_secs(3));
    let found = disagreements(no_liveness.check_kubernetes(MANIFEST));
    let expected = "app.livenessProbe.httpGet.path is /livez, but the app has no liveness path \
                    (readiness on /up runs the checks)";
    assert!(found.iter().any(|f| f == expected), "{found:#?}");
}

#[test]
fn a_manifest_without_http_probes_is_invalid() {
    let error = quickstart()
        .check_kubernetes("kind: Service\nspec:\n  ports: [{port: 80}]\n")
        .unwrap_err();
    assert_eq!(
        error,
        DeployConfigError::Invalid("no container has an httpGet probe".to_owned())
    );
}
