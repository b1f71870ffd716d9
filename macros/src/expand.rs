//! Emits the rewritten function: by default the healthcheck becomes the
//! outermost layer of the returned router; where the user placed
//! `healthcheck()` themselves, each such call is configured in place.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, parse_quote};

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
        if places_healthcheck {
            self.visit_block_mut(&mut item.block);
            let body = &item.block.stmts;
            item.block = parse_quote!({ #health #(#body)* });
        } else {
            let body = &item.block;
            let built = Ident::new("__kamal_router", Span::mixed_site());
            // The body runs unchanged (its `return`s included) inside a closure or async block.
            let (run, allow) = match item.sig.asyncness {
                Some(_) => (quote!(async #body.await), None),
                None => (
                    quote!((|| -> #router #body)()),
                    Some(quote!(#[allow(clippy::redundant_closure_call)])),
                ),
            };
            let outermost = self.configure(quote!(::axum_kamal::healthcheck()), Span::call_site());
            item.block = parse_quote!({
                #health
                #allow
                let #built: #router = #run;
                #built.layer(#outermost)
            });
        }
        item.into_token_stream()
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
