//! Emits the rewritten function: by default the body builds the router as
//! written and the healthcheck's routes are added to the router it returns;
//! where the user placed `healthcheck()` themselves, each such call is
//! configured in place.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Ident, Type, parse_quote};

use crate::ctxt::Diagnostics;
use crate::parse::args::Args;
use crate::parse::item::AppFn;
use crate::{diagnose, krate, read};

pub fn kamal_app(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Diagnostics::default();
    let args = Args::parse(args, &mut errors);
    let runtime = krate::runtime(args.krate.as_ref(), &mut errors);
    let Some(function) = AppFn::parse(item.clone(), &mut errors) else {
        return with_errors(item, &args, errors);
    };
    let app = read::read(&function.item.block, &args.crate_name());
    diagnose::check(&app, &args, &mut errors);
    if errors.has_errors() {
        return with_errors(item, &args, errors);
    }
    let warnings = errors.warnings();
    Emit::new(&args, runtime).function(function, app.places_healthcheck(), warnings)
}

/// The original item stays, so editors keep resolving it, next to the
/// errors. The expressions of the arguments stay used in its body, so that
/// nothing they alone name (a parameter, an import, a function) draws a
/// warning of its own.
fn with_errors(item: TokenStream, args: &Args, errors: Diagnostics) -> TokenStream {
    let errors = errors.into_error().map(|error| error.into_compile_error());
    let used = args
        .health
        .iter()
        .chain(args.path.iter().map(|path| &path.expr))
        .chain(args.liveness.iter().map(|path| &path.expr));
    let item = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(mut function) => {
            let used: Vec<&Expr> = used.collect();
            if !used.is_empty() {
                function
                    .block
                    .stmts
                    .insert(0, parse_quote!(let _ = || { #(let _ = &#used;)* };));
            }
            function.into_token_stream()
        }
        Err(_) => item,
    };
    quote!(#item #errors)
}

struct Emit<'a> {
    args: &'a Args,
    /// The runtime crate's path: `::axum_kamal`, or `crate = ".."`.
    runtime: TokenStream,
    /// The local holding `health = EXPR`, evaluated once before the body.
    health: Ident,
}

impl<'a> Emit<'a> {
    fn new(args: &'a Args, runtime: TokenStream) -> Self {
        Emit {
            args,
            runtime,
            health: Ident::new("__kamal_health", Span::mixed_site()),
        }
    }

    /// The function, its body rewritten; `warnings` go first in it, where
    /// they stand in any function, trait methods included.
    fn function(
        mut self,
        function: AppFn,
        places_healthcheck: bool,
        warnings: Option<TokenStream>,
    ) -> TokenStream {
        let AppFn { mut item, output } = function;
        let checks = self.path_checks();
        // Typed on the argument: a value of another type is an error there
        // that names the type expected.
        let health = self.args.health.as_ref().map(|expr| {
            let var = &self.health;
            let runtime = &self.runtime;
            let ty = respan(&quote!(#runtime::Health), expr.span());
            quote!(let #var: #ty = #expr;)
        });
        let body = if places_healthcheck {
            self.visit_block_mut(&mut item.block);
            let body = &item.block.stmts;
            quote!(#(#body)*)
        } else {
            self.routes_after(&item.block, item.sig.asyncness.is_some(), &output)
        };
        item.block = parse_quote!({ #warnings #checks #health #body });
        item.into_token_stream()
    }

    /// Statements that run `body` unchanged (its `return`s and `?`s
    /// included) inside a closure or an async block, then add the
    /// healthcheck's routes to the router it built. The call goes through
    /// `AppRouter` on the return type as written, so a type it does not
    /// accept is one error on that type.
    fn routes_after(&self, body: &Block, asyncness: bool, output: &Type) -> TokenStream {
        let built = Ident::new("__kamal_app", Span::mixed_site());
        let (run, allow) = match asyncness {
            true => (quote!(async #body.await), None),
            false => (
                quote!((|| -> #output #body)()),
                Some(quote!(#[allow(clippy::redundant_closure_call)])),
            ),
        };
        let runtime = &self.runtime;
        let healthcheck = self.configure(quote!(#runtime::healthcheck()), Span::call_site());
        let add = quote_spanned!(output.span()=> <#output as #runtime::AppRouter>::add_healthcheck);
        quote! {
            #allow
            let #built: #output = #run;
            #add(#built, #healthcheck)
        }
    }

    /// Compile-time checks of the paths given, with the runtime's own rules;
    /// each failure is reported on the argument, in the runtime's words.
    fn path_checks(&self) -> TokenStream {
        // Literals were checked when the arguments were read.
        let given = self.args.path.iter().chain(&self.args.liveness);
        let mut checks: Vec<TokenStream> = given
            .filter(|path| path.literal.is_none())
            .map(|path| {
                let expr = &path.expr;
                self.const_check(path.span(), quote!(check_path(#expr)))
            })
            .collect();
        let literals = self.args.path_literal().is_some()
            && self
                .args
                .liveness
                .as_ref()
                .is_some_and(|l| l.literal.is_some());
        if let Some(liveness) = self.args.liveness.as_ref().filter(|_| !literals) {
            let span = liveness.span();
            let runtime = respan(&self.runtime, span);
            let readiness = match &self.args.path {
                Some(path) => path.expr.to_token_stream(),
                None => quote_spanned!(span=> #runtime::DEFAULT_PATH),
            };
            let expr = &liveness.expr;
            checks.push(self.const_check(span, quote!(check_distinct(#readiness, #expr))));
        }
        quote!(#(#checks)*)
    }

    /// A const item that fails to compile, at `span`, when `check` (a
    /// function of the runtime's `__private` module) returns a problem.
    fn const_check(&self, span: Span, check: TokenStream) -> TokenStream {
        let runtime = respan(&self.runtime, span);
        quote_spanned! {span=>
            const _: () = if let ::core::result::Result::Err(problem) =
                #runtime::__private::#check
            {
                ::core::panic!("{}", problem)
            };
        }
    }

    /// A `HealthcheckLayer` answering at the macro's paths, with its options.
    fn configure(&self, layer: TokenStream, span: Span) -> TokenStream {
        let runtime = &self.runtime;
        let mut layer = layer;
        if let Some(path) = &self.args.path {
            let path = &path.expr;
            layer = quote_spanned!(span=> #runtime::HealthcheckLayer::with_path(#layer, #path));
        }
        if let Some(liveness) = &self.args.liveness {
            let liveness = &liveness.expr;
            layer = quote_spanned!(span=> #layer.liveness(#liveness));
        }
        if self.args.health.is_some() {
            let health = &self.health;
            layer = quote_spanned!(span=> #layer.health(::core::clone::Clone::clone(&#health)));
        }
        layer
    }
}

/// `tokens` with every span set to `span`: a compile error about the code
/// they are part of then points at `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

impl VisitMut for Emit<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Call(call) if read::is_healthcheck_call(call, &self.args.crate_name()) => {
                let configured = self.configure(call.to_token_stream(), call.span());
                *expr = parse_quote!(#configured);
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}
