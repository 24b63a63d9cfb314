//! The parts of KFP's `PipelineSpec` (pipeline_spec.proto, as YAML) that
//! Ferroflow reads. Unknown fields are ignored: newer compilers add some.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSpec {
    pub pipeline_info: PipelineInfo,
    #[serde(default)]
    pub components: BTreeMap<String, ComponentSpec>,
    #[serde(default)]
    pub deployment_spec: DeploymentSpec,
    pub root: ComponentSpec,
}

#[derive(Debug, Deserialize)]
pub struct PipelineInfo {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentSpec {
    #[serde(default)]
    pub input_definitions: Interface,
    #[serde(default)]
    pub output_definitions: Interface,
    #[serde(default)]
    pub executor_label: Option<String>,
    #[serde(default)]
    pub dag: Option<DagSpec>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Interface {
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterSpec>,
    #[serde(default)]
    pub artifacts: BTreeMap<String, ArtifactSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterSpec {
    pub parameter_type: String,
    #[serde(default)]
    pub default_value: Option<Value>,
    #[serde(default)]
    pub is_optional: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactSpec {
    #[serde(default)]
    pub artifact_type: ArtifactType,
    #[serde(default)]
    pub is_artifact_list: bool,
    #[serde(default)]
    pub is_optional: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactType {
    #[serde(default)]
    pub schema_title: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DagSpec {
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskSpec>,
    #[serde(default)]
    pub outputs: DagOutputs,
}

#[derive(Debug, Default, Deserialize)]
pub struct DagOutputs {
    #[serde(default)]
    pub parameters: BTreeMap<String, DagOutputParameter>,
    #[serde(default)]
    pub artifacts: BTreeMap<String, DagOutputArtifact>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DagOutputParameter {
    #[serde(default)]
    pub value_from_parameter: Option<OutputParameterRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputParameterRef {
    pub producer_subtask: String,
    pub output_parameter_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DagOutputArtifact {
    #[serde(default)]
    pub artifact_selectors: Vec<ArtifactSelector>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactSelector {
    pub producer_subtask: String,
    pub output_artifact_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSpec {
    pub component_ref: ComponentRef,
    #[serde(default)]
    pub dependent_tasks: Vec<String>,
    #[serde(default)]
    pub inputs: TaskInputs,
    #[serde(default)]
    pub trigger_policy: Option<TriggerPolicy>,
    #[serde(default)]
    pub parameter_iterator: Option<ParameterIterator>,
    #[serde(default)]
    pub iterator_policy: Option<IteratorPolicy>,
    #[serde(default)]
    pub retry_policy: Option<IrRetryPolicy>,
    #[serde(default)]
    pub caching_options: Option<CachingOptions>,
}

#[derive(Debug, Deserialize)]
pub struct ComponentRef {
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TaskInputs {
    #[serde(default)]
    pub parameters: BTreeMap<String, TaskInputParameter>,
    #[serde(default)]
    pub artifacts: BTreeMap<String, TaskInputArtifact>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInputParameter {
    #[serde(default)]
    pub component_input_parameter: Option<String>,
    #[serde(default)]
    pub task_output_parameter: Option<TaskOutputParameter>,
    #[serde(default)]
    pub runtime_value: Option<RuntimeValue>,
    #[serde(default)]
    pub task_final_status: Option<TaskFinalStatus>,
    #[serde(default)]
    pub parameter_expression_selector: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskOutputParameter {
    pub producer_task: String,
    pub output_parameter_key: String,
}

#[derive(Debug, Deserialize)]
pub struct RuntimeValue {
    pub constant: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskFinalStatus {
    pub producer_task: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInputArtifact {
    #[serde(default)]
    pub component_input_artifact: Option<String>,
    #[serde(default)]
    pub task_output_artifact: Option<TaskOutputArtifact>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskOutputArtifact {
    pub producer_task: String,
    pub output_artifact_key: String,
}

#[derive(Debug, Deserialize)]
pub struct TriggerPolicy {
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub strategy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterIterator {
    pub items: IteratorItems,
    pub item_input: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IteratorItems {
    #[serde(default)]
    pub raw: Option<String>,
    #[serde(default)]
    pub input_parameter: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IteratorPolicy {
    #[serde(default)]
    pub parallelism_limit: u32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IrRetryPolicy {
    #[serde(default)]
    pub max_retry_count: u32,
    #[serde(default)]
    pub backoff_duration: Option<String>,
    #[serde(default)]
    pub backoff_factor: Option<f64>,
    #[serde(default)]
    pub backoff_max_duration: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachingOptions {
    #[serde(default)]
    pub enable_cache: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct DeploymentSpec {
    #[serde(default)]
    pub executors: BTreeMap<String, ExecutorSpec>,
}

#[derive(Debug, Deserialize)]
pub struct ExecutorSpec {
    #[serde(default)]
    pub container: Option<ContainerSpec>,
    #[serde(default)]
    pub importer: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct ContainerSpec {
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub resources: Option<ResourceSpec>,
}

#[derive(Debug, Deserialize)]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    #[serde(default)]
    pub resource_cpu_request: Option<String>,
    #[serde(default)]
    pub resource_cpu_limit: Option<String>,
    #[serde(default)]
    pub resource_memory_request: Option<String>,
    #[serde(default)]
    pub resource_memory_limit: Option<String>,
    #[serde(default)]
    pub accelerator: Option<Accelerator>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accelerator {
    #[serde(default)]
    pub resource_count: Option<String>,
    #[serde(default)]
    pub count: Option<String>,
}
