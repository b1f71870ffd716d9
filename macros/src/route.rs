//! The route stage: where kamal-proxy's probe ends up in the router the
//! function builds, and the layers it passes on the way, by axum 0.8's
//! routing rules (matchit's ranking, `merge`, `nest`, fallbacks).

use crate::ctxt::Location;
use crate::judge::Certainty;
use crate::model::{Layer, Router, Step, Written};

/// Calls `found` with the span of each route or nested service the router
/// puts exactly at `path` and that answers GET.
pub fn routes_at(router: &Router, prefix: &str, path: &str, found: &mut impl FnMut(Location)) {
    for step in &router.steps {
        match step {
            Step::Route {
                path: Some(route),
                span,
                answers_get: true,
            } if join(prefix, route) == path => found(*span),
            Step::Merge { router, .. } => routes_at(router, prefix, path, found),
            Step::Nest {
                prefix: Some(nested),
                router: Some(router),
                ..
            } => routes_at(router, &join(prefix, nested), path, found),
            Step::Nest {
                prefix: Some(nested),
                router: None,
                span,
            } if join(prefix, nested) == path => found(*span),
            _ => {}
        }
    }
}

/// axum's `path_for_nested_route`: the full path of `route` nested under `prefix`.
fn join(prefix: &str, route: &str) -> String {
    if prefix.ends_with('/') {
        format!("{prefix}{}", route.trim_start_matches('/'))
    } else if route == "/" && !prefix.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}{route}")
    }
}

/// Where kamal-proxy's probe ends up in a router, and the layers it passes on the way.
pub struct Probe<'m> {
    endpoint: Endpoint,
    /// Layers wrapping the endpoint, outermost (first to run) first.
    pub layers: Vec<&'m Layer>,
    /// False once something the model cannot see may have rerouted the probe.
    pub certain: bool,
    /// The step that routed the probe away from a `healthcheck()` wrapping
    /// its old endpoint, and whether surely: a merge after an unseen merged
    /// router takes the probe only if that router holds no route or
    /// fallback for it.
    pub displaced_by: Option<(Location, Certainty)>,
}

/// What answers the probe, ordered as axum's router prefers them.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Endpoint {
    DefaultFallback,
    CustomFallback,
    /// A route or fallback of a merged router the reader cannot see: it
    /// took the probe from the default fallback, whatever it holds.
    Unseen,
    /// A route matching the path, ranked segment by segment as matchit does.
    Route(Vec<Segment>),
}

/// How one pattern segment matched: a static segment beats a capture, which beats a catch-all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    CatchAll,
    Capture,
    Static,
}

/// How a merged or nested router's probe combines with the router it joins.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Join {
    Merge,
    Nest,
}

impl<'m> Probe<'m> {
    /// Follows the probe through `router`, whose routes are nested under `prefix`.
    pub fn trace(router: &'m Router, path: &str, prefix: &str) -> Probe<'m> {
        let mut probe = Probe {
            endpoint: Endpoint::DefaultFallback,
            layers: Vec::new(),
            certain: true,
            displaced_by: None,
        };
        for step in &router.steps {
            match step {
                Step::Route {
                    path: Some(route),
                    span,
                    ..
                } => probe.route(&join(prefix, route), path, *span),
                Step::Route { path: None, .. } | Step::Opaque => probe.lose_sight(),
                Step::Fallback { span } => {
                    // A nested router's fallback only serves paths under its prefix.
                    let serves = prefix.is_empty() || is_under(path, prefix);
                    if serves && !matches!(probe.endpoint, Endpoint::Route(_)) {
                        probe.move_to(Endpoint::CustomFallback, Vec::new(), *span);
                    }
                }
                Step::Layer { stack, routes_only } => {
                    if !routes_only || matches!(probe.endpoint, Endpoint::Route(_)) {
                        probe.layers.splice(0..0, stack);
                    }
                }
                Step::Merge { router, span } => {
                    let other = Probe::trace(router, path, prefix);
                    probe.join(other, Join::Merge, *span);
                }
                Step::Nest { prefix: None, .. } => probe.lose_sight(),
                // A router nested where the probe never goes changes nothing, seen or not.
                Step::Nest {
                    prefix: Some(nested),
                    router: Some(_),
                    ..
                } if !is_under(path, &join(prefix, nested)) => {}
                Step::Nest {
                    prefix: Some(nested),
                    router: Some(router),
                    span,
                } => {
                    let other = Probe::trace(router, path, &join(prefix, nested));
                    probe.join(other, Join::Nest, *span);
                }
                Step::Nest {
                    prefix: Some(nested),
                    router: None,
                    span,
                } => {
                    // `nest_service` serves the prefix itself and everything below it.
                    let at = join(prefix, nested);
                    probe.route(&at, path, *span);
                    probe.route(&join(&at, "/{*nested}"), path, *span);
                }
            }
        }
        probe
    }

    /// A route at `pattern` takes the probe if it matches more specifically.
    fn route(&mut self, pattern: &str, path: &str, span: Location) {
        match route_match(pattern, path) {
            // An unseen route may be as specific: only an all-static match surely wins.
            Match::Yes(rank)
                if self.endpoint == Endpoint::Unseen
                    && rank.iter().any(|segment| *segment != Segment::Static) =>
            {
                self.lose_sight();
            }
            Match::Yes(rank) => {
                let endpoint = Endpoint::Route(rank);
                if endpoint > self.endpoint {
                    self.move_to(endpoint, Vec::new(), span);
                }
            }
            Match::Maybe => self.lose_sight(),
            Match::No => {}
        }
    }

    fn move_to(&mut self, endpoint: Endpoint, layers: Vec<&'m Layer>, span: Location) {
        self.displace(endpoint, layers, span, Certainty::Known);
    }

    fn displace(
        &mut self,
        endpoint: Endpoint,
        layers: Vec<&'m Layer>,
        span: Location,
        certainty: Certainty,
    ) {
        if self.layers.iter().any(|layer| layer.is_healthcheck()) {
            self.displaced_by = Some((span, certainty));
        }
        self.endpoint = endpoint;
        self.layers = layers;
    }

    /// A router merged into one that already merged an unseen router:
    /// unless that one routed the probe, the probe was at our default
    /// fallback, which this merge replaces by its own.
    fn merge_after_unseen(&mut self, layers: Vec<&'m Layer>, span: Location) {
        self.displace(Endpoint::Unseen, layers, span, Certainty::Guessed);
    }

    /// Combines the probe of a merged or nested router as axum 0.8 does: the
    /// more specific route wins; a nested custom fallback beats ours; merging
    /// replaces our default fallback by the other's (default or custom) one,
    /// and with it the layers that wrapped ours.
    fn join(&mut self, other: Probe<'m>, join: Join, span: Location) {
        let unseen = !other.certain || other.endpoint == Endpoint::Unseen;
        if unseen || self.endpoint == Endpoint::Unseen {
            let layers = match other.certain {
                true => other.layers,
                false => Vec::new(),
            };
            // Whatever a merged router holds, axum gives it the probe that
            // only our default fallback would have answered.
            match (join, &self.endpoint) {
                (Join::Merge, Endpoint::DefaultFallback) => {
                    self.move_to(Endpoint::Unseen, layers, span)
                }
                (Join::Merge, Endpoint::Unseen) => self.merge_after_unseen(layers, span),
                _ => self.lose_sight(),
            }
            return;
        }
        let takes_over = match (&self.endpoint, &other.endpoint) {
            (_, Endpoint::Route(_)) => other.endpoint > self.endpoint,
            (Endpoint::Route(_), _) => false,
            (_, Endpoint::CustomFallback) => {
                join == Join::Nest || self.endpoint == Endpoint::DefaultFallback
            }
            (Endpoint::DefaultFallback, Endpoint::DefaultFallback) => join == Join::Merge,
            (Endpoint::CustomFallback, Endpoint::DefaultFallback) => false,
            // Handled above.
            (Endpoint::Unseen, _) | (_, Endpoint::Unseen) => false,
        };
        if takes_over {
            self.move_to(other.endpoint, other.layers, span);
        }
    }

    fn lose_sight(&mut self) {
        self.certain = false;
        self.layers.clear();
        self.displaced_by = None;
    }
}

enum Match {
    No,
    Yes(Vec<Segment>),
    /// A capture inside a segment (`/{id}.json`): the model does not guess.
    Maybe,
}

/// Whether an axum route pattern matches `path`, and how specifically.
fn route_match(pattern: &str, path: &str) -> Match {
    let mut rank = Vec::new();
    let mut wanted = path.split('/');
    for segment in pattern.split('/') {
        if segment.starts_with("{*") && segment.ends_with('}') {
            let rest: Vec<&str> = wanted.collect();
            if rest.iter().all(|s| s.is_empty()) {
                return Match::No;
            }
            rank.push(Segment::CatchAll);
            return Match::Yes(rank);
        }
        let Some(actual) = wanted.next() else {
            return Match::No;
        };
        if is_capture(segment) {
            if actual.is_empty() {
                return Match::No;
            }
            rank.push(Segment::Capture);
        } else if segment.contains(['{', '}']) {
            return Match::Maybe;
        } else if segment == actual {
            rank.push(Segment::Static);
        } else {
            return Match::No;
        }
    }
    if wanted.next().is_some() {
        Match::No
    } else {
        Match::Yes(rank)
    }
}

/// A whole-segment capture, `{id}`.
fn is_capture(segment: &str) -> bool {
    segment.len() > 2
        && segment.starts_with('{')
        && segment.ends_with('}')
        && !segment[1..segment.len() - 1].contains(['{', '}'])
}

/// Whether the healthcheck `call` is placed by a `.route_layer(..)`.
pub fn routes_only(router: &Router, call: &Location) -> bool {
    router.steps.iter().any(|step| match step {
        Step::Layer { stack, routes_only } => {
            *routes_only
                && stack.iter().any(|layer| {
                    matches!(&layer.written, Written::Healthcheck { call: placed } if placed.same_code(call))
                })
        }
        Step::Merge { router, .. }
        | Step::Nest {
            router: Some(router),
            ..
        } => routes_only(router, call),
        _ => false,
    })
}

/// Whether a router nested at `prefix` receives `path`.
fn is_under(path: &str, prefix: &str) -> bool {
    let base = prefix.trim_end_matches('/');
    path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::Segment::{Capture, CatchAll, Static};
    use super::*;

    fn matches(pattern: &str, path: &str) -> Option<Vec<Segment>> {
        match route_match(pattern, path) {
            Match::Yes(rank) => Some(rank),
            Match::No => None,
            Match::Maybe => panic!("{pattern} should be decidable"),
        }
    }

    #[test]
    fn route_patterns() {
        assert_eq!(matches("/up", "/up"), Some(vec![Static, Static]));
        assert_eq!(matches("/{page}", "/up"), Some(vec![Static, Capture]));
        assert_eq!(matches("/{*rest}", "/up"), Some(vec![Static, CatchAll]));
        assert_eq!(matches("/api/{*rest}", "/up"), None);
        assert_eq!(matches("/{a}/{b}", "/up"), None);
        assert_eq!(matches("/", "/up"), None);
        assert_eq!(matches("/upx", "/up"), None);
        assert!(matches!(route_match("/{id}.json", "/up"), Match::Maybe));
    }

    #[test]
    fn earlier_static_segments_win() {
        let api = matches("/api/{*rest}", "/api/health");
        let tenant = matches("/{tenant}/health", "/api/health");
        assert!(api > tenant, "matchit prefers the static `api` segment");
    }

    #[test]
    fn nesting_follows_axum() {
        assert_eq!(join("/api", "/"), "/api");
        assert_eq!(join("/api", "/up"), "/api/up");
        assert_eq!(join("/api/", "/up"), "/api/up");
        assert_eq!(join("/up/", "/"), "/up/");
        assert_eq!(join("", "/up"), "/up");
        assert!(is_under("/api/up", "/api"));
        assert!(is_under("/api", "/api"));
        assert!(!is_under("/apiup", "/api"));
        assert!(!is_under("/up", "/api"));
    }
}
