//! The diagnose stage: what the macro reports about the function, put
//! together from where the probe goes (`route.rs`) and what each layer on
//! its way does (`judge.rs`), in the words of each rule (`rules.rs`).

use crate::ctxt::Diagnostics;
use crate::judge::{Certainty, Overrides, Reason, Verdict, allow_key, judge_layer};
use crate::model::{App, Layer, Returned, Written};
use crate::names::display;
use crate::parse::args::Args;
use crate::route::{Probe, routes_at, routes_only};
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
            (false, _) if layer.is_healthcheck() => "answers the probe".to_owned(),
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
        text.push_str(&format!(
            "\n  {}. `{}`: {verdict}",
            index + 1,
            display(&layer.written)
        ));
    }
    if !probe.certain {
        text.push_str("\n  then code #[kamal_app] cannot follow, which may route it elsewhere");
    } else if !answered {
        text.push_str("\n  and no healthcheck(): it ends at a route or fallback of the app");
    }
    text
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
