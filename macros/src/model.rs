//! One plain description of what the annotated function builds: the router's
//! steps in build order, and for each layer its span and class. The reader
//! (`reader.rs`) fills it in, the checks (`valid.rs`) read it, and the
//! expansion (`expand.rs`) uses it to choose where the healthcheck goes.

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
    pub returned: Vec<Router>,
    /// Spans of every `healthcheck()` call the function makes.
    pub explicit_healthchecks: Vec<Location>,
}

impl App {
    /// Whether the user placed `healthcheck()` themselves; otherwise the
    /// expansion adds it as the outermost layer.
    pub fn places_healthcheck(&self) -> bool {
        !self.explicit_healthchecks.is_empty()
    }

    /// Whether the model sees every `healthcheck()` the function places.
    pub fn sees_every_healthcheck(&self) -> bool {
        let modelled: usize = self.returned.iter().map(Router::healthchecks).sum();
        modelled >= self.explicit_healthchecks.len()
    }
}

impl Router {
    /// How many `healthcheck()` layers this router's steps place.
    fn healthchecks(&self) -> usize {
        self.steps
            .iter()
            .map(|step| match step {
                Step::Layer { stack, .. } => stack
                    .iter()
                    .filter(|layer| layer.class == Class::Healthcheck)
                    .count(),
                Step::Merge { router, .. }
                | Step::Nest {
                    router: Some(router),
                    ..
                } => router.healthchecks(),
                _ => 0,
            })
            .sum()
    }
}
