//! The home page's "Recent pipelines" and "Recent runs" cards: the
//! namespace's newest five, reloaded when one is uploaded, starts or ends.

use leptos::prelude::*;
use model::EventKind;

use crate::{
    error::AppError,
    live::use_live_events,
    namespace::use_namespace,
    pages::{
        pipelines::api::PipelineSummary,
        runs::{StateBadge, api::list_runs},
    },
    shell::{EmptyState, Loading},
};

/// How many each card lists.
const RECENT: usize = 5;

/// The namespace's newest pipelines, newest first.
#[server(RecentPipelines, "/api/ui", endpoint = "recent_pipelines")]
pub async fn recent_pipelines(namespace: String) -> Result<Vec<PipelineSummary>, AppError> {
    use crate::error::ssr::{engine, principal};
    let options = engine::listing::ListOptions {
        page_size: RECENT as u32,
        page_token: String::new(),
        sort_by: "created_at desc".to_owned(),
        filter: String::new(),
    };
    let page = engine()?.list_pipelines(&principal()?, &namespace, &options).await?;
    Ok(page.items.into_iter().map(crate::pages::pipelines::api::summary).collect())
}

/// The namespace's newest pipelines, with a link to upload the first.
#[component]
pub fn RecentPipelines() -> impl IntoView {
    let namespace = use_namespace();
    let live = use_live_events();
    let uploaded = Memo::new(move |_| live.count(|e| matches!(e.kind, EventKind::PipelineCreated { .. })));
    let list = Resource::new(move || (namespace.get(), uploaded.get()), |(ns, _)| recent_pipelines(ns.to_string()));
    view! {
        <Transition fallback=|| view! { <Loading what="pipelines" /> }>
            {move || list.get().map(|result| result.map(|rows| {
                let ns = namespace.get_untracked();
                if rows.is_empty() {
                    return view! {
                        <EmptyState icon="pipeline" title="No pipelines"
                            hint="Pipelines uploaded to this namespace (KFP or Argo YAML) appear here." />
                        <a class="button button--primary card__action" href=format!("/pipelines?ns={ns}")
                            data-testid="first-pipeline">"Upload a pipeline"</a>
                    }.into_any();
                }
                view! {
                    <ul class="recent-list" data-testid="recent-pipelines">
                        {rows.into_iter().map(|row| view! {
                            <li>
                                <a href=format!("/pipelines/{}?ns={ns}", row.id)>{row.name}</a>
                                <time datetime=row.created_at.to_rfc3339()>{row.created_at.format("%b %d %H:%M").to_string()}</time>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }))}
        </Transition>
    }
}

/// The namespace's newest runs with their live state.
#[component]
pub fn RecentRuns() -> impl IntoView {
    let namespace = use_namespace();
    let live = use_live_events();
    let changed = Memo::new(move |_| {
        live.count(|e| matches!(e.kind, EventKind::RunStarted { .. } | EventKind::RunFinished { .. }))
    });
    let list = Resource::new(
        move || (namespace.get(), changed.get()),
        |(ns, _)| {
            list_runs(
                ns.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            )
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading what="runs" /> }>
            {move || list.get().map(|result| result.map(|page| {
                let ns = namespace.get_untracked();
                if page.runs.is_empty() {
                    return view! {
                        <EmptyState icon="run" title="No runs"
                            hint="Pipeline runs started in this namespace appear here and update as they progress." />
                        <a class="button card__action" href=format!("/pipelines?ns={ns}")>"Start a run from a pipeline"</a>
                    }.into_any();
                }
                view! {
                    <ul class="recent-list" data-testid="recent-runs">
                        {page.runs.into_iter().take(RECENT).map(|run| view! {
                            <li>
                                <a href=format!("/runs/{}?ns={ns}", run.id)>{run.display_name}</a>
                                <StateBadge state=run.state />
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }))}
        </Transition>
    }
}
