//! Experiments: the list, a form to create one, archive and restore; each
//! links to its runs.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::{
    error::AppError,
    namespace::use_namespace,
    shell::{EmptyState, Loading},
};

/// An experiment as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Whether it is archived.
    pub archived: bool,
    /// When its newest run started.
    pub last_run: Option<DateTime<Utc>>,
}

/// The namespace's experiments, newest first (the first 200).
#[server(ListExperiments, "/api/ui", endpoint = "list_experiments")]
pub async fn list_experiments(namespace: String) -> Result<Vec<ExperimentRow>, AppError> {
    use crate::error::ssr::{engine, principal};
    let options = engine::listing::ListOptions { page_size: 200, ..Default::default() };
    let page = engine()?.list_experiments(&principal()?, &namespace, &options).await?;
    Ok(page
        .items
        .into_iter()
        .map(|e| ExperimentRow {
            id: e.id,
            name: e.display_name,
            description: e.description,
            archived: e.archived,
            last_run: e.last_run_created_at,
        })
        .collect())
}

/// Creates an experiment.
#[server(CreateExperiment, "/api/ui", endpoint = "create_experiment")]
pub async fn create_experiment(namespace: String, name: String, description: String) -> Result<(), AppError> {
    use crate::error::ssr::{engine, principal};
    engine()?.create_experiment(&principal()?, &namespace, name.trim(), &description).await?;
    Ok(())
}

/// Archives or restores an experiment (archiving archives its runs).
#[server(ArchiveExperiment, "/api/ui", endpoint = "archive_experiment")]
pub async fn archive_experiment(id: String, archived: bool) -> Result<(), AppError> {
    use crate::error::ssr::{engine, principal};
    engine()?.archive_experiment(&principal()?, &id, archived).await?;
    Ok(())
}

/// The Experiments page.
#[component]
pub fn ExperimentsPage() -> impl IntoView {
    let namespace = use_namespace();
    let create = ServerAction::<CreateExperiment>::new();
    let archive = ServerAction::<ArchiveExperiment>::new();
    let experiments = Resource::new(
        move || (namespace.get(), create.version().get(), archive.version().get()),
        |(ns, _, _)| list_experiments(ns.to_string()),
    );
    let error = move || create.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Experiments" />
        <h1 class="page-title">"Experiments"</h1>
        <section class="card">
            <h2 class="card__title">"New experiment"</h2>
            <ActionForm action=create attr:class="toolbar">
                <input type="hidden" name="namespace" prop:value=move || namespace.get().to_string() />
                <input class="input" type="text" name="name" placeholder="Name" aria-label="Experiment name" required=true maxlength="256" />
                <input class="input" type="text" name="description" placeholder="Description (optional)" aria-label="Description" />
                <button class="button button--primary" type="submit">"Create"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice notice--danger" role="alert">{e}</p> })}
        </section>
        <section class="card">
            <Transition fallback=|| view! { <Loading what="experiments" /> }>
                {move || experiments.get().map(|result| result.map(|list| {
                    if list.is_empty() {
                        return view! {
                            <EmptyState icon="experiment" title="No experiments"
                                hint="Experiments group runs. Runs started without one go to the namespace's Default experiment, made on first use." />
                        }.into_any();
                    }
                    let ns = namespace.get();
                    view! {
                        <table class="table" data-testid="experiments-table">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th>"Last run"</th><th>"State"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| view! {
                                    <tr>
                                        <td><a href=format!("/runs?ns={ns}&experiment={}", e.id)>{e.name}</a></td>
                                        <td class="muted">{e.description}</td>
                                        <td>{e.last_run.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())}</td>
                                        <td>{if e.archived { "archived" } else { "active" }}</td>
                                        <td>
                                            <ActionForm action=archive>
                                                <input type="hidden" name="id" value=e.id />
                                                <input type="hidden" name="archived" value=(!e.archived).to_string() />
                                                <button class="button button--small" type="submit">{if e.archived { "Restore" } else { "Archive" }}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }))}
            </Transition>
        </section>
    }
}
