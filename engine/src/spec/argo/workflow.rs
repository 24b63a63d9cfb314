//! The parts of an Argo `Workflow` / `WorkflowTemplate` that Ferroflow reads.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Workflow {
    #[serde(default)]
    pub metadata: Metadata,
    pub spec: WorkflowSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct Metadata {
    pub name: Option<String>,
    pub generate_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSpec {
    pub entrypoint: String,
    #[serde(default)]
    pub arguments: Arguments,
    #[serde(default)]
    pub templates: Vec<Template>,
    #[serde(default)]
    pub on_exit: Option<String>,
    #[serde(default)]
    pub parallelism: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Arguments {
    pub parameters: Vec<Parameter>,
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    pub name: String,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub value_from: Option<ValueFrom>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ValueFrom {
    pub path: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Artifact {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    pub name: String,
    #[serde(default)]
    pub inputs: Arguments,
    #[serde(default)]
    pub outputs: Arguments,
    #[serde(default)]
    pub container: Option<ContainerTemplate>,
    #[serde(default)]
    pub script: Option<ScriptTemplate>,
    #[serde(default)]
    pub dag: Option<DagTemplate>,
    #[serde(default)]
    pub steps: Option<Vec<Vec<TaskTemplate>>>,
    #[serde(default)]
    pub retry_strategy: Option<RetryStrategy>,
    #[serde(default)]
    pub active_deadline_seconds: Option<Value>,
    #[serde(default)]
    pub parallelism: Option<u32>,
    #[serde(default)]
    pub resource: Option<Value>,
    #[serde(default)]
    pub suspend: Option<Value>,
    #[serde(default)]
    pub http: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct ContainerTemplate {
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub resources: Resources,
}

#[derive(Debug, Deserialize)]
pub struct ScriptTemplate {
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub resources: Resources,
    pub source: String,
}

#[derive(Debug, Deserialize)]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resources {
    pub requests: std::collections::BTreeMap<String, Value>,
    pub limits: std::collections::BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct DagTemplate {
    pub tasks: Vec<TaskTemplate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskTemplate {
    pub name: String,
    pub template: String,
    #[serde(default)]
    pub arguments: Arguments,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub depends: Option<String>,
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub with_items: Option<Vec<Value>>,
    #[serde(default)]
    pub with_param: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RetryStrategy {
    pub limit: Option<Value>,
    pub backoff: Option<Backoff>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct Backoff {
    pub duration: Option<Value>,
    pub factor: Option<Value>,
    pub max_duration: Option<Value>,
}
