//! Deploy configuration that agrees with the app: Kamal's `config/deploy.yml`
//! and a Kubernetes manifest's probes, checked against what the app serves
//! (feature `testing`, re-exported from [`crate::testing`]).

use std::fmt;
use std::time::Duration;

use yaml_rust2::{Yaml, YamlLoader};

use crate::{DEFAULT_PATH, Health, HealthcheckLayer};

/// kamal-proxy's defaults, as Kamal passes them (basecamp/kamal
/// `lib/kamal/configuration/proxy.rb`, `configuration.rb`; kamal-proxy
/// `internal/server/service.go`): `app_port` 80, `healthcheck.path` `/up`,
/// `interval` 1 s, `timeout` 5 s, `deploy_timeout` 30 s.
const KAMAL_APP_PORT: i64 = 80;
const KAMAL_INTERVAL: f64 = 1.0;
const KAMAL_TIMEOUT: f64 = 5.0;
const KAMAL_DEPLOY_TIMEOUT: f64 = 30.0;

/// The core/v1 `Probe` defaults: `timeoutSeconds` 1, `periodSeconds` 10,
/// `failureThreshold` 3, `initialDelaySeconds` 0.
const K8S_TIMEOUT: i64 = 1;
const K8S_PERIOD: i64 = 10;
const K8S_FAILURE_THRESHOLD: i64 = 3;

/// The app's side of its deploy configuration: the paths it answers, the
/// port it listens on, how long its checks may take and how long it takes to
/// start. [`check_kamal`](Self::check_kamal) and
/// [`check_kubernetes`](Self::check_kubernetes) read a configuration and fail,
/// naming both values, where it disagrees: drift that otherwise shows only
/// when the deploy fails (basecamp/kamal#1275, #1555, #1667).
///
/// ```
/// use std::time::Duration;
/// use axum_kamal::testing::AppSettings;
/// use axum_kamal::{Health, healthcheck};
///
/// let health = Health::new().timeout(Duration::from_secs(1));
/// let app = AppSettings::new(3000)
///     .layer(&healthcheck().liveness("/livez"))
///     .health(&health)
///     .startup(Duration::from_secs(10));
///
/// let deploy_yml = "
/// proxy:
///   app_port: 3000
///   healthcheck:
///     path: /health
/// ";
/// let error = app.check_kamal(deploy_yml).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "proxy.healthcheck.path is /health, but the app answers readiness on /up",
/// );
/// ```
#[derive(Clone, Debug)]
pub struct AppSettings {
    port: u16,
    readiness: String,
    liveness: Option<String>,
    check_timeout: Duration,
    startup: Option<Duration>,
}

impl AppSettings {
    /// An app listening on `port`, answering readiness on [`DEFAULT_PATH`],
    /// no liveness path, the default check timeout of [`Health::timeout`],
    /// no startup time to fit.
    ///
    /// ```
    /// let app = axum_kamal::testing::AppSettings::new(3000);
    /// ```
    pub fn new(port: u16) -> Self {
        Self {
            port,
            readiness: DEFAULT_PATH.to_owned(),
            liveness: None,
            check_timeout: Health::new().check_timeout(),
            startup: None,
        }
    }

    /// The readiness and liveness paths of `layer` (the one the app serves,
    /// or one configured like the `#[kamal_app]` arguments).
    ///
    /// ```
    /// let app = axum_kamal::testing::AppSettings::new(3000)
    ///     .layer(&axum_kamal::healthcheck().liveness("/livez"));
    /// ```
    pub fn layer(mut self, layer: &HealthcheckLayer) -> Self {
        self.readiness = layer.path().to_owned();
        self.liveness = layer.liveness_path().map(str::to_owned);
        self
    }

    /// The check timeout of `health`: a probe that runs the checks may wait
    /// that long for its answer.
    ///
    /// ```
    /// let app = axum_kamal::testing::AppSettings::new(3000)
    ///     .health(&axum_kamal::Health::new().timeout(std::time::Duration::from_secs(1)));
    /// ```
    pub fn health(mut self, health: &Health) -> Self {
        self.check_timeout = health.check_timeout();
        self
    }

    /// The longest the app takes from its start to its first readiness
    /// `200` (migrations, warm-up): the orchestrator must wait that long.
    ///
    /// ```
    /// let app = axum_kamal::testing::AppSettings::new(3000)
    ///     .startup(std::time::Duration::from_secs(20));
    /// ```
    pub fn startup(mut self, startup: Duration) -> Self {
        self.startup = Some(startup);
        self
    }

    /// Checks Kamal's `config/deploy.yml` (its text; ERB is not rendered)
    /// against the app: the top-level `proxy.healthcheck.path` is the
    /// readiness path, `proxy.app_port` the app's port,
    /// `proxy.healthcheck.timeout` longer than the check timeout (else a slow
    /// check times the probe out instead of answering `503`), and the startup
    /// time plus one `proxy.healthcheck.interval` fits in `deploy_timeout`.
    /// Unset keys take Kamal's defaults (`/up`, 80, 1 s, 5 s, 30 s). Kamal
    /// gives these durations in seconds, as numbers.
    ///
    /// # Errors
    ///
    /// [`DeployConfigError::Disagree`] with every disagreement, or
    /// [`DeployConfigError::Invalid`] if the text is not YAML or a value has
    /// the wrong type.
    ///
    /// ```
    /// let app = axum_kamal::testing::AppSettings::new(3000);
    /// app.check_kamal("proxy:\n  app_port: 3000\n").unwrap();
    /// ```
    pub fn check_kamal(&self, deploy_yml: &str) -> Result<(), DeployConfigError> {
        let doc = first_document(deploy_yml)?;
        let proxy = &doc["proxy"];
        let healthcheck = &proxy["healthcheck"];
        let path = string(&healthcheck["path"], "proxy.healthcheck.path")?
            .unwrap_or_else(|| DEFAULT_PATH.to_owned());
        let port = integer(&proxy["app_port"], "proxy.app_port")?.unwrap_or(KAMAL_APP_PORT);
        let interval = seconds(&healthcheck["interval"], "proxy.healthcheck.interval")?
            .unwrap_or(Duration::from_secs_f64(KAMAL_INTERVAL));
        let timeout = seconds(&healthcheck["timeout"], "proxy.healthcheck.timeout")?
            .unwrap_or(Duration::from_secs_f64(KAMAL_TIMEOUT));
        let deploy_timeout = seconds(&doc["deploy_timeout"], "deploy_timeout")?
            .unwrap_or(Duration::from_secs_f64(KAMAL_DEPLOY_TIMEOUT));

        let mut found = Vec::new();
        if path != self.readiness {
            found.push(Disagreement::new(
                "proxy.healthcheck.path",
                &path,
                format!("the app answers readiness on {}", self.readiness),
            ));
        }
        if port != i64::from(self.port) {
            found.push(Disagreement::new(
                "proxy.app_port",
                port,
                format!("the app listens on {}", self.port),
            ));
        }
        let default = if healthcheck["timeout"].is_badvalue() {
            " (the default)"
        } else {
            ""
        };
        self.check_probe_timeout(&mut found, "proxy.healthcheck.timeout", timeout, default);
        if let Some(startup) = self.startup {
            if startup.saturating_add(interval) > deploy_timeout {
                found.push(Disagreement::new(
                    "deploy_timeout",
                    format!("{deploy_timeout:?}"),
                    format!(
                        "the app starts in up to {startup:?}, plus one probe interval of \
                         {interval:?}"
                    ),
                ));
            }
        }
        DeployConfigError::from_found(found)
    }

    /// Checks the `httpGet` probes of a Kubernetes manifest (its text, one or
    /// more documents): of every container of a Pod or of a workload's pod
    /// template. `readinessProbe` and `startupProbe` probe the readiness path
    /// (a `startupProbe` may probe the liveness path instead), with a
    /// `timeoutSeconds` longer than the check timeout; `livenessProbe` probes
    /// the liveness path (on the readiness path, a dependency's outage
    /// restarts the pod); each on the app's port (by number or by the name of
    /// a container port) over plain HTTP. The startup time fits in the
    /// `startupProbe`'s budget (`initialDelaySeconds` + `periodSeconds` ×
    /// `failureThreshold`), or without one in the `livenessProbe`'s. Unset
    /// keys take the core/v1 defaults (`timeoutSeconds` 1, `periodSeconds`
    /// 10, `failureThreshold` 3).
    ///
    /// # Errors
    ///
    /// [`DeployConfigError::Disagree`] with every disagreement (each named
    /// `<container>.<probe>.<key>`), or [`DeployConfigError::Invalid`] if the
    /// text is not YAML, a value has the wrong type, or no container has an
    /// `httpGet` probe.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = axum_kamal::Health::new().timeout(Duration::from_secs(2));
    /// let app = axum_kamal::testing::AppSettings::new(3000).health(&health);
    /// let error = app
    ///     .check_kubernetes(
    ///         "kind: Pod
    /// spec:
    ///   containers:
    ///     - name: app
    ///       readinessProbe:
    ///         httpGet: { path: /up, port: 3000 }
    /// ",
    ///     )
    ///     .unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "app.readinessProbe.timeoutSeconds is 1s (the default), but the app's checks may \
    ///      take 2s: the probe must wait longer",
    /// );
    /// ```
    pub fn check_kubernetes(&self, manifest: &str) -> Result<(), DeployConfigError> {
        let docs = YamlLoader::load_from_str(manifest)
            .map_err(|e| DeployConfigError::Invalid(format!("not YAML: {e}")))?;
        let mut found = Vec::new();
        let mut probes = 0;
        for container in docs.iter().flat_map(containers) {
            probes += self.check_container(container, &mut found)?;
        }
        if probes == 0 {
            return Err(DeployConfigError::Invalid(
                "no container has an httpGet probe".to_owned(),
            ));
        }
        DeployConfigError::from_found(found)
    }

    /// Checks one container's probes; returns how many are `httpGet`.
    fn check_container(
        &self,
        container: &Yaml,
        found: &mut Vec<Disagreement>,
    ) -> Result<usize, DeployConfigError> {
        let name = container["name"].as_str().unwrap_or("container");
        let mut probes = 0;
        for kind in ["startupProbe", "readinessProbe", "livenessProbe"] {
            let probe = &container[kind];
            let get = &probe["httpGet"];
            if get.is_badvalue() {
                continue;
            }
            probes += 1;
            let at = |key: &str| format!("{name}.{kind}.{key}");
            let path = string(&get["path"], &at("httpGet.path"))?.unwrap_or_else(|| "/".into());
            self.check_path(found, kind, &at("httpGet.path"), &path);
            match resolve_port(container, &get["port"]) {
                Some(port) if port == i64::from(self.port) => {}
                port => found.push(Disagreement::new(
                    at("httpGet.port"),
                    port.map_or_else(|| unresolved_port(&get["port"]), |p| p.to_string()),
                    format!("the app listens on {}", self.port),
                )),
            }
            if let Some(scheme) = string(&get["scheme"], &at("httpGet.scheme"))? {
                if scheme != "HTTP" {
                    found.push(Disagreement::new(
                        at("httpGet.scheme"),
                        scheme,
                        "the app serves plain HTTP".to_owned(),
                    ));
                }
            }
            let secs = |key: &str, default: i64| -> Result<i64, DeployConfigError> {
                Ok(integer(&probe[key], &at(key))?.unwrap_or(default))
            };
            if kind != "livenessProbe" {
                let timeout =
                    Duration::from_secs(secs("timeoutSeconds", K8S_TIMEOUT)?.unsigned_abs());
                let default = if probe["timeoutSeconds"].is_badvalue() {
                    " (the default)"
                } else {
                    ""
                };
                self.check_probe_timeout(found, &at("timeoutSeconds"), timeout, default);
            }
            let budget_applies = kind == "startupProbe"
                || (kind == "livenessProbe" && container["startupProbe"]["httpGet"].is_badvalue());
            if let (Some(startup), true) = (self.startup, budget_applies) {
                let budget = secs("initialDelaySeconds", 0)?
                    + secs("periodSeconds", K8S_PERIOD)?
                        * secs("failureThreshold", K8S_FAILURE_THRESHOLD)?;
                let budget = Duration::from_secs(budget.unsigned_abs());
                if budget < startup {
                    found.push(Disagreement::new(
                        format!("{name}.{kind}"),
                        format!(
                            "initialDelaySeconds + periodSeconds × failureThreshold = {budget:?}"
                        ),
                        format!("the app starts in up to {startup:?}"),
                    ));
                }
            }
        }
        Ok(probes)
    }

    /// The paths a probe of `kind` may probe.
    fn check_path(&self, found: &mut Vec<Disagreement>, kind: &str, setting: &str, path: &str) {
        let wanted = match (kind, &self.liveness) {
            ("livenessProbe", Some(liveness)) => vec![liveness.as_str()],
            ("livenessProbe", None) => {
                found.push(Disagreement::new(
                    setting,
                    path,
                    format!(
                        "the app has no liveness path (readiness on {} runs the checks)",
                        self.readiness
                    ),
                ));
                return;
            }
            ("startupProbe", Some(liveness)) => vec![self.readiness.as_str(), liveness.as_str()],
            _ => vec![self.readiness.as_str()],
        };
        if !wanted.contains(&path) {
            let what = if kind == "livenessProbe" {
                "liveness"
            } else {
                "readiness"
            };
            found.push(Disagreement::new(
                setting,
                path,
                format!("the app answers {what} on {}", wanted.join(" or ")),
            ));
        }
    }

    /// A probe's `timeout` (`default`: its mark when unset) must exceed the
    /// check timeout.
    fn check_probe_timeout(
        &self,
        found: &mut Vec<Disagreement>,
        setting: &str,
        timeout: Duration,
        default: &str,
    ) {
        if timeout <= self.check_timeout {
            found.push(Disagreement::new(
                setting,
                format!("{timeout:?}{default}"),
                format!(
                    "the app's checks may take {:?}: the probe must wait longer",
                    self.check_timeout
                ),
            ));
        }
    }
}

/// One setting of a deploy configuration that disagrees with the app.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Disagreement {
    /// Where: `proxy.healthcheck.path`, `app.readinessProbe.timeoutSeconds`.
    pub setting: String,
    /// The configuration's value (Kamal's or Kubernetes' default if unset).
    pub config: String,
    /// What the app has instead, and why it matters.
    pub app: String,
}

impl Disagreement {
    fn new(setting: impl Into<String>, config: impl fmt::Display, app: String) -> Self {
        Self {
            setting: setting.into(),
            config: config.to_string(),
            app,
        }
    }
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}, but {}", self.setting, self.config, self.app)
    }
}

/// Why a deploy configuration does not fit the app.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeployConfigError {
    /// Settings that disagree with the app, each naming both values.
    Disagree(Vec<Disagreement>),
    /// The text is not YAML, or a value has the wrong type.
    Invalid(String),
}

impl DeployConfigError {
    fn from_found(found: Vec<Disagreement>) -> Result<(), Self> {
        if found.is_empty() {
            Ok(())
        } else {
            Err(Self::Disagree(found))
        }
    }
}

impl fmt::Display for DeployConfigError {
    /// One disagreement per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disagree(found) => {
                let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
                f.write_str(&lines.join("\n"))
            }
            Self::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DeployConfigError {}

fn first_document(text: &str) -> Result<Yaml, DeployConfigError> {
    let mut docs = YamlLoader::load_from_str(text)
        .map_err(|e| DeployConfigError::Invalid(format!("not YAML: {e}")))?;
    Ok(if docs.is_empty() {
        Yaml::Hash(Default::default())
    } else {
        docs.swap_remove(0)
    })
}

/// The containers of a Pod, or of a workload's pod template.
fn containers(doc: &Yaml) -> impl Iterator<Item = &Yaml> {
    let spec = match &doc["spec"]["template"]["spec"] {
        Yaml::BadValue => &doc["spec"],
        template => template,
    };
    spec["containers"].as_vec().into_iter().flatten()
}

/// A port given by number, or by the name of one of `container`'s ports.
fn resolve_port(container: &Yaml, port: &Yaml) -> Option<i64> {
    match port {
        Yaml::Integer(number) => Some(*number),
        Yaml::String(name) => container["ports"]
            .as_vec()?
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .and_then(|p| p["containerPort"].as_i64()),
        _ => None,
    }
}

/// A port [`resolve_port`] found no number for, as the manifest gives it.
fn unresolved_port(port: &Yaml) -> String {
    match port {
        Yaml::String(name) => format!("{name} (no container port of that name)"),
        Yaml::BadValue => "unset".to_owned(),
        other => format!("{other:?}"),
    }
}

fn wrong_type(setting: &str, expected: &str, value: &Yaml) -> DeployConfigError {
    DeployConfigError::Invalid(format!("{setting}: expected {expected}, not {value:?}"))
}

fn string(value: &Yaml, setting: &str) -> Result<Option<String>, DeployConfigError> {
    match value {
        Yaml::BadValue | Yaml::Null => Ok(None),
        Yaml::String(s) => Ok(Some(s.clone())),
        other => Err(wrong_type(setting, "a string", other)),
    }
}

fn integer(value: &Yaml, setting: &str) -> Result<Option<i64>, DeployConfigError> {
    match value {
        Yaml::BadValue | Yaml::Null => Ok(None),
        Yaml::Integer(n) if *n >= 0 => Ok(Some(*n)),
        other => Err(wrong_type(setting, "a non-negative integer", other)),
    }
}

/// Kamal's seconds: a number, to which Kamal appends `s` for kamal-proxy.
fn seconds(value: &Yaml, setting: &str) -> Result<Option<Duration>, DeployConfigError> {
    let secs = match value {
        Yaml::BadValue | Yaml::Null => return Ok(None),
        Yaml::Integer(n) => *n as f64,
        Yaml::Real(text) => text.parse().unwrap_or(f64::NAN),
        other => {
            return Err(wrong_type(
                setting,
                "a number of seconds (Kamal appends the `s`)",
                other,
            ));
        }
    };
    Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| wrong_type(setting, "a non-negative number of seconds", value))
}
