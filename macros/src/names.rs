//! Everything the macro recognises by name, in one place: the table of
//! layers (a newcomer teaches the macro a layer, a `ServiceBuilder`
//! shorthand, a macro or one of axum's middleware constructors with one
//! row of [`TABLE`]), the name vocabulary ([`VOCABULARY`]), the
//! combinators the reader follows, and how messages name a layer
//! ([`display`]). Each row is checked against the crate's source; the
//! rustdoc page shows the table (`runtime/docs/layer-table.md`, kept in
//! step by a test in `judge.rs`).

use crate::judge::Reason;
use crate::judge::Reason::*;
use crate::model::{Condition, Written};

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
    Middleware(&'static str, Takes),
}

/// What a middleware constructor is given, which names the middleware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takes {
    /// A function, its last argument: `from_fn_with_state(state, name)`.
    Function,
    /// An extractor type, its first type argument: `from_extractor::<Name>()`.
    Extractor,
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
        Middleware("from_extractor", Takes::Extractor),
        Blocks(Extractor),
        "axum: the extractor's rejection",
    ),
    entry(
        Middleware("from_extractor_with_state", Takes::Extractor),
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
    entry(Middleware("from_fn", Takes::Function), ByName, "axum"),
    entry(
        Middleware("from_fn_with_state", Takes::Function),
        ByName,
        "axum",
    ),
    entry(
        Middleware("map_request", Takes::Function),
        ByName,
        "axum: can answer with `Err(response)`",
    ),
    entry(
        Middleware("map_request_with_state", Takes::Function),
        ByName,
        "axum: can answer with `Err(response)`",
    ),
    // Passing the probe through.
    entry(
        Middleware("map_response", Takes::Function),
        Passes,
        "axum: runs after the inner service",
    ),
    entry(
        Middleware("map_response_with_state", Takes::Function),
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

/// Methods that make an `Option` of a layer: `token.map(Layer::new)`,
/// `flag.then(|| layer)`.
pub const OPTION_COMBINATORS: [&str; 4] = ["map", "then", "then_some", "and_then"];

/// `ServiceBuilder` methods that add no layer.
pub const BUILDER_NO_LAYER: [&str; 4] = [
    "into_inner",
    "check_clone",
    "check_service_clone",
    "check_service",
];

/// `Router` methods that change nothing the probe meets.
pub const ROUTER_UNCHANGED: [&str; 3] = ["with_state", "method_not_allowed_fallback", "clone"];

/// What one of axum's middleware constructors takes, if `name` is one
/// (a `Middleware` row of [`TABLE`]).
pub fn middleware(name: &str) -> Option<Takes> {
    TABLE.iter().find_map(|entry| match entry.spelling {
        Middleware(via, takes) if via == name => Some(takes),
        _ => None,
    })
}

/// A layer as messages name it: its constructor as written.
pub fn display(written: &Written) -> String {
    match written {
        Written::Healthcheck { .. } => "healthcheck()".to_owned(),
        Written::Type {
            ty,
            constructor: Some(constructor),
        } => format!("{ty}::{constructor}"),
        Written::Type { ty, .. } => ty.to_string(),
        Written::BuilderMethod(method) => format!("ServiceBuilder::{method}"),
        Written::Macro(name) => format!("{name}!"),
        Written::Middleware { via, name } => {
            let name = name
                .as_ref()
                .map_or_else(|| "|..| ..".to_owned(), ToString::to_string);
            match via.to_string().as_str() {
                "from_extractor" => format!("from_extractor::<{name}>()"),
                "from_extractor_with_state" => {
                    format!("from_extractor_with_state::<{name}, _>(..)")
                }
                via if via.ends_with("_with_state") => format!("{via}(.., {name})"),
                via => format!("{via}({name})"),
            }
        }
        Written::Conditional {
            how, alternatives, ..
        } => {
            let inner: Vec<String> = alternatives.iter().map(display).collect();
            let inner = match inner.is_empty() {
                true => "..".to_owned(),
                false => inner.join(" | "),
            };
            match how {
                Condition::OptionLayer => format!("option_layer({inner})"),
                Condition::Either => format!("Either({inner})"),
                Condition::Option => format!("Option({inner})"),
                Condition::If => format!("if .. {{ {inner} }}"),
                Condition::Branch => format!("if .. {{ app.layer({inner}) }}"),
            }
        }
        Written::Helper(name) => format!("{name}(..)"),
        Written::Opaque { name: Some(name) } => name.to_string(),
        Written::Opaque { name: None } => "this layer".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                Middleware(via, _) => format!("`{via}`"),
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

    /// The rustdoc page lists the vocabulary: each stem begins a word it
    /// shows in backticks, of the kind the entry is.
    #[test]
    fn the_page_lists_the_vocabulary() {
        let page = include_str!("../../runtime/docs/diagnostics.md");
        let names = &page[page.find("**Names.**").expect("the names paragraph")
            ..page.find("No word silences").expect("its end")];
        for (stem, word) in VOCABULARY {
            let kind = match word {
                Word::Guard(_) => "words that name a guard",
                Word::Object(_) => "objects a guard checks",
                Word::Verb(_) => "guard verbs",
                Word::Harmless => "harmless words",
            };
            let item = names
                .split("\n- ")
                .find(|item| item.starts_with(kind))
                .unwrap_or_else(|| panic!("no item for {kind}"));
            assert!(
                item.split('`')
                    .skip(1)
                    .step_by(2)
                    .any(|shown| shown.starts_with(stem)),
                "the {kind} item should show `{stem}`"
            );
        }
    }
}
