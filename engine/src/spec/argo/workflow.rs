//! The parts of an Argo `Workflow` / `WorkflowTemplate` that Ferroflow reads.

use serde::Deserialize;
use serde_json::Value;

use crate::spec::text::Text;

#[derive(Debug, Deserialize)]
pub struct Workflow {
    #[serde(default)]
    pub metadata: Metadata,
    pub spec: WorkflowSpec,
}

/// A `CronWorkflow`: a workflow spec and when to run it.
#[derive(Debug, Deserialize)]
pub struct CronWorkflow {
    #[serde(default)]
    pub metadata: Metadata,
    pub spec: CronSpec,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CronSpec {
    pub workflow_spec: WorkflowSpec,
    pub schedule: Option<String>,
    #[serde(default)]
    pub schedules: Vec<String>,
    pub timezone: Option<String>,
    pub concurrency_policy: Option<String>,
    pub starting_deadline_seconds: Option<u64>,
    #[serde(default)]
    pub suspend: bool,
    pub successful_jobs_history_limit: Option<u32>,
    pub failed_jobs_history_limit: Option<u32>,
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
    #[serde(default)]
    pub entrypoint: String,
    pub workflow_template_ref: Option<Value>,
    #[serde(default)]
    pub arguments: Arguments,
    #[serde(default)]
    pub templates: Vec<Template>,
    pub on_exit: Option<String>,
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
    pub value: Option<Text>,
    pub default: Option<Text>,
    #[serde(rename = "enum")]
    pub choices: Option<Vec<Text>>,
    pub value_from: Option<ValueFrom>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct ValueFrom {
    pub path: Option<String>,
    pub default: Option<Text>,
    pub parameter: Option<String>,
    pub supplied: Option<Value>,
    pub expression: Option<String>,
    pub json_path: Option<String>,
    pub jq_filter: Option<String>,
    pub event: Option<String>,
    pub config_map_key_ref: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub name: String,
    pub path: Option<String>,
    pub from: Option<String>,
    pub from_expression: Option<String>,
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
    pub container: Option<ContainerTemplate>,
    pub script: Option<ScriptTemplate>,
    pub dag: Option<DagTemplate>,
    pub steps: Option<Vec<Vec<TaskTemplate>>>,
    pub retry_strategy: Option<RetryStrategy>,
    pub active_deadline_seconds: Option<Value>,
    pub parallelism: Option<u32>,
    pub resource: Option<Value>,
    pub suspend: Option<Suspend>,
    pub http: Option<HttpTemplate>,
    pub daemon: Option<bool>,
    pub plugin: Option<Value>,
    pub container_set: Option<Value>,
}

#[derive(Clone, Debug, Deserialize)]
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
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
    #[serde(rename = "readinessProbe")]
    pub readiness_probe: Option<ProbeSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    pub name: Option<String>,
    pub container_port: u16,
}

/// A Kubernetes probe: one of its actions, and when to start.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeSpec {
    pub http_get: Option<HttpGetAction>,
    pub tcp_socket: Option<TcpSocketAction>,
    pub exec: Option<ExecAction>,
    #[serde(default)]
    pub initial_delay_seconds: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct HttpGetAction {
    #[serde(default)]
    pub path: String,
    /// A number or the name of one of the container's ports.
    pub port: Text,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TcpSocketAction {
    pub port: Text,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ExecAction {
    #[serde(default)]
    pub command: Vec<String>,
}

/// A container whose script `source` is written to a file and passed as
/// the last argument. (Fields written out rather than a flattened
/// [`ContainerTemplate`]: flattening reads fields untyped, and text fields
/// must be read as text.)
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
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
    #[serde(rename = "readinessProbe")]
    pub readiness_probe: Option<ProbeSpec>,
    pub source: String,
}

impl ScriptTemplate {
    /// The container part.
    pub fn container(&self) -> ContainerTemplate {
        ContainerTemplate {
            image: self.image.clone(),
            command: self.command.clone(),
            args: self.args.clone(),
            env: self.env.clone(),
            resources: self.resources.clone(),
            ports: self.ports.clone(),
            readiness_probe: self.readiness_probe.clone(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: Text,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resources {
    pub requests: std::collections::BTreeMap<String, Text>,
    pub limits: std::collections::BTreeMap<String, Text>,
}

#[derive(Debug, Deserialize)]
pub struct DagTemplate {
    pub tasks: Vec<TaskTemplate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskTemplate {
    pub name: String,
    #[serde(default)]
    pub template: String,
    pub template_ref: Option<Value>,
    #[serde(default)]
    pub arguments: Arguments,
    #[serde(default)]
    pub dependencies: Vec<String>,
    pub depends: Option<String>,
    pub when: Option<String>,
    pub with_items: Option<Vec<Value>>,
    pub with_param: Option<String>,
    pub with_sequence: Option<Sequence>,
    /// Read only so that its text fields are marked as text; [`super::inline`]
    /// lifts it out before the workflow is converted.
    #[expect(dead_code, reason = "deserialized for its text fields only")]
    pub inline: Option<Box<Template>>,
}

/// `withSequence`: numbers `start..start+count` or `start..=end`, each
/// written with `format`. Each field may be a number or a placeholder.
#[derive(Debug, Deserialize)]
pub struct Sequence {
    pub count: Option<Value>,
    pub start: Option<Value>,
    pub end: Option<Value>,
    pub format: Option<String>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Suspend {
    pub duration: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpTemplate {
    pub method: Option<String>,
    pub url: String,
    #[serde(default)]
    pub headers: Vec<HttpHeader>,
    pub body: Option<String>,
    pub success_condition: Option<String>,
    pub timeout_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct HttpHeader {
    pub name: String,
    #[serde(default)]
    pub value: Text,
}
