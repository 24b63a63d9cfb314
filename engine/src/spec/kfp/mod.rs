//! KFP v2 IR -> [`Plan`], with validation that names the task and field.

mod ir;
mod placeholders;
mod platform;
mod validate;

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    Arg, ArtifactDef, ArtifactSource, Body, Component, Condition, Container, Dag, ImportUri, Importer, ItemsSource,
    Iterator, ParameterDef, ParameterSource, ParameterType, Plan, Resources, RetryPolicy, SpecError, Task, Trigger,
    quantity,
};

/// Name the root DAG gets among the components.
pub const ROOT: &str = "root";

/// Reads the IR's typed fields from the YAML tree so that they stay text in
/// its JSON form (see [`super::yaml`]); shape errors are reported by [`compile`].
pub fn mark_text(document: &super::yaml::Node) {
    super::yaml::typed::<ir::PipelineSpec>(document).ok();
}

/// Compiles the IR document (and ignores an optional platform-spec document).
pub fn compile(documents: &[Value]) -> Result<Plan, SpecError> {
    let spec: ir::PipelineSpec = SpecError::typed(&documents[0])?;
    check_pipeline_name(&spec.pipeline_info.name)?;
    let mut components = BTreeMap::new();
    for (name, component) in &spec.components {
        if name == ROOT {
            return Err(SpecError::component(name, "name", "\"root\" is reserved for the pipeline's DAG"));
        }
        components.insert(name.clone(), convert_component(name, component, &spec.deployment_spec)?);
    }
    let root = convert_component(ROOT, &spec.root, &spec.deployment_spec)?;
    if !matches!(root.body, Body::Dag(_)) {
        return Err(SpecError::component(ROOT, "dag", "the pipeline root must be a DAG"));
    }
    let inputs = root.input_parameters.clone();
    components.insert(ROOT.to_owned(), root);
    let plan = Plan {
        name: spec.pipeline_info.name.clone(),
        description: spec.pipeline_info.description.clone(),
        inputs,
        components,
        root: ROOT.to_owned(),
        on_exit: None,
        notices: platform::notices(&spec, documents.get(1)),
        schedule: None,
    };
    validate::validate(&plan)?;
    Ok(plan)
}

fn check_pipeline_name(name: &str) -> Result<(), SpecError> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with(['-', '.']);
    if valid {
        Ok(())
    } else {
        Err(SpecError::Shape {
            path: "pipelineInfo.name".into(),
            message: format!(
                "{name:?} is not a valid pipeline name (lowercase letters, digits, '-' and '.', at most 128)"
            ),
        })
    }
}

fn parameter_type(component: &str, field: &str, raw: &str) -> Result<ParameterType, SpecError> {
    Ok(match raw {
        "STRING" => ParameterType::String,
        "NUMBER_INTEGER" => ParameterType::NumberInteger,
        "NUMBER_DOUBLE" => ParameterType::NumberDouble,
        "BOOLEAN" => ParameterType::Boolean,
        "LIST" => ParameterType::List,
        "STRUCT" => ParameterType::Struct,
        "TASK_FINAL_STATUS" => ParameterType::TaskFinalStatus,
        other => {
            return Err(SpecError::component(component, field, format!("unknown parameter type {other:?}")));
        }
    })
}

/// Parameters and artifacts of one side of a component's interface.
type Interface = (BTreeMap<String, ParameterDef>, BTreeMap<String, ArtifactDef>);

fn convert_interface(component: &str, side: &str, interface: &ir::Interface) -> Result<Interface, SpecError> {
    let mut parameters = BTreeMap::new();
    for (name, p) in &interface.parameters {
        let field = format!("{side}.parameters.{name}");
        super::check_io_name(component, &field, name)?;
        let kind = parameter_type(component, &field, &p.parameter_type)?;
        if let Some(default) = p.default_value.as_ref().filter(|d| !kind.admits(d)) {
            return Err(SpecError::component(
                component,
                format!("{field}.defaultValue"),
                format!("{default} is not a {}", p.parameter_type),
            ));
        }
        parameters.insert(
            name.clone(),
            ParameterDef { kind, default: p.default_value.clone(), optional: p.is_optional, path: None, choices: None },
        );
    }
    for name in interface.artifacts.keys() {
        super::check_io_name(component, &format!("{side}.artifacts.{name}"), name)?;
    }
    let artifacts = interface
        .artifacts
        .iter()
        .map(|(name, a)| {
            (
                name.clone(),
                ArtifactDef {
                    schema: a.artifact_type.schema_title.clone().unwrap_or_else(|| "system.Artifact".into()),
                    is_list: a.is_artifact_list,
                    optional: a.is_optional,
                    path: None,
                },
            )
        })
        .collect();
    Ok((parameters, artifacts))
}

fn convert_component(
    name: &str,
    spec: &ir::ComponentSpec,
    deployment: &ir::DeploymentSpec,
) -> Result<Component, SpecError> {
    let (input_parameters, input_artifacts) = convert_interface(name, "inputDefinitions", &spec.input_definitions)?;
    let (output_parameters, output_artifacts) = convert_interface(name, "outputDefinitions", &spec.output_definitions)?;
    let body = match (&spec.dag, &spec.executor_label) {
        (Some(dag), None) => Body::Dag(convert_dag(name, dag)?),
        (None, Some(label)) => {
            let executor = deployment.executors.get(label).ok_or_else(|| {
                SpecError::component(
                    name,
                    "executorLabel",
                    format!("no executor {label:?} in deploymentSpec.executors"),
                )
            })?;
            match (&executor.container, &executor.importer) {
                (Some(container), None) => Body::Container(convert_container(name, container)?),
                (None, Some(importer)) => Body::Importer(convert_importer(name, label, importer)?),
                _ => {
                    return Err(SpecError::component(
                        name,
                        "executorLabel",
                        format!("{label}: an executor needs exactly one of container, importer"),
                    ));
                }
            }
        }
        (Some(_), Some(_)) => {
            return Err(SpecError::component(
                name,
                "dag",
                "a component has either a dag or an executorLabel, not both",
            ));
        }
        (None, None) => {
            return Err(SpecError::component(name, "executorLabel", "a component needs a dag or an executorLabel"));
        }
    };
    Ok(Component { input_parameters, input_artifacts, output_parameters, output_artifacts, body })
}

fn convert_container(component: &str, spec: &ir::ContainerSpec) -> Result<Container, SpecError> {
    let argv = spec
        .command
        .iter()
        .map(|a| ("command", a))
        .chain(spec.args.iter().map(|a| ("args", a)))
        .map(|(field, raw)| placeholders::parse_arg(raw).map_err(|e| SpecError::component(component, field, e)))
        .collect::<Result<Vec<Arg>, _>>()?;
    let mut env = BTreeMap::new();
    for var in &spec.env {
        let pieces = placeholders::parse_pieces(&var.value)
            .map_err(|e| SpecError::component(component, format!("env.{}", var.name), e))?;
        env.insert(var.name.clone(), pieces);
    }
    let resources = spec.resources.as_ref().map(|r| convert_resources(component, r)).transpose()?.unwrap_or_default();
    Ok(Container { image: spec.image.clone(), argv, env, resources, script: None, stdout_result: false, daemon: None })
}

fn convert_importer(component: &str, label: &str, spec: &ir::ImporterSpec) -> Result<Importer, SpecError> {
    let field = format!("deploymentSpec.executors.{label}.importer.artifactUri");
    let uri = match (&spec.artifact_uri.constant, &spec.artifact_uri.runtime_parameter) {
        (Some(Value::String(uri)), None) => ImportUri::Constant(uri.clone()),
        (None, Some(parameter)) => ImportUri::Parameter(parameter.clone()),
        _ => return Err(SpecError::component(component, field, "needs a constant text or a runtimeParameter")),
    };
    Ok(Importer {
        uri,
        schema: spec.type_schema.schema_title.clone().unwrap_or_else(|| "system.Artifact".into()),
        metadata: spec.metadata.clone().unwrap_or_else(|| Value::Object(Default::default())),
        reimport: spec.reimport,
    })
}

fn convert_resources(component: &str, r: &ir::ResourceSpec) -> Result<Resources, SpecError> {
    let mut cpu = r.resource_cpu_request.as_ref().or(r.resource_cpu_limit.as_ref());
    let mut memory = r.resource_memory_request.as_ref().or(r.resource_memory_limit.as_ref());
    let mut gpus = r.accelerator.as_ref().and_then(|a| a.resource_count.as_ref().or(a.count.as_ref()));
    // Requests set from pipeline inputs are placeholders, resolved at launch.
    let mut from_inputs = BTreeMap::new();
    for (key, value) in [("cpu", &mut cpu), ("memory", &mut memory), ("gpus", &mut gpus)] {
        if let Some(raw) = value.filter(|v| v.contains("{{$")) {
            let pieces = placeholders::parse_pieces(raw)
                .map_err(|e| SpecError::component(component, format!("resources.{key}"), e))?;
            from_inputs.insert(key.to_owned(), pieces);
            *value = None;
        }
    }
    Ok(Resources {
        from_inputs,
        cpu_milli: cpu
            .map(|c| {
                quantity::cpu_milli(c).ok_or_else(|| {
                    SpecError::component(component, "resources.cpu", format!("{c:?} is not a CPU quantity"))
                })
            })
            .transpose()?,
        memory_bytes: memory
            .map(|m| {
                quantity::bytes(m).ok_or_else(|| {
                    SpecError::component(component, "resources.memory", format!("{m:?} is not a memory quantity"))
                })
            })
            .transpose()?,
        gpus: gpus
            .map(|g| {
                g.parse().map_err(|_| {
                    SpecError::component(component, "resources.accelerator.count", format!("{g:?} is not a count"))
                })
            })
            .transpose()?
            .unwrap_or(0),
    })
}

fn convert_dag(component: &str, dag: &ir::DagSpec) -> Result<Dag, SpecError> {
    let mut tasks = BTreeMap::new();
    for (name, task) in &dag.tasks {
        check_task_name(component, name)?;
        tasks.insert(name.clone(), convert_task(&qualified(component, name), task)?);
    }
    let output_parameters = dag
        .outputs
        .parameters
        .iter()
        .map(|(name, o)| {
            let candidates: Vec<(String, String)> = match (&o.value_from_parameter, &o.value_from_oneof) {
                (Some(from), None) => vec![(from.producer_subtask.clone(), from.output_parameter_key.clone())],
                (None, Some(oneof)) => oneof
                    .parameter_selectors
                    .iter()
                    .map(|s| (s.producer_subtask.clone(), s.output_parameter_key.clone()))
                    .collect(),
                _ => vec![],
            };
            if candidates.is_empty() {
                return Err(SpecError::component(
                    component,
                    format!("dag.outputs.parameters.{name}"),
                    "needs valueFromParameter or valueFromOneof with parameterSelectors",
                ));
            }
            Ok((name.clone(), candidates))
        })
        .collect::<Result<_, SpecError>>()?;
    let output_artifacts = dag
        .outputs
        .artifacts
        .iter()
        .map(|(name, o)| {
            if o.artifact_selectors.is_empty() {
                return Err(SpecError::component(
                    component,
                    format!("dag.outputs.artifacts.{name}"),
                    "needs an artifactSelector",
                ));
            }
            let candidates = o
                .artifact_selectors
                .iter()
                .map(|s| (s.producer_subtask.clone(), s.output_artifact_key.clone()))
                .collect();
            Ok((name.clone(), candidates))
        })
        .collect::<Result<_, SpecError>>()?;
    Ok(Dag { tasks, output_parameters, output_artifacts, ..Dag::default() })
}

fn qualified(component: &str, task: &str) -> String {
    if component == ROOT { task.to_owned() } else { format!("{component}/{task}") }
}

fn check_task_name(component: &str, name: &str) -> Result<(), SpecError> {
    if super::is_valid_task_name(name) {
        Ok(())
    } else {
        Err(SpecError::task(
            &qualified(component, name),
            "name",
            "task names may contain only letters, digits, '-', '_' and '.' (at most 128)",
        ))
    }
}

fn convert_task(task: &str, spec: &ir::TaskSpec) -> Result<Task, SpecError> {
    let mut parameters = BTreeMap::new();
    for (name, input) in &spec.inputs.parameters {
        let field = format!("inputs.parameters.{name}");
        let source = match (
            &input.component_input_parameter,
            &input.task_output_parameter,
            &input.runtime_value,
            &input.task_final_status,
        ) {
            (Some(c), None, None, None) => ParameterSource::ComponentInput(c.clone()),
            (None, Some(t), None, None) => {
                ParameterSource::TaskOutput { task: t.producer_task.clone(), output: t.output_parameter_key.clone() }
            }
            // KFP's backend fills run placeholders in constants
            // (`dsl.PIPELINE_TASK_NAME_PLACEHOLDER` passed as an argument).
            (None, None, Some(v), None) => match &v.constant {
                Value::String(text) if text.contains("{{$.pipeline_") => ParameterSource::Template(
                    placeholders::parse_pieces(text).map_err(|e| SpecError::task(task, &field, e))?,
                ),
                other => ParameterSource::Constant(other.clone()),
            },
            (None, None, None, Some(s)) => ParameterSource::TaskFinalStatus(s.producer_task.clone()),
            _ => {
                return Err(SpecError::task(
                    task,
                    field,
                    "needs exactly one of componentInputParameter, taskOutputParameter, runtimeValue, taskFinalStatus",
                ));
            }
        };
        let source = match (&input.parameter_expression_selector, source) {
            (None, source) => source,
            (Some(selector), ParameterSource::ComponentInput(from)) => ParameterSource::ComponentInputField {
                input: from,
                field: selector_field(selector).ok_or_else(|| {
                    SpecError::task(
                        task,
                        format!("{field}.parameterExpressionSelector"),
                        format!("unsupported selector {selector:?}"),
                    )
                })?,
            },
            (Some(_), _) => {
                return Err(SpecError::task(task, field, "parameterExpressionSelector needs componentInputParameter"));
            }
        };
        parameters.insert(name.clone(), source);
    }
    let mut artifacts = BTreeMap::new();
    for (name, input) in &spec.inputs.artifacts {
        let source = match (&input.component_input_artifact, &input.task_output_artifact) {
            (Some(c), None) => ArtifactSource::ComponentInput(c.clone()),
            (None, Some(t)) => {
                ArtifactSource::TaskOutput { task: t.producer_task.clone(), output: t.output_artifact_key.clone() }
            }
            _ => {
                return Err(SpecError::task(
                    task,
                    format!("inputs.artifacts.{name}"),
                    "needs exactly one of componentInputArtifact, taskOutputArtifact",
                ));
            }
        };
        artifacts.insert(name.clone(), source);
    }
    let trigger = Trigger {
        after_failures: spec.trigger_policy.as_ref().and_then(|t| t.strategy.as_deref())
            == Some("ALL_UPSTREAM_TASKS_COMPLETED"),
        conditions: spec
            .trigger_policy
            .as_ref()
            .and_then(|t| t.condition.clone())
            .filter(|c| !c.is_empty())
            .map(Condition::Cel)
            .into_iter()
            .collect(),
    };
    for condition in &trigger.conditions {
        if let Condition::Cel(expression) = condition {
            crate::runs::conditions::compile_cel(expression)
                .map_err(|e| SpecError::task(task, "triggerPolicy.condition", e))?;
        }
    }
    let artifact_iterator = spec.artifact_iterator.as_ref().map(|it| Iterator {
        items: ItemsSource::Artifacts(
            artifacts
                .get(&it.items.input_artifact)
                .cloned()
                .unwrap_or_else(|| ArtifactSource::ComponentInput(it.items.input_artifact.clone())),
        ),
        item_input: Some(it.item_input.clone()),
        parallelism: spec.iterator_policy.as_ref().map_or(0, |p| p.parallelism_limit),
    });
    if artifact_iterator.is_some() && spec.parameter_iterator.is_some() {
        return Err(SpecError::task(task, "artifactIterator", "a task has one of artifactIterator, parameterIterator"));
    }
    let iterator = spec
        .parameter_iterator
        .as_ref()
        .map(|it| {
            let items = match (&it.items.raw, &it.items.input_parameter) {
                (Some(raw), None) => ItemsSource::Raw(serde_json::from_str::<Vec<Value>>(raw).map_err(|e| {
                    SpecError::task(task, "parameterIterator.items.raw", format!("not a JSON list: {e}"))
                })?),
                // The items are one of the task's own inputs (the compiler
                // names it `pipelinechannel--<producer>-<output>`), read
                // from wherever that input comes from.
                (None, Some(input)) => ItemsSource::Parameter(
                    parameters.get(input).cloned().unwrap_or_else(|| ParameterSource::ComponentInput(input.clone())),
                ),
                _ => {
                    return Err(SpecError::task(
                        task,
                        "parameterIterator.items",
                        "needs exactly one of raw, inputParameter",
                    ));
                }
            };
            Ok(Iterator {
                items,
                item_input: Some(it.item_input.clone()),
                parallelism: spec.iterator_policy.as_ref().map_or(0, |p| p.parallelism_limit),
            })
        })
        .transpose()?
        .or(artifact_iterator);
    let retry = spec
        .retry_policy
        .as_ref()
        .filter(|r| r.max_retry_count > 0)
        .map(|r| {
            let seconds = |field: &str, raw: &Option<String>, default: f64| match raw {
                None => Ok(default),
                Some(raw) => duration_seconds(raw).ok_or_else(|| {
                    SpecError::task(
                        task,
                        format!("retryPolicy.{field}"),
                        format!("{raw:?} is not a duration like \"30s\""),
                    )
                }),
            };
            Ok::<_, SpecError>(RetryPolicy {
                max_retries: r.max_retry_count,
                backoff_seconds: seconds("backoffDuration", &r.backoff_duration, 0.0)?,
                backoff_factor: r.backoff_factor.unwrap_or(2.0),
                backoff_max_seconds: seconds("backoffMaxDuration", &r.backoff_max_duration, 3600.0)?,
            })
        })
        .transpose()?;
    // A task waits for every task it reads from, listed or not.
    let mut depends_on = spec.dependent_tasks.clone();
    let producers = parameters
        .values()
        .filter_map(|source| match source {
            ParameterSource::TaskOutput { task, .. } | ParameterSource::TaskFinalStatus(task) => Some(task),
            _ => None,
        })
        .chain(artifacts.values().filter_map(|source| match source {
            ArtifactSource::TaskOutput { task, .. } => Some(task),
            ArtifactSource::ComponentInput(_) => None,
        }));
    for producer in producers {
        if !depends_on.contains(producer) {
            depends_on.push(producer.clone());
        }
    }
    Ok(Task {
        component: spec.component_ref.name.clone(),
        depends_on,
        trigger,
        parameters,
        artifacts,
        iterator,
        retry,
        cache: spec.caching_options.as_ref().is_some_and(|c| c.enable_cache),
        timeout_seconds: None,
    })
}

/// `parseJson(string_value)["a"]` -> `a`.
fn selector_field(selector: &str) -> Option<String> {
    let rest = selector.trim().strip_prefix("parseJson(string_value)[")?;
    let rest = rest.strip_suffix(']')?;
    serde_json::from_str::<String>(rest).ok()
}

/// Protobuf duration text: `"30s"`, `"1.5s"`.
fn duration_seconds(raw: &str) -> Option<f64> {
    raw.trim().strip_suffix('s')?.parse().ok().filter(|s: &f64| *s >= 0.0)
}
