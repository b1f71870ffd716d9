//! The one table of middleware the macro recognises. To teach it a new layer,
//! add a row to [`TABLE`]; names it does not know are transparent.

use syn::Ident;

/// What a layer can do to kamal-proxy's probe when it runs before the healthcheck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `axum_kamal::healthcheck()` itself, placed explicitly.
    Healthcheck,
    /// Can reject or redirect the probe.
    Blocking(Block),
    /// Lets the probe through unchanged: fine before the healthcheck.
    Transparent,
}

/// Why a blocking layer stops the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    HostValidation,
    HttpsRedirect,
    Auth,
    RateLimit,
    IpFilter,
    /// A `from_fn`/`from_extractor` middleware whose name says it guards.
    GuardByName,
    /// Named in `#[kamal_app(blocking(..))]`.
    Declared,
}

impl Block {
    /// What the probe gets, completing "`X` … before the healthcheck can answer".
    pub fn probe_outcome(self, health_path: &str) -> String {
        match self {
            Block::HostValidation => {
                "rejects kamal-proxy's probe (Host: <container-id>:<port>) with 400".to_owned()
            }
            Block::HttpsRedirect => format!(
                "redirects kamal-proxy's plain-HTTP probe (it sends no X-Forwarded-Proto) to \
                 https://<container-id>:<port>{health_path}, where the TLS handshake fails"
            ),
            Block::Auth => {
                "rejects kamal-proxy's probe, which carries no credentials, with 401 or a redirect to a login page"
                    .to_owned()
            }
            Block::RateLimit => {
                "can reject kamal-proxy's probe with 429 or 503 once the limit is reached".to_owned()
            }
            Block::IpFilter => {
                "rejects kamal-proxy's probe, which comes from the proxy container's address, with 403".to_owned()
            }
            Block::GuardByName => {
                "looks by its name like a guard that can reject or redirect kamal-proxy's probe".to_owned()
            }
            Block::Declared => {
                "is declared blocking in #[kamal_app(blocking(..))]: it can reject or redirect kamal-proxy's probe"
                    .to_owned()
            }
        }
    }
}

/// How a recognised layer is spelled in the user's function.
#[derive(Clone, Copy, Debug)]
pub enum Spelling {
    /// A layer type, whatever constructor builds it: `AllowedHostLayer::new(..)`, `GovernorLayer { .. }`.
    Type(&'static str),
    /// One constructor of a type whose class depends on it: `ValidateRequestHeaderLayer::bearer(..)`.
    Constructor(&'static str, &'static str),
    /// A `ServiceBuilder` shorthand method: `.rate_limit(..)`.
    BuilderMethod(&'static str),
    /// A macro that expands to a layer: `login_required!(..)`.
    Macro(&'static str),
}

pub struct Entry {
    pub spelling: Spelling,
    pub class: Class,
    /// The crate that provides it; only the README table shows it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub from: &'static str,
}

const fn entry(spelling: Spelling, class: Class, from: &'static str) -> Entry {
    Entry {
        spelling,
        class,
        from,
    }
}

use Block::*;
use Class::{Blocking, Transparent};
use Spelling::*;

/// Every layer the macro recognises. Constructor rows win over the type row.
pub const TABLE: &[Entry] = &[
    // Host validation.
    entry(
        Type("AllowedHostLayer"),
        Blocking(HostValidation),
        "tower_allowed_hosts",
    ),
    entry(
        Type("AllowedHostsLayer"),
        Blocking(HostValidation),
        "axum-allowed-hosts",
    ),
    entry(
        Constructor("ValidateRequestHeaderLayer", "custom"),
        Blocking(HostValidation),
        "tower-http",
    ),
    // HTTPS redirects.
    entry(
        Type("RedirectHttpsLayer"),
        Blocking(HttpsRedirect),
        "axum-server-dual-protocol",
    ),
    entry(
        Type("SslRedirectLayer"),
        Blocking(HttpsRedirect),
        "community crates",
    ),
    entry(
        Type("HttpsRedirectLayer"),
        Blocking(HttpsRedirect),
        "community crates",
    ),
    // Authentication and authorization.
    entry(
        Constructor("ValidateRequestHeaderLayer", "bearer"),
        Blocking(Auth),
        "tower-http",
    ),
    entry(
        Constructor("ValidateRequestHeaderLayer", "basic"),
        Blocking(Auth),
        "tower-http",
    ),
    entry(
        Constructor("ValidateRequestHeaderLayer", "has_header_value"),
        Blocking(Auth),
        "tower-http",
    ),
    entry(
        Type("RequireAuthorizationLayer"),
        Blocking(Auth),
        "tower-http",
    ),
    entry(
        Type("AsyncRequireAuthorizationLayer"),
        Blocking(Auth),
        "tower-http",
    ),
    entry(Type("AuthManagerLayer"), Blocking(Auth), "axum-login"),
    entry(
        Type("AuthManagerLayerBuilder"),
        Blocking(Auth),
        "axum-login",
    ),
    entry(Macro("login_required"), Blocking(Auth), "axum-login"),
    entry(Macro("permission_required"), Blocking(Auth), "axum-login"),
    // Rate limiting and load shedding.
    entry(Type("GovernorLayer"), Blocking(RateLimit), "tower_governor"),
    entry(Type("RateLimitLayer"), Blocking(RateLimit), "tower"),
    entry(Type("LoadShedLayer"), Blocking(RateLimit), "tower"),
    entry(BuilderMethod("rate_limit"), Blocking(RateLimit), "tower"),
    entry(BuilderMethod("load_shed"), Blocking(RateLimit), "tower"),
    // IP filters.
    entry(
        Type("IpFilterLayer"),
        Blocking(IpFilter),
        "community crates",
    ),
    // Transparent: listed so the README shows them; unknown names are transparent too.
    entry(Type("TraceLayer"), Transparent, "tower-http"),
    entry(Type("RequestIdLayer"), Transparent, "tower-http"),
    entry(Type("SetRequestIdLayer"), Transparent, "tower-http"),
    entry(Type("PropagateRequestIdLayer"), Transparent, "tower-http"),
    entry(Type("TimeoutLayer"), Transparent, "tower, tower-http"),
    entry(Type("CompressionLayer"), Transparent, "tower-http"),
    entry(Type("CorsLayer"), Transparent, "tower-http"),
    entry(Type("CatchPanicLayer"), Transparent, "tower-http"),
    entry(Type("SetRequestHeaderLayer"), Transparent, "tower-http"),
    entry(Type("SetResponseHeaderLayer"), Transparent, "tower-http"),
    entry(Type("PropagateHeaderLayer"), Transparent, "tower-http"),
    entry(Type("SetSensitiveHeadersLayer"), Transparent, "tower-http"),
    entry(Type("HelmetLayer"), Transparent, "tower-helmet"),
    entry(Type("RequestBodyLimitLayer"), Transparent, "tower-http"),
    entry(Type("DefaultBodyLimit"), Transparent, "axum"),
    entry(Type("NormalizePathLayer"), Transparent, "tower-http"),
    entry(
        Type("PrometheusMetricLayer"),
        Transparent,
        "axum-prometheus",
    ),
    entry(Type("Extension"), Transparent, "axum"),
    entry(Type("AddExtensionLayer"), Transparent, "tower-http"),
    entry(Type("HandleErrorLayer"), Transparent, "axum"),
    entry(Type("ConcurrencyLimitLayer"), Transparent, "tower"),
    entry(BuilderMethod("timeout"), Transparent, "tower"),
    entry(BuilderMethod("concurrency_limit"), Transparent, "tower"),
    entry(BuilderMethod("map_request"), Transparent, "tower"),
    entry(BuilderMethod("map_response"), Transparent, "tower"),
    entry(BuilderMethod("map_err"), Transparent, "tower"),
    entry(BuilderMethod("trace_for_http"), Transparent, "tower-http"),
    entry(BuilderMethod("compression"), Transparent, "tower-http"),
];

/// Word groups that mark an opaque middleware (`from_fn(f)`, `from_extractor::<E>()`)
/// as a guard: every word of a group must appear in the name's snake_case or
/// CamelCase words. Words that also name harmless helpers (`host`, `https`,
/// `only`) count only in pairs, so `security_headers`, `log_requests`,
/// `add_request_id`, `log_host` or `set_https_scheme` stay transparent.
pub const GUARD_WORDS: &[&[&str]] = &[
    &["auth"],
    &["authn"],
    &["authz"],
    &["authenticate"],
    &["authenticated"],
    &["authentication"],
    &["authorize"],
    &["authorized"],
    &["authorization"],
    &["login"],
    &["require"],
    &["requires"],
    &["required"],
    &["guard"],
    &["protect"],
    &["protected"],
    &["restrict"],
    &["restricted"],
    &["firewall"],
    &["throttle"],
    &["ratelimit"],
    &["allowlist"],
    &["whitelist"],
    &["blocklist"],
    &["blacklist"],
    &["denylist"],
    &["rate", "limit"],
    &["rate", "limiter"],
    &["https", "redirect"],
    &["https", "force"],
    &["https", "enforce"],
    &["https", "only"],
    &["ssl", "redirect"],
    &["ssl", "only"],
    &["allowed", "host"],
    &["allowed", "hosts"],
    &["check", "host"],
    &["validate", "host"],
    &["verify", "host"],
    &["host", "filter"],
    &["ip", "filter"],
    &["allowed", "ip"],
    &["allowed", "ips"],
    &["admin", "only"],
    &["staff", "only"],
];

/// A layer expression as the reader saw it, before classification.
#[derive(Clone, Debug)]
pub enum Seen {
    /// `axum_kamal::healthcheck()`.
    Healthcheck,
    /// `Type::constructor(..)`, `Type { .. }`, `Type` (constructor absent).
    Type {
        ty: Ident,
        constructor: Option<Ident>,
    },
    /// A `ServiceBuilder` shorthand: `.rate_limit(..)`.
    BuilderMethod(Ident),
    /// `name!(..)`.
    Macro(Ident),
    /// `from_fn(name)`, `from_fn_with_state(s, name)`, `from_extractor::<Name>()`.
    Middleware { via: &'static str, name: Ident },
    /// Anything else: a helper function, a closure, a variable the reader cannot follow.
    Opaque,
}

impl Seen {
    /// How messages name the layer.
    pub fn display(&self) -> String {
        match self {
            Seen::Healthcheck => "healthcheck()".to_owned(),
            // The constructor is named only where it decides the class: `ValidateRequestHeaderLayer::bearer`.
            Seen::Type {
                ty,
                constructor: Some(c),
            } if constructor_row(ty, c).is_some() => {
                format!("{ty}::{c}")
            }
            Seen::Type { ty, .. } => ty.to_string(),
            Seen::BuilderMethod(method) => format!("ServiceBuilder::{method}"),
            Seen::Macro(name) => format!("{name}!"),
            Seen::Middleware { via, name } if *via == "from_extractor" => {
                format!("{via}::<{name}>()")
            }
            Seen::Middleware { via, name } => format!("{via}({name})"),
            Seen::Opaque => "this layer".to_owned(),
        }
    }

    /// The name escape hatches (`blocking(..)`, `allow(..)`) match against.
    fn key(&self) -> Option<&Ident> {
        match self {
            Seen::Type { ty, .. } => Some(ty),
            Seen::BuilderMethod(name) | Seen::Macro(name) | Seen::Middleware { name, .. } => {
                Some(name)
            }
            Seen::Healthcheck | Seen::Opaque => None,
        }
    }
}

/// Names the user reclassified with `blocking(..)` and `allow(..)`.
pub struct Overrides<'a> {
    pub blocking: &'a [Ident],
    pub allow: &'a [Ident],
    /// The runtime crate's name in the user's code (`crate = ".."`), for
    /// recognising `name::healthcheck()`.
    pub crate_name: &'a str,
}

impl Overrides<'_> {
    pub fn classify(&self, seen: &Seen) -> Class {
        if let Some(key) = seen.key() {
            if self.allow.contains(key) {
                return Transparent;
            }
            if self.blocking.contains(key) {
                return Blocking(Declared);
            }
        }
        match seen {
            Seen::Healthcheck => Class::Healthcheck,
            Seen::Type { ty, constructor } => constructor
                .as_ref()
                .and_then(|c| constructor_row(ty, c))
                .or_else(|| lookup(|s| matches!(s, Type(t) if ty == t)))
                .unwrap_or(Transparent),
            Seen::BuilderMethod(method) => {
                lookup(|s| matches!(s, BuilderMethod(m) if method == m)).unwrap_or(Transparent)
            }
            Seen::Macro(name) => {
                lookup(|s| matches!(s, Macro(m) if name == m)).unwrap_or(Transparent)
            }
            Seen::Middleware { name, .. } if is_guard_name(&name.to_string()) => {
                Blocking(GuardByName)
            }
            Seen::Middleware { .. } | Seen::Opaque => Transparent,
        }
    }
}

/// The class of a constructor row for `ty::constructor`, which wins over the type's row.
fn constructor_row(ty: &Ident, constructor: &Ident) -> Option<Class> {
    lookup(|s| matches!(s, Constructor(t, c) if ty == t && constructor == c))
}

fn lookup(spelled: impl Fn(Spelling) -> bool) -> Option<Class> {
    TABLE
        .iter()
        .find(|entry| spelled(entry.spelling))
        .map(|entry| entry.class)
}

/// Whether a middleware name says it guards, by [`GUARD_WORDS`].
fn is_guard_name(name: &str) -> bool {
    let words = words(name);
    GUARD_WORDS
        .iter()
        .any(|group| group.iter().all(|word| words.iter().any(|w| w == word)))
}

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
    use super::*;

    #[test]
    fn guard_names() {
        for guard in [
            "require_https",
            "check_allowed_host",
            "RequireAuth",
            "admin_only",
            "rate_limit_by_ip",
            "redirect_to_https",
            "HttpsOnly",
        ] {
            assert!(is_guard_name(guard), "{guard} should be a guard");
        }
        for harmless in [
            "security_headers",
            "log_requests",
            "add_request_id",
            "track_metrics",
            "author_header",
            "log_host",
            "add_host_header",
            "set_https_scheme",
            "read_only_mode",
        ] {
            assert!(!is_guard_name(harmless), "{harmless} should be transparent");
        }
    }

    /// The README shows the table; this keeps the two in step. On failure, paste the printed table.
    #[test]
    fn readme_shows_the_table() {
        let mut table = String::from("| layer | class | from |\n|---|---|---|\n");
        for entry in TABLE {
            let layer = match entry.spelling {
                Type(ty) => format!("`{ty}`"),
                Constructor(ty, constructor) => format!("`{ty}::{constructor}`"),
                BuilderMethod(method) => format!("`ServiceBuilder::{method}`"),
                Macro(name) => format!("`{name}!`"),
            };
            let class = match entry.class {
                Blocking(block) => format!("blocking: {block:?}"),
                other => format!("{other:?}").to_lowercase(),
            };
            table.push_str(&format!("| {layer} | {class} | {} |\n", entry.from));
        }
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&table),
            "README.md should contain this table:\n{table}"
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
