//! The trybuild pass cases (`tests/ui/pass`) must draw no finding at all:
//! a pass case under `#![allow(..)]` would still show a stray warning only
//! as a warning, which trybuild's pass cases accept; this test reads each
//! case and expands its `#[kamal_app]` functions here.

use std::fs;
use std::path::Path;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::{self, Visit};

use crate::corpus::findings;
use crate::expand::kamal_app;

/// Every `#[kamal_app(..)]` function of a file, methods included, with its arguments.
#[derive(Default)]
struct Annotated(Vec<(TokenStream, TokenStream)>);

impl Annotated {
    fn found(&mut self, attrs: &[syn::Attribute], item: TokenStream) {
        for attr in attrs {
            if attr
                .path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "kamal_app")
            {
                let args = match &attr.meta {
                    syn::Meta::List(list) => list.tokens.clone(),
                    _ => TokenStream::new(),
                };
                self.0.push((args, item.clone()));
            }
        }
    }
}

impl<'ast> Visit<'ast> for Annotated {
    fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
        let mut item = function.clone();
        item.attrs.retain(|attr| !attr.path().is_ident("kamal_app"));
        self.found(&function.attrs, item.to_token_stream());
        visit::visit_item_fn(self, function);
    }

    fn visit_impl_item_fn(&mut self, method: &'ast syn::ImplItemFn) {
        let (vis, sig, block) = (&method.vis, &method.sig, &method.block);
        self.found(&method.attrs, quote::quote!(#vis #sig #block));
    }
}

#[test]
fn pass_cases_draw_no_finding() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui/pass");
    let mut checked = 0;
    for entry in fs::read_dir(dir).expect("read tests/ui/pass") {
        let path = entry.expect("a pass case").path();
        let source = fs::read_to_string(&path).expect("read a pass case");
        let file = syn::parse_file(&source).expect("a pass case parses");
        let mut annotated = Annotated::default();
        annotated.visit_file(&file);
        for (args, item) in annotated.0 {
            let mut found = Vec::new();
            findings(kamal_app(args, item), &mut found);
            assert!(found.is_empty(), "{}: {found:#?}", path.display());
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} annotated functions in tests/ui/pass"
    );
}
