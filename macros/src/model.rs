//! One plain description of what the annotated function builds: the router's
//! steps in build order, and for each layer what was written. The reader
//! (`read.rs`) fills it in, `route.rs` follows the probe through it, the
//! judge (`judge.rs`) says what each layer does to the probe, `diagnose.rs`
//! puts the two together, and the
//! expansion (`expand.rs`) uses it to choose where the healthcheck goes.

use proc_macro2::Ident;

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
    pub written: Written,
    /// Where it runs: the layer expression, or the name in `.layer(name)`
    /// for a layer bound with `let`.
    pub span: Location,
    /// The name a layer bound with `let` was bound to.
    pub bound: Option<Ident>,
    /// Layers written in one `.layer(..)` argument (a `ServiceBuilder`) share a group.
    pub group: usize,
    /// Whether it came from a `ServiceBuilder` (top-to-bottom) rather than
    /// a `Router::layer` chain (bottom-to-top): the fix is worded for that order.
    pub in_builder: bool,
}

/// A layer expression as written, before any judgement.
#[derive(Clone, Debug)]
pub enum Written {
    /// `axum_kamal::healthcheck()`; `call` identifies the call (see [`App::explicit_healthchecks`]).
    Healthcheck { call: Location },
    /// `Type::constructor(..)`, `Type { .. }`, `Type` (constructor absent).
    Type {
        ty: Ident,
        constructor: Option<Ident>,
    },
    /// A `ServiceBuilder` shorthand: `.rate_limit(..)`.
    BuilderMethod(Ident),
    /// `name!(..)`.
    Macro(Ident),
    /// One of axum's middleware constructors, `via`: `from_fn(name)`,
    /// `from_fn_with_state(.., name)`, `map_request(name)`,
    /// `from_extractor::<Name>()`, …; `name` is `None` for a closure or any
    /// other expression.
    Middleware { via: Ident, name: Option<Ident> },
    /// A layer present only under a condition, `how` it is written, with
    /// each alternative that may be present; an alternative the reader
    /// cannot see is [`Written::Opaque`].
    Conditional {
        how: Condition,
        alternatives: Vec<Written>,
        /// Whether one alternative is always there (`Either`, `if` with
        /// `else`), rather than maybe none (`Option`).
        always_one: bool,
    },
    /// The result of a helper function: `security_layers()`.
    Helper(Ident),
    /// Anything else: a variable the reader cannot follow (`name`), a closure.
    Opaque { name: Option<Ident> },
}

/// How a conditional layer is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// `ServiceBuilder::option_layer(..)` or `tower::util::option_layer(..)`.
    OptionLayer,
    /// `Either::Left(..)` / `Either::Right(..)`.
    Either,
    /// An `Option` of a layer: `token.map(Layer::new)`, `flag.then(|| layer)`.
    Option,
    /// An `if` or `match` expression that picks the layer.
    If,
    /// `app = app.layer(..)` in a branch of an `if` or `match` statement.
    Branch,
}

impl Written {
    /// The name `blocking(..)` and `allow(..)` match against.
    pub fn key(&self) -> Option<&Ident> {
        match self {
            Written::Type { ty, .. } => Some(ty),
            Written::BuilderMethod(name) | Written::Macro(name) | Written::Helper(name) => {
                Some(name)
            }
            Written::Middleware { name, .. } | Written::Opaque { name } => name.as_ref(),
            Written::Healthcheck { .. } | Written::Conditional { .. } => None,
        }
    }
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
    /// expansion adds the health routes.
    pub fn places_healthcheck(&self) -> bool {
        !self.explicit_healthchecks.is_empty()
    }

    /// Whether the model places every `healthcheck()` the function calls.
    pub fn sees_every_healthcheck(&self) -> bool {
        let mut modelled = Vec::new();
        for returned in &self.returned {
            returned.router.healthchecks(&mut modelled);
        }
        self.explicit_healthchecks
            .iter()
            .all(|call| modelled.iter().any(|seen| seen.same_code(call)))
    }
}

impl Router {
    /// The steps `self` adds to `base`, when it is `base` built further
    /// (the same steps, read from the same code, then more).
    pub fn added_to(&self, base: &Router) -> Option<Vec<Step>> {
        let extends = self.steps.len() >= base.steps.len()
            && self
                .steps
                .iter()
                .zip(&base.steps)
                .all(|(a, b)| a.same_code(b));
        extends.then(|| self.steps[base.steps.len()..].to_vec())
    }

    /// A router the reader cannot follow.
    pub fn opaque() -> Router {
        Router {
            steps: vec![Step::Opaque],
        }
    }

    /// Whether its steps place a `healthcheck()` layer.
    pub fn places_healthcheck(&self) -> bool {
        let mut found = Vec::new();
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

    /// Collects the `healthcheck()` calls its steps place as layers.
    fn healthchecks(&self, found: &mut Vec<Location>) {
        for step in &self.steps {
            match step {
                Step::Layer { stack, .. } => {
                    found.extend(stack.iter().filter_map(|layer| match &layer.written {
                        Written::Healthcheck { call } => Some(*call),
                        _ => None,
                    }))
                }
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

impl Step {
    /// Whether both were read from the same code.
    fn same_code(&self, other: &Step) -> bool {
        match (self, other) {
            (Step::Route { span: a, .. }, Step::Route { span: b, .. })
            | (Step::Fallback { span: a }, Step::Fallback { span: b })
            | (Step::Merge { span: a, .. }, Step::Merge { span: b, .. })
            | (Step::Nest { span: a, .. }, Step::Nest { span: b, .. }) => a.same_code(b),
            (Step::Layer { stack: a, .. }, Step::Layer { stack: b, .. }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.span.same_code(&b.span))
            }
            (Step::Opaque, Step::Opaque) => true,
            _ => false,
        }
    }
}

impl Layer {
    pub fn is_healthcheck(&self) -> bool {
        matches!(self.written, Written::Healthcheck { .. })
    }
}
