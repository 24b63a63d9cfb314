//! Pipelines: the list with upload, and one pipeline's page.

pub mod api;
mod detail;
pub mod schedule;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub use detail::PipelineDetailPage;

use crate::{
    namespace::use_namespace,
    shell::{EmptyState, Loading},
};
use api::list_pipelines;

/// The Pipelines page: upload form, search, list.
#[component]
pub fn PipelinesPage() -> impl IntoView {
    let namespace = use_namespace();
    let query = use_query_map();
    let param = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    let pipelines = Resource::new(
        move || (namespace.get(), param("q"), param("page")),
        |(ns, q, page)| list_pipelines(ns.to_string(), q, page),
    );
    view! {
        <Title text="Pipelines" />
        <h1 class="page-title">"Pipelines"</h1>
        <section class="card">
            <h2 class="card__title">"Upload a pipeline"</h2>
            <UploadForm pipeline_id=None />
        </section>
        <section class="card">
            <form class="toolbar" method="get" action="/pipelines">
                <input type="hidden" name="ns" prop:value=move || namespace.get().to_string() />
                <input class="input" type="search" name="q" placeholder="Search by name" aria-label="Search pipelines by name"
                    prop:value=move || param("q") />
                <button class="button" type="submit">"Search"</button>
            </form>
            <Transition fallback=|| view! { <Loading what="pipelines" /> }>
                {move || pipelines.get().map(|result| result.map(|page| {
                    if page.pipelines.is_empty() {
                        let title = format!("No pipelines in {}", namespace.get());
                        return view! {
                            <EmptyState icon="pipeline" title=title
                                hint="Upload a pipeline compiled with kfp (YAML) or an Argo Workflow above, or with kfp.Client().upload_pipeline." />
                        }.into_any();
                    }
                    let ns = namespace.get();
                    let next = (!page.next.is_empty()).then(|| format!("/pipelines?ns={ns}&q={}&page={}", crate::dag_graph::encode(&param("q")), page.next));
                    view! {
                        <table class="table" data-testid="pipelines-table">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th>"Uploaded"</th></tr></thead>
                            <tbody>
                                {page.pipelines.into_iter().map(|p| view! {
                                    <tr>
                                        <td><a href=format!("/pipelines/{}?ns={ns}", p.id)>{p.name}</a></td>
                                        <td class="muted">{p.description}</td>
                                        <td>{p.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {next.map(|href| view! { <a class="button" href=href>"Next page"</a> })}
                    }.into_any()
                }))}
            </Transition>
        </section>
    }
}

/// A file picker (drop a file on it or choose one) that uploads a pipeline,
/// or a new version of `pipeline_id`. A plain form: it works before the page
/// is interactive. Refusals come back in `?upload_error=` and are shown next
/// to the file, naming the task and field.
#[component]
pub fn UploadForm(pipeline_id: Option<String>) -> impl IntoView {
    let namespace = use_namespace();
    let query = use_query_map();
    let error = move || query.with(|q| q.get("upload_error"));
    let file = move || query.with(|q| q.get("file"));
    let is_version = pipeline_id.is_some();
    let input = NodeRef::<leptos::html::Input>::new();
    let dragging = RwSignal::new(false);
    let chosen = RwSignal::new(None::<String>);
    view! {
        <form class="upload" method="post" enctype="multipart/form-data" action="/ui/pipelines/upload" data-testid="upload-form">
            <input type="hidden" name="namespace" prop:value=move || namespace.get().to_string() />
            {pipeline_id.map(|id| view! { <input type="hidden" name="pipeline_id" value=id /> })}
            <label class="upload__drop" class:upload__drop--over=move || dragging.get()
                on:dragover=move |ev| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |ev| { ev.prevent_default(); dragging.set(false); chosen.set(take_dropped_file(&ev, input)); }>
                <span>"Pipeline file (KFP YAML, Argo Workflow, .tar.gz or .zip): drop it here or choose it"</span>
                <input type="file" name="uploadfile" accept=".yaml,.yml,.json,.zip,.tar.gz,.tgz" required=true node_ref=input
                    on:change=move |_| chosen.set(None) />
                {move || chosen.get().map(|name| view! { <span class="upload__chosen" data-testid="dropped-file">{format!("Dropped: {name}")}</span> })}
            </label>
            <label class="field">
                <span>{if is_version { "Version name (optional)" } else { "Name (optional: the file name)" }}</span>
                <input class="input" type="text" name="name" maxlength="256" />
            </label>
            <button class="button button--primary" type="submit">{if is_version { "Upload version" } else { "Upload" }}</button>
            {move || error().map(|e| view! {
                <p class="notice notice--danger upload__error" role="alert" data-testid="upload-error">
                    {file().map(|f| format!("{f}: ")).unwrap_or_default()}{e}
                </p>
            })}
        </form>
    }
}

/// Puts the file dropped on the upload area into the form's file input, so
/// the plain form posts it; returns its name.
fn take_dropped_file(event: &leptos::ev::DragEvent, input: NodeRef<leptos::html::Input>) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let files = event.data_transfer()?.files()?;
        let name = files.get(0)?.name();
        input.get()?.set_files(Some(&files));
        Some(name)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (event, input);
        None
    }
}
