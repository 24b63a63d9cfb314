//! The JSON the KFP v2beta1 API speaks, field for field as `kfp_server_api`
//! reads it, and the conversions from the engine's records.
//!
//! Times are RFC 3339 in UTC; 64-bit integers are strings, as proto3 JSON
//! writes them; enums are their names.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use engine::{
    experiments::Experiment,
    listing::Page,
    pipelines::{Pipeline, PipelineVersion},
    recurring::{RecurringRun, Trigger},
    runs::{RunRecord, TaskRecord},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn time(t: DateTime<Utc>) -> String {
    engine::runs::catalog::timestamp(t)
}

/// `google.rpc.Status`, as runs and tasks carry their errors.
#[derive(Debug, Serialize)]
pub struct Status {
    code: i32,
    message: String,
}

impl Status {
    fn unknown(message: String) -> Self {
        Self { code: 2, message }
    }
}

/// `v2beta1.Pipeline`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineJson {
    pub pipeline_id: String,
    pub display_name: String,
    pub name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub namespace: String,
}

impl From<Pipeline> for PipelineJson {
    fn from(p: Pipeline) -> Self {
        Self {
            pipeline_id: p.id,
            display_name: p.display_name,
            name: p.name,
            description: p.description,
            created_at: Some(time(p.created_at)),
            namespace: p.namespace,
        }
    }
}

/// `v2beta1.Url`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UrlJson {
    pub pipeline_url: String,
}

/// `v2beta1.PipelineVersion`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineVersionJson {
    pub pipeline_id: String,
    pub pipeline_version_id: String,
    pub display_name: String,
    pub name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_url: Option<UrlJson>,
    pub code_source_url: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub pipeline_spec: Value,
}

impl From<PipelineVersion> for PipelineVersionJson {
    fn from(v: PipelineVersion) -> Self {
        Self {
            pipeline_id: v.pipeline_id,
            pipeline_version_id: v.id,
            display_name: v.display_name,
            name: v.name,
            description: v.description,
            created_at: Some(time(v.created_at)),
            package_url: (!v.package_url.is_empty()).then_some(UrlJson { pipeline_url: v.package_url }),
            code_source_url: v.code_source_url,
            pipeline_spec: v.spec,
        }
    }
}

/// `v2beta1.Experiment`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ExperimentJson {
    pub experiment_id: String,
    pub display_name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub namespace: String,
    pub storage_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_created_at: Option<String>,
}

impl From<Experiment> for ExperimentJson {
    fn from(e: Experiment) -> Self {
        Self {
            experiment_id: e.id,
            display_name: e.display_name,
            description: e.description,
            created_at: Some(time(e.created_at)),
            namespace: e.namespace,
            storage_state: storage_state(e.archived).to_owned(),
            last_run_created_at: e.last_run_created_at.map(time),
        }
    }
}

fn storage_state(archived: bool) -> &'static str {
    if archived { "ARCHIVED" } else { "AVAILABLE" }
}

/// `v2beta1.PipelineVersionReference`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VersionReferenceJson {
    pub pipeline_id: String,
    pub pipeline_version_id: String,
}

/// `v2beta1.RuntimeConfig`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RuntimeConfigJson {
    pub parameters: BTreeMap<String, Value>,
    pub pipeline_root: String,
}

/// `v2beta1.Run`: what `POST /runs` takes (the inputs) and every answer gives.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunJson {
    pub experiment_id: String,
    pub run_id: String,
    pub display_name: String,
    pub storage_state: String,
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pipeline_version_id: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub pipeline_spec: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_version_reference: Option<VersionReferenceJson>,
    pub runtime_config: RuntimeConfigJson,
    pub service_account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub error: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub run_details: Option<Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub recurring_run_id: String,
    #[serde(skip_deserializing)]
    pub state_history: Vec<Value>,
}

/// KFP's name for an engine state: a cached task is `SKIPPED` (it did not
/// run), a lost one `FAILED`.
pub fn runtime_state(state: &str) -> &str {
    match state {
        "CACHED" => "SKIPPED",
        "LOST" => "FAILED",
        other => other,
    }
}

impl From<RunRecord> for RunJson {
    fn from(r: RunRecord) -> Self {
        let state_history = r
            .state_history
            .iter()
            .map(|c| json!({"update_time": time(c.update_time), "state": runtime_state(&c.state)}))
            .collect();
        let run_details = (!r.tasks.is_empty()).then(|| {
            let tasks: Vec<Value> = r.tasks.iter().map(|t| task_json(&r.id, t)).collect();
            json!({"task_details": tasks})
        });
        Self {
            experiment_id: r.experiment_id.unwrap_or_default(),
            run_id: r.id,
            display_name: r.display_name,
            storage_state: storage_state(r.archived).to_owned(),
            description: r.description,
            pipeline_version_id: String::new(),
            pipeline_spec: if r.pipeline_version_id.is_some() {
                Value::Null
            } else {
                r.pipeline_spec.unwrap_or(Value::Null)
            },
            pipeline_version_reference: match (r.pipeline_id, r.pipeline_version_id) {
                (Some(pipeline_id), Some(pipeline_version_id)) => {
                    Some(VersionReferenceJson { pipeline_id, pipeline_version_id })
                }
                _ => None,
            },
            runtime_config: RuntimeConfigJson {
                parameters: parameter_map(r.parameters),
                pipeline_root: r.pipeline_root,
            },
            service_account: String::new(),
            created_at: Some(time(r.created_at)),
            scheduled_at: Some(time(r.scheduled_at.unwrap_or(r.created_at))),
            finished_at: r.finished_at.map(time),
            state: runtime_state(&r.state).to_owned(),
            error: r.error.map(Status::unknown),
            run_details,
            recurring_run_id: r.recurring_run_id.unwrap_or_default(),
            state_history,
        }
    }
}

/// `v2beta1.PipelineTaskDetail`. Inputs and outputs are KFP's artifact id
/// lists; parameter values, which KFP keeps in MLMD, are not part of it.
fn task_json(run_id: &str, t: &TaskRecord) -> Value {
    let mut outputs = serde_json::Map::new();
    for (name, id) in &t.output_artifacts {
        let entry = outputs.entry(name.clone()).or_insert_with(|| json!({"artifact_ids": []}));
        if let Some(ids) = entry["artifact_ids"].as_array_mut() {
            ids.push(Value::String(id.to_string()));
        }
    }
    let mut task = json!({
        "run_id": run_id,
        "task_id": t.id,
        "display_name": t.name,
        "create_time": time(t.created_at),
        "state": runtime_state(&t.state),
        "outputs": outputs,
        "child_tasks": t.child_ids.iter().map(|id| json!({"task_id": id})).collect::<Vec<_>>(),
        "state_history": [],
    });
    let fields = task.as_object_mut().expect("an object");
    if let Some(at) = t.started_at {
        fields.insert("start_time".into(), time(at).into());
    }
    if let Some(at) = t.finished_at {
        fields.insert("end_time".into(), time(at).into());
    }
    if let Some(parent) = &t.parent_id {
        fields.insert("parent_task_id".into(), parent.clone().into());
    }
    if let Some(attempt) = &t.attempt {
        fields.insert("pod_name".into(), attempt.clone().into());
    }
    if let Some(reason) = &t.reason
        && matches!(t.state.as_str(), "FAILED" | "LOST" | "CANCELED")
    {
        fields.insert("error".into(), json!({"code": 2, "message": reason}));
    }
    task
}

/// `v2beta1.CronSchedule` and `v2beta1.PeriodicSchedule`, one of them set.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TriggerJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cron_schedule: Option<CronJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periodic_schedule: Option<PeriodicJson>,
}

/// `v2beta1.CronSchedule`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CronJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    pub cron: String,
}

/// `v2beta1.PeriodicSchedule`; the interval is an int64, so a string on the wire.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PeriodicJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    pub interval_second: Int64,
}

/// A proto3 int64: written as a string, read from a string or a number.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Int64(pub i64);

impl Serialize for Int64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64().map(Int64).ok_or_else(|| serde::de::Error::custom("not an int64")),
            Value::String(s) => {
                s.parse().map(Int64).map_err(|_| serde::de::Error::custom(format!("{s:?} is not an int64")))
            }
            Value::Null => Ok(Int64(0)),
            other => Err(serde::de::Error::custom(format!("{other} is not an int64"))),
        }
    }
}

/// `v2beta1.RecurringRun`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RecurringRunJson {
    pub recurring_run_id: String,
    pub display_name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub pipeline_spec: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_version_reference: Option<VersionReferenceJson>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pipeline_version_id: String,
    pub runtime_config: RuntimeConfigJson,
    pub service_account: String,
    pub max_concurrency: Int64,
    pub trigger: TriggerJson,
    /// `ENABLE` or `DISABLE` (what the caller asks for).
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// `ENABLED` or `DISABLED` (what it is).
    pub status: String,
    pub no_catchup: bool,
    pub namespace: String,
    pub experiment_id: String,
}

impl From<RecurringRun> for RecurringRunJson {
    fn from(r: RecurringRun) -> Self {
        let (start_time, end_time) = (r.schedule.start, r.schedule.end);
        let trigger = match r.schedule.trigger {
            Trigger::Cron(cron) => {
                TriggerJson { cron_schedule: Some(CronJson { start_time, end_time, cron }), periodic_schedule: None }
            }
            Trigger::Every(seconds) => TriggerJson {
                cron_schedule: None,
                periodic_schedule: Some(PeriodicJson { start_time, end_time, interval_second: Int64(seconds as i64) }),
            },
        };
        Self {
            recurring_run_id: r.id,
            display_name: r.display_name,
            description: r.description,
            pipeline_spec: r.pipeline_spec.unwrap_or(Value::Null),
            pipeline_version_reference: r.pipeline_id.map(|pipeline_id| VersionReferenceJson {
                pipeline_id,
                pipeline_version_id: r.pipeline_version_id.unwrap_or_default(),
            }),
            pipeline_version_id: String::new(),
            runtime_config: RuntimeConfigJson {
                parameters: parameter_map(r.parameters),
                pipeline_root: r.pipeline_root,
            },
            service_account: String::new(),
            max_concurrency: Int64(r.max_concurrency),
            trigger,
            mode: if r.enabled { "ENABLE" } else { "DISABLE" }.to_owned(),
            created_at: Some(time(r.created_at)),
            updated_at: Some(time(r.updated_at)),
            status: if r.enabled { "ENABLED" } else { "DISABLED" }.to_owned(),
            no_catchup: r.no_catchup,
            namespace: r.namespace,
            experiment_id: r.experiment_id,
        }
    }
}

/// Stored parameters (a JSON object) as `runtime_config.parameters`.
fn parameter_map(parameters: Value) -> BTreeMap<String, Value> {
    match parameters {
        Value::Object(map) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// A list response: the items under `key`, the next token, and the total
/// where it is known.
pub fn page<T, J: Serialize + From<T>>(key: &str, page: Page<T>) -> Value {
    let items: Vec<J> = page.items.into_iter().map(J::from).collect();
    let mut body = json!({ key: items, "next_page_token": page.next_page_token });
    if let Some(total) = page.total_size {
        body["total_size"] = json!(total);
    }
    body
}
