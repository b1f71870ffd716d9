//! One plain description of what the annotated function builds: the router's
//! steps in build order, and for each layer its span and class. The reader
//! (`reader.rs`) fills it in, the checks (`valid.rs`) read it, and the
//! expansion (`expand.rs`) uses it to choose where the healthcheck goes.

use std::collections::HashSet;

use crate::classes::{Class, Seen};
use crate::ctxt::Location;

/// A router as built by a chain of calls, in build order. What the reader
/// cannot follow is an [`Step::Opaque`] step, never a guess.
#[derive(Clone, Debug, Default)]
pub struct Router {
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub enum Step {
    /// `.route(path, ..)` or `.route_service(path, ..)`; `path` is `None` when not a literal.
    Route {
        path: Option<String>,
        span: Location,
        /// False for method routers the reader sees whole and that answer neither GET nor HEAD.
        answers_get: bool,
    },
    /// `.fallback(..)` or `.fallback_service(..)`.
    Fallback { span: Location },
    /// `.layer(..)` (wraps the routes and the fallback that exist now) or
    /// `.route_layer(..)` (matched routes only, never the fallback).
    Layer {
        stack: Vec<Layer>,
        routes_only: bool,
    },
    /// `.merge(other)`.
    Merge { router: Router, span: Location },
    /// `.nest(prefix, router)`; `.nest_service(prefix, service)` has no router.
    Nest {
        prefix: Option<String>,
        router: Option<Router>,
        span: Location,
    },
    /// Something that may change routes, fallback or layers in ways the reader cannot see.
    Opaque,
}

/// One layer, in a stack listed in execution order (outermost first).
#[derive(Clone, Debug)]
pub struct Layer {
    pub seen: Seen,
    pub class: Class,
    pub span: Location,
    /// Layers written in one `.layer(..)` argument (a `ServiceBuilder`) share a group.
    pub group: usize,
    /// Whether it came from a `ServiceBuilder` (top-to-bottom) rather than
    /// a `Router::layer` chain (bottom-to-top): the fix is worded for that order.
    pub in_builder: bool,
}

/// What the function returns: the routers it can return, and every
/// `healthcheck()` call in it, modelled or not.
#[derive(Debug, Default)]
pub struct App {
    pub returned: Vec<Returned>,
    /// Every `healthcheck()` call the function makes.
    pub explicit_healthchecks: Vec<Location>,
}

/// A router the function can return, and the expression that returns it.
#[derive(Debug)]
pub struct Returned {
    pub router: Router,
    pub span: Location,
}

impl App {
    /// Whether the user placed `healthcheck()` themselves; otherwise the
    /// expansion adds it as the outermost layer.
    pub fn places_healthcheck(&self) -> bool {
        !self.explicit_healthchecks.is_empty()
    }

    /// Whether the model places every `healthcheck()` the function calls.
    pub fn sees_every_healthcheck(&self) -> bool {
        let mut modelled = HashSet::new();
        for returned in &self.returned {
            returned.router.healthchecks(&mut modelled);
        }
        self.explicit_healthchecks
            .iter()
            .all(|call| modelled.contains(&call.key()))
    }
}

impl Router {
    /// A router the reader cannot follow.
    pub fn opaque() -> Router {
        Router {
            steps: vec![Step::Opaque],
        }
    }

    /// Whether its steps place a `healthcheck()` layer.
    pub fn places_healthcheck(&self) -> bool {
        let mut found = HashSet::new();
        self.healthchecks(&mut found);
        !found.is_empty()
    }

    /// Whether the reader followed every step, in merged and nested routers too.
    pub fn fully_seen(&self) -> bool {
        self.steps.iter().all(|step| match step {
            Step::Opaque => false,
            Step::Merge { router, .. }
            | Step::Nest {
                router: Some(router),
                ..
            } => router.fully_seen(),
            _ => true,
        })
    }

    /// Collects the locations of the `healthcheck()` layers its steps place.
    fn healthchecks(&self, found: &mut HashSet<String>) {
        for step in &self.steps {
            match step {
                Step::Layer { stack, .. } => found.extend(
                    stack
                        .iter()
                        .filter(|layer| layer.class == Class::Healthcheck)
                        .map(|layer| layer.span.key()),
                ),
                Step::Merge { router, .. }
                | Step::Nest {
                    router: Some(router),
                    ..
                } => router.healthchecks(found),
                _ => {}
            }
        }
    }
}
