//! Checks on the model: the user's own routes at the health path, and, when the
//! user places `healthcheck()` themselves, every blocking layer that runs
//! before it and every step that routes the probe around it.

use crate::attr::Args;
use crate::ctxt::{Diagnostics, Location};
use crate::judge::{Certainty, Overrides, Reason, Verdict, allow_key, judge_layer};
use crate::model::{App, Condition, Layer, Returned, Router, Step, Written};
use crate::rules::Rule;

pub fn check(app: &App, args: &Args, errors: &mut Diagnostics) {
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
                errors.error(
                    span,
                    Rule::RouteAtHealthPath,
                    format!(
                        "`{path}` is the {kind} path of #[kamal_app], which answers GET and HEAD there itself, \
                         so this route would never see them (a route for other methods only, such as \
                         `post(..)`, is fine)\n\
                         help: remove the route, or choose another path with #[kamal_app({argument} = \"..\")]"
                    ),
                );
            });
        }
        // With a constant path, trace a path no route of the function claims.
        let overrides = Overrides {
            blocking: &args.blocking,
            allow: &args.allow,
        };
        let path = args.path_literal().unwrap_or("");
        if app.places_healthcheck() {
            check_order(returned, app, path, &overrides, errors);
        }
        if args.explain {
            let text = explain(returned, app, path, &overrides);
            errors.explain(returned.span, text);
        }
    }
}

/// What `explain` prints for one returned router: the layers the probe
/// meets in execution order, each with its verdict and how sure it is.
fn explain(returned: &Returned, app: &App, path: &str, overrides: &Overrides) -> String {
    let mut text = format!("explain: kamal-proxy's probe for `{path}`");
    if !app.places_healthcheck() {
        text.push_str(
            " is answered by the health routes #[kamal_app] adds to the router this returns, \
             after every layer of the function: none of them runs for it",
        );
        return text;
    }
    let probe = Probe::trace(&returned.router, path, "");
    text.push_str(" meets, in execution order:");
    let mut answered = false;
    for (index, layer) in probe.layers.iter().enumerate() {
        let verdict = match (answered, judge_layer(layer, overrides)) {
            (true, _) => "runs after the healthcheck, never sees the probe".to_owned(),
            (false, Verdict::Healthcheck) => "answers the probe".to_owned(),
            (false, Verdict::Passes) => "passes it on".to_owned(),
            (false, Verdict::Blocks(reason, certainty)) => {
                let sure = match certainty {
                    Certainty::Known => "blocks it, known",
                    Certainty::Guessed => "may block it, guessed",
                };
                format!("{sure} ({})", rule(layer, reason, certainty).id())
            }
        };
        answered |= layer.is_healthcheck();
        text.push_str(&format!("\n  {}. `{}`: {verdict}", index + 1, display(&layer.written)));
    }
    if !probe.certain {
        text.push_str("\n  then code #[kamal_app] cannot follow, which may route it elsewhere");
    } else if !answered {
        text.push_str("\n  and no healthcheck(): it ends at a route or fallback of the app");
    }
    text
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

fn check_order(
    returned: &Returned,
    app: &App,
    path: &str,
    overrides: &Overrides,
    errors: &mut Diagnostics,
) {
    if !returned.router.places_healthcheck() {
        if returned.router.fully_seen() {
            errors.error(
                returned.span,
                Rule::ReturnedWithout,
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
    match probe.layers.iter().position(|layer| layer.is_healthcheck()) {
        Some(healthcheck) => {
            let first = probe.layers[healthcheck];
            for layer in &probe.layers[..healthcheck] {
                if let Verdict::Blocks(reason, certainty) = judge_layer(layer, overrides) {
                    let message = blocked_message(layer, reason, certainty, path, first);
                    let rule = rule(layer, reason, certainty);
                    match certainty {
                        Certainty::Known => errors.error(layer.span, rule, message),
                        Certainty::Guessed => errors.warn(layer.span, rule, message),
                    }
                }
            }
        }
        None if probe.certain => match probe.displaced_by {
            Some((span, certainty)) => {
                let unless = match certainty {
                    Certainty::Known => "",
                    Certainty::Guessed => {
                        ", unless a router merged before it, which #[kamal_app] cannot see, routes \
                         this path or has a fallback"
                    }
                };
                let message = format!(
                    "kamal-proxy's probe for `{path}` ends up here, past the explicit healthcheck(), and never \
                     gets a healthcheck answer{unless}\n\
                     help: `.layer(healthcheck())` wraps only the routes and fallback that exist when it is \
                     called, and a route, fallback or merged router added after it takes this path from them \
                     (merging replaces the fallback the healthcheck wrapped); add this before it, or drop the \
                     explicit healthcheck() and let #[kamal_app] place it"
                );
                match certainty {
                    Certainty::Known => errors.error(span, Rule::ProbeTakenPast, message),
                    Certainty::Guessed => errors.warn(span, Rule::ProbeTakenPast, message),
                }
            }
            None => {
                for span in &app.explicit_healthchecks {
                    let why = match routes_only(&returned.router, span) {
                        true => {
                            "`.route_layer()` wraps matched routes only, and the probe's route or fallback \
                             is not one of them"
                        }
                        false => {
                            "a healthcheck() on a nested or merged router wraps only that router's routes, \
                             and the probe does not reach them"
                        }
                    };
                    errors.error(
                        *span,
                        Rule::HealthcheckMissed,
                        format!(
                            "kamal-proxy's probe for `{path}` never passes this healthcheck(): it does not wrap \
                             the fallback or route that receives the probe\n\
                             help: {why}; apply it with `.layer(healthcheck())` on the returned router, or drop \
                             it and let #[kamal_app] answer first"
                        ),
                    );
                }
            }
        },
        None => {}
    }
}

/// The rule a blocking verdict on `layer` falls under.
fn rule(layer: &Layer, reason: Reason, certainty: Certainty) -> Rule {
    match (certainty, reason) {
        (Certainty::Known, _) => Rule::KnownBlocker,
        _ if matches!(layer.written, Written::Conditional { .. }) => Rule::ConditionalBlocker,
        (_, Reason::Unknown) => Rule::UnknownLayer,
        (_, Reason::RateLimit | Reason::SharedLimit) => Rule::SharedLimit,
        _ => Rule::NamedGuard,
    }
}

fn blocked_message(
    layer: &Layer,
    reason: Reason,
    certainty: Certainty,
    path: &str,
    healthcheck: &Layer,
) -> String {
    let name = display(&layer.written);
    let fix = if layer.in_builder && healthcheck.in_builder && layer.group == healthcheck.group {
        "ServiceBuilder layers run top-to-bottom: move `.layer(healthcheck())` above this layer in the builder"
    } else {
        ".layer() calls run bottom-to-top (the last call runs first): move `.layer(healthcheck())` below this one"
    };
    let what = match (reason, certainty) {
        (Reason::Unknown, _) => format!(
            "`{name}` runs before the healthcheck, and #[kamal_app] cannot tell whether it lets \
             kamal-proxy's probe through"
        ),
        (_, Certainty::Guessed) if matches!(layer.written, Written::Conditional { .. }) => {
            format!(
                "`{name}` runs before the healthcheck and, when it is there, {}",
                reason.outcome(path)
            )
        }
        (Reason::SharedLimit, _) => format!(
            "`{name}` runs before the healthcheck and {}",
            reason.outcome(path)
        ),
        (_, Certainty::Guessed) => format!(
            "`{name}` runs before the healthcheck and, judging by its name, {}",
            reason.outcome(path)
        ),
        (_, Certainty::Known) => format!(
            "`{name}` runs before the healthcheck and {}",
            reason.outcome(path)
        ),
    };
    let bound = match &layer.bound {
        Some(binding) => format!(" (`{binding}` holds it)"),
        None => String::new(),
    };
    let silence = match (allow_key(layer), certainty) {
        (_, Certainty::Known) => String::new(),
        (Some(key), Certainty::Guessed) => format!(
            "\nnote: if `{key}` lets the probe through, say so with #[kamal_app(allow({key}))]"
        ),
        (None, Certainty::Guessed) => "\nnote: if it lets the probe through, bind it to a name \
             (`let my_layer = ..;`, then `.layer(my_layer)`) and say so with \
             #[kamal_app(allow(my_layer))]"
            .to_owned(),
    };
    format!(
        "{what}{bound}\nhelp: {fix}, or drop the explicit healthcheck() and let #[kamal_app] answer \
         first{silence}"
    )
}

/// A layer as messages name it: its constructor as written.
fn display(written: &Written) -> String {
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

/// Where kamal-proxy's probe ends up in a router, and the layers it passes on the way.
struct Probe<'m> {
    endpoint: Endpoint,
    /// Layers wrapping the endpoint, outermost (first to run) first.
    layers: Vec<&'m Layer>,
    /// False once something the model cannot see may have rerouted the probe.
    certain: bool,
    /// The step that routed the probe away from a `healthcheck()` wrapping
    /// its old endpoint, and whether surely: a merge after an unseen merged
    /// router takes the probe only if that router holds no route or
    /// fallback for it.
    displaced_by: Option<(Location, Certainty)>,
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
fn routes_only(router: &Router, call: &Location) -> bool {
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
