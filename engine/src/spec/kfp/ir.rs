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
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct ComponentSpec {
    pub input_definitions: Interface,
    pub output_definitions: Interface,
    pub executor_label: Option<String>,
    pub dag: Option<DagSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Interface {
    pub parameters: BTreeMap<String, ParameterSpec>,
    pub artifacts: BTreeMap<String, ArtifactSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterSpec {
    pub parameter_type: String,
    pub default_value: Option<Value>,
    #[serde(default)]
    pub is_optional: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct ArtifactSpec {
    pub artifact_type: ArtifactType,
    pub is_artifact_list: bool,
    pub is_optional: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct ArtifactType {
    pub schema_title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DagSpec {
    pub tasks: BTreeMap<String, TaskSpec>,
    pub outputs: DagOutputs,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DagOutputs {
    pub parameters: BTreeMap<String, DagOutputParameter>,
    pub artifacts: BTreeMap<String, DagOutputArtifact>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct DagOutputParameter {
    pub value_from_parameter: Option<OutputParameterRef>,
    pub value_from_oneof: Option<OneOf>,
}

/// `dsl.OneOf`: the first selector whose task produced the output.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct OneOf {
    pub parameter_selectors: Vec<OutputParameterRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputParameterRef {
    pub producer_subtask: String,
    pub output_parameter_key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct DagOutputArtifact {
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
    pub trigger_policy: Option<TriggerPolicy>,
    pub parameter_iterator: Option<ParameterIterator>,
    pub artifact_iterator: Option<ArtifactIterator>,
    pub iterator_policy: Option<IteratorPolicy>,
    pub retry_policy: Option<IrRetryPolicy>,
    pub caching_options: Option<CachingOptions>,
}

#[derive(Debug, Deserialize)]
pub struct ComponentRef {
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaskInputs {
    pub parameters: BTreeMap<String, TaskInputParameter>,
    pub artifacts: BTreeMap<String, TaskInputArtifact>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct TaskInputParameter {
    pub component_input_parameter: Option<String>,
    pub task_output_parameter: Option<TaskOutputParameter>,
    pub runtime_value: Option<RuntimeValue>,
    pub task_final_status: Option<TaskFinalStatus>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct TaskInputArtifact {
    pub component_input_artifact: Option<String>,
    pub task_output_artifact: Option<TaskOutputArtifact>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskOutputArtifact {
    pub producer_task: String,
    pub output_artifact_key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TriggerPolicy {
    pub condition: Option<String>,
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
pub struct ArtifactIterator {
    pub items: ArtifactIteratorItems,
    pub item_input: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactIteratorItems {
    pub input_artifact: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct IteratorItems {
    pub raw: Option<String>,
    pub input_parameter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct IteratorPolicy {
    pub parallelism_limit: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct IrRetryPolicy {
    pub max_retry_count: u32,
    pub backoff_duration: Option<String>,
    pub backoff_factor: Option<f64>,
    pub backoff_max_duration: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct CachingOptions {
    pub enable_cache: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeploymentSpec {
    pub executors: BTreeMap<String, ExecutorSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExecutorSpec {
    pub container: Option<ContainerSpec>,
    pub importer: Option<ImporterSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct ImporterSpec {
    pub artifact_uri: ImporterUri,
    pub type_schema: ArtifactType,
    pub metadata: Option<Value>,
    pub reimport: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct ImporterUri {
    pub constant: Option<Value>,
    pub runtime_parameter: Option<String>,
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
#[serde(default)]
pub struct ResourceSpec {
    pub resource_cpu_request: Option<String>,
    pub resource_cpu_limit: Option<String>,
    pub resource_memory_request: Option<String>,
    pub resource_memory_limit: Option<String>,
    pub accelerator: Option<Accelerator>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(default)]
pub struct Accelerator {
    pub resource_count: Option<String>,
    pub count: Option<String>,
}
