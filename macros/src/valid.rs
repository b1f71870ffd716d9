//! Checks on the model: the user's own routes at the health path, and, when the
//! user places `healthcheck()` themselves, every blocking layer that runs
//! before it and every step that routes the probe around it.

use crate::attr::Args;
use crate::classes::{Class, Seen};
use crate::ctxt::{Errors, Location};
use crate::model::{App, Layer, Router, Step};

pub fn check(app: &App, args: &Args, errors: &mut Errors) {
    let health_paths = std::iter::once(("healthcheck", "path", &args.path)).chain(
        args.liveness
            .iter()
            .map(|liveness| ("liveness", "liveness", liveness)),
    );
    for router in &app.returned {
        for (kind, argument, health) in health_paths.clone() {
            routes_at(router, "", &health.value, &mut |span| {
                errors.at(
                    span,
                    format!(
                        "`{path}` is the {kind} path of #[kamal_app]: it answers GET and HEAD there before \
                         any layer runs, so this route would never see them (a route for other methods only, \
                         such as `post(..)`, is fine)\n\
                         help: remove the route, or choose another path with #[kamal_app({argument} = \"..\")]",
                        path = health.value
                    ),
                );
            });
        }
        if app.places_healthcheck() {
            check_order(router, app, &args.path.value, errors);
        }
    }
}

/// Calls `found` with the span of each route or nested service the router puts at `path`.
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

/// axum's path for `route` nested under `prefix`: `/api` + `/` is `/api`.
fn join(prefix: &str, route: &str) -> String {
    match route {
        "/" if !prefix.is_empty() => prefix.to_owned(),
        _ => format!("{prefix}{route}"),
    }
}

fn check_order(router: &Router, app: &App, path: &str, errors: &mut Errors) {
    let probe = Probe::trace(router, path);
    match probe.layers.iter().position(|layer| layer.class == Class::Healthcheck) {
        Some(healthcheck) => {
            let first = probe.layers[healthcheck];
            for layer in &probe.layers[..healthcheck] {
                if let Class::Blocking(block) = layer.class {
                    errors.at(layer.span, blocked_message(layer, block.probe_outcome(path), first));
                }
            }
        }
        None if probe.certain && app.sees_every_healthcheck() => match probe.displaced_by {
            Some(span) => errors.at(
                span,
                format!(
                    "kamal-proxy's probe for `{path}` ends up here, past the explicit healthcheck(), and never \
                     gets a healthcheck answer\n\
                     help: `.layer(healthcheck())` wraps only the routes and fallback that exist when it is \
                     called; add this before it, or drop the explicit healthcheck() and let #[kamal_app] place it"
                ),
            ),
            None => {
                for span in &app.explicit_healthchecks {
                    errors.at(
                        *span,
                        format!(
                            "kamal-proxy's probe for `{path}` never passes this healthcheck(): it does not wrap \
                             the fallback or route that receives the probe\n\
                             help: `.route_layer()` wraps matched routes only, and a merged router's layers do not \
                             wrap the outer fallback; apply it with `.layer(healthcheck())` on the returned router, \
                             or drop it and let #[kamal_app] place it"
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
        Seen::Middleware { name, .. }
            if !matches!(
                layer.class,
                Class::Blocking(crate::classes::Block::Declared)
            ) =>
        {
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

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Endpoint {
    DefaultFallback,
    CustomFallback,
    /// A route matching the path; more specific matches rank higher, as in axum's router.
    Route(Rank),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    CatchAll,
    Param,
    Exact,
}

impl<'m> Probe<'m> {
    fn trace(router: &'m Router, path: &str) -> Probe<'m> {
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
                } => match route_match(route, path) {
                    Match::Yes(rank) if Endpoint::Route(rank) > probe.endpoint => {
                        probe.move_to(Endpoint::Route(rank), Vec::new(), *span)
                    }
                    Match::Maybe => probe.lose_sight(),
                    Match::Yes(_) | Match::No => {}
                },
                Step::Route { path: None, .. } | Step::Opaque => probe.lose_sight(),
                Step::Fallback { span } => {
                    if !matches!(probe.endpoint, Endpoint::Route(_)) {
                        probe.move_to(Endpoint::CustomFallback, Vec::new(), *span);
                    }
                }
                Step::Layer { stack, routes_only } => {
                    if !routes_only || matches!(probe.endpoint, Endpoint::Route(_)) {
                        probe.layers.splice(0..0, stack);
                    }
                }
                Step::Merge { router, span } => probe.take_over(Probe::trace(router, path), *span),
                Step::Nest { prefix: None, .. } => probe.lose_sight(),
                Step::Nest {
                    prefix: Some(prefix),
                    router,
                    span,
                } => {
                    let Some(rest) = under_prefix(path, prefix) else {
                        continue;
                    };
                    match router {
                        Some(router) => probe.take_over(Probe::trace(router, &rest), *span),
                        None => probe.move_to(Endpoint::Route(Rank::CatchAll), Vec::new(), *span),
                    }
                }
            }
        }
        probe
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

    /// A merged or nested router takes the probe when it routes it more specifically
    /// (axum keeps a router's default fallback only when the other has none of its own).
    fn take_over(&mut self, other: Probe<'m>, span: Location) {
        if !other.certain {
            self.lose_sight();
        } else if other.endpoint > self.endpoint && other.endpoint != Endpoint::DefaultFallback {
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
    Yes(Rank),
    /// A capture inside a segment (`/{id}.json`): the model does not guess.
    Maybe,
}

/// Whether an axum route pattern matches `path`, and how specifically.
fn route_match(pattern: &str, path: &str) -> Match {
    if pattern == path {
        return Match::Yes(Rank::Exact);
    }
    let mut rank = Rank::Exact;
    let mut wanted = path.split('/');
    for segment in pattern.split('/') {
        if segment.starts_with("{*") && segment.ends_with('}') {
            let rest: Vec<&str> = wanted.collect();
            return if rest.iter().any(|s| !s.is_empty()) {
                Match::Yes(Rank::CatchAll)
            } else {
                Match::No
            };
        }
        let Some(actual) = wanted.next() else {
            return Match::No;
        };
        if is_capture(segment) {
            if actual.is_empty() {
                return Match::No;
            }
            rank = Rank::Param;
        } else if segment.contains(['{', '}']) {
            return Match::Maybe;
        } else if segment != actual {
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

/// The path a router nested at `prefix` sees for `path`, if it receives it.
fn under_prefix(path: &str, prefix: &str) -> Option<String> {
    let rest = path.strip_prefix(prefix.trim_end_matches('/'))?;
    match rest {
        "" => Some("/".to_owned()),
        _ if rest.starts_with('/') => Some(rest.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> Option<Rank> {
        match route_match(pattern, path) {
            Match::Yes(rank) => Some(rank),
            Match::No => None,
            Match::Maybe => panic!("{pattern} should be decidable"),
        }
    }

    #[test]
    fn route_patterns() {
        assert_eq!(matches("/up", "/up"), Some(Rank::Exact));
        assert_eq!(matches("/{page}", "/up"), Some(Rank::Param));
        assert_eq!(matches("/{*rest}", "/up"), Some(Rank::CatchAll));
        assert_eq!(matches("/api/{*rest}", "/up"), None);
        assert_eq!(matches("/{a}/{b}", "/up"), None);
        assert_eq!(matches("/", "/up"), None);
        assert_eq!(matches("/upx", "/up"), None);
        assert!(matches!(route_match("/{id}.json", "/up"), Match::Maybe));
    }

    #[test]
    fn prefixes() {
        assert_eq!(under_prefix("/api/up", "/api").as_deref(), Some("/up"));
        assert_eq!(under_prefix("/api", "/api").as_deref(), Some("/"));
        assert_eq!(under_prefix("/apiup", "/api"), None);
        assert_eq!(under_prefix("/up", "/api"), None);
    }
}
