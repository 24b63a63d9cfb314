//! Cross-checks of a compiled KFP plan: components, producers, inputs,
//! placeholders and cycles, each refusal naming the task and field.

use std::collections::BTreeMap;

use super::{ROOT, qualified};
use crate::spec::{
    Arg, ArtifactSource, Body, Component, Container, Dag, ParameterSource, ParameterType, Piece, Plan, SpecError, graph,
};

/// Cross-references: components, producers, inputs, placeholders, cycles.
pub fn validate(plan: &Plan) -> Result<(), SpecError> {
    for (component_name, component) in &plan.components {
        match &component.body {
            Body::Container(container) => validate_placeholders(component_name, component, container)?,
            Body::Dag(dag) => validate_dag(plan, component_name, component, dag)?,
            Body::Http(_) | Body::Suspend { .. } | Body::Unavailable { .. } => {}
            Body::Importer(importer) => {
                if let crate::spec::ImportUri::Parameter(name) = &importer.uri
                    && !component.input_parameters.contains_key(name)
                {
                    return Err(SpecError::component(
                        component_name,
                        "importer.artifactUri.runtimeParameter",
                        format!("no input parameter {name:?}"),
                    ));
                }
                if component.output_artifacts.len() != 1 {
                    return Err(SpecError::component(
                        component_name,
                        "outputDefinitions.artifacts",
                        "an importer has exactly one output artifact",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn validate_placeholders(name: &str, component: &Component, container: &Container) -> Result<(), SpecError> {
    fn pieces<'a>(args: &'a [Arg], out: &mut Vec<&'a Piece>, if_present: &mut Vec<&'a str>) {
        for arg in args {
            match arg {
                Arg::Concat(p) => out.extend(p),
                Arg::IfPresent { input, then, otherwise } => {
                    if_present.push(input);
                    pieces(then, out, if_present);
                    pieces(otherwise, out, if_present);
                }
            }
        }
    }
    let mut all = Vec::new();
    let mut if_present = Vec::new();
    pieces(&container.argv, &mut all, &mut if_present);
    all.extend(container.env.values().flatten());
    let known = |set: bool, what: &str, n: &str| {
        if set {
            Ok(())
        } else {
            Err(SpecError::component(name, "container", format!("placeholder refers to unknown {what} {n:?}")))
        }
    };
    for input in if_present {
        known(
            component.input_parameters.contains_key(input) || component.input_artifacts.contains_key(input),
            "input",
            input,
        )?;
    }
    for piece in all {
        match piece {
            Piece::InputValue(n) => known(component.input_parameters.contains_key(n), "input parameter", n)?,
            Piece::InputArtifactPath(n)
            | Piece::InputArtifactUri(n)
            | Piece::InputArtifactMetadata(n)
            | Piece::InputArtifactList(n) => known(component.input_artifacts.contains_key(n), "input artifact", n)?,
            Piece::OutputParameterFile(n) => known(component.output_parameters.contains_key(n), "output parameter", n)?,
            Piece::OutputArtifactPath(n) | Piece::OutputArtifactUri(n) | Piece::OutputArtifactMetadata(n) => {
                known(component.output_artifacts.contains_key(n), "output artifact", n)?
            }
            Piece::Literal(_)
            | Piece::ExecutorInput
            | Piece::Run(_)
            | Piece::PipelineInput(_)
            | Piece::TaskOutput { .. }
            | Piece::TaskStatus(_)
            | Piece::TaskExitCode(_)
            | Piece::TaskOutputParameters(_)
            | Piece::InputParameters
            | Piece::Expression(_)
            | Piece::Item(_) => {}
        }
    }
    Ok(())
}

fn validate_dag(plan: &Plan, dag_name: &str, dag_component: &Component, dag: &Dag) -> Result<(), SpecError> {
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (task_name, task) in &dag.tasks {
        let task_id = qualified(dag_name, task_name);
        let component = plan.components.get(&task.component).filter(|_| task.component != ROOT).ok_or_else(|| {
            SpecError::task(&task_id, "componentRef.name", format!("unknown component {:?}", task.component))
        })?;
        let item_input = task.iterator.as_ref().and_then(|it| it.item_input.as_deref());
        for (input, source) in &task.parameters {
            let field = format!("inputs.parameters.{input}");
            let def = component.input_parameters.get(input);
            if def.is_none() && is_task_setting(input) {
                continue;
            }
            if def.is_none() {
                return Err(SpecError::task(
                    &task_id,
                    field,
                    format!("component {:?} has no input parameter {input:?}", task.component),
                ));
            }
            match source {
                ParameterSource::Constant(value) => {
                    let kind = def.expect("checked").kind;
                    if !kind.admits(value) {
                        return Err(SpecError::task(
                            &task_id,
                            field,
                            format!("constant {value} does not match type {kind:?}"),
                        ));
                    }
                }
                ParameterSource::ComponentInput(from) | ParameterSource::ComponentInputField { input: from, .. } => {
                    if !dag_component.input_parameters.contains_key(from) {
                        return Err(SpecError::task(
                            &task_id,
                            field,
                            format!("the enclosing DAG has no input parameter {from:?}"),
                        ));
                    }
                }
                ParameterSource::TaskOutput { task: producer, output } => {
                    let outputs = &producer_of(plan, dag, &task_id, &field, producer)?.output_parameters;
                    if !outputs.contains_key(output) {
                        return Err(SpecError::task(
                            &task_id,
                            field,
                            format!("task {producer:?} has no output parameter {output:?}"),
                        ));
                    }
                }
                ParameterSource::TaskFinalStatus(producer) => {
                    if !dag.tasks.contains_key(producer) {
                        return Err(SpecError::task(
                            &task_id,
                            format!("{field}.taskFinalStatus"),
                            format!("unknown task {producer:?}"),
                        ));
                    }
                }
                ParameterSource::LoopItem { .. } | ParameterSource::Template(_) => {}
            }
        }
        for (input, source) in &task.artifacts {
            let field = format!("inputs.artifacts.{input}");
            if !component.input_artifacts.contains_key(input) {
                return Err(SpecError::task(
                    &task_id,
                    field,
                    format!("component {:?} has no input artifact {input:?}", task.component),
                ));
            }
            match source {
                ArtifactSource::ComponentInput(from) => {
                    if !dag_component.input_artifacts.contains_key(from) {
                        return Err(SpecError::task(
                            &task_id,
                            field,
                            format!("the enclosing DAG has no input artifact {from:?}"),
                        ));
                    }
                }
                ArtifactSource::TaskOutput { task: producer, output } => {
                    let outputs = &producer_of(plan, dag, &task_id, &field, producer)?.output_artifacts;
                    if !outputs.contains_key(output) {
                        return Err(SpecError::task(
                            &task_id,
                            field,
                            format!("task {producer:?} has no output artifact {output:?}"),
                        ));
                    }
                }
            }
        }
        for (input, def) in &component.input_parameters {
            let given = task.parameters.contains_key(input) || item_input == Some(input.as_str());
            if !given && !def.optional && def.default.is_none() && def.kind != ParameterType::TaskFinalStatus {
                return Err(SpecError::task(
                    &task_id,
                    format!("inputs.parameters.{input}"),
                    "required input is missing",
                ));
            }
        }
        for (input, def) in &component.input_artifacts {
            if !task.artifacts.contains_key(input) && !def.optional && item_input != Some(input.as_str()) {
                return Err(SpecError::task(
                    &task_id,
                    format!("inputs.artifacts.{input}"),
                    "required input is missing",
                ));
            }
        }
        // Producers were checked above with their own field names; what is
        // left are tasks listed in dependentTasks only.
        for dep in &task.depends_on {
            if !dag.tasks.contains_key(dep) {
                return Err(SpecError::task(&task_id, "dependentTasks", format!("unknown task {dep:?}")));
            }
        }
        edges.insert(task_name.clone(), task.depends_on.clone());
    }
    let sources = dag.output_parameters.iter().map(|(o, c)| ("parameters", o, c));
    for (kind, output, candidates) in sources.chain(dag.output_artifacts.iter().map(|(o, c)| ("artifacts", o, c))) {
        if let Some((producer, key)) = candidates.iter().find(|(producer, _)| !dag.tasks.contains_key(producer)) {
            return Err(SpecError::component(
                dag_name,
                format!("dag.outputs.{kind}.{output}"),
                format!("unknown task {producer:?} (output {key:?})"),
            ));
        }
    }
    if let Some(cycle) = graph::find_cycle(&edges) {
        return Err(SpecError::Cycle { dag: dag_name.to_owned(), cycle });
    }
    Ok(())
}

/// Inputs the compiler gives a task beyond its component's: the channels
/// that resource placeholders read (`set_cpu_limit(pipeline_input)`), and
/// the resource settings themselves.
fn is_task_setting(input: &str) -> bool {
    const SETTINGS: [&str; 6] =
        ["cpu_request", "cpu_limit", "memory_request", "memory_limit", "accelerator_type", "accelerator_count"];
    input.starts_with("pipelinechannel--") || SETTINGS.contains(&input)
}

/// The component of the sibling task `producer`, which must exist. (Its
/// component was checked when that task was.)
fn producer_of<'a>(
    plan: &'a Plan,
    dag: &Dag,
    task_id: &str,
    field: &str,
    producer: &str,
) -> Result<&'a Component, SpecError> {
    let task = dag.tasks.get(producer).ok_or_else(|| {
        SpecError::task(task_id, format!("{field}.producerTask"), format!("unknown task {producer:?}"))
    })?;
    plan.components.get(&task.component).ok_or_else(|| {
        SpecError::task(producer, "componentRef.name", format!("unknown component {:?}", task.component))
    })
}
