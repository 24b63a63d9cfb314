//! Workflow templates: Argo `WorkflowTemplate`s of the namespace and
//! `ClusterWorkflowTemplate`s, which workflows use through `templateRef`
//! and `workflowTemplateRef`. Save one from its YAML, edit, delete.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::{
    error::AppError,
    namespace::use_namespace,
    shell::{EmptyState, Loading},
};

/// A stored template as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateRow {
    /// Its name.
    pub name: String,
    /// Whether it is a `ClusterWorkflowTemplate`.
    pub cluster: bool,
    /// The names of the templates it holds.
    pub templates: Vec<String>,
    /// Its entrypoint, when it has one.
    pub entrypoint: Option<String>,
}

#[cfg(feature = "ssr")]
fn scope(namespace: &str, cluster: bool) -> engine::templates::Scope<'_> {
    if cluster { engine::templates::Scope::Cluster } else { engine::templates::Scope::Namespace(namespace) }
}

/// The namespace's templates, then the cluster's (those only when the
/// caller may list them).
#[server(ListWorkflowTemplates, "/api/ui", endpoint = "list_workflow_templates")]
pub async fn list_workflow_templates(namespace: String) -> Result<Vec<TemplateRow>, AppError> {
    use crate::error::ssr::{engine, principal};
    let (engine, principal) = (engine()?, principal()?);
    let mut rows = Vec::new();
    for cluster in [false, true] {
        let objects = match engine.workflow_templates(&principal, scope(&namespace, cluster)).await {
            Ok(objects) => objects,
            Err(engine::Error::Forbidden { .. }) if cluster => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        rows.extend(objects.iter().map(|object| row(object, cluster)));
    }
    Ok(rows)
}

#[cfg(feature = "ssr")]
fn row(object: &serde_json::Value, cluster: bool) -> TemplateRow {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    TemplateRow {
        name: text(&object["metadata"]["name"]).unwrap_or_default(),
        cluster,
        templates: object["spec"]["templates"]
            .as_array()
            .map(|ts| ts.iter().filter_map(|t| text(&t["name"])).collect())
            .unwrap_or_default(),
        entrypoint: text(&object["spec"]["entrypoint"]),
    }
}

/// Saves a template from its YAML or JSON; `replace` overwrites the one of
/// the same name.
#[server(SaveWorkflowTemplate, "/api/ui", endpoint = "save_workflow_template")]
pub async fn save_workflow_template(
    namespace: String,
    #[server(default)] cluster: bool,
    text: String,
    #[server(default)] replace: bool,
) -> Result<(), AppError> {
    use crate::error::ssr::{engine, principal};
    let object = engine::spec::load_json(text.as_bytes()).map_err(engine::Error::from)?;
    engine()?.put_workflow_template(&principal()?, scope(&namespace, cluster), object, replace).await?;
    Ok(())
}

/// Deletes a template; workflows that used it keep their copy.
#[server(DeleteWorkflowTemplate, "/api/ui", endpoint = "delete_workflow_template")]
pub async fn delete_workflow_template(
    namespace: String,
    #[server(default)] cluster: bool,
    name: String,
) -> Result<(), AppError> {
    use crate::error::ssr::{engine, principal};
    engine()?.delete_workflow_template(&principal()?, scope(&namespace, cluster), &name).await?;
    Ok(())
}

/// One template as YAML, for editing.
#[server(WorkflowTemplateYaml, "/api/ui", endpoint = "workflow_template_yaml")]
pub async fn workflow_template_yaml(namespace: String, cluster: bool, name: String) -> Result<String, AppError> {
    use crate::error::ssr::{engine, principal};
    let object = engine()?.workflow_template(&principal()?, scope(&namespace, cluster), &name).await?;
    Ok(engine::spec::to_yaml(&object))
}

/// The Workflow templates page: the editor, then the list.
#[component]
pub fn WorkflowTemplatesPage() -> impl IntoView {
    let namespace = use_namespace();
    let save = ServerAction::<SaveWorkflowTemplate>::new();
    let delete = ServerAction::<DeleteWorkflowTemplate>::new();
    let templates = Resource::new(
        move || (namespace.get(), save.version().get(), delete.version().get()),
        |(ns, _, _)| list_workflow_templates(ns.to_string()),
    );
    let failure = move || {
        let refused = |v: Option<Result<(), AppError>>| v.and_then(|r| r.err()).map(|e| e.to_string());
        refused(save.value().get()).or_else(|| refused(delete.value().get()))
    };
    view! {
        <Title text="Workflow templates" />
        <h1 class="page-title">"Workflow templates"</h1>
        <section class="card">
            <h2 class="card__title">"Save a template"</h2>
            <TemplateEditor save />
            {move || failure().map(|e| view! { <p class="notice notice--danger" role="alert" data-testid="template-error">{e}</p> })}
        </section>
        <section class="card">
            <Transition fallback=|| view! { <Loading what="workflow templates" /> }>
                {move || templates.get().map(|result| result.map(|rows| {
                    if rows.is_empty() {
                        return view! {
                            <EmptyState icon="template" title="No workflow templates"
                                hint="Save an Argo WorkflowTemplate above, or POST it to /api/v1/workflow-templates/{namespace}. Workflows use it by templateRef or workflowTemplateRef." />
                        }.into_any();
                    }
                    view! { <TemplateTable rows delete /> }.into_any()
                }))}
            </Transition>
        </section>
    }
}

/// The YAML editor: empty, or holding the template named by `?edit=`.
#[component]
fn TemplateEditor(save: ServerAction<SaveWorkflowTemplate>) -> impl IntoView {
    let namespace = use_namespace();
    let query = use_query_map();
    let editing =
        move || query.with(|q| q.get("edit").map(|name| (name, q.get("scope").as_deref() == Some("cluster"))));
    let text = Resource::new(
        move || (namespace.get(), editing()),
        |(ns, editing)| async move {
            match editing {
                Some((name, cluster)) => workflow_template_yaml(ns.to_string(), cluster, name).await,
                None => Ok(String::new()),
            }
        },
    );
    view! {
        <ActionForm action=save attr:data-testid="template-form">
            <input type="hidden" name="namespace" prop:value=move || namespace.get().to_string() />
            <label class="field">
                <span>"WorkflowTemplate or ClusterWorkflowTemplate (YAML or JSON)"</span>
                <Transition fallback=|| view! { <Loading what="the template" /> }>
                    {move || text.get().map(|t| {
                        let t = t.unwrap_or_else(|e| format!("# {e}"));
                        let value = t.clone();
                        // The text child is the server's rendering; a textarea made in
                        // the browser (after a client-side navigation) takes its value.
                        view! {
                            <textarea class="input code" name="text" rows="14" required=true spellcheck="false"
                                aria-label="Template YAML" prop:value=value>{t}</textarea>
                        }
                    })}
                </Transition>
            </label>
            <div class="toolbar">
                <label class="check">
                    <input type="checkbox" name="cluster" value="true" prop:checked=move || editing().is_some_and(|(_, c)| c) />
                    "Cluster-wide (ClusterWorkflowTemplate)"
                </label>
                <label class="check">
                    <input type="checkbox" name="replace" value="true" prop:checked=move || editing().is_some() />
                    "Replace the template of the same name"
                </label>
                <button class="button button--primary" type="submit">"Save"</button>
            </div>
        </ActionForm>
    }
}

/// The stored templates, each with its edit and delete actions.
#[component]
fn TemplateTable(rows: Vec<TemplateRow>, delete: ServerAction<DeleteWorkflowTemplate>) -> impl IntoView {
    let namespace = use_namespace();
    let ns = namespace.get_untracked().to_string();
    view! {
        <div class="table-wrap">
        <table class="table" data-testid="templates-table">
            <thead><tr><th>"Name"</th><th>"Scope"</th><th>"Entrypoint"</th><th>"Templates"</th><th></th></tr></thead>
            <tbody>
                {rows.into_iter().map(|t| {
                    let ns = ns.clone();
                    let edit = format!("/workflow-templates?ns={ns}&edit={}&scope={}",
                        crate::dag_graph::encode(&t.name), if t.cluster { "cluster" } else { "namespace" });
                    view! {
                        <tr>
                            <td>{t.name.clone()}</td>
                            <td>{if t.cluster { "cluster".to_owned() } else { ns.clone() }}</td>
                            <td>{t.entrypoint.unwrap_or_else(|| "—".into())}</td>
                            <td class="muted">{t.templates.join(", ")}</td>
                            <td class="row-actions">
                                <a class="button button--small" href=edit>"Edit"</a>
                                <ActionForm action=delete>
                                    <input type="hidden" name="namespace" value=ns.clone() />
                                    <input type="hidden" name="cluster" value=t.cluster.to_string() />
                                    <input type="hidden" name="name" value=t.name />
                                    <button class="button button--small button--danger" type="submit">"Delete"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}
