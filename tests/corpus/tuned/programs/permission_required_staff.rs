//! Source: https://github.com/maxcountryman/axum-login/blob/main/examples/permissions/src/web/app.rs
//! Staff-only reports: `permission_required!(Backend, "reports.read")` outside the healthcheck answers the anonymous probe 403.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

use axum::Router;
use axum::routing::get;
use axum_login::tower_sessions::{MemoryStore, SessionManagerLayer};
use axum_login::{
    AuthManagerLayerBuilder, AuthUser, AuthnBackend, AuthzBackend, UserId, permission_required,
};

#[derive(Clone, Debug)]
struct Staff {
    id: i64,
    password_hash: String,
    permissions: HashSet<String>,
}

impl AuthUser for Staff {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
}

#[derive(Clone, Default)]
struct Backend {
    staff: HashMap<i64, Staff>,
}

impl AuthnBackend for Backend {
    type User = Staff;
    type Credentials = (i64, String);
    type Error = Infallible;

    async fn authenticate(
        &self,
        (id, password): (i64, String),
    ) -> Result<Option<Staff>, Infallible> {
        Ok(self
            .staff
            .get(&id)
            .filter(|s| s.password_hash == password)
            .cloned())
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<Staff>, Infallible> {
        Ok(self.staff.get(id).cloned())
    }
}

impl AuthzBackend for Backend {
    type Permission = String;

    async fn get_user_permissions(&self, user: &Staff) -> Result<HashSet<String>, Infallible> {
        Ok(user.permissions.clone())
    }
}

async fn reports() -> &'static str {
    "quarterly reports"
}

pub fn app() -> Router {
    let session_layer = SessionManagerLayer::new(MemoryStore::default()).with_secure(false);
    let auth_layer = AuthManagerLayerBuilder::new(Backend::default(), session_layer).build();
    Router::new()
        .route("/reports", get(reports))
        .layer(axum_kamal::healthcheck())
        .layer(permission_required!(Backend, "reports.read"))
        .layer(auth_layer)
}
