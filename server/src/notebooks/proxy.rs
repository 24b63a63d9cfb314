//! `/notebook/<ns>/<name>/...`: each notebook server on the notebook
//! origin, HTTP and WebSocket, after authorizing the caller on the namespace.
//!
//! What protects the dashboard from a notebook's pages, which any code in
//! the notebook can write: they are served on an origin of their own (the
//! notebook listener, another port or host; see
//! [`engine::notebooks::NotebookOrigin`]), so the browser keeps their scripts
//! from reading the dashboard's pages or API answers; that listener serves
//! nothing but notebooks. Cookies do not tell ports apart, so our cookies and
//! any `Authorization` are removed from proxied requests (a notebook never
//! sees the user's credentials; the proxy adds the notebook's own token) and
//! `Set-Cookie` from a notebook is dropped, so it cannot plant cookies that
//! the dashboard would read. A sandboxing `Content-Security-Policy` is not
//! used: JupyterLab needs its own origin's cookies and storage to run.
//!
//! The proxy adds the token, so it, not Jupyter, must tell the notebook's
//! own pages from other sites: any request a browser sends from another
//! origin (a cross-site form post, `fetch`, a WebSocket) is refused, and
//! Jupyter's CORS headers are dropped.

use std::{collections::HashMap, sync::Mutex};

use axum::{
    Extension,
    extract::{Path, Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use axum_reverse_proxy::ReverseProxy;
use engine::notebooks::Phase;
use model::Principal;
use tower::{ServiceExt, util::BoxCloneSyncService};

use crate::AppState;

/// One proxy (and its connection pool) per notebook port.
static PROXIES: std::sync::LazyLock<Mutex<HashMap<u16, Upstream>>> = std::sync::LazyLock::new(Default::default);

type Upstream = BoxCloneSyncService<Request, Response, std::convert::Infallible>;

fn proxy_for(port: u16) -> Upstream {
    let mut proxies = PROXIES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    proxies
        .entry(port)
        .or_insert_with(|| BoxCloneSyncService::new(ReverseProxy::new("", &format!("http://127.0.0.1:{port}"))))
        .clone()
}

/// `/notebook/<ns>/<name>` without the slash: Jupyter's base URL has one.
pub async fn to_slash(Path((ns, name)): Path<(String, String)>) -> Redirect {
    Redirect::permanent(&format!("/notebook/{ns}/{name}/"))
}

/// `/notebook/...` on the dashboard: the same path on the notebook origin.
pub async fn to_notebook_origin(State(state): State<AppState>, request: Request) -> Redirect {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    Redirect::temporary(&format!("{}{path}", state.notebook_origin.for_host(host)))
}

/// Anything but a notebook on the notebook origin.
pub async fn not_a_notebook() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "This address serves notebook servers only, under /notebook/<namespace>/<name>/.\n")
}

/// Forwards a request to the notebook's server.
pub async fn forward(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    mut request: Request,
) -> Response {
    let (Some(ns), Some(name)) = (params.get("ns"), params.get("name")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(origin) = crate::security::foreign_origin(request.headers()) {
        return (StatusCode::FORBIDDEN, format!("notebooks do not answer pages of {origin}")).into_response();
    }
    let notebook = match state.engine.notebook(&principal, ns, name).await {
        Ok(n) => n,
        Err(e @ engine::Error::Forbidden { .. }) => return (StatusCode::FORBIDDEN, e.to_string()).into_response(),
        Err(e) => return (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    };
    let port = match (notebook.phase, notebook.port) {
        (Phase::Ready | Phase::Warning, Some(port)) => port,
        (phase, _) => return unavailable(ns, name, phase.as_str(), &notebook.message),
    };
    let headers = request.headers_mut();
    headers.remove(header::COOKIE);
    headers.remove(header::AUTHORIZATION);
    if let Ok(value) = HeaderValue::from_str(&format!("token {}", notebook.token)) {
        headers.insert(header::AUTHORIZATION, value);
    }
    let mut response = match proxy_for(port).oneshot(request).await {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    };
    state.prometheus.proxied(ns, name, response.status());
    if response.status() == StatusCode::BAD_GATEWAY {
        return unavailable(ns, name, "not answering", "");
    }
    let headers = response.headers_mut();
    headers.remove(header::SET_COOKIE);
    headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
    headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    response
}

/// 502 with a page that says what is going on.
fn unavailable(ns: &str, name: &str, phase: &str, message: &str) -> Response {
    let escape = |s: &str| html_escape::encode_text(s).into_owned();
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Notebook {name} is not available</title>\
         <h1>Notebook {name} is not available</h1><p>It is <b>{phase}</b>.</p><pre>{message}</pre>\
         <p><a href=\"/notebooks?ns={ns}\">Back to the notebooks of {ns}</a></p>",
        name = escape(name),
        ns = escape(ns),
        phase = escape(phase),
        message = escape(message),
    );
    (StatusCode::BAD_GATEWAY, Html(page)).into_response()
}
