//! The judge stage: what a layer written before the healthcheck does to
//! kamal-proxy's probe, from the table and the name vocabulary of
//! `names.rs` and the user's overrides.
//!
//! A verdict is as sure as its evidence: a row of the table is known (a
//! compile error when it blocks), a name is a guess (a warning), and what
//! neither knows is reported as unknown (a warning), never trusted.

use syn::Ident;

use crate::model::{Layer, Written};
use crate::names::{Effect, Spelling, TABLE, VOCABULARY, Word};
use Spelling::*;

/// What a layer does to the probe when it runs before the healthcheck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
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
        // It answers the probe: nothing after it blocks it (see `route.rs`).
        Written::Healthcheck { .. } => return Verdict::Passes,
        Written::Type { ty, constructor } => constructor
            .as_ref()
            .and_then(|c| row(&|s| matches!(s, Constructor(t, k) if ty == t && c == k)))
            .or_else(|| row(&|s| matches!(s, Type(t) if ty == t))),
        Written::BuilderMethod(method) => row(&|s| matches!(s, BuilderMethod(m) if method == m)),
        Written::Macro(name) => row(&|s| matches!(s, Macro(m) if name == m)),
        Written::Middleware { via, .. } => row(&|s| matches!(s, Middleware(m, _) if via == m)),
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
        Verdict::Passes => (0, None),
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
        (_, _, Some(Word::Verb(Some(Reason::RateLimit)))) => Some(Reason::RateLimit),
        (_, Some(Word::Object(reason)), Some(_)) => Some(reason),
        (_, _, Some(Word::Verb(reason))) => Some(reason.unwrap_or(Reason::Guard)),
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
    use Reason::*;

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

    #[test]
    fn words_split_both_cases() {
        assert_eq!(words("RequireAuth"), ["require", "auth"]);
        assert_eq!(words("check_allowed_host"), ["check", "allowed", "host"]);
        assert_eq!(words("HTTPSOnly"), ["https", "only"]);
        assert_eq!(words("ip_filter2"), ["ip", "filter2"]);
    }
}
