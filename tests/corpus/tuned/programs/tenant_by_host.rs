//! Source: https://github.com/timveo/CI-Customer-Training/issues/6
//! Multi-tenant SaaS: `from_fn_with_state(tenants.clone(), resolve_tenant)` maps Host to a tenant, 404 for an unknown Host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

#[derive(Clone, Debug)]
struct Tenant {
    slug: &'static str,
}

type Tenants = Arc<HashMap<&'static str, Tenant>>;

async fn resolve_tenant(
    State(tenants): State<Tenants>,
    mut request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| host.split(':').next().unwrap_or(host));
    match host.and_then(|host| tenants.get(host)) {
        Some(tenant) => {
            request.extensions_mut().insert(tenant.clone());
            next.run(request).await
        }
        None => (StatusCode::NOT_FOUND, "unknown tenant").into_response(),
    }
}

async fn dashboard(Extension(tenant): Extension<Tenant>) -> String {
    format!("dashboard of {}", tenant.slug)
}

pub fn app() -> Router {
    let tenants: Tenants = Arc::new(HashMap::from([
        ("acme.example.com", Tenant { slug: "acme" }),
        ("globex.example.com", Tenant { slug: "globex" }),
    ]));
    Router::new()
        .route("/", get(dashboard))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn_with_state(tenants.clone(), resolve_tenant))
}
