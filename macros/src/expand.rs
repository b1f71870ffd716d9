//! Emits the rewritten function: by default the healthcheck becomes the
//! outermost layer of the returned router; where the user placed
//! `healthcheck()` themselves, each such call is configured in place.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Ident, Stmt, Type, parse_quote};

use crate::ast::AppFn;
use crate::attr::Args;
use crate::classes::Overrides;
use crate::ctxt::Errors;
use crate::{reader, valid};

pub fn kamal_app(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = Args::parse(args, &mut errors);
    let Some(function) = AppFn::parse(item.clone(), &mut errors) else {
        return with_errors(item, errors);
    };
    let overrides = Overrides {
        blocking: &args.blocking,
        allow: &args.allow,
    };
    let app = reader::read(&function.item.block, overrides);
    valid::check(&app, &args, &mut errors);
    if errors.is_empty() {
        Emit::new(&args).function(function, app.places_healthcheck())
    } else {
        with_errors(item, errors)
    }
}

/// The original item stays, so editors keep resolving it, next to the errors.
fn with_errors(item: TokenStream, errors: Errors) -> TokenStream {
    let errors = errors.into_error().map(|error| error.into_compile_error());
    quote!(#item #errors)
}

struct Emit<'a> {
    args: &'a Args,
    /// The local holding `health = EXPR`, evaluated once before the body.
    health: Ident,
}

impl<'a> Emit<'a> {
    fn new(args: &'a Args) -> Self {
        Emit {
            args,
            health: Ident::new("__kamal_health", Span::mixed_site()),
        }
    }

    fn function(mut self, function: AppFn, places_healthcheck: bool) -> TokenStream {
        let AppFn { mut item, router } = function;
        let health = self.args.health.as_ref().map(|expr| {
            let var = &self.health;
            quote!(let #var = #expr;)
        });
        let body = if places_healthcheck {
            self.visit_block_mut(&mut item.block);
            let body = &item.block.stmts;
            quote!(#(#body)*)
        } else {
            self.outermost(&mut item.block, item.sig.asyncness.is_some(), &router)
        };
        item.block = parse_quote!({ #health #body });
        item.into_token_stream()
    }

    /// Statements that make the healthcheck the outermost layer of whatever
    /// `body` returns.
    ///
    /// The body runs unchanged (its `return`s included) inside a closure or
    /// an async block, and the router it returns gets the healthcheck as one
    /// more `.layer(..)`. When the body ends with a `.layer(x)` call, that
    /// path gets `.layer(healthcheck.around(x))` instead, which saves axum a
    /// route level on every request; a flag tells the two paths apart, so a
    /// `return` anywhere, even from inside a macro, still gets the extra
    /// layer.
    fn outermost(&self, body: &mut Block, asyncness: bool, router: &Type) -> TokenStream {
        let built = Ident::new("__kamal_router", Span::mixed_site());
        let folded = Ident::new("__kamal_folded", Span::mixed_site());
        let folds = match body.stmts.last_mut() {
            Some(Stmt::Expr(tail, None)) => self.fold(tail, &folded),
            _ => false,
        };
        let (run, allow) = match asyncness {
            true => (quote!(async #body.await), None),
            false => (
                quote!((|| -> #router #body)()),
                Some(quote!(#[allow(clippy::redundant_closure_call)])),
            ),
        };
        let outer = self.healthcheck();
        let flag = folds.then(|| quote!(let mut #folded = false;));
        let finish = match folds {
            true => quote!(if #folded { #built } else { #built.layer(#outer) }),
            false => quote!(#built.layer(#outer)),
        };
        quote! {
            #flag
            #allow
            let #built: #router = #run;
            #finish
        }
    }

    /// Joins the healthcheck to the `.layer(x)` call `tail` ends with, if it
    /// ends with one, and sets `flag` once that router is built.
    fn fold(&self, tail: &mut Expr, flag: &Ident) -> bool {
        let Some(layer) = last_layer(tail) else {
            return false;
        };
        let outer = self.healthcheck();
        *layer = parse_quote!(#outer.around(#layer));
        let value = Ident::new("__kamal_tail", Span::mixed_site());
        *tail = parse_quote!({
            let #value = #tail;
            #flag = true;
            #value
        });
        true
    }

    /// The healthcheck the macro adds itself.
    fn healthcheck(&self) -> TokenStream {
        self.configure(quote!(::axum_kamal::healthcheck()), Span::call_site())
    }

    /// A `HealthcheckLayer` answering at the macro's path, with its options.
    fn configure(&self, layer: TokenStream, span: Span) -> TokenStream {
        let path = &self.args.path.value;
        let mut layer =
            quote_spanned!(span=> ::axum_kamal::HealthcheckLayer::with_path(#layer, #path));
        if let Some(liveness) = &self.args.liveness {
            let liveness = &liveness.value;
            layer = quote_spanned!(span=> #layer.liveness(#liveness));
        }
        if self.args.health.is_some() {
            let health = &self.health;
            layer = quote_spanned!(span=> #layer.health(::core::clone::Clone::clone(&#health)));
        }
        layer
    }
}

/// The layer of the `.layer(x)` call a tail expression ends with, bar
/// `.with_state(..)`: the user's outermost layer on that path.
fn last_layer(tail: &mut Expr) -> Option<&mut Expr> {
    match tail {
        Expr::MethodCall(call) => match call.method.to_string().as_str() {
            "with_state" => last_layer(&mut call.receiver),
            "layer" if call.turbofish.is_none() && call.args.len() == 1 => call.args.first_mut(),
            _ => None,
        },
        Expr::Paren(inner) => last_layer(&mut inner.expr),
        Expr::Group(inner) => last_layer(&mut inner.expr),
        _ => None,
    }
}

impl VisitMut for Emit<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Call(call) if reader::is_healthcheck_call(call) => {
                let configured = self.configure(call.to_token_stream(), call.span());
                *expr = parse_quote!(#configured);
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}
