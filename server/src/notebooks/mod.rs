//! Notebook servers over HTTP: the REST API of Kubeflow's Jupyter web app
//! ([`api`]) and the reverse proxy that puts each server on the notebook
//! origin ([`proxy`]).

pub mod api;
pub mod proxy;

use axum::{
    Router,
    routing::{any, get},
};

use crate::AppState;

/// The notebook API, and `/notebook/...` sending browsers to the notebook origin.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/config", get(api::config))
        .route("/api/gpus", get(api::gpus))
        .route("/api/namespaces/{ns}/notebooks", get(api::list).post(api::create))
        .route("/api/namespaces/{ns}/notebooks/{name}", get(api::get).patch(api::patch).delete(api::delete))
        .route("/notebook/{ns}/{name}", any(proxy::to_notebook_origin))
        .route("/notebook/{ns}/{name}/", any(proxy::to_notebook_origin))
        .route("/notebook/{ns}/{name}/{*rest}", any(proxy::to_notebook_origin))
}

/// What the notebook origin serves: the proxy, and nothing else.
pub fn proxy_routes() -> Router<AppState> {
    Router::new()
        .route("/notebook/{ns}/{name}", any(proxy::to_slash))
        .route("/notebook/{ns}/{name}/", any(proxy::forward))
        .route("/notebook/{ns}/{name}/{*rest}", any(proxy::forward))
        .fallback(proxy::not_a_notebook)
}
