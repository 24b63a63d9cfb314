//! Artifacts: what the namespace's runs wrote, newest first, by type and
//! run, each with its run, task and a download link.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::{
    dag_graph::encode,
    error::AppError,
    namespace::use_namespace,
    shell::{EmptyState, Loading},
};

/// An artifact as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArtifactListRow {
    /// Output name.
    pub name: String,
    /// Schema title, e.g. `system.Model`.
    pub schema_title: String,
    /// Size in bytes, when a single file.
    pub size_bytes: Option<i64>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The run.
    pub run_id: String,
    /// The run's name.
    pub run_name: String,
    /// The task that wrote it.
    pub task_id: String,
    /// That task's path without the root.
    pub task: String,
}

/// One page of artifacts, and the types there are to filter by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArtifactsPageData {
    /// The artifacts.
    pub artifacts: Vec<ArtifactListRow>,
    /// Token of the next page; empty on the last.
    pub next: String,
    /// The namespace's artifact types.
    pub types: Vec<String>,
}

/// A page of the namespace's artifacts of type `schema` and run `run` (empty: all).
#[server(ListArtifacts, "/api/ui", endpoint = "list_artifacts")]
pub async fn list_artifacts(
    namespace: String,
    schema: String,
    run: String,
    token: String,
) -> Result<ArtifactsPageData, AppError> {
    use crate::error::ssr::{engine, principal};
    let (engine, principal) = (engine()?, principal()?);
    let query =
        engine::artifacts::ArtifactQuery { schema_title: schema, run_id: run, page_token: token, page_size: 50 };
    let page = engine.list_artifacts(&principal, &namespace, &query).await?;
    Ok(ArtifactsPageData {
        artifacts: page
            .items
            .into_iter()
            .map(|a| ArtifactListRow {
                name: a.name,
                schema_title: a.schema_title,
                size_bytes: a.size_bytes,
                created_at: a.created_at,
                run_id: a.run_id,
                run_name: a.run_name,
                task_id: a.task_id,
                task: a.task_path.split_once('/').map_or(a.task_path.clone(), |(_, rest)| rest.to_owned()),
            })
            .collect(),
        next: page.next,
        types: engine.artifact_types(&principal, &namespace).await?,
    })
}

/// A size for people: 1.2 MB.
fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{size:.1} {}", UNITS[unit]) }
}

/// The Artifacts page, `/artifacts?ns=&type=&run=&page=`.
#[component]
pub fn ArtifactsPage() -> impl IntoView {
    let namespace = use_namespace();
    let query = use_query_map();
    let param = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    let page = Resource::new(
        move || (namespace.get(), param("type"), param("run"), param("page")),
        |(ns, schema, run, token)| list_artifacts(ns.to_string(), schema, run, token),
    );
    view! {
        <Title text="Artifacts" />
        <h1 class="page-title">"Artifacts"</h1>
        <section class="card">
            <Transition fallback=|| view! { <Loading what="artifacts" /> }>
                {move || page.get().map(|result| result.map(|data| view! { <ArtifactList data /> }))}
            </Transition>
        </section>
    }
}

#[component]
fn ArtifactList(data: ArtifactsPageData) -> impl IntoView {
    let namespace = use_namespace();
    let query = use_query_map();
    let param = move |key: &str| query.with_untracked(|q| q.get(key).unwrap_or_default());
    let ns = namespace.get_untracked();
    let (schema, run) = (param("type"), param("run"));
    let filter = view! {
        <form class="toolbar" method="get" action="/artifacts">
            <input type="hidden" name="ns" value=ns.to_string() />
            <label class="field field--inline">
                <span>"Type"</span>
                <select class="input" name="type" aria-label="Artifact type">
                    <option value="" selected=schema.is_empty()>"All types"</option>
                    {data.types.iter().map(|t| view! { <option value=t.clone() selected=*t == schema>{t.clone()}</option> }).collect_view()}
                </select>
            </label>
            <input class="input" type="search" name="run" placeholder="Run id" aria-label="Run id" value=run.clone() />
            <button class="button" type="submit">"Filter"</button>
        </form>
    };
    if data.artifacts.is_empty() {
        let title = format!("No artifacts in {ns}");
        return view! {
            {filter}
            <EmptyState icon="artifact" title
                hint="Datasets, models, metrics and other outputs that pipeline steps write appear here for download." />
        }
        .into_any();
    }
    let next = (!data.next.is_empty()).then(|| {
        format!("/artifacts?ns={ns}&type={}&run={}&page={}", encode(&schema), encode(&run), encode(&data.next))
    });
    view! {
        {filter}
        <table class="table" data-testid="artifacts-table">
            <thead><tr><th>"Name"</th><th>"Type"</th><th>"Run"</th><th>"Task"</th><th>"Size"</th><th>"Written"</th><th></th></tr></thead>
            <tbody>
                {data.artifacts.into_iter().map(|a| {
                    let download = format!("/ui/artifacts/{}/{}/{}", a.run_id, a.task_id, encode(&a.name));
                    view! {
                        <tr data-testid="artifact-row">
                            <td>{a.name}</td>
                            <td><code>{a.schema_title}</code></td>
                            <td><a href=format!("/runs/{}?ns={ns}", a.run_id)>{a.run_name}</a></td>
                            <td><a href=format!("/runs/{}?ns={ns}&task={}", a.run_id, a.task_id)>{a.task}</a></td>
                            <td>{a.size_bytes.map(human_size).unwrap_or_else(|| "folder".into())}</td>
                            <td>{a.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                            <td><a class="button button--small" href=download download="">"Download"</a></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <a class="button" href=href>"Next page"</a> })}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_200), "1.2 KB");
        assert_eq!(human_size(3_400_000), "3.4 MB");
    }
}
