//! Server functions of the pipeline pages, and what they return.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use model::dag::DagView;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A pipeline as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineSummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// One page of pipelines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelinesPage {
    /// The pipelines.
    pub pipelines: Vec<PipelineSummary>,
    /// Token of the next page; empty on the last.
    pub next: String,
}

/// A version as the pipeline page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionSummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// A pipeline parameter as the create-run form asks for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterField {
    /// Its name.
    pub name: String,
    /// `string`, `integer`, `number`, `boolean`, `list` or `struct`.
    pub kind: String,
    /// Its default, as text (JSON for lists and structs).
    pub default: Option<String>,
    /// Whether it may be left out.
    pub optional: bool,
}

/// Everything the pipeline page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineDetails {
    /// The pipeline.
    pub pipeline: PipelineSummary,
    /// Its versions, newest first.
    pub versions: Vec<VersionSummary>,
    /// The shown version.
    pub version_id: String,
    /// The shown version's name.
    pub version_name: String,
    /// The shown version's description (its spec's, when not given).
    pub version_description: String,
    /// The shown level of its DAG.
    pub dag: DagView,
    /// Its spec as uploaded (YAML with its comments), else as YAML.
    pub spec: String,
    /// Its parameters, defaults filled in (from the cloned run, when cloning).
    pub parameters: Vec<ParameterField>,
    /// The namespace's experiments a run may join, as (id, name).
    pub experiments: Vec<(String, String)>,
    /// The form's run name.
    pub run_name: String,
    /// The form's experiment; empty for the namespace's `Default`.
    pub experiment_id: String,
}

/// How often a recurring run fires, as the create-run form sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    /// `once` (a single run, also when empty) or `recurring`.
    pub trigger: String,
    /// `cron` or `interval`, when recurring.
    pub kind: String,
    /// A cron expression (five fields, or six with seconds first).
    pub cron: String,
    /// Every so many `interval_unit`s.
    pub interval: String,
    /// `minutes`, `hours` or `days`.
    pub interval_unit: String,
    /// Not before, as `YYYY-MM-DDTHH:MM` in UTC; empty for now.
    pub start: String,
    /// Not after, same format; empty for never.
    pub end: String,
    /// Most runs going at once.
    pub max_concurrency: String,
    /// `on` to run missed fire times when it falls behind.
    pub catchup: String,
}

#[cfg(feature = "ssr")]
pub(crate) fn summary(p: engine::pipelines::Pipeline) -> PipelineSummary {
    PipelineSummary { id: p.id, name: p.display_name, description: p.description, created_at: p.created_at }
}

/// A page of the namespace's pipelines whose names contain `search`.
#[server(ListPipelines, "/api/ui", endpoint = "list_pipelines")]
pub async fn list_pipelines(namespace: String, search: String, token: String) -> Result<PipelinesPage, AppError> {
    use crate::error::ssr::{engine, principal};
    let filter = if search.is_empty() {
        String::new()
    } else {
        serde_json::json!({"predicates": [{"key": "display_name", "operation": "IS_SUBSTRING", "string_value": search}]})
            .to_string()
    };
    let options = engine::listing::ListOptions { page_size: 20, page_token: token, sort_by: String::new(), filter };
    let page = engine()?.list_pipelines(&principal()?, &namespace, &options).await?;
    Ok(PipelinesPage { pipelines: page.items.into_iter().map(summary).collect(), next: page.next_page_token })
}

/// A parameter value as a form field shows it.
#[cfg(feature = "ssr")]
fn field_text(kind: &engine::spec::ParameterType, value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        // The KFP compiler writes integer defaults as 5.0.
        serde_json::Value::Number(n) if *kind == engine::spec::ParameterType::NumberInteger => {
            n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f:.0}"))
        }
        other => other.to_string(),
    }
}

/// The pipeline page's data: the pipeline, its versions, and the chosen
/// version (the newest when `version` is empty) at level `scope`. With
/// `clone` (a run id) the run form is filled from that run.
#[server(GetPipelineDetails, "/api/ui", endpoint = "pipeline_details")]
pub async fn pipeline_details(
    id: String,
    version: String,
    scope: String,
    clone: String,
) -> Result<PipelineDetails, AppError> {
    use crate::error::ssr::{engine, principal};
    let (engine, principal) = (engine()?, principal()?);
    let pipeline = engine.pipeline(&principal, &id).await?;
    let cloned = match clone.is_empty() {
        true => None,
        false => Some(engine.run_record(&principal, &clone).await?),
    };
    let options = engine::listing::ListOptions { page_size: 200, ..Default::default() };
    let versions = engine.list_pipeline_versions(&principal, &id, &options).await?.items;
    let chosen = match versions.iter().find(|v| v.id == version).or(versions.first()) {
        Some(v) => v.clone(),
        None => return Err(AppError::NotFound(format!("pipeline {id} has no versions"))),
    };
    let (dag, plan) = engine.pipeline_version_view(&principal, &id, &chosen.id, &scope).await?;
    let parameters = plan
        .inputs
        .iter()
        .map(|(name, def)| {
            use engine::spec::ParameterType as T;
            let kind = match def.kind {
                T::String => "string",
                T::NumberInteger => "integer",
                T::NumberDouble => "number",
                T::Boolean => "boolean",
                T::List => "list",
                T::Struct | T::TaskFinalStatus => "struct",
            };
            let earlier = cloned.as_ref().and_then(|run| run.parameters.get(name));
            let default = earlier.or(def.default.as_ref()).map(|v| field_text(&def.kind, v));
            ParameterField { name: name.clone(), kind: kind.to_owned(), default, optional: def.optional }
        })
        .collect();
    let options = engine::listing::ListOptions { page_size: 200, ..Default::default() };
    let experiments = engine
        .list_experiments(&principal, &pipeline.namespace, &options)
        .await?
        .items
        .into_iter()
        .filter(|e| !e.archived)
        .map(|e| (e.id, e.display_name))
        .collect();
    let (run_name, experiment_id) = match cloned {
        Some(run) => (format!("Clone of {}", run.display_name), run.experiment_id.unwrap_or_default()),
        None => (format!("{} run", pipeline.display_name), String::new()),
    };
    Ok(PipelineDetails {
        experiments,
        run_name,
        experiment_id,
        pipeline: summary(pipeline),
        versions: versions
            .into_iter()
            .map(|v| VersionSummary { id: v.id, name: v.display_name, created_at: v.created_at })
            .collect(),
        version_id: chosen.id,
        version_name: chosen.display_name,
        version_description: chosen.description,
        dag,
        spec: chosen.source.unwrap_or_else(|| engine::spec::to_yaml(&chosen.spec)),
        parameters,
    })
}

/// Starts a run of a pipeline version with `parameters` given as text
/// (typed by the pipeline's definitions), then opens its page; or, when
/// `schedule` says so, creates a recurring run and opens the list of them.
#[server(StartRun, "/api/ui", endpoint = "start_run")]
pub async fn start_run(
    namespace: String,
    pipeline_id: String,
    version_id: String,
    display_name: String,
    #[server(default)] experiment_id: String,
    #[server(default)] parameters: HashMap<String, String>,
    #[server(default)] schedule: ScheduleForm,
) -> Result<(), AppError> {
    use crate::error::ssr::{engine, principal, runner};
    let (engine, principal) = (engine()?, principal()?);
    let (_, plan) = engine.pipeline_version_view(&principal, &pipeline_id, &version_id, "").await?;
    let mut values = std::collections::BTreeMap::new();
    for (name, text) in parameters {
        // An empty field means "use the default" (or leave an optional one out).
        if text.is_empty() {
            continue;
        }
        values.insert(name.clone(), engine::runs::parse_parameter(&plan, &name, &text)?);
    }
    let experiment_id = Some(experiment_id).filter(|e| !e.is_empty());
    let source = engine::runs::RunSource::Version { pipeline_id, version_id: Some(version_id) };
    if schedule.trigger != "recurring" {
        let new = engine::runs::NewRun {
            namespace: namespace.clone(),
            display_name,
            description: String::new(),
            experiment_id,
            source,
            parameters: values,
            pipeline_root: String::new(),
        };
        let run = runner()?.submit(&principal, new).await?;
        leptos_axum::redirect(&format!("/runs/{}?ns={namespace}", run.id));
        return Ok(());
    }
    let new = engine::recurring::NewRecurringRun {
        namespace: namespace.clone(),
        display_name,
        description: String::new(),
        experiment_id,
        source,
        parameters: serde_json::to_value(values).unwrap_or_default(),
        pipeline_root: String::new(),
        schedule: super::schedule::parse(&schedule)?,
        max_concurrency: super::schedule::max_concurrency(&schedule.max_concurrency)?,
        no_catchup: schedule.catchup != "on",
        enabled: true,
    };
    engine.create_recurring_run(&principal, new).await?;
    leptos_axum::redirect(&format!("/recurring-runs?ns={namespace}"));
    Ok(())
}
