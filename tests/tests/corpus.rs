//! The realistic-program corpus (`tests/corpus`), in two sets: `tuned`, the
//! programs the judgement's vocabulary was tuned on, and `unseen`, programs
//! written afterwards and never used to change it. Every program's `app()`
//! is served on 127.0.0.1 and sent kamal-proxy's probe by a real HTTP
//! client, idle and then under traffic as kamal-proxy forwards it; the
//! statuses, and whether Kamal would count the target as healthy, must be
//! what the set's `truth.tsv` says. See `tests/corpus/README.md`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum_kamal::testing::{Probe, Prober};
use axum_kamal_tests::{CONTAINER_HOST, PROBE_TIMEOUT, client_send, kamal_probe};
use http::{Method, Request};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

/// The committed truth of each set: one row per program.
const SETS: [(&str, &str); 2] = [
    ("tuned", include_str!("../corpus/tuned/truth.tsv")),
    ("unseen", include_str!("../corpus/unseen/truth.tsv")),
];

/// The port in [`CONTAINER_HOST`], kamal-proxy's `Host`.
const CONTAINER_PORT: u16 = 3000;

/// User requests in flight when the probe comes, as kamal-proxy forwards them.
const USER_REQUESTS: usize = 50;

/// One row of a `truth.tsv`.
#[derive(Debug)]
struct Truth<'a> {
    set: &'a str,
    program: &'a str,
    status: u16,
    /// The probe's status while user traffic is in flight; `timeout` when
    /// no answer came within kamal-proxy's timeout.
    loaded: &'a str,
    verdict: &'a str,
    blocker: &'a str,
    source: &'a str,
}

fn truth_rows() -> Vec<Truth<'static>> {
    SETS.iter()
        .flat_map(|(set, table)| set_rows(set, table))
        .collect()
}

fn set_rows(set: &'static str, table: &'static str) -> Vec<Truth<'static>> {
    let mut lines = table.lines();
    assert_eq!(
        lines.next(),
        Some("program\tstatus\tloaded\tverdict\tblocker\tsource"),
        "{set}/truth.tsv header"
    );
    lines
        .map(|line| match line.split('\t').collect::<Vec<_>>()[..] {
            [program, status, loaded, verdict, blocker, source] => Truth {
                set,
                program,
                status: status.parse().expect("status is a number"),
                loaded,
                verdict,
                blocker,
                source,
            },
            _ => panic!("{set}/truth.tsv row without 6 tab-separated fields: {line:?}"),
        })
        .collect()
}

/// Serves `app` as production does: `axum::serve` with the peer address
/// available to `ConnectInfo` (what rate limiters and client-IP extractors
/// keyed on the peer need; harmless to the others).
async fn serve(app: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let server = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).await.expect("serve");
    });
    (addr, server)
}

/// The probe's status while [`USER_REQUESTS`] user requests are in flight,
/// all from one address with `X-Forwarded-For` and `X-Forwarded-Proto`, as
/// kamal-proxy forwards them (`internal/server/target.go`); it keeps
/// probing each target of a load-balanced service while it serves.
async fn probe_under_load(addr: SocketAddr) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let users: Vec<_> = (0..USER_REQUESTS)
        .map(|user| {
            let request = Request::get(format!("http://{addr}/"))
                .header("host", "app.example.com")
                .header("x-forwarded-for", format!("203.0.113.{}", user + 1))
                .header("x-forwarded-proto", "https")
                .body(Empty::new())
                .expect("valid request");
            tokio::spawn(client.request(request))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let probe = kamal_probe(Method::GET, &format!("http://{addr}/up"));
    let status = match tokio::time::timeout(PROBE_TIMEOUT, client.request(probe)).await {
        Ok(Ok(response)) => response.status().as_u16().to_string(),
        Ok(Err(error)) => format!("error {error}"),
        Err(_) => "timeout".to_owned(),
    };
    for user in users {
        user.abort();
    }
    status
}

/// Probes `app` and checks the answers against the program's row: the
/// status of kamal-proxy's probe sent once through a real HTTP client, a
/// whole check as kamal-proxy runs it, redirects followed the way Go's
/// client follows them (`Probe::kamal_proxy()`), then the probe under
/// traffic. Kamal counts the target healthy only if both pass.
async fn check(program: &str, app: Router) {
    let rows = truth_rows();
    let truth = rows
        .iter()
        .find(|row| row.program == program)
        .unwrap_or_else(|| panic!("{program} has no row in a truth.tsv"));
    let (addr, server) = serve(app).await;
    let first = client_send(addr, Method::GET, "/up").await;
    let prober = Prober::new(Probe::kamal_proxy().port(CONTAINER_PORT));
    assert_eq!(
        prober.probe().host(),
        CONTAINER_HOST,
        "both probes carry one Host"
    );
    let check = prober.check_addr(addr).await;
    let loaded = probe_under_load(addr).await;
    server.abort();
    let idle_passes = matches!(&check, Ok(status) if status.is_success());
    let loaded_passes = loaded.starts_with('2');
    let verdict = match idle_passes && loaded_passes {
        true => "passes",
        false => "fails",
    };
    assert_eq!(
        (first.status.as_u16(), loaded.as_str(), verdict),
        (truth.status, truth.loaded, truth.verdict),
        "{program}: the probe got {first:?}, kamal-proxy's check {check:?}, the probe under \
         traffic {loaded}; {}/truth.tsv says {truth:?}",
        truth.set
    );
}

macro_rules! corpus {
    ($($program:ident),+ $(,)?) => {
        const PROGRAMS: &[&str] = &[$(stringify!($program)),+];
        $(
            #[tokio::test]
            async fn $program() {
                check(stringify!($program), $program::app()).await;
            }
        )+
    };
}

#[path = "../corpus/tuned/programs/accept_json_validator.rs"]
mod accept_json_validator;
#[path = "../corpus/tuned/programs/admin_extractor_with_state.rs"]
mod admin_extractor_with_state;
#[path = "../corpus/tuned/programs/allowed_hosts_builder.rs"]
mod allowed_hosts_builder;
#[path = "../corpus/tuned/programs/api_key_from_fn_with_state.rs"]
mod api_key_from_fn_with_state;
#[path = "../corpus/tuned/programs/async_authorization_layer.rs"]
mod async_authorization_layer;
#[path = "../corpus/tuned/programs/auth_context_extension.rs"]
mod auth_context_extension;
#[path = "../corpus/tuned/programs/auth_manager_outside.rs"]
mod auth_manager_outside;
#[path = "../corpus/tuned/programs/basic_auth_staging.rs"]
mod basic_auth_staging;
#[path = "../corpus/tuned/programs/beta_gate_map_request_with_state.rs"]
mod beta_gate_map_request_with_state;
#[path = "../corpus/tuned/programs/block_bad_bots.rs"]
mod block_bad_bots;
#[path = "../corpus/tuned/programs/builder_auth_after_healthcheck.rs"]
mod builder_auth_after_healthcheck;
#[path = "../corpus/tuned/programs/builder_auth_before_healthcheck.rs"]
mod builder_auth_before_healthcheck;
#[path = "../corpus/tuned/programs/canonical_host_www.rs"]
mod canonical_host_www;
#[path = "../corpus/tuned/programs/client_ip_connect_info.rs"]
mod client_ip_connect_info;
#[path = "../corpus/tuned/programs/client_ip_from_forwarded_for.rs"]
mod client_ip_from_forwarded_for;
#[path = "../corpus/tuned/programs/cookie_check_let_bound_builder.rs"]
mod cookie_check_let_bound_builder;
#[path = "../corpus/tuned/programs/cors_and_timeout.rs"]
mod cors_and_timeout;
#[path = "../corpus/tuned/programs/cross_origin_protection.rs"]
mod cross_origin_protection;
#[path = "../corpus/tuned/programs/csrf_token_layer.rs"]
mod csrf_token_layer;
#[path = "../corpus/tuned/programs/custom_header_validation.rs"]
mod custom_header_validation;
#[path = "../corpus/tuned/programs/either_auth_by_config.rs"]
mod either_auth_by_config;
#[path = "../corpus/tuned/programs/enforce_tls_map_request.rs"]
mod enforce_tls_map_request;
#[path = "../corpus/tuned/programs/fallback_after_healthcheck.rs"]
mod fallback_after_healthcheck;
#[path = "../corpus/tuned/programs/fallback_then_healthcheck.rs"]
mod fallback_then_healthcheck;
#[path = "../corpus/tuned/programs/governor_smart_ip.rs"]
mod governor_smart_ip;
#[path = "../corpus/tuned/programs/healthcheck_in_nested_router.rs"]
mod healthcheck_in_nested_router;
#[path = "../corpus/tuned/programs/host_allowlist_closure.rs"]
mod host_allowlist_closure;
#[path = "../corpus/tuned/programs/host_check_exempts_up.rs"]
mod host_check_exempts_up;
#[path = "../corpus/tuned/programs/https_redirect_exempts_up.rs"]
mod https_redirect_exempts_up;
#[path = "../corpus/tuned/programs/https_redirect_from_fn.rs"]
mod https_redirect_from_fn;
#[path = "../corpus/tuned/programs/jwt_claims_from_extractor.rs"]
mod jwt_claims_from_extractor;
#[path = "../corpus/tuned/programs/key_value_store_stack.rs"]
mod key_value_store_stack;
#[path = "../corpus/tuned/programs/locale_prefix_redirect.rs"]
mod locale_prefix_redirect;
#[path = "../corpus/tuned/programs/log_host_tracing.rs"]
mod log_host_tracing;
#[path = "../corpus/tuned/programs/login_required_layer.rs"]
mod login_required_layer;
#[path = "../corpus/tuned/programs/login_url_redirect_loop.rs"]
mod login_url_redirect_loop;
#[path = "../corpus/tuned/programs/maintenance_switch.rs"]
mod maintenance_switch;
#[path = "../corpus/tuned/programs/merge_docs_after_healthcheck.rs"]
mod merge_docs_after_healthcheck;
#[path = "../corpus/tuned/programs/method_override_map_request.rs"]
mod method_override_map_request;
#[path = "../corpus/tuned/programs/nested_api_helper.rs"]
mod nested_api_helper;
#[path = "../corpus/tuned/programs/normalize_append_slash.rs"]
mod normalize_append_slash;
#[path = "../corpus/tuned/programs/normalize_trim_slash.rs"]
mod normalize_trim_slash;
#[path = "../corpus/tuned/programs/option_layer_basic_unset.rs"]
mod option_layer_basic_unset;
#[path = "../corpus/tuned/programs/option_layer_bearer_map.rs"]
mod option_layer_bearer_map;
#[path = "../corpus/tuned/programs/optional_auth_state.rs"]
mod optional_auth_state;
#[path = "../corpus/tuned/programs/permission_required_staff.rs"]
mod permission_required_staff;
#[path = "../corpus/tuned/programs/print_request_response.rs"]
mod print_request_response;
#[path = "../corpus/tuned/programs/rate_limit_buffer.rs"]
mod rate_limit_buffer;
#[path = "../corpus/tuned/programs/request_id_propagation.rs"]
mod request_id_propagation;
#[path = "../corpus/tuned/programs/request_start_map_request.rs"]
mod request_start_map_request;
#[path = "../corpus/tuned/programs/require_json_accept.rs"]
mod require_json_accept;
#[path = "../corpus/tuned/programs/response_headers_and_extension.rs"]
mod response_headers_and_extension;
#[path = "../corpus/tuned/programs/rewrite_to_api_prefix.rs"]
mod rewrite_to_api_prefix;
#[path = "../corpus/tuned/programs/route_layer_bearer_after.rs"]
mod route_layer_bearer_after;
#[path = "../corpus/tuned/programs/route_layer_with_nested_api.rs"]
mod route_layer_with_nested_api;
#[path = "../corpus/tuned/programs/security_headers_map_response.rs"]
mod security_headers_map_response;
#[path = "../corpus/tuned/programs/security_layers_helper.rs"]
mod security_layers_helper;
#[path = "../corpus/tuned/programs/session_counter.rs"]
mod session_counter;
#[path = "../corpus/tuned/programs/session_guard_tower_sessions.rs"]
mod session_guard_tower_sessions;
#[path = "../corpus/tuned/programs/strip_base_path.rs"]
mod strip_base_path;
#[path = "../corpus/tuned/programs/tenant_by_host.rs"]
mod tenant_by_host;
#[path = "../corpus/tuned/programs/tower_filter_predicate.rs"]
mod tower_filter_predicate;
#[path = "../corpus/tuned/programs/trace_compression_outside.rs"]
mod trace_compression_outside;
#[path = "../corpus/tuned/programs/track_metrics_outside.rs"]
mod track_metrics_outside;
#[path = "../corpus/tuned/programs/upload_body_limits.rs"]
mod upload_body_limits;

#[path = "../corpus/unseen/programs/add_trailing_slash.rs"]
mod add_trailing_slash;
#[path = "../corpus/unseen/programs/api_key_header_closure.rs"]
mod api_key_header_closure;
#[path = "../corpus/unseen/programs/bearer_match_config.rs"]
mod bearer_match_config;
#[path = "../corpus/unseen/programs/catch_panic_and_trace.rs"]
mod catch_panic_and_trace;
#[path = "../corpus/unseen/programs/closure_auth_skips_up.rs"]
mod closure_auth_skips_up;
#[path = "../corpus/unseen/programs/concurrency_limit_per_route.rs"]
mod concurrency_limit_per_route;
#[path = "../corpus/unseen/programs/cors_permissive_compression.rs"]
mod cors_permissive_compression;
#[path = "../corpus/unseen/programs/extension_shared_config.rs"]
mod extension_shared_config;
#[path = "../corpus/unseen/programs/force_https_setting_branch.rs"]
mod force_https_setting_branch;
#[path = "../corpus/unseen/programs/force_https_setting_off.rs"]
mod force_https_setting_off;
#[path = "../corpus/unseen/programs/frame_options_headers.rs"]
mod frame_options_headers;
#[path = "../corpus/unseen/programs/governor_peer_ip_default.rs"]
mod governor_peer_ip_default;
#[path = "../corpus/unseen/programs/http_metrics_from_fn.rs"]
mod http_metrics_from_fn;
#[path = "../corpus/unseen/programs/log_request_line_map_request.rs"]
mod log_request_line_map_request;
#[path = "../corpus/unseen/programs/maintenance_either_flag.rs"]
mod maintenance_either_flag;
#[path = "../corpus/unseen/programs/merge_after_merged_helper.rs"]
mod merge_after_merged_helper;
#[path = "../corpus/unseen/programs/merge_before_healthcheck.rs"]
mod merge_before_healthcheck;
#[path = "../corpus/unseen/programs/merge_feature_routers.rs"]
mod merge_feature_routers;
#[path = "../corpus/unseen/programs/office_network_only.rs"]
mod office_network_only;
#[path = "../corpus/unseen/programs/request_id_counter.rs"]
mod request_id_counter;
#[path = "../corpus/unseen/programs/session_memory_store.rs"]
mod session_memory_store;
#[path = "../corpus/unseen/programs/session_required_everywhere.rs"]
mod session_required_everywhere;
#[path = "../corpus/unseen/programs/timeout_body_limit_builder.rs"]
mod timeout_body_limit_builder;
#[path = "../corpus/unseen/programs/trace_custom_spans.rs"]
mod trace_custom_spans;
#[path = "../corpus/unseen/programs/verify_origin_strict.rs"]
mod verify_origin_strict;

corpus!(
    accept_json_validator,
    admin_extractor_with_state,
    allowed_hosts_builder,
    api_key_from_fn_with_state,
    async_authorization_layer,
    auth_context_extension,
    auth_manager_outside,
    basic_auth_staging,
    beta_gate_map_request_with_state,
    block_bad_bots,
    builder_auth_after_healthcheck,
    builder_auth_before_healthcheck,
    canonical_host_www,
    client_ip_connect_info,
    client_ip_from_forwarded_for,
    cookie_check_let_bound_builder,
    cors_and_timeout,
    cross_origin_protection,
    csrf_token_layer,
    custom_header_validation,
    either_auth_by_config,
    enforce_tls_map_request,
    fallback_after_healthcheck,
    fallback_then_healthcheck,
    governor_smart_ip,
    healthcheck_in_nested_router,
    host_allowlist_closure,
    host_check_exempts_up,
    https_redirect_exempts_up,
    https_redirect_from_fn,
    jwt_claims_from_extractor,
    key_value_store_stack,
    locale_prefix_redirect,
    log_host_tracing,
    login_required_layer,
    login_url_redirect_loop,
    maintenance_switch,
    merge_docs_after_healthcheck,
    method_override_map_request,
    nested_api_helper,
    normalize_append_slash,
    normalize_trim_slash,
    option_layer_basic_unset,
    option_layer_bearer_map,
    optional_auth_state,
    permission_required_staff,
    print_request_response,
    rate_limit_buffer,
    request_id_propagation,
    request_start_map_request,
    require_json_accept,
    response_headers_and_extension,
    rewrite_to_api_prefix,
    route_layer_bearer_after,
    route_layer_with_nested_api,
    security_headers_map_response,
    security_layers_helper,
    session_counter,
    session_guard_tower_sessions,
    strip_base_path,
    tenant_by_host,
    tower_filter_predicate,
    trace_compression_outside,
    track_metrics_outside,
    upload_body_limits,
    add_trailing_slash,
    api_key_header_closure,
    bearer_match_config,
    catch_panic_and_trace,
    closure_auth_skips_up,
    concurrency_limit_per_route,
    cors_permissive_compression,
    extension_shared_config,
    force_https_setting_branch,
    force_https_setting_off,
    frame_options_headers,
    governor_peer_ip_default,
    http_metrics_from_fn,
    log_request_line_map_request,
    maintenance_either_flag,
    merge_after_merged_helper,
    merge_before_healthcheck,
    merge_feature_routers,
    office_network_only,
    request_id_counter,
    session_memory_store,
    session_required_everywhere,
    timeout_body_limit_builder,
    trace_custom_spans,
    verify_origin_strict,
);

#[test]
fn truth_lists_exactly_the_programs() {
    let rows = truth_rows();
    let in_table: BTreeSet<&str> = rows.iter().map(|row| row.program).collect();
    assert_eq!(in_table.len(), rows.len(), "a program has two rows");
    let files: BTreeSet<String> = SETS
        .iter()
        .flat_map(|(set, _)| {
            let dir = format!("{}/corpus/{set}/programs", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_dir(dir).expect("read a set's programs")
        })
        .map(|entry| {
            entry
                .expect("dir entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .map(|file| file.strip_suffix(".rs").expect("only .rs files").to_owned())
        .collect();
    let tested: BTreeSet<&str> = PROGRAMS.iter().copied().collect();
    assert_eq!(
        files.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        in_table,
        "files vs truth.tsv"
    );
    assert_eq!(tested, in_table, "tested programs vs truth.tsv");
}

#[test]
fn truth_rows_are_consistent() {
    for row in truth_rows() {
        let source = row.source;
        assert!(
            source.starts_with("https://"),
            "{}: source {source:?} is not a URL",
            row.program
        );
        assert!(
            row.loaded == "timeout" || row.loaded.parse::<u16>().is_ok(),
            "{}: loaded {:?} is a status or `timeout`",
            row.program,
            row.loaded
        );
        match row.verdict {
            "passes" => assert!(
                row.blocker.is_empty(),
                "{}: a blocker on a pass",
                row.program
            ),
            "fails" => assert!(!row.blocker.is_empty(), "{}: no blocker", row.program),
            other => panic!("{}: verdict {other:?}", row.program),
        }
        let file = format!(
            "{}/corpus/{}/programs/{}.rs",
            env!("CARGO_MANIFEST_DIR"),
            row.set,
            row.program
        );
        let text = std::fs::read_to_string(&file).expect("program file");
        assert!(
            without_whitespace(&code(&text)).contains(&without_whitespace(row.blocker)),
            "{}: blocker {:?} is not written in the code",
            row.program,
            row.blocker
        );
        assert!(
            text.starts_with(&format!("//! Source: {source}\n")),
            "{}: first line must be `//! Source: {source}`",
            row.program
        );
        assert_eq!(
            code(&text).matches("healthcheck()").count(),
            1,
            "{}: exactly one healthcheck()",
            row.program
        );
        assert_eq!(
            code(&text).matches("pub fn app() -> Router").count(),
            1,
            "{}: exactly one `pub fn app() -> Router`",
            row.program
        );
    }
}

/// `text` without its comment lines.
fn code(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with every whitespace character and trailing comma removed
/// (rustfmt may wrap a constructor over several lines, adding commas).
fn without_whitespace(text: &str) -> String {
    text.split_whitespace()
        .collect::<String>()
        .replace(",)", ")")
}
