//! Ferroflow's user interface, rendered on the server and hydrated in the browser.
//!
//! [`App`] is the router; [`shell`] the HTML document around it. Each page
//! lives in [`pages`] with the server functions it calls; the layout around
//! the pages (navigation, header, namespace selector) in [`shell`].

// Leptos view types nest deeply; the pipeline page needs more than the default.
#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod chart;
mod dag_graph;
pub mod error;
pub mod live;
pub mod namespace;
pub mod pages;
pub mod shell;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

pub use shell::shell;

/// Path under the site root where the wasm, JS glue and CSS are served.
pub const PKG_DIR: &str = "pkg";

/// The application: layout, live event stream and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let css = use_context::<StylesheetHref>().map_or_else(|| format!("/{PKG_DIR}/ferroflow.css"), |s| s.0);
    view! {
        <Stylesheet id="ferroflow" href=css />
        <Link rel="icon" href="/favicon.ico" />
        <Meta name="viewport" content="width=device-width, initial-scale=1" />
        <Title formatter=|page: String| if page.is_empty() { "Ferroflow".to_owned() } else { format!("{page} · Ferroflow") } />
        <Router>
            <live::LiveEventsProvider>
                <shell::Layout>
                    <Routes fallback=pages::NotFound>
                        <Route path=path!("/") view=pages::HomePage />
                        <Route path=path!("/notebooks") view=pages::NotebooksPage />
                        <Route path=path!("/notebooks/new") view=pages::NewNotebookPage />
                        <Route path=path!("/notebooks/:name") view=pages::NotebookDetailPage />
                        <Route path=path!("/pipelines") view=pages::PipelinesPage />
                        <Route path=path!("/pipelines/:id") view=pages::PipelineDetailPage ssr=SsrMode::Async />
                        <Route path=path!("/experiments") view=pages::ExperimentsPage />
                        <Route path=path!("/runs") view=pages::RunsPage />
                        <Route path=path!("/runs/compare") view=pages::CompareRunsPage ssr=SsrMode::Async />
                        <Route path=path!("/runs/:id") view=pages::RunDetailPage ssr=SsrMode::Async />
                        <Route path=path!("/recurring-runs") view=pages::RecurringRunsPage />
                        <Route path=path!("/workflow-templates") view=pages::WorkflowTemplatesPage />
                        <Route path=path!("/artifacts") view=pages::ArtifactsPage />
                        <Route path=path!("/utilization") view=pages::UtilizationPage />
                        <Route path=path!("/activity") view=pages::ActivityPage />
                    </Routes>
                </shell::Layout>
            </live::LiveEventsProvider>
        </Router>
    }
}

/// The stylesheet's URL, hashed in release builds; provided by the server.
#[derive(Clone, Debug)]
pub struct StylesheetHref(pub String);
