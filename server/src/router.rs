//! The router, assembled in one place.

use axum::{
    Router,
    http::{HeaderValue, header},
    middleware,
    routing::get,
};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list, render_app_to_stream_with_context};
use tower_http::{
    compression::{CompressionLayer, CompressionLevel},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    AppState, argo, auth, dashboard_files, events, health, hosts, kfp, namespaces, notebooks, prometheus, security,
    site::Site,
};

/// Every route the server answers, with its layers.
pub fn build(state: AppState, site: &Site) -> Router {
    let engine = state.engine.clone();
    let runner = state.runner.clone();
    let notebooks = state.notebooks.clone();
    let notebook_origin = state.notebook_origin.clone();
    let metrics = state.metrics.clone();
    let stylesheet = site.stylesheet.clone();
    let context = move || {
        provide_context(engine.clone());
        provide_context(runner.clone());
        provide_context(notebooks.clone());
        provide_context(notebook_origin.clone());
        provide_context(metrics.clone());
        provide_context(app::StylesheetHref(stylesheet.clone()));
    };
    let pages = generate_route_list(app::App);
    let leptos_options = state.leptos.clone();
    let shell = move || app::shell(leptos_options.clone());

    // Paths that are neither routes nor files render the app's 404 page.
    let not_found = Router::new().fallback(get(render_app_to_stream_with_context(context.clone(), shell.clone())));

    let api = Router::new()
        .route("/api/events", get(events::stream))
        .route("/metrics", get(prometheus::scrape))
        .route("/api/namespaces", get(namespaces::list).post(namespaces::create))
        .route(
            "/ui/pipelines/upload",
            axum::routing::post(dashboard_files::upload)
                .layer(axum::extract::DefaultBodyLimit::max(kfp::MAX_UPLOAD_BYTES)),
        )
        .route("/ui/artifacts/{run}/{task}/{name}", get(dashboard_files::artifact))
        .route("/ui/logs/{run}/{attempt}/{stream}", get(dashboard_files::log));

    let app = Router::new()
        .leptos_routes_with_context(&state, pages, context, shell)
        // Pages depend on the live state of the engine: never reuse a stored copy.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .merge(api)
        .merge(kfp::routes())
        .merge(argo::routes())
        .merge(notebooks::routes())
        .merge(site.serve(not_found))
        .layer(middleware::from_fn(auth::single_user))
        .layer(middleware::from_fn(security::same_origin_writes))
        .layer(middleware::from_fn(security::bounded_bodies));

    let probes = Router::new().route("/healthz", get(health::live)).route("/readyz", get(health::ready));

    security::with_headers(app.merge(probes))
        // Brotli's default quality (11) is for static files; pages and JSON are
        // compressed per request, where level 4 is fast and nearly as small.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(middleware::from_fn_with_state(state.known_hosts.clone(), hosts::known_host))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// The notebook origin's routes: notebook servers only, as the user.
pub fn build_notebook_origin(state: AppState) -> Router {
    notebooks::proxy_routes()
        .layer(middleware::from_fn(auth::single_user))
        .layer(middleware::from_fn_with_state(state.known_hosts.clone(), hosts::known_host))
        .layer(TraceLayer::new_for_http().make_span_with(DefaultMakeSpan::new().level(Level::INFO)))
        .with_state(state)
}
