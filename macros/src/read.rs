//! Reads the function body into the [`model`](crate::model): router chains,
//! `ServiceBuilder` stacks and `let` bindings. What it cannot follow becomes
//! opaque, so the checks never act on a guess.

use std::collections::HashMap;

use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{
    Block, Expr, ExprCall, ExprLit, ExprMethodCall, GenericArgument, Ident, Lit, Pat,
    PathArguments, Stmt, Type,
};

use crate::ctxt::Location;
use crate::model::{App, Condition, Layer, Returned, Router, Step, Written};
use crate::names::{self, Takes};

/// Whether `call` is `healthcheck()`, `axum_kamal::healthcheck()` or
/// `::axum_kamal::healthcheck()` (or the same through the name given with
/// `crate = ".."`): the user's explicit placement of the healthcheck layer.
/// A function of the user's own with another path is not.
pub fn is_healthcheck_call(call: &ExprCall, crate_name: &str) -> bool {
    let Expr::Path(func) = &*call.func else {
        return false;
    };
    let segments: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    call.args.is_empty()
        && func.qself.is_none()
        && match segments.as_slice() {
            [name] => name == "healthcheck",
            [krate, name] => {
                name == "healthcheck" && (krate == "axum_kamal" || krate == crate_name)
            }
            _ => false,
        }
}

/// Reads the function's body; `crate_name` is the runtime crate's name in
/// it, for `name::healthcheck()`.
pub fn read(block: &Block, crate_name: &str) -> App {
    let mut reader = Reader {
        crate_name,
        bindings: HashMap::new(),
        next_group: 0,
        returned: Vec::new(),
    };
    reader.block(block);
    let mut calls = HealthcheckCalls {
        spans: Vec::new(),
        crate_name,
    };
    calls.visit_block(block);
    App {
        returned: reader.returned,
        explicit_healthchecks: calls.spans,
    }
}

struct Reader<'a> {
    crate_name: &'a str,
    /// What each `let` name holds, read both ways: a router or a layer stack.
    bindings: HashMap<String, Binding>,
    next_group: usize,
    returned: Vec<Returned>,
}

#[derive(Clone)]
struct Binding {
    router: Router,
    layers: Vec<Layer>,
}

impl Reader<'_> {
    fn block(&mut self, block: &Block) {
        self.statements(block, true);
    }

    /// Reads `block`'s statements; its tail is a router the function
    /// returns when `tail_returns`, else one more statement (a branch of an
    /// `if` statement).
    fn statements(&mut self, block: &Block, tail_returns: bool) {
        let last = block.stmts.len().saturating_sub(1);
        for (index, stmt) in block.stmts.iter().enumerate() {
            match stmt {
                Stmt::Local(local) => {
                    if let Some(init) = &local.init {
                        self.nested(&init.expr);
                    }
                    match (binding_name(&local.pat), &local.init) {
                        (Some(name), Some(init)) => {
                            let binding = self.binding(&init.expr);
                            self.bindings.insert(name, binding);
                        }
                        // `let (app, n) = ..;`: the names now hold what the reader cannot see.
                        _ => self.forget(bound_names(&local.pat)),
                    }
                }
                Stmt::Expr(Expr::Return(ret), _) => {
                    if let Some(value) = &ret.expr {
                        self.returns(value);
                    }
                }
                Stmt::Expr(tail, None) if index == last && tail_returns => self.returns(tail),
                Stmt::Expr(expr, _) => self.statement(expr),
                Stmt::Item(_) | Stmt::Macro(_) => {}
            }
        }
    }

    /// An expression statement: an assignment, an `if` or `match` whose
    /// branches assign, or code the reader does not model.
    fn statement(&mut self, expr: &Expr) {
        match expr {
            Expr::Assign(assign) => {
                self.nested(&assign.right);
                if let Some(name) = ident_of(&assign.left) {
                    let binding = self.binding(&assign.right);
                    self.bindings.insert(name, binding);
                }
            }
            Expr::If(_) | Expr::Match(_) => self.branches(expr),
            _ => self.nested(expr),
        }
    }

    /// `if force_https { app = app.layer(..) }`, or a `match` doing the
    /// same: each branch is read in its own scope, and a name a branch
    /// assigns holds, after it, what it held before followed by what any
    /// branch added, each layer present only under its branch's condition.
    fn branches(&mut self, expr: &Expr) {
        let mut assigned = Nested::default();
        assigned.visit_expr(expr);
        self.returned
            .extend(assigned.returns.iter().map(|span| Returned {
                router: Router::opaque(),
                span: *span,
            }));
        let before = self.bindings.clone();
        let mut after = Vec::new();
        for body in branch_bodies(expr) {
            self.bindings = before.clone();
            match body {
                Body::Block(block) => self.statements(block, false),
                Body::Expr(other) => self.statement(other),
            }
            after.push(std::mem::take(&mut self.bindings));
        }
        self.bindings = before;
        let mut names = assigned.assigned;
        names.sort();
        names.dedup();
        for name in names {
            let joined = self.bindings.get(&name).and_then(|base| {
                let added: Option<Vec<Vec<Step>>> = after
                    .iter()
                    .map(|branch| {
                        branch
                            .get(&name)
                            .and_then(|b| b.router.added_to(&base.router))
                    })
                    .collect();
                added.map(|added| {
                    let mut router = base.router.clone();
                    router
                        .steps
                        .extend(added.into_iter().flatten().map(only_when_chosen));
                    Binding {
                        router,
                        layers: Vec::new(),
                    }
                })
            });
            match joined {
                Some(binding) => {
                    self.bindings.insert(name, binding);
                }
                None => self.forget(vec![name]),
            }
        }
    }

    /// A returned expression: each branch of a trailing `if` or block is a
    /// router the function may return, read in its own scope.
    fn returns(&mut self, expr: &Expr) {
        match expr {
            Expr::Block(inner) => self.scoped(|reader| reader.block(&inner.block)),
            Expr::If(branch) => {
                self.scoped(|reader| reader.block(&branch.then_branch));
                if let Some((_, otherwise)) = &branch.else_branch {
                    self.returns(otherwise);
                }
            }
            _ => {
                let router = self.router(expr);
                self.returned.push(Returned {
                    router,
                    span: Location::of(expr),
                });
            }
        }
    }

    /// Reads a block whose `let`s end with it.
    fn scoped(&mut self, read: impl FnOnce(&mut Self)) {
        let outer = self.bindings.clone();
        read(self);
        self.bindings = outer;
    }

    /// Nested code the reader does not model step by step: a name assigned in
    /// there becomes opaque, and so does a router returned from in there.
    fn nested(&mut self, expr: &Expr) {
        let mut found = Nested::default();
        found.visit_expr(expr);
        self.forget(found.assigned);
        self.returned
            .extend(found.returns.into_iter().map(|span| Returned {
                router: Router::opaque(),
                span,
            }));
    }

    /// The names now hold what the reader cannot see: a router it cannot
    /// follow, a layer it cannot judge.
    fn forget(&mut self, names: Vec<String>) {
        for name in names {
            let layer = self.layer(
                Written::Opaque {
                    name: Some(Ident::new(&name, proc_macro2::Span::call_site())),
                },
                Location::from(proc_macro2::Span::call_site()),
                0,
                false,
            );
            let opaque = Binding {
                router: Router::opaque(),
                layers: vec![layer],
            };
            self.bindings.insert(name, opaque);
        }
    }

    fn binding(&mut self, expr: &Expr) -> Binding {
        let group = self.group();
        Binding {
            router: self.router(expr),
            layers: self.stack(expr, group, false),
        }
    }

    /// What a plain local name holds, if the reader followed its binding.
    fn bound(&self, expr: &Expr) -> Option<&Binding> {
        ident_of(expr).and_then(|name| self.bindings.get(&name))
    }

    fn group(&mut self) -> usize {
        self.next_group += 1;
        self.next_group
    }

    fn router(&mut self, expr: &Expr) -> Router {
        match expr {
            Expr::MethodCall(call) => {
                let mut router = self.router(&call.receiver);
                if let Some(step) = self.step(call) {
                    router.steps.push(step);
                }
                router
            }
            Expr::Call(call) if is_router_new(&call.func) => Router::default(),
            // `finish(router)`: a helper given a router the reader follows may
            // add layers in front of everything it holds.
            Expr::Call(call) => match (self.router_argument(call), last_ident(&call.func)) {
                (Some(mut router), Some(helper)) => {
                    let layer = self.layer(
                        Written::Helper(helper.clone()),
                        Location::of(&*call.func),
                        self.next_group,
                        false,
                    );
                    router.steps.push(Step::Layer {
                        stack: vec![layer],
                        routes_only: false,
                    });
                    router
                }
                _ => Router::opaque(),
            },
            Expr::Path(_) => self
                .bound(expr)
                .map_or_else(Router::opaque, |binding| binding.router.clone()),
            Expr::Paren(inner) => self.router(&inner.expr),
            Expr::Group(inner) => self.router(&inner.expr),
            Expr::If(_) | Expr::Match(_) => self.chosen_router(expr),
            _ => Router::opaque(),
        }
    }

    /// `if force_https { app.layer(..) } else { app }`, or a `match` doing
    /// the same: when every branch builds on the same router, it followed
    /// by what any branch adds, each layer present only under its branch's
    /// condition.
    fn chosen_router(&mut self, expr: &Expr) -> Router {
        let tails = branch_tails(expr);
        let roots: Vec<Option<String>> = tails.iter().map(|tail| chain_root_name(tail)).collect();
        let base = match roots.first() {
            Some(Some(root)) if roots.iter().all(|other| other.as_ref() == Some(root)) => self
                .bindings
                .get(root)
                .map(|binding| binding.router.clone()),
            _ => None,
        };
        let Some(base) = base else {
            return Router::opaque();
        };
        let mut router = base.clone();
        for tail in tails {
            match self.router(tail).added_to(&base) {
                Some(added) => router.steps.extend(added.into_iter().map(only_when_chosen)),
                None => return Router::opaque(),
            }
        }
        router
    }

    /// The router a helper call is given, when the reader follows it.
    fn router_argument(&mut self, call: &ExprCall) -> Option<Router> {
        call.args.iter().find_map(|argument| {
            let router = self.router(argument);
            (router
                .steps
                .first()
                .is_some_and(|step| !matches!(step, Step::Opaque))
                || router.steps.is_empty() && chain_root_is(argument, "Router"))
            .then_some(router)
        })
    }

    /// What one `Router` method call adds; `None` for calls that change nothing the probe sees.
    fn step(&mut self, call: &ExprMethodCall) -> Option<Step> {
        let arg = |index: usize| call.args.iter().nth(index);
        // `.fallback(handler)`, from the method name to the closing parenthesis.
        let call_location =
            Location::between(call.method.span(), call.paren_token.span.close(), call);
        let literal_arg = |index: usize| arg(index).and_then(string_literal);
        let step = match call.method.to_string().as_str() {
            "route" | "route_service" => Step::Route {
                path: literal_arg(0),
                span: arg(0).map_or(call_location, Location::of),
                answers_get: call.method == "route_service" || arg(1).is_some_and(answers_get),
            },
            "fallback" | "fallback_service" => Step::Fallback {
                span: call_location,
            },
            "layer" | "route_layer" => {
                let group = self.group();
                Step::Layer {
                    stack: arg(0)
                        .map(|layer| self.stack(layer, group, false))
                        .unwrap_or_default(),
                    routes_only: call.method == "route_layer",
                }
            }
            "merge" => Step::Merge {
                router: arg(0).map_or_else(Router::opaque, |other| self.router(other)),
                span: call_location,
            },
            "nest" | "nest_service" => Step::Nest {
                prefix: literal_arg(0),
                router: (call.method == "nest")
                    .then(|| arg(1).map_or_else(Router::opaque, |inner| self.router(inner))),
                span: call_location,
            },
            method if names::ROUTER_UNCHANGED.contains(&method) => return None,
            _ => Step::Opaque,
        };
        Some(step)
    }

    /// The layers one `.layer(..)` argument adds, in execution order.
    fn stack(&mut self, expr: &Expr, group: usize, in_builder: bool) -> Vec<Layer> {
        if let Some(binding) = self.bound(expr) {
            // The layers now run where this `.layer(name)` puts them: point
            // there, and remember the name that holds them.
            let name = ident_of(expr).map(|name| Ident::new(&name, expr.span()));
            let used = Location::of(expr);
            let rebind = |layer: &Layer| Layer {
                span: used,
                bound: layer.bound.clone().or_else(|| name.clone()),
                group,
                in_builder: in_builder || layer.in_builder,
                ..layer.clone()
            };
            return binding.layers.iter().map(rebind).collect();
        }
        match expr {
            Expr::MethodCall(call) if call.method == "clone" => {
                self.stack(&call.receiver, group, in_builder)
            }
            Expr::MethodCall(call) if chain_root_is(&call.receiver, "ServiceBuilder") => {
                // ServiceBuilder: the receiver's layers run first, top to bottom.
                let mut stack = self.stack(&call.receiver, group, true);
                let argument = call.args.first();
                match (call.method.to_string().as_str(), argument) {
                    ("layer", Some(layer)) => stack.extend(self.stack(layer, group, true)),
                    ("option_layer", Some(layer)) => {
                        let written = self.conditional(Condition::OptionLayer, layer, false);
                        stack.push(self.layer(written, Location::of(layer), group, true));
                    }
                    (method, _) if names::BUILDER_NO_LAYER.contains(&method) => {}
                    _ => {
                        let location = Location::between(
                            call.method.span(),
                            call.paren_token.span.close(),
                            call,
                        );
                        let written = Written::BuilderMethod(call.method.clone());
                        stack.push(self.layer(written, location, group, true));
                    }
                }
                stack
            }
            Expr::Call(call) if is_call_of(call, "Some") => {
                self.stack(&call.args[0], group, in_builder)
            }
            Expr::Call(call) if is_service_builder_new(&call.func) => Vec::new(),
            // A tuple of layers runs its first element first, as a ServiceBuilder does.
            Expr::Tuple(tuple) => tuple
                .elems
                .iter()
                .flat_map(|layer| self.stack(layer, group, true))
                .collect(),
            Expr::Path(path) if path.path.is_ident("None") => Vec::new(),
            Expr::Paren(inner) => self.stack(&inner.expr, group, in_builder),
            Expr::Group(inner) => self.stack(&inner.expr, group, in_builder),
            Expr::Reference(inner) => self.stack(&inner.expr, group, in_builder),
            _ => {
                let written = self.written(expr);
                vec![self.layer(written, Location::of(expr), group, in_builder)]
            }
        }
    }

    fn layer(&self, written: Written, span: Location, group: usize, in_builder: bool) -> Layer {
        Layer {
            written,
            span,
            bound: None,
            group,
            in_builder,
        }
    }

    /// Names one layer expression by what it is built from.
    fn written(&mut self, expr: &Expr) -> Written {
        match expr {
            Expr::Call(call) if is_healthcheck_call(call, self.crate_name) => {
                Written::Healthcheck {
                    call: Location::of(call),
                }
            }
            Expr::Call(call) if is_call_of(call, "option_layer") => {
                self.conditional(Condition::OptionLayer, &call.args[0], false)
            }
            Expr::Call(call) if either_variant(&call.func) && call.args.len() == 1 => {
                self.conditional(Condition::Either, &call.args[0], true)
            }
            Expr::Call(call) => match &*call.func {
                Expr::Path(func) => written_call(&func.path, call),
                _ => Written::Opaque { name: None },
            },
            Expr::If(_) | Expr::Match(_) => Written::Conditional {
                how: Condition::If,
                alternatives: branch_tails(expr)
                    .into_iter()
                    .flat_map(|tail| self.alternatives(tail))
                    .collect(),
                always_one: has_every_branch(expr),
            },
            // `token.map(ValidateRequestHeaderLayer::bearer)`: an `Option` of a layer.
            Expr::MethodCall(call)
                if names::OPTION_COMBINATORS.contains(&call.method.to_string().as_str()) =>
            {
                Written::Conditional {
                    how: Condition::Option,
                    alternatives: self.alternatives(expr),
                    always_one: false,
                }
            }
            // `CorsLayer::new().allow_origin(..)`, `AuthManagerLayerBuilder::new(..).build()`.
            Expr::MethodCall(call) => self.written(&call.receiver),
            Expr::Struct(literal) => {
                type_named(&literal.path).unwrap_or(Written::Opaque { name: None })
            }
            Expr::Path(path) => type_named(&path.path).unwrap_or_else(|| Written::Opaque {
                name: path
                    .path
                    .segments
                    .last()
                    .map(|segment| segment.ident.clone()),
            }),
            Expr::Macro(mac) => match mac.mac.path.segments.last() {
                Some(segment) => Written::Macro(segment.ident.clone()),
                None => Written::Opaque { name: None },
            },
            Expr::Paren(inner) => self.written(&inner.expr),
            Expr::Group(inner) => self.written(&inner.expr),
            Expr::Reference(inner) => self.written(&inner.expr),
            Expr::Block(block) => match block.block.stmts.last() {
                Some(Stmt::Expr(tail, None)) => self.written(tail),
                _ => Written::Opaque { name: None },
            },
            _ => Written::Opaque { name: None },
        }
    }

    /// A layer that may be absent: `option`, an `Option` of layers, or one
    /// `Either` alternative, as the layers that may be present.
    fn conditional(&mut self, how: Condition, option: &Expr, always_one: bool) -> Written {
        Written::Conditional {
            how,
            alternatives: self.alternatives(option),
            always_one,
        }
    }

    /// The layers an `Option` (or `Either`) expression may hold: `Some(x)`,
    /// `opt.map(Layer::new)`, `opt.map(|t| layer)`, `flag.then(|| layer)`,
    /// the branches of an `if`.
    fn alternatives(&mut self, option: &Expr) -> Vec<Written> {
        match option {
            Expr::MethodCall(call)
                if names::OPTION_COMBINATORS.contains(&call.method.to_string().as_str())
                    && call.args.len() == 1 =>
            {
                self.alternatives(&call.args[0])
            }
            Expr::Closure(closure) => self.alternatives(&closure.body),
            Expr::Call(call)
                if is_call_of(call, "Some")
                    || (either_variant(&call.func) && call.args.len() == 1) =>
            {
                self.alternatives(&call.args[0])
            }
            Expr::Path(path) if path.path.is_ident("None") => Vec::new(),
            // `Layer::new` passed to `.map(..)`: the constructor itself.
            Expr::Path(path) if constructor_path(&path.path).is_some() => {
                constructor_path(&path.path).into_iter().collect()
            }
            Expr::If(_) | Expr::Match(_) | Expr::Block(_) => branch_tails(option)
                .into_iter()
                .flat_map(|tail| self.alternatives(tail))
                .collect(),
            Expr::Paren(inner) => self.alternatives(&inner.expr),
            other => self
                .stack(other, 0, false)
                .into_iter()
                .map(|layer| layer.written)
                .collect(),
        }
    }
}

/// A step a branch of an `if` or `match` statement added: its layers are
/// there only when the branch is taken; anything else it adds, the reader
/// does not follow.
fn only_when_chosen(step: Step) -> Step {
    match step {
        Step::Layer { stack, routes_only } => Step::Layer {
            stack: stack
                .into_iter()
                .map(|layer| Layer {
                    written: Written::Conditional {
                        how: Condition::Branch,
                        alternatives: vec![layer.written.clone()],
                        always_one: false,
                    },
                    ..layer
                })
                .collect(),
            routes_only,
        },
        _ => Step::Opaque,
    }
}

/// A branch of an `if` or `match` statement: a block, or a `match` arm's expression.
enum Body<'a> {
    Block(&'a Block),
    Expr(&'a Expr),
}

/// The bodies of an `if` statement's branches, or a `match`'s arms.
fn branch_bodies(expr: &Expr) -> Vec<Body<'_>> {
    fn body(expr: &Expr) -> Body<'_> {
        match expr {
            Expr::Block(block) => Body::Block(&block.block),
            other => Body::Expr(other),
        }
    }
    match expr {
        Expr::If(branch) => {
            let mut bodies = vec![Body::Block(&branch.then_branch)];
            match branch
                .else_branch
                .as_ref()
                .map(|(_, otherwise)| &**otherwise)
            {
                Some(otherwise @ Expr::If(_)) => bodies.extend(branch_bodies(otherwise)),
                Some(otherwise) => bodies.push(body(otherwise)),
                None => {}
            }
            bodies
        }
        Expr::Match(matched) => matched.arms.iter().map(|arm| body(&arm.body)).collect(),
        _ => Vec::new(),
    }
}

/// The value expressions of an `if`/`match`/block's branches.
fn branch_tails(expr: &Expr) -> Vec<&Expr> {
    fn block_tail(block: &Block) -> Vec<&Expr> {
        match block.stmts.last() {
            Some(Stmt::Expr(tail, None)) => vec![tail],
            _ => Vec::new(),
        }
    }
    match expr {
        Expr::If(branch) => {
            let mut tails = block_tail(&branch.then_branch);
            if let Some((_, otherwise)) = &branch.else_branch {
                tails.extend(branch_tails(otherwise));
            }
            tails
        }
        Expr::Match(matched) => matched.arms.iter().map(|arm| &*arm.body).collect(),
        Expr::Block(block) => block_tail(&block.block),
        other => vec![other],
    }
}

/// Whether an `if` has an `else` on every branch, or a `match` is there:
/// one branch always runs.
fn has_every_branch(expr: &Expr) -> bool {
    match expr {
        Expr::If(branch) => branch
            .else_branch
            .as_ref()
            .is_some_and(|(_, otherwise)| has_every_branch(otherwise)),
        _ => true,
    }
}

/// `f(x)` where `f`'s last path segment is `name`, with one argument.
fn is_call_of(call: &ExprCall, name: &str) -> bool {
    last_ident(&call.func).is_some_and(|ident| ident == name) && call.args.len() == 1
}

/// `Either::Left`, `Either::Right`, `Either::A`, `Either::B`, or `Left`/`Right` alone.
fn either_variant(func: &Expr) -> bool {
    let Expr::Path(path) = func else { return false };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segments.as_slice() {
        [.., either, variant] => {
            either == "Either" && ["Left", "Right", "A", "B"].contains(&variant.as_str())
        }
        [variant] => variant == "Left" || variant == "Right",
        _ => false,
    }
}

/// Whether a method router surely answers GET or HEAD: `get(..)`, `any(..)`,
/// `post(..).get(..)`, …; anything the reader cannot see counts as not.
fn answers_get(expr: &Expr) -> bool {
    let get_method = |ident: &Ident| {
        let name = ident.to_string();
        ["get", "head", "any"].contains(&name.strip_suffix("_service").unwrap_or(&name))
    };
    match expr {
        Expr::Call(call) => last_ident(&call.func).is_some_and(get_method),
        Expr::MethodCall(call) => get_method(&call.method) || answers_get(&call.receiver),
        Expr::Paren(inner) => answers_get(&inner.expr),
        _ => false,
    }
}

/// A called path: one of axum's middleware constructors, a type's
/// constructor, or a helper function.
fn written_call(path: &syn::Path, call: &ExprCall) -> Written {
    let Some(last) = path.segments.last() else {
        return Written::Opaque { name: None };
    };
    let via = last.ident.clone();
    match names::middleware(&via.to_string()) {
        Some(Takes::Function) => Written::Middleware {
            name: call.args.last().and_then(ident_of_path_expr),
            via,
        },
        Some(Takes::Extractor) => Written::Middleware {
            name: first_type_argument(&last.arguments),
            via,
        },
        None => constructor_path(path).unwrap_or(Written::Helper(via)),
    }
}

/// `Type::constructor` or `Type`: the layer type a path builds, if it names one.
fn constructor_path(path: &syn::Path) -> Option<Written> {
    let segments: Vec<&Ident> = path.segments.iter().map(|segment| &segment.ident).collect();
    match segments.as_slice() {
        [.., ty, constructor] if is_type_name(ty) && !is_type_name(constructor) => {
            Some(Written::Type {
                ty: (*ty).clone(),
                constructor: Some((*constructor).clone()),
            })
        }
        _ => type_named(path),
    }
}

/// `Name` when the path's last segment is a type (CamelCase) name; the enum
/// for an enum variant (`ClientIpSource::ConnectInfo`).
fn type_named(path: &syn::Path) -> Option<Written> {
    let segments: Vec<&Ident> = path.segments.iter().map(|segment| &segment.ident).collect();
    if let [.., ty, variant] = segments.as_slice() {
        if is_type_name(ty) && is_type_name(variant) {
            return Some(Written::Type {
                ty: (*ty).clone(),
                constructor: Some((*variant).clone()),
            });
        }
    }
    let ty = &path.segments.last()?.ident;
    is_type_name(ty).then(|| Written::Type {
        ty: ty.clone(),
        constructor: None,
    })
}

fn is_type_name(ident: &Ident) -> bool {
    ident
        .to_string()
        .starts_with(|c: char| c.is_ascii_uppercase())
}

/// `Extractor` in `from_extractor::<Extractor>()`.
fn first_type_argument(arguments: &PathArguments) -> Option<Ident> {
    let PathArguments::AngleBracketed(generics) = arguments else {
        return None;
    };
    generics.args.iter().find_map(|argument| match argument {
        GenericArgument::Type(Type::Path(ty)) => {
            ty.path.segments.last().map(|segment| segment.ident.clone())
        }
        _ => None,
    })
}

fn ident_of_path_expr(expr: &Expr) -> Option<Ident> {
    match expr {
        Expr::Path(path) => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.clone()),
        _ => None,
    }
}

/// The name of a plain local: `app` in `app.layer(..)` or `app = ..`.
fn ident_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(Ident::to_string),
        _ => None,
    }
}

fn last_ident(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Path(path) => path.path.segments.last().map(|segment| &segment.ident),
        _ => None,
    }
}

fn binding_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(pat) if pat.subpat.is_none() => Some(pat.ident.to_string()),
        Pat::Type(typed) => binding_name(&typed.pat),
        _ => None,
    }
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.value()),
        _ => None,
    }
}

/// `Type::new` with `Type` = `segment`, any path prefix or generics.
fn is_constructor_of(func: &Expr, segment: &str, constructors: &[&str]) -> bool {
    let Expr::Path(path) = func else { return false };
    let segments: Vec<&Ident> = path.path.segments.iter().map(|s| &s.ident).collect();
    matches!(segments.as_slice(), [.., ty, constructor] if *ty == segment && constructors.iter().any(|c| *constructor == c))
}

fn is_router_new(func: &Expr) -> bool {
    is_constructor_of(func, "Router", &["new", "default"])
}

fn is_service_builder_new(func: &Expr) -> bool {
    is_constructor_of(func, "ServiceBuilder", &["new", "default"])
}

/// The local a method chain starts at: `app` in `app.layer(..).merge(..)`.
fn chain_root_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::MethodCall(call) => chain_root_name(&call.receiver),
        Expr::Paren(inner) => chain_root_name(&inner.expr),
        other => ident_of(other),
    }
}

/// Whether a method chain starts at `Type::new()`.
fn chain_root_is(expr: &Expr, ty: &str) -> bool {
    match expr {
        Expr::MethodCall(call) => chain_root_is(&call.receiver, ty),
        Expr::Call(call) => is_constructor_of(&call.func, ty, &["new", "default"]),
        Expr::Paren(inner) => chain_root_is(&inner.expr, ty),
        _ => false,
    }
}

/// Assignments and `return`s inside nested code; closures, async blocks and
/// items are skipped, since a `return` there does not leave the function.
#[derive(Default)]
struct Nested {
    assigned: Vec<String>,
    returns: Vec<Location>,
}

impl<'ast> Visit<'ast> for Nested {
    fn visit_expr_assign(&mut self, assign: &'ast syn::ExprAssign) {
        self.assigned.extend(ident_of(&assign.left));
        visit::visit_expr_assign(self, assign);
    }

    fn visit_expr_return(&mut self, ret: &'ast syn::ExprReturn) {
        self.returns.extend(ret.expr.as_deref().map(Location::of));
        visit::visit_expr_return(self, ret);
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Every name a pattern binds: `app` and `n` in `let (app, n) = ..`.
fn bound_names(pat: &Pat) -> Vec<String> {
    #[derive(Default)]
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, pat: &'ast syn::PatIdent) {
            self.0.push(pat.ident.to_string());
            visit::visit_pat_ident(self, pat);
        }
    }
    let mut names = Names::default();
    names.visit_pat(pat);
    names.0
}

/// Every `healthcheck()` call, wherever it is (closures included).
struct HealthcheckCalls<'a> {
    spans: Vec<Location>,
    crate_name: &'a str,
}

impl<'ast> Visit<'ast> for HealthcheckCalls<'_> {
    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if is_healthcheck_call(call, self.crate_name) {
            self.spans.push(Location::of(call));
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
