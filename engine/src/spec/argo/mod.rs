//! Argo Workflow -> [`Plan`]: templates become components, `dag` and
//! `steps` become DAGs, `{{...}}` tags become placeholders.

mod container;
mod inline;
mod placeholders;
mod schedule;
mod validate;
mod workflow;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{
    ArtifactDef, ArtifactSource, Body, Component, Condition, Dag, ItemsSource, Iterator, ParameterDef, ParameterSource,
    ParameterType, Piece, Plan, RetryPolicy, SpecError, Task, Trigger, plan,
};

/// Component that runs the entrypoint with the workflow's arguments.
pub const ROOT: &str = "(root)";

/// Reads the workflow's typed fields from the YAML tree so that they stay
/// text in its JSON form (see [`super::yaml`]); shape errors are reported
/// by [`compile`].
pub fn mark_text(document: &super::yaml::Node) {
    if document.get("kind").and_then(super::yaml::Node::text) == Some("CronWorkflow") {
        super::yaml::typed::<workflow::CronWorkflow>(document).ok();
    } else {
        super::yaml::typed::<workflow::Workflow>(document).ok();
    }
}

/// Compiles a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or
/// CronWorkflow document.
pub fn compile(document: &Value) -> Result<Plan, SpecError> {
    let document = &inline::lift(document);
    if document.get("kind").and_then(Value::as_str) == Some("CronWorkflow") {
        let cron: workflow::CronWorkflow = SpecError::typed(document)?;
        let schedule = schedule::check(&cron.spec)?;
        let workflow = workflow::Workflow { metadata: cron.metadata, spec: cron.spec.workflow_spec };
        return Ok(Plan { schedule: Some(schedule), ..compile_workflow(workflow)? });
    }
    compile_workflow(SpecError::typed(document)?)
}

/// Checks a stored `WorkflowTemplate`: the whole workflow when it has an
/// entrypoint, else each template (a library used through `templateRef`).
pub fn check_library(document: &Value) -> Result<(), SpecError> {
    let workflow: workflow::Workflow = SpecError::typed(&inline::lift(document))?;
    if !workflow.spec.entrypoint.is_empty() {
        return compile_workflow(workflow).map(|_| ());
    }
    let templates: BTreeMap<&str, &workflow::Template> =
        workflow.spec.templates.iter().map(|t| (t.name.as_str(), t)).collect();
    if templates.is_empty() {
        return Err(SpecError::Shape { path: "spec.templates".into(), message: "a template needs templates".into() });
    }
    for template in &workflow.spec.templates {
        check_name(&template.name).map_err(|m| SpecError::component(&template.name, "name", m))?;
        convert_template(template, &templates)?;
    }
    Ok(())
}

fn compile_workflow(workflow: workflow::Workflow) -> Result<Plan, SpecError> {
    let spec = &workflow.spec;
    if spec.workflow_template_ref.is_some() {
        return Err(SpecError::Shape {
            path: "spec.workflowTemplateRef".into(),
            message: "the stored WorkflowTemplate is copied in when the workflow is uploaded or submitted to the \
                      server; a file read alone cannot use it"
                .into(),
        });
    }
    let name = workflow
        .metadata
        .name
        .clone()
        .or_else(|| workflow.metadata.generate_name.as_deref().map(|g| g.trim_end_matches('-').to_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "workflow".to_owned());

    let mut templates = BTreeMap::new();
    for template in &spec.templates {
        check_name(&template.name).map_err(|m| SpecError::component(&template.name, "name", m))?;
        if templates.insert(template.name.as_str(), template).is_some() {
            return Err(SpecError::component(&template.name, "name", "duplicate template name"));
        }
    }
    let mut components = BTreeMap::new();
    for template in &spec.templates {
        components.insert(template.name.clone(), convert_template(template, &templates)?);
    }

    let inputs = text_parameters(&spec.arguments.parameters);
    let entry = templates.get(spec.entrypoint.as_str()).ok_or_else(|| SpecError::Shape {
        path: "spec.entrypoint".into(),
        message: format!("no template named {:?}", spec.entrypoint),
    })?;
    let entry_task = Task {
        parameters: entry
            .inputs
            .parameters
            .iter()
            .filter(|p| inputs.contains_key(&p.name))
            .map(|p| (p.name.clone(), ParameterSource::ComponentInput(p.name.clone())))
            .collect(),
        ..plain_task(&entry.name)
    };
    let mut root_dag = Dag { parallelism: spec.parallelism, ..Dag::default() };
    root_dag.tasks.insert(entry.name.clone(), entry_task);
    components.insert(
        ROOT.to_owned(),
        Component {
            input_parameters: inputs.clone(),
            input_artifacts: BTreeMap::new(),
            output_parameters: BTreeMap::new(),
            output_artifacts: BTreeMap::new(),
            body: Body::Dag(root_dag),
        },
    );
    let on_exit = spec
        .on_exit
        .as_ref()
        .map(|exit| {
            if !templates.contains_key(exit.as_str()) {
                return Err(SpecError::Shape {
                    path: "spec.onExit".into(),
                    message: format!("no template named {exit:?}"),
                });
            }
            Ok(Task { trigger: Trigger { after_failures: true, conditions: vec![] }, ..plain_task(exit) })
        })
        .transpose()?;
    let plan = Plan {
        name,
        description: None,
        inputs,
        components,
        root: ROOT.to_owned(),
        on_exit,
        notices: vec![],
        schedule: None,
    };
    validate::validate(&plan)?;
    Ok(plan)
}

fn plain_task(template: &str) -> Task {
    Task {
        component: template.to_owned(),
        depends_on: vec![],
        trigger: Trigger { after_failures: false, conditions: vec![] },
        parameters: BTreeMap::new(),
        artifacts: BTreeMap::new(),
        iterator: None,
        retry: None,
        cache: false,
        timeout_seconds: None,
    }
}

/// Argo parameters: text, with `value` (or `default`) as the default.
fn text_parameters(parameters: &[workflow::Parameter]) -> BTreeMap<String, ParameterDef> {
    parameters
        .iter()
        .map(|p| {
            let default = p.value.as_ref().or(p.default.as_ref()).map(|t| Value::String(t.0.clone()));
            let choices = p.choices.as_ref().map(|c| c.iter().map(|t| Value::String(t.0.clone())).collect());
            (
                p.name.clone(),
                ParameterDef { kind: ParameterType::String, default, optional: false, path: None, choices },
            )
        })
        .collect()
}

fn check_name(name: &str) -> Result<(), String> {
    if super::is_valid_task_name(name) {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid name (letters, digits, '-', '_', '.', at most 128)"))
    }
}

fn convert_template(
    t: &workflow::Template,
    templates: &BTreeMap<&str, &workflow::Template>,
) -> Result<Component, SpecError> {
    let here = |field: &str, message: String| SpecError::component(&t.name, field, message);
    for (side, list) in [("inputs", &t.inputs), ("outputs", &t.outputs)] {
        for name in list.parameters.iter().map(|p| &p.name).chain(list.artifacts.iter().map(|a| &a.name)) {
            super::check_io_name(&t.name, &format!("{side}.{name}"), name)?;
        }
    }
    let mut input_parameters = text_parameters(&t.inputs.parameters);
    // Inputs read from a ConfigMap: the step is refused when it runs.
    let from_config_map: Vec<&str> = t
        .inputs
        .parameters
        .iter()
        .filter(|p| p.value.is_none() && p.value_from.as_ref().is_some_and(|v| v.config_map_key_ref.is_some()))
        .map(|p| p.name.as_str())
        .collect();
    for name in &from_config_map {
        if let Some(def) = input_parameters.get_mut(*name) {
            def.optional = true;
        }
    }
    let artifact = |a: &workflow::Artifact| {
        (
            a.name.clone(),
            ArtifactDef {
                schema: "system.Artifact".into(),
                is_list: false,
                optional: a.optional,
                path: a.path.clone(),
            },
        )
    };
    let input_artifacts = t.inputs.artifacts.iter().map(artifact).collect();
    let mut output_parameters: BTreeMap<String, ParameterDef> = BTreeMap::new();
    // DAG and steps templates: outputs taken from their tasks.
    let mut taken_from_tasks = BTreeMap::new();
    let mut output_expressions = BTreeMap::new();
    let is_group = t.dag.is_some() || t.steps.is_some();
    for p in &t.outputs.parameters {
        let field = format!("outputs.parameters.{}", p.name);
        let from = p.value_from.as_ref();
        let default = from.and_then(|v| v.default.as_ref()).map(|d| Value::String(d.0.clone()));
        let path = from.and_then(|v| v.path.clone());
        match (from, is_group) {
            (Some(from), true) if from.parameter.is_some() => {
                let reference = from.parameter.as_deref().unwrap_or_default();
                let source = match placeholders::parse_pieces(reference).map_err(|e| here(&field, e))?.as_slice() {
                    [Piece::TaskOutput { task, output }] => (task.clone(), output.clone()),
                    _ => {
                        return Err(here(
                            &format!("{field}.valueFrom.parameter"),
                            format!(
                                "{reference:?} must name one task output, like {{{{tasks.t.outputs.parameters.p}}}}"
                            ),
                        ));
                    }
                };
                taken_from_tasks.insert(p.name.clone(), vec![source]);
            }
            (Some(from), true) if from.expression.is_some() => {
                let expression = from.expression.clone().unwrap_or_default();
                crate::runs::expr::compile(&expression)
                    .map_err(|e| here(&format!("{field}.valueFrom.expression"), e))?;
                output_expressions.insert(p.name.clone(), expression);
            }
            (Some(_), false) if path.is_some() => {}
            // Read off the created object: the step itself is refused at
            // run time on this machine, naming the backend that runs it.
            (Some(from), false) if t.resource.is_some() && (from.json_path.is_some() || from.jq_filter.is_some()) => {}
            (Some(from), _) if from.supplied.is_some() && t.suspend.is_some() => {}
            (Some(from), _) => {
                let unsupported = [
                    ("expression", from.expression.is_some()),
                    ("jsonPath", from.json_path.is_some()),
                    ("jqFilter", from.jq_filter.is_some()),
                    ("event", from.event.is_some()),
                    ("configMapKeyRef", from.config_map_key_ref.is_some()),
                    ("supplied", from.supplied.is_some()),
                ]
                .into_iter()
                .find(|(_, given)| *given)
                .map(|(name, _)| name);
                let message = match unsupported {
                    Some(name) => format!("valueFrom.{name} is not supported here"),
                    None if is_group => "a DAG or steps output needs valueFrom.parameter".to_owned(),
                    None => "needs valueFrom.path".to_owned(),
                };
                return Err(here(&field, message));
            }
            (None, _) => return Err(here(&field, "needs valueFrom".into())),
        }
        output_parameters.insert(
            p.name.clone(),
            ParameterDef {
                kind: ParameterType::String,
                default,
                optional: false,
                path,
                // What a person resuming may pick for a supplied output.
                choices: p.choices.as_ref().map(|c| c.iter().map(|t| Value::String(t.0.clone())).collect()),
            },
        );
    }
    let output_artifacts = t.outputs.artifacts.iter().map(artifact).collect();

    let mut body = match (&t.container, &t.script, &t.dag, &t.steps) {
        (Some(c), None, None, None) => Body::Container(container::container(&t.name, c, None)?),
        (None, Some(s), None, None) => Body::Container(container::container(&t.name, &s.container(), Some(&s.source))?),
        (None, None, Some(dag), None) => {
            Body::Dag(convert_tasks(t, dag.tasks.iter().map(|task| (task, Vec::new())), templates)?)
        }
        (None, None, None, Some(groups)) => {
            // Steps run group after group: each step waits for the whole group before it.
            let steps = groups.iter().enumerate().flat_map(|(g, group)| {
                let before: Vec<String> = match g.checked_sub(1) {
                    Some(previous) => groups[previous].iter().map(|s| s.name.clone()).collect(),
                    None => Vec::new(),
                };
                group.iter().map(move |step| (step, before.clone()))
            });
            Body::Dag(convert_tasks(t, steps, templates)?)
        }
        (None, None, None, None) if t.suspend.is_some() => {
            let duration = t.suspend.as_ref().and_then(|s| s.duration.as_ref());
            let seconds = duration
                .map(|d| {
                    // A bare number is seconds (Argo); else "30s", "2m", "1h".
                    d.0.trim().parse::<f64>().ok().or_else(|| duration_seconds(&d.0)).ok_or_else(|| {
                        here("suspend.duration", format!("{:?} is not a duration like \"30s\" or \"2m\"", d.0))
                    })
                })
                .transpose()?;
            Body::Suspend { seconds }
        }
        (None, None, None, None) if t.resource.is_some() => Body::Unavailable {
            reason: "resource templates create Kubernetes objects: they run with the Kubernetes backend \
                     (backend = \"kubernetes\"); this machine runs steps as local processes"
                .into(),
        },
        (None, None, None, None) if t.http.is_some() => Body::Http(container::http_call(t)?),
        (None, None, None, None) if t.plugin.is_some() => Body::Unavailable {
            reason: "plugin templates run in an Argo executor plugin beside Argo's controller; \
                     this machine has none"
                .into(),
        },
        (None, None, None, None) if t.container_set.is_some() => Body::Unavailable {
            reason: "containerSet templates (several containers in one pod) are not run on this machine yet; \
                     write them as a DAG of container templates"
                .into(),
        },
        _ => {
            return Err(here(
                "template",
                "needs exactly one of container, script, dag, steps, suspend, resource, http, plugin, containerSet"
                    .into(),
            ));
        }
    };
    if let Some(name) = from_config_map.first() {
        body = Body::Unavailable {
            reason: format!(
                "input parameter {name:?} comes from a ConfigMap (valueFrom.configMapKeyRef): \
                 ConfigMaps are read with the Kubernetes backend (backend = \"kubernetes\")"
            ),
        };
    }
    if t.daemon == Some(true) {
        let container = t.container.clone().or_else(|| t.script.as_ref().map(|s| s.container()));
        match (&mut body, container) {
            (Body::Container(c), Some(template)) => c.daemon = Some(container::daemon(&t.name, &template)?),
            _ => return Err(here("daemon", "only container and script templates can be daemons".into())),
        }
    }
    if let Body::Dag(dag) = &mut body {
        dag.output_parameters = taken_from_tasks;
        dag.output_expressions = output_expressions;
        for a in &t.outputs.artifacts {
            let field = format!("outputs.artifacts.{}", a.name);
            if let (None, Some(expression)) = (&a.from, &a.from_expression) {
                crate::runs::expr::compile(expression).map_err(|e| here(&format!("{field}.fromExpression"), e))?;
                dag.output_artifact_expressions.insert(a.name.clone(), expression.clone());
                continue;
            }
            let from = a
                .from
                .as_deref()
                .ok_or_else(|| here(&field, "a DAG or steps output needs from or fromExpression".into()))?;
            match placeholders::artifact_ref(from) {
                Some((Some(task), output)) => {
                    dag.output_artifacts.insert(a.name.clone(), vec![(task, output)]);
                }
                _ => {
                    return Err(here(
                        &format!("{field}.from"),
                        format!("{from:?} must name one task's output artifact"),
                    ));
                }
            }
        }
        let sources = dag.output_parameters.values().chain(dag.output_artifacts.values()).flatten();
        if let Some((task, _)) = sources.into_iter().find(|(task, _)| !dag.tasks.contains_key(task)) {
            return Err(here("outputs", format!("unknown task {task:?}")));
        }
    }
    Ok(Component { input_parameters, input_artifacts, output_parameters, output_artifacts, body })
}

/// A DAG of `tasks`, each with the tasks it waits for beyond those it names.
fn convert_tasks<'a>(
    t: &workflow::Template,
    tasks: impl std::iter::Iterator<Item = (&'a workflow::TaskTemplate, Vec<String>)>,
    templates: &BTreeMap<&str, &workflow::Template>,
) -> Result<Dag, SpecError> {
    let mut dag = Dag { parallelism: t.parallelism, ..Dag::default() };
    for (task, implicit) in tasks {
        let id = format!("{}/{}", t.name, task.name);
        check_name(&task.name).map_err(|m| SpecError::task(&id, "name", m))?;
        let converted = convert_task(&id, task, implicit, templates)?;
        if dag.tasks.insert(task.name.clone(), converted).is_some() {
            return Err(SpecError::task(&id, "name", "duplicate task name"));
        }
    }
    Ok(dag)
}

fn convert_task(
    id: &str,
    task: &workflow::TaskTemplate,
    mut depends_on: Vec<String>,
    templates: &BTreeMap<&str, &workflow::Template>,
) -> Result<Task, SpecError> {
    let target = templates.get(task.template.as_str()).ok_or_else(|| match &task.template_ref {
        Some(reference) => SpecError::task(
            id,
            "templateRef",
            format!(
                "{:?} of stored template {:?} is copied in when the workflow is uploaded or submitted to the server; \
                 a file read alone cannot use it",
                reference["template"].as_str().unwrap_or_default(),
                reference["name"].as_str().unwrap_or_default()
            ),
        ),
        None => SpecError::task(id, "template", format!("unknown template {:?}", task.template)),
    })?;
    depends_on.extend(task.dependencies.iter().cloned());
    let mut conditions = Vec::new();
    if let Some(expr) = &task.depends {
        depends_on.extend(depends_names(expr).map_err(|m| SpecError::task(id, "depends", m))?);
        if expr.contains(['.', '|', '!']) {
            conditions.push(Condition::ArgoDepends(expr.clone()));
        }
    }
    if let Some(when) = &task.when {
        let pieces = reading_tasks(when, &mut depends_on).map_err(|e| SpecError::task(id, "when", e))?;
        conditions.push(Condition::ArgoWhen(pieces));
    }
    let mut parameters = BTreeMap::new();
    for p in &task.arguments.parameters {
        let field = format!("arguments.parameters.{}", p.name);
        let source = match &p.value {
            Some(text) => {
                let pieces =
                    reading_tasks(text.as_str(), &mut depends_on).map_err(|e| SpecError::task(id, &field, e))?;
                source_of(pieces)
            }
            None => return Err(SpecError::task(id, field, "needs a value")),
        };
        parameters.insert(p.name.clone(), source);
    }
    let mut artifacts = BTreeMap::new();
    for a in &task.arguments.artifacts {
        let field = format!("arguments.artifacts.{}", a.name);
        let from = a.from.as_deref().ok_or_else(|| SpecError::task(id, &field, "needs from"))?;
        let source = match placeholders::artifact_ref(from) {
            Some((Some(producer), output)) => {
                depends_on.push(producer.clone());
                ArtifactSource::TaskOutput { task: producer, output }
            }
            Some((None, input)) => ArtifactSource::ComponentInput(input),
            None => {
                return Err(SpecError::task(id, field, format!("unsupported artifact reference {from:?}")));
            }
        };
        artifacts.insert(a.name.clone(), source);
    }
    let items = match (&task.with_items, &task.with_param, &task.with_sequence) {
        (Some(items), None, None) => Some(ItemsSource::Raw(items.clone())),
        (None, Some(param), None) => {
            let pieces = reading_tasks(param, &mut depends_on).map_err(|e| SpecError::task(id, "withParam", e))?;
            Some(ItemsSource::Parameter(source_of(pieces)))
        }
        (None, None, Some(sequence)) => Some(ItemsSource::Sequence(
            sequence_of(sequence, &mut depends_on).map_err(|e| SpecError::task(id, "withSequence", e))?,
        )),
        (None, None, None) => None,
        _ => {
            return Err(SpecError::task(id, "withItems", "withItems, withParam and withSequence exclude each other"));
        }
    };
    let iterator = items.map(|items| Iterator { items, item_input: None, parallelism: 0 });
    let retry = target.retry_strategy.as_ref().map(|r| retry_policy(&target.name, r)).transpose()?;
    let timeout_seconds = target
        .active_deadline_seconds
        .as_ref()
        .map(|v| {
            v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).ok_or_else(|| {
                SpecError::component(&target.name, "activeDeadlineSeconds", format!("{v} is not a number of seconds"))
            })
        })
        .transpose()?;
    let mut seen = BTreeSet::new();
    depends_on.retain(|d| seen.insert(d.clone()));
    Ok(Task {
        component: task.template.clone(),
        depends_on,
        trigger: Trigger { after_failures: false, conditions },
        parameters,
        artifacts,
        iterator,
        retry,
        cache: false,
        timeout_seconds,
    })
}

/// Parses placeholders in `text`; tasks whose outputs it reads become
/// dependencies, since their outputs must exist first.
fn reading_tasks(text: &str, depends_on: &mut Vec<String>) -> Result<Vec<Piece>, String> {
    let pieces = placeholders::parse_pieces(text)?;
    for piece in &pieces {
        if let Some(producer) = piece.sibling() {
            depends_on.push(producer.to_owned());
        }
        if let Piece::Expression(expression) = piece {
            depends_on.extend(placeholders::expression_tasks(expression));
        }
    }
    Ok(pieces)
}

/// One placeholder alone becomes a direct reference; anything else a template.
fn sequence_of(sequence: &workflow::Sequence, depends_on: &mut Vec<String>) -> Result<plan::Sequence, String> {
    if sequence.count.is_some() && sequence.end.is_some() {
        return Err("count and end exclude each other".into());
    }
    if sequence.count.is_none() && sequence.end.is_none() {
        return Err("needs count or end".into());
    }
    if let Some(format) = &sequence.format {
        plan::format_sequence_item(format, 0)?;
    }
    let mut bound = |value: &Option<Value>| -> Result<Option<ParameterSource>, String> {
        let Some(value) = value else { return Ok(None) };
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(n) => n.to_string(),
            other => return Err(format!("{other} is not a number")),
        };
        Ok(Some(source_of(reading_tasks(&text, depends_on)?)))
    };
    Ok(plan::Sequence {
        count: bound(&sequence.count)?,
        start: bound(&sequence.start)?,
        end: bound(&sequence.end)?,
        format: sequence.format.clone(),
    })
}

fn source_of(pieces: Vec<Piece>) -> ParameterSource {
    match pieces.as_slice() {
        [] => ParameterSource::Constant(Value::String(String::new())),
        [Piece::Literal(text)] => ParameterSource::Constant(Value::String(text.clone())),
        [Piece::InputValue(name)] => ParameterSource::ComponentInput(name.clone()),
        [Piece::TaskOutput { task, output }] => {
            ParameterSource::TaskOutput { task: task.clone(), output: output.clone() }
        }
        [Piece::Item(field)] => ParameterSource::LoopItem { field: field.clone() },
        _ => ParameterSource::Template(pieces),
    }
}

/// Task names in a `depends` expression: `a && (b.Succeeded || !c.Failed)`.
fn depends_names(expr: &str) -> Result<Vec<String>, String> {
    const RESULTS: [&str; 7] = ["Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded"];
    let mut names = Vec::new();
    for token in expr.split(|c: char| c.is_whitespace() || "()&|!".contains(c)).filter(|t| !t.is_empty()) {
        let (name, result) = token.split_once('.').unwrap_or((token, ""));
        if !result.is_empty() && !RESULTS.contains(&result) && result != "AllFailed" {
            return Err(format!("unknown task result {result:?} in {expr:?}"));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

fn retry_policy(template: &str, r: &workflow::RetryStrategy) -> Result<RetryPolicy, SpecError> {
    let bad = |field: &str, v: &Value| {
        SpecError::component(template, format!("retryStrategy.{field}"), format!("{v} is not valid"))
    };
    let number = |v: &Value| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
    let max_retries = match &r.limit {
        None => 0,
        Some(v) => number(v).filter(|n| *n >= 0.0).ok_or_else(|| bad("limit", v))? as u32,
    };
    let backoff = r.backoff.as_ref();
    let seconds = |field: &str, v: Option<&Value>, default: f64| -> Result<f64, SpecError> {
        match v {
            None => Ok(default),
            Some(v) => number(v).or_else(|| v.as_str().and_then(duration_seconds)).ok_or_else(|| bad(field, v)),
        }
    };
    Ok(RetryPolicy {
        max_retries,
        backoff_seconds: seconds("backoff.duration", backoff.and_then(|b| b.duration.as_ref()), 0.0)?,
        backoff_factor: seconds("backoff.factor", backoff.and_then(|b| b.factor.as_ref()), 1.0)?,
        backoff_max_seconds: seconds("backoff.maxDuration", backoff.and_then(|b| b.max_duration.as_ref()), 3600.0)?,
    })
}

/// `"10s"`, `"2m"`, `"1h"`.
fn duration_seconds(raw: &str) -> Option<f64> {
    let raw = raw.trim();
    let (number, factor) = [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)]
        .iter()
        .find_map(|(suffix, f)| raw.strip_suffix(suffix).map(|n| (n, *f)))?;
    number.parse::<f64>().ok().filter(|n| *n >= 0.0).map(|n| n * factor)
}
