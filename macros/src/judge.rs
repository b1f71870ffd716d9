//! What a layer written before the healthcheck does to kamal-proxy's probe:
//! the one place that reads the table, the name vocabulary and the user's
//! overrides. To teach the macro a layer, add a row to [`TABLE`]; to teach
//! it a name, a word to [`VOCABULARY`].
//!
//! A verdict is as sure as its evidence: a row of the table is known (a
//! compile error when it blocks), a name is a guess (a warning), and what
//! neither knows is reported as unknown (a warning), never trusted.

use syn::Ident;

use crate::model::{Layer, Written};

/// What a layer does to the probe when it runs before the healthcheck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `healthcheck()` itself.
    Healthcheck,
    /// Lets the probe through unchanged.
    Passes,
    /// Can answer the probe instead of passing it on.
    Blocks(Reason, Certainty),
}

/// How the macro knows a layer blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Certainty {
    /// Guessed from a name, or unknown: a warning.
    Guessed,
    /// From the table, or declared with `blocking(..)`: an error.
    Known,
}

/// What the probe gets from a blocking layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    HostValidation,
    HttpsRedirect,
    CanonicalRedirect,
    Auth,
    Extractor,
    /// A limiter by its name.
    RateLimit,
    /// A limiter of the table, which blocks only under load.
    SharedLimit,
    IpFilter,
    Maintenance,
    Tenant,
    /// Redirects the probe somewhere the name does not say.
    Redirect,
    /// Rewrites the probe's path, `/up`, to one no route answers.
    PathRewrite,
    /// A name that says it guards, without saying how.
    Guard,
    /// Named in `#[kamal_app(blocking(..))]`.
    Declared,
    /// Neither the table nor the vocabulary knows it.
    Unknown,
}

impl Reason {
    /// What happens to the probe, completing "`X` runs before the healthcheck and …".
    pub fn outcome(self, health_path: &str) -> String {
        let text = match self {
            Reason::HostValidation => {
                "rejects kamal-proxy's probe (Host: <container-id>:<port>) with 400"
            }
            Reason::HttpsRedirect => {
                return format!(
                    "redirects kamal-proxy's plain-HTTP probe (it sends no X-Forwarded-Proto) to \
                     https://<container-id>:<port>{health_path}, where the TLS handshake fails"
                );
            }
            Reason::CanonicalRedirect => {
                "redirects kamal-proxy's probe (Host: <container-id>:<port>) to the canonical host, \
                 which is not the new container"
            }
            Reason::Auth => {
                "rejects kamal-proxy's probe, which carries no credentials, with 401 or a redirect \
                 to a login page"
            }
            Reason::Extractor => {
                "answers kamal-proxy's probe with the extractor's rejection whenever extracting \
                 fails, as it does for a request without credentials"
            }
            Reason::RateLimit | Reason::SharedLimit => {
                "shares its limit with every request kamal-proxy forwards: behind kamal-proxy they \
                 all come from its address (behind the kubelet the probe comes from the node's), \
                 so under load it rejects or delays the probe, and kamal-proxy, which keeps \
                 probing each target of a load-balanced service, takes the target out on one \
                 failed check"
            }
            Reason::IpFilter => {
                "rejects kamal-proxy's probe, which comes from the proxy container's address, with 403"
            }
            Reason::Maintenance => "answers kamal-proxy's probe with 503 while maintenance is on",
            Reason::Tenant => {
                "answers kamal-proxy's probe with 404 or 400: its Host, the container id, names \
                 no tenant"
            }
            Reason::Redirect => {
                "redirects kamal-proxy's probe, which fails unless the redirect lands on the \
                 healthcheck"
            }
            Reason::PathRewrite => {
                return format!(
                    "rewrites the probe's path, {health_path}, before the healthcheck matches it"
                );
            }
            Reason::Guard => "can reject or redirect kamal-proxy's probe",
            Reason::Declared => {
                "can reject or redirect kamal-proxy's probe, as #[kamal_app(blocking(..))] declares"
            }
            Reason::Unknown => {
                "#[kamal_app] cannot tell whether it lets kamal-proxy's probe through"
            }
        };
        text.to_owned()
    }
}

/// Names the user reclassified with `blocking(..)` and `allow(..)`.
pub struct Overrides<'a> {
    pub blocking: &'a [Ident],
    pub allow: &'a [Ident],
}

/// The verdict on a layer: the name a `let` bound it to may be allowed or
/// declared blocking too, which lets a closure or any other nameless layer be
/// allowed.
pub fn judge_layer(layer: &Layer, overrides: &Overrides) -> Verdict {
    if let Some(bound) = &layer.bound {
        if overrides.allow.contains(bound) {
            return Verdict::Passes;
        }
        if overrides.blocking.contains(bound) {
            return Verdict::Blocks(Reason::Declared, Certainty::Known);
        }
    }
    judge(&layer.written, overrides)
}

/// The name `allow(..)` takes to silence a finding on `layer`, if it has one.
pub fn allow_key(layer: &Layer) -> Option<&Ident> {
    fn key(written: &Written) -> Option<&Ident> {
        match written {
            Written::Conditional { alternatives, .. } => alternatives.iter().find_map(key),
            other => other.key(),
        }
    }
    layer.bound.as_ref().or_else(|| key(&layer.written))
}

/// The verdict on a layer as written.
pub fn judge(written: &Written, overrides: &Overrides) -> Verdict {
    if let Some(key) = written.key() {
        if overrides.allow.contains(key) {
            return Verdict::Passes;
        }
        if overrides.blocking.contains(key) {
            return Verdict::Blocks(Reason::Declared, Certainty::Known);
        }
    }
    let row = |spelled: &dyn Fn(Spelling) -> bool| {
        TABLE
            .iter()
            .find(|entry| spelled(entry.spelling))
            .map(|entry| entry.effect)
    };
    let effect = match written {
        Written::Healthcheck { .. } => return Verdict::Healthcheck,
        Written::Type { ty, constructor } => constructor
            .as_ref()
            .and_then(|c| row(&|s| matches!(s, Constructor(t, k) if ty == t && c == k)))
            .or_else(|| row(&|s| matches!(s, Type(t) if ty == t))),
        Written::BuilderMethod(method) => row(&|s| matches!(s, BuilderMethod(m) if method == m)),
        Written::Macro(name) => row(&|s| matches!(s, Macro(m) if name == m)),
        Written::Middleware { via, .. } => row(&|s| matches!(s, Middleware(m) if via == m)),
        Written::Conditional {
            alternatives,
            always_one,
            ..
        } => {
            // The worst alternative decides; it is known to run only when one
            // of the alternatives always does and every one surely blocks.
            let verdicts: Vec<Verdict> = alternatives
                .iter()
                .map(|alternative| judge(alternative, overrides))
                .collect();
            let surely = *always_one
                && verdicts
                    .iter()
                    .all(|verdict| matches!(verdict, Verdict::Blocks(_, Certainty::Known)));
            return match verdicts.into_iter().max_by_key(severity) {
                Some(Verdict::Blocks(reason, _)) if !surely => {
                    Verdict::Blocks(reason, Certainty::Guessed)
                }
                Some(verdict) => verdict,
                None => Verdict::Passes,
            };
        }
        Written::Helper(_) | Written::Opaque { .. } => None,
    };
    match effect {
        Some(Effect::Blocks(reason)) => Verdict::Blocks(reason, Certainty::Known),
        Some(Effect::Limits) => Verdict::Blocks(Reason::SharedLimit, Certainty::Guessed),
        Some(Effect::Passes) => Verdict::Passes,
        Some(Effect::ByName) | None => by_name(written.key()),
    }
}

/// Orders verdicts from harmless to surely blocking.
fn severity(verdict: &Verdict) -> (u8, Option<Certainty>) {
    match verdict {
        Verdict::Passes | Verdict::Healthcheck => (0, None),
        Verdict::Blocks(_, certainty) => (1, Some(*certainty)),
    }
}

/// A guess from a middleware's, helper's or type's name, by [`VOCABULARY`]:
/// a name is a guard when one of its words names a guard by itself, or
/// names a checked object and another a guard verb; else harmless when a
/// word says so; else unknown. No word silences a guard word.
fn by_name(name: Option<&Ident>) -> Verdict {
    let Some(name) = name else {
        return Verdict::Blocks(Reason::Unknown, Certainty::Guessed);
    };
    let words = words(&name.to_string());
    let found = |kind: fn(&Word) -> bool| {
        VOCABULARY
            .iter()
            .filter(move |entry| kind(&entry.1))
            .find(|(stem, _)| words.iter().any(|word| stem_matches(stem, word)))
            .map(|(_, word)| *word)
    };
    let guard = found(|word| matches!(word, Word::Guard(_)));
    let object = found(|word| matches!(word, Word::Object(_)));
    let verb = found(|word| matches!(word, Word::Verb(_)));
    let reason = match (guard, object, verb) {
        (Some(Word::Guard(reason)), _, _) => Some(reason),
        (_, _, Some(Word::Verb(Some(RateLimit)))) => Some(RateLimit),
        (_, Some(Word::Object(reason)), Some(_)) => Some(reason),
        (_, _, Some(Word::Verb(reason))) => Some(reason.unwrap_or(Guard)),
        _ => None,
    };
    match reason {
        Some(reason) => Verdict::Blocks(reason, Certainty::Guessed),
        None if found(|word| matches!(word, Word::Harmless)).is_some() => Verdict::Passes,
        None => Verdict::Blocks(Reason::Unknown, Certainty::Guessed),
    }
}

/// Whether a word of a name is `stem` or starts with it; a stem of three
/// letters or fewer (`ip`, `jwt`, `log`) is a whole word, or its plural.
fn stem_matches(stem: &str, word: &str) -> bool {
    match stem.len() <= 3 {
        true => word == stem || word.strip_suffix('s') == Some(stem),
        false => word.starts_with(stem),
    }
}

/// How a recognised layer is spelled in the user's function.
#[derive(Clone, Copy, Debug)]
pub enum Spelling {
    /// A layer type, whatever constructor builds it: `AllowedHostLayer::new(..)`, `GovernorLayer { .. }`.
    Type(&'static str),
    /// One constructor of a type whose effect depends on it: `ValidateRequestHeaderLayer::bearer(..)`.
    Constructor(&'static str, &'static str),
    /// A `ServiceBuilder` shorthand method: `.rate_limit(..)`.
    BuilderMethod(&'static str),
    /// A macro that expands to a layer: `login_required!(..)`.
    Macro(&'static str),
    /// One of axum's middleware constructors: `from_fn(..)`, `from_extractor::<..>()`, ….
    Middleware(&'static str),
}

/// What a row says about the probe.
#[derive(Clone, Copy, Debug)]
pub enum Effect {
    Blocks(Reason),
    /// A limit shared by every request, the probe's included: it blocks
    /// under load, which the macro cannot know (a warning).
    Limits,
    Passes,
    /// Whatever its function's name says (`from_fn(require_auth)`).
    ByName,
}

pub struct Entry {
    pub spelling: Spelling,
    pub effect: Effect,
    /// The crate that provides it, and what it does to the probe (the README table shows both).
    #[cfg_attr(not(test), allow(dead_code))]
    pub from: &'static str,
}

const fn entry(spelling: Spelling, effect: Effect, from: &'static str) -> Entry {
    Entry {
        spelling,
        effect,
        from,
    }
}

use Effect::{Blocks, ByName, Limits, Passes};
use Reason::*;
use Spelling::*;

/// Every layer the macro knows, checked against each crate's source. A
/// constructor row wins over its type's row.
pub const TABLE: &[Entry] = &[
    // Host validation.
    entry(
        Type("AllowedHostLayer"),
        Blocks(HostValidation),
        "tower_allowed_hosts",
    ),
    entry(
        Type("AllowedHostsLayer"),
        Blocks(HostValidation),
        "axum-allowed-hosts",
    ),
    // HTTPS redirects.
    entry(
        Type("RedirectHttpsLayer"),
        Blocks(HttpsRedirect),
        "axum-server-dual-protocol",
    ),
    entry(
        Type("SslRedirectLayer"),
        Blocks(HttpsRedirect),
        "community crates",
    ),
    entry(
        Type("HttpsRedirectLayer"),
        Blocks(HttpsRedirect),
        "community crates",
    ),
    // Authentication and authorization.
    entry(
        Constructor("ValidateRequestHeaderLayer", "bearer"),
        Blocks(Auth),
        "tower-http: 401 without the token",
    ),
    entry(
        Constructor("ValidateRequestHeaderLayer", "basic"),
        Blocks(Auth),
        "tower-http: 401 without credentials",
    ),
    entry(
        Constructor("ValidateRequestHeaderLayer", "custom"),
        Blocks(Guard),
        "tower-http: whatever the validator rejects",
    ),
    entry(
        Constructor("ValidateRequestHeaderLayer", "accept"),
        Passes,
        "tower-http: a request without `Accept` passes",
    ),
    entry(
        Type("RequireAuthorizationLayer"),
        Blocks(Auth),
        "tower-http",
    ),
    entry(
        Type("AsyncRequireAuthorizationLayer"),
        Blocks(Auth),
        "tower-http",
    ),
    entry(
        Macro("login_required"),
        Blocks(Auth),
        "axum-login: 401 or a redirect without a user",
    ),
    entry(
        Macro("permission_required"),
        Blocks(Auth),
        "axum-login: 401 or a redirect without a user",
    ),
    entry(
        Middleware("from_extractor"),
        Blocks(Extractor),
        "axum: the extractor's rejection",
    ),
    entry(
        Middleware("from_extractor_with_state"),
        Blocks(Extractor),
        "axum: the extractor's rejection",
    ),
    // Limits. `Router::layer` gives each route, and the fallback, a layer of
    // its own: a limit whose state lives in the layer (tower's) is shared by
    // the probe only with the requests no route matches, while one whose
    // state every copy shares (an `Arc`) is shared with all traffic, and
    // behind kamal-proxy all traffic has kamal-proxy's address.
    entry(
        Type("GovernorLayer"),
        Limits,
        "tower_governor: one budget per peer address in every route's copy, and behind kamal-proxy every request has its address",
    ),
    entry(
        Type("GlobalConcurrencyLimitLayer"),
        Limits,
        "tower: one semaphore in every route's copy, the probe waits behind the requests in flight",
    ),
    entry(
        Type("RateLimitLayer"),
        Passes,
        "tower: each route's copy has its own rate, the probe's is shared only with unmatched requests",
    ),
    entry(
        Type("LoadShedLayer"),
        Passes,
        "tower: 503 only while the inner service of the probe's own route is busy",
    ),
    entry(
        Type("ConcurrencyLimitLayer"),
        Passes,
        "tower: each route's copy has its own semaphore",
    ),
    entry(
        BuilderMethod("rate_limit"),
        Passes,
        "tower: each route's copy has its own rate",
    ),
    entry(
        BuilderMethod("load_shed"),
        Passes,
        "tower: 503 only while the inner service of the probe's own route is busy",
    ),
    entry(
        BuilderMethod("concurrency_limit"),
        Passes,
        "tower: each route's copy has its own semaphore",
    ),
    // IP filters.
    entry(Type("IpFilterLayer"), Blocks(IpFilter), "community crates"),
    // Middleware judged by its function's name.
    entry(Middleware("from_fn"), ByName, "axum"),
    entry(Middleware("from_fn_with_state"), ByName, "axum"),
    entry(
        Middleware("map_request"),
        ByName,
        "axum: can answer with `Err(response)`",
    ),
    entry(
        Middleware("map_request_with_state"),
        ByName,
        "axum: can answer with `Err(response)`",
    ),
    // Passing the probe through.
    entry(
        Middleware("map_response"),
        Passes,
        "axum: runs after the inner service",
    ),
    entry(
        Middleware("map_response_with_state"),
        Passes,
        "axum: runs after the inner service",
    ),
    entry(
        Type("AuthManagerLayer"),
        Passes,
        "axum-login: loads the session, lets anonymous requests through",
    ),
    entry(
        Type("AuthManagerLayerBuilder"),
        Passes,
        "axum-login: loads the session, lets anonymous requests through",
    ),
    entry(
        Type("SessionManagerLayer"),
        Passes,
        "tower-sessions: loads or creates a session",
    ),
    entry(Type("CookieManagerLayer"), Passes, "tower-cookies"),
    entry(Type("CsrfLayer"), Passes, "axum_csrf: tokens for handlers"),
    entry(
        Type("ClientIpSource"),
        Passes,
        "axum-client-ip: an extension only",
    ),
    entry(
        Type("SecureClientIpSource"),
        Passes,
        "axum-client-ip: an extension only",
    ),
    entry(Type("TraceLayer"), Passes, "tower-http"),
    entry(Type("RequestIdLayer"), Passes, "tower-http"),
    entry(Type("SetRequestIdLayer"), Passes, "tower-http"),
    entry(Type("PropagateRequestIdLayer"), Passes, "tower-http"),
    entry(
        Type("TimeoutLayer"),
        Passes,
        "tower, tower-http: only a slow answer",
    ),
    entry(Type("CompressionLayer"), Passes, "tower-http"),
    entry(Type("RequestDecompressionLayer"), Passes, "tower-http"),
    entry(Type("DecompressionLayer"), Passes, "tower-http"),
    entry(
        Type("CorsLayer"),
        Passes,
        "tower-http: answers preflight `OPTIONS` only",
    ),
    entry(Type("CatchPanicLayer"), Passes, "tower-http"),
    entry(Type("SetRequestHeaderLayer"), Passes, "tower-http"),
    entry(Type("SetResponseHeaderLayer"), Passes, "tower-http"),
    entry(Type("PropagateHeaderLayer"), Passes, "tower-http"),
    entry(Type("SetSensitiveHeadersLayer"), Passes, "tower-http"),
    entry(
        Type("SetSensitiveRequestHeadersLayer"),
        Passes,
        "tower-http",
    ),
    entry(Type("MapRequestBodyLayer"), Passes, "tower-http"),
    entry(Type("MapResponseBodyLayer"), Passes, "tower-http"),
    entry(Type("InFlightRequestsLayer"), Passes, "tower-http"),
    entry(Type("HelmetLayer"), Passes, "tower-helmet"),
    entry(
        Type("RequestBodyLimitLayer"),
        Passes,
        "tower-http: the probe has no body",
    ),
    entry(Type("DefaultBodyLimit"), Passes, "axum"),
    entry(
        Constructor("NormalizePathLayer", "trim_trailing_slash"),
        Passes,
        "tower-http: `/up` stays `/up`",
    ),
    entry(
        Constructor("NormalizePathLayer", "append_trailing_slash"),
        Blocks(PathRewrite),
        "tower-http: `/up` becomes `/up/`",
    ),
    entry(Type("PrometheusMetricLayer"), Passes, "axum-prometheus"),
    entry(Type("SentryHttpLayer"), Passes, "sentry-tower"),
    entry(Type("NewSentryLayer"), Passes, "sentry-tower"),
    entry(Type("OtelAxumLayer"), Passes, "axum-tracing-opentelemetry"),
    entry(
        Type("OtelInResponseLayer"),
        Passes,
        "axum-tracing-opentelemetry",
    ),
    entry(Type("Extension"), Passes, "axum"),
    entry(Type("AddExtensionLayer"), Passes, "tower-http"),
    entry(Type("HandleErrorLayer"), Passes, "axum"),
    entry(
        Type("BufferLayer"),
        Passes,
        "tower: queues; fails only once its worker is gone",
    ),
    entry(BuilderMethod("timeout"), Passes, "tower"),
    entry(BuilderMethod("map_request"), Passes, "tower"),
    entry(BuilderMethod("map_response"), Passes, "tower"),
    entry(BuilderMethod("map_err"), Passes, "tower"),
    entry(BuilderMethod("trace_for_http"), Passes, "tower-http"),
    entry(BuilderMethod("compression"), Passes, "tower-http"),
    entry(
        BuilderMethod("propagate_x_request_id"),
        Passes,
        "tower-http",
    ),
    entry(BuilderMethod("set_x_request_id"), Passes, "tower-http"),
    entry(BuilderMethod("catch_panic"), Passes, "tower-http"),
];

/// What a word of a name says about the layer.
#[derive(Clone, Copy, Debug)]
pub enum Word {
    /// Names a guard by itself: `auth`, `maintenance`.
    Guard(Reason),
    /// Names what a guard checks, a guard only with a verb: `https` in
    /// `require_https`, `host` in `check_host` (but `log_host` passes).
    Object(Reason),
    /// Names checking or refusing: a guard by itself, of its own kind or
    /// of its object's.
    Verb(Option<Reason>),
    /// Names something that passes every request on: logging, tracing,
    /// metrics, headers.
    Harmless,
}

/// The name vocabulary, by stem (see [`stem_matches`]).
pub const VOCABULARY: &[(&str, Word)] = &[
    ("auth", Word::Guard(Auth)),
    ("login", Word::Guard(Auth)),
    ("admin", Word::Guard(Auth)),
    ("bearer", Word::Guard(Auth)),
    ("jwt", Word::Guard(Auth)),
    ("maintenan", Word::Guard(Maintenance)),
    ("tenan", Word::Guard(Tenant)),
    ("canonical", Word::Guard(CanonicalRedirect)),
    ("www", Word::Guard(CanonicalRedirect)),
    ("https", Word::Object(HttpsRedirect)),
    ("ssl", Word::Object(HttpsRedirect)),
    ("tls", Word::Object(HttpsRedirect)),
    ("host", Word::Object(HostValidation)),
    ("ip", Word::Object(IpFilter)),
    ("key", Word::Object(Auth)),
    ("token", Word::Object(Auth)),
    ("requir", Word::Verb(None)),
    ("enforc", Word::Verb(None)),
    ("forc", Word::Verb(None)),
    ("verif", Word::Verb(None)),
    ("validat", Word::Verb(None)),
    ("check", Word::Verb(None)),
    ("guard", Word::Verb(None)),
    ("protect", Word::Verb(None)),
    ("restrict", Word::Verb(None)),
    ("only", Word::Verb(None)),
    ("allow", Word::Verb(None)),
    ("block", Word::Verb(None)),
    ("deny", Word::Verb(None)),
    ("reject", Word::Verb(None)),
    ("filter", Word::Verb(None)),
    ("limit", Word::Verb(Some(RateLimit))),
    ("throttl", Word::Verb(Some(RateLimit))),
    ("redirect", Word::Verb(Some(Redirect))),
    ("rewrit", Word::Verb(Some(PathRewrite))),
    ("log", Word::Harmless),
    ("trac", Word::Harmless),
    ("metric", Word::Harmless),
    ("telemetr", Word::Harmless),
    ("header", Word::Harmless),
    ("cors", Word::Harmless),
    ("id", Word::Harmless),
    ("print", Word::Harmless),
    ("record", Word::Harmless),
    ("stamp", Word::Harmless),
    ("inspect", Word::Harmless),
];

/// Lower-case words of a snake_case or CamelCase name: `RequireAuth` → `require`,
/// `auth`; `HTTPSOnly` → `https`, `only`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let starts_word = c.is_uppercase()
            && previous.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if (c == '_' || starts_word) && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c != '_' {
            current.extend(c.to_lowercase());
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use proc_macro2::Span;

    use super::*;

    fn guess(name: &str) -> Verdict {
        by_name(Some(&Ident::new(name, Span::call_site())))
    }

    #[test]
    fn guard_names() {
        for (name, reason) in [
            ("require_https", HttpsRedirect),
            ("check_allowed_host", HostValidation),
            ("RequireAuth", Auth),
            ("admin_only", Auth),
            ("rate_limit_by_ip", RateLimit),
            ("redirect_to_https", HttpsRedirect),
            ("HttpsOnly", HttpsRedirect),
            ("enforce_tls", HttpsRedirect),
            ("redirect_to_canonical_host", CanonicalRedirect),
            ("redirect_www", CanonicalRedirect),
            ("maintenance_mode", Maintenance),
            ("resolve_tenant", Tenant),
            ("require_api_key", Auth),
            ("AdminUser", Auth),
            ("authorizer", Auth),
            ("read_only_mode", Guard),
            // No word silences a guard word.
            ("optional_auth", Auth),
            ("auth_context", Auth),
            ("maybe_force_https", HttpsRedirect),
        ] {
            assert_eq!(
                guess(name),
                Verdict::Blocks(reason, Certainty::Guessed),
                "{name}"
            );
        }
    }

    #[test]
    fn harmless_names() {
        for name in [
            "security_headers",
            "log_requests",
            "add_request_id",
            "track_metrics",
            "log_host",
            "record_latency",
            "http_metrics",
        ] {
            assert_eq!(guess(name), Verdict::Passes, "{name}");
        }
    }

    #[test]
    fn unknown_names_are_reported() {
        for name in ["my_middleware", "set_https_scheme", "Db", "strip_base_path"] {
            assert_eq!(
                guess(name),
                Verdict::Blocks(Unknown, Certainty::Guessed),
                "{name}"
            );
        }
    }

    /// The rustdoc page shows the table; this keeps it in step. On failure, paste the printed table.
    #[test]
    fn readme_shows_the_table() {
        let mut table = String::from("| layer | before the healthcheck | from |\n|---|---|---|\n");
        for entry in TABLE {
            let layer = match entry.spelling {
                Type(ty) => format!("`{ty}`"),
                Constructor(ty, constructor) => format!("`{ty}::{constructor}`"),
                BuilderMethod(method) => format!("`ServiceBuilder::{method}`"),
                Macro(name) => format!("`{name}!`"),
                Middleware(via) => format!("`{via}`"),
            };
            let effect = match entry.effect {
                Blocks(reason) => format!("blocks: {reason:?}"),
                Passes => "passes".to_owned(),
                Limits => "warns: the probe shares the limit".to_owned(),
                ByName => "by its function's name".to_owned(),
            };
            table.push_str(&format!("| {layer} | {effect} | {} |\n", entry.from));
        }
        // The `#[kamal_app]` rustdoc page shows it; the README links there.
        let page = include_str!("../../runtime/docs/layer-table.md");
        assert!(
            page.contains(&table),
            "runtime/docs/layer-table.md should contain this table:\n{table}"
        );
    }

    #[test]
    fn words_split_both_cases() {
        assert_eq!(words("RequireAuth"), ["require", "auth"]);
        assert_eq!(words("check_allowed_host"), ["check", "allowed", "host"]);
        assert_eq!(words("HTTPSOnly"), ["https", "only"]);
        assert_eq!(words("ip_filter2"), ["ip", "filter2"]);
    }
}
