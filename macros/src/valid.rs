//! Checks on the model: the user's own routes at the health path, and, when the
//! user places `healthcheck()` themselves, every blocking layer that runs
//! before it and every step that routes the probe around it.

use crate::attr::Args;
use crate::classes::{Block, Class, Seen};
use crate::ctxt::{Errors, Location};
use crate::model::{App, Layer, Returned, Router, Step};

pub fn check(app: &App, args: &Args, errors: &mut Errors) {
    // A path given as a constant is checked by the expansion, not read here.
    let readiness = args
        .path_literal()
        .map(|path| ("healthcheck", "path", path));
    let liveness = args
        .liveness
        .as_ref()
        .and_then(|liveness| liveness.literal.as_deref())
        .map(|path| ("liveness", "liveness", path));
    let health_paths = readiness.into_iter().chain(liveness);
    for returned in &app.returned {
        for (kind, argument, path) in health_paths.clone() {
            routes_at(&returned.router, "", path, &mut |span| {
                errors.at(
                    span,
                    format!(
                        "`{path}` is the {kind} path of #[kamal_app], which answers GET and HEAD there itself, \
                         so this route would never see them (a route for other methods only, such as \
                         `post(..)`, is fine)\n\
                         help: remove the route, or choose another path with #[kamal_app({argument} = \"..\")]"
                    ),
                );
            });
        }
        if app.places_healthcheck() {
            // With a constant path, trace a path no route of the function claims.
            check_order(returned, app, args.path_literal().unwrap_or(""), errors);
        }
    }
}

/// Calls `found` with the span of each route or nested service the router
/// puts exactly at `path` and that answers GET.
fn routes_at(router: &Router, prefix: &str, path: &str, found: &mut impl FnMut(Location)) {
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

fn check_order(returned: &Returned, app: &App, path: &str, errors: &mut Errors) {
    if !returned.router.places_healthcheck() {
        if returned.router.fully_seen() {
            errors.at(
                returned.span,
                "this router is returned without the healthcheck() the function places elsewhere, and \
                 #[kamal_app] adds none once you place it yourself\n\
                 help: add `.layer(healthcheck())` to it too, or drop the explicit healthcheck() calls and let \
                 #[kamal_app] place it",
            );
        }
        return;
    }
    // A healthcheck() the model cannot place could run anywhere: stay silent.
    if !app.sees_every_healthcheck() {
        return;
    }
    let probe = Probe::trace(&returned.router, path, "");
    match probe
        .layers
        .iter()
        .position(|layer| layer.class == Class::Healthcheck)
    {
        Some(healthcheck) => {
            let first = probe.layers[healthcheck];
            for layer in &probe.layers[..healthcheck] {
                if let Class::Blocking(block) = layer.class {
                    errors.at(layer.span, blocked_message(layer, block.probe_outcome(path), first));
                }
            }
        }
        None if probe.certain => match probe.displaced_by {
            Some(span) => errors.at(
                span,
                format!(
                    "kamal-proxy's probe for `{path}` ends up here, past the explicit healthcheck(), and never \
                     gets a healthcheck answer\n\
                     help: `.layer(healthcheck())` wraps only the routes and fallback that exist when it is \
                     called, and a route, fallback or merged router added after it takes this path from them; add \
                     this before it, or drop the explicit healthcheck() and let #[kamal_app] place it"
                ),
            ),
            None => {
                for span in &app.explicit_healthchecks {
                    errors.at(
                        *span,
                        format!(
                            "kamal-proxy's probe for `{path}` never passes this healthcheck(): it does not wrap \
                             the fallback or route that receives the probe\n\
                             help: `.route_layer()` wraps matched routes only, and a fallback set elsewhere is not \
                             wrapped by it; apply it with `.layer(healthcheck())` on the returned router, or drop it \
                             and let #[kamal_app] place it"
                        ),
                    );
                }
            }
        },
        None => {}
    }
}

fn blocked_message(layer: &Layer, outcome: String, healthcheck: &Layer) -> String {
    let name = layer.seen.display();
    let fix = if layer.in_builder && healthcheck.in_builder && layer.group == healthcheck.group {
        "ServiceBuilder layers run top-to-bottom: move `.layer(healthcheck())` above this layer in the builder"
    } else {
        ".layer() calls run bottom-to-top (the last call runs first): move `.layer(healthcheck())` below this one"
    };
    let silence = match &layer.seen {
        Seen::Middleware { name, .. } if layer.class != Class::Blocking(Block::Declared) => {
            format!(
                "\nnote: if `{name}` lets the probe through, say so with #[kamal_app(allow({name}))]"
            )
        }
        _ => String::new(),
    };
    format!(
        "`{name}` runs before the healthcheck and {outcome} before the healthcheck can answer\n\
         help: {fix}, or drop the explicit healthcheck() and let #[kamal_app] place it first{silence}"
    )
}

/// Where kamal-proxy's probe ends up in a router, and the layers it passes on the way.
struct Probe<'m> {
    endpoint: Endpoint,
    /// Layers wrapping the endpoint, outermost (first to run) first.
    layers: Vec<&'m Layer>,
    /// False once something the model cannot see may have rerouted the probe.
    certain: bool,
    /// The step that routed the probe away from a `healthcheck()` wrapping its old endpoint.
    displaced_by: Option<Location>,
}

/// What answers the probe, ordered as axum's router prefers them.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Endpoint {
    DefaultFallback,
    CustomFallback,
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
    fn trace(router: &'m Router, path: &str, prefix: &str) -> Probe<'m> {
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
        if self
            .layers
            .iter()
            .any(|layer| layer.class == Class::Healthcheck)
        {
            self.displaced_by = Some(span);
        }
        self.endpoint = endpoint;
        self.layers = layers;
    }

    /// Combines the probe of a merged or nested router as axum 0.8 does: the
    /// more specific route wins; a nested custom fallback beats ours; merging
    /// replaces our default fallback by the other's (default or custom) one,
    /// and with it the layers that wrapped ours.
    fn join(&mut self, other: Probe<'m>, join: Join, span: Location) {
        if !other.certain {
            self.lose_sight();
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
