//! Source: https://github.com/maxcountryman/axum-login/blob/main/examples/sqlite/src/web/app.rs
//! An internal tool where every page needs a login: `login_required!(Backend)` on the whole router, outside the healthcheck (401).

use std::collections::HashMap;
use std::convert::Infallible;

use axum::Router;
use axum::routing::get;
use axum_login::tower_sessions::{MemoryStore, SessionManagerLayer};
use axum_login::{AuthManagerLayerBuilder, AuthUser, AuthnBackend, UserId, login_required};

#[derive(Clone, Debug)]
struct Employee {
    id: u32,
    session_key: Vec<u8>,
}

impl AuthUser for Employee {
    type Id = u32;

    fn id(&self) -> u32 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.session_key
    }
}

#[derive(Clone, Default)]
struct Backend {
    employees: HashMap<u32, Employee>,
}

impl AuthnBackend for Backend {
    type User = Employee;
    type Credentials = u32;
    type Error = Infallible;

    async fn authenticate(&self, badge: u32) -> Result<Option<Employee>, Infallible> {
        Ok(self.employees.get(&badge).cloned())
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<Employee>, Infallible> {
        Ok(self.employees.get(id).cloned())
    }
}

async fn inventory() -> &'static str {
    "inventory"
}

pub fn app() -> Router {
    let sessions = SessionManagerLayer::new(MemoryStore::default());
    let auth_layer = AuthManagerLayerBuilder::new(Backend::default(), sessions).build();
    Router::new()
        .route("/", get(inventory))
        .route("/inventory", get(inventory))
        .layer(axum_kamal::healthcheck())
        .layer(login_required!(Backend))
        .layer(auth_layer)
}
