//! Cross-checks of a compiled Argo plan: references between tasks, inputs
//! and outputs, and cycles, each refusal naming the template or task.

use std::collections::BTreeMap;

use super::ROOT;
use crate::spec::{Arg, ArtifactSource, Body, Component, Dag, ParameterSource, Piece, Plan, SpecError, graph};

/// References between tasks, inputs and outputs; cycles.
pub(super) fn validate(plan: &Plan) -> Result<(), SpecError> {
    for (name, component) in &plan.components {
        match &component.body {
            Body::Container(c) => {
                let pieces = c.argv.iter().flat_map(|a| match a {
                    Arg::Concat(p) => p.iter(),
                    Arg::IfPresent { .. } => [].iter(),
                });
                for piece in pieces.chain(c.env.values().flatten()).chain(c.script.iter().flatten()) {
                    let missing = match piece {
                        Piece::InputValue(n) => {
                            (!component.input_parameters.contains_key(n)).then(|| format!("input parameter {n:?}"))
                        }
                        Piece::InputArtifactPath(n) => {
                            (!component.input_artifacts.contains_key(n)).then(|| format!("input artifact {n:?}"))
                        }
                        Piece::OutputParameterFile(n) => {
                            (!component.output_parameters.contains_key(n)).then(|| format!("output parameter {n:?}"))
                        }
                        Piece::OutputArtifactPath(n) => {
                            (!component.output_artifacts.contains_key(n)).then(|| format!("output artifact {n:?}"))
                        }
                        Piece::PipelineInput(n) => {
                            (!plan.inputs.contains_key(n)).then(|| format!("workflow parameter {n:?}"))
                        }
                        Piece::Item(_) => Some("loop items (only tasks may use them)".to_owned()),
                        other if other.sibling().is_some() => {
                            Some("task outputs or states (only tasks may use them)".to_owned())
                        }
                        _ => None,
                    };
                    if let Some(what) = missing {
                        return Err(SpecError::component(
                            name,
                            "container",
                            format!("placeholder refers to unknown {what}"),
                        ));
                    }
                }
            }
            Body::Dag(dag) => validate_dag(plan, name, component, dag)?,
            Body::Importer(_) | Body::Http(_) | Body::Suspend { .. } | Body::Unavailable { .. } => {}
        }
    }
    Ok(())
}

fn validate_dag(plan: &Plan, name: &str, component: &Component, dag: &Dag) -> Result<(), SpecError> {
    let mut edges = BTreeMap::new();
    for (task_name, task) in &dag.tasks {
        let id = if name == ROOT { task_name.clone() } else { format!("{name}/{task_name}") };
        let target = &plan.components[&task.component];
        for dep in &task.depends_on {
            if !dag.tasks.contains_key(dep) {
                return Err(SpecError::task(&id, "dependencies", format!("unknown task {dep:?}")));
            }
        }
        for (input, source) in &task.parameters {
            // An argument the template does not declare is passed and
            // unused, as Argo's validation allows.
            let field = format!("arguments.parameters.{input}");
            let pieces: Vec<Piece> = match source {
                ParameterSource::ComponentInput(n) => vec![Piece::InputValue(n.clone())],
                ParameterSource::TaskOutput { task, output } => {
                    vec![Piece::TaskOutput { task: task.clone(), output: output.clone() }]
                }
                ParameterSource::Template(p) => p.clone(),
                _ => vec![],
            };
            for piece in pieces {
                match piece {
                    Piece::InputValue(n) if !component.input_parameters.contains_key(&n) => {
                        return Err(SpecError::task(
                            &id,
                            field,
                            format!("template {name:?} has no input parameter {n:?}"),
                        ));
                    }
                    Piece::TaskOutput { task: producer, output } => {
                        let producer_task = dag
                            .tasks
                            .get(&producer)
                            .ok_or_else(|| SpecError::task(&id, &field, format!("unknown task {producer:?}")))?;
                        let outputs = &plan.components[&producer_task.component].output_parameters;
                        if output != "result" && !outputs.contains_key(&output) {
                            return Err(SpecError::task(
                                &id,
                                field,
                                format!("task {producer:?} has no output parameter {output:?}"),
                            ));
                        }
                    }
                    Piece::TaskStatus(producer)
                    | Piece::TaskExitCode(producer)
                    | Piece::TaskOutputParameters(producer)
                        if !dag.tasks.contains_key(&producer) =>
                    {
                        return Err(SpecError::task(&id, field, format!("unknown task {producer:?}")));
                    }
                    Piece::Item(_) if task.iterator.is_none() => {
                        return Err(SpecError::task(&id, field, "{{item}} outside withItems/withParam"));
                    }
                    _ => {}
                }
            }
        }
        for (input, def) in &target.input_parameters {
            if def.default.is_none() && !def.optional && !task.parameters.contains_key(input) {
                return Err(SpecError::task(&id, format!("arguments.parameters.{input}"), "required input is missing"));
            }
        }
        for (input, source) in &task.artifacts {
            if let ArtifactSource::TaskOutput { task: producer, output } = source {
                let producer_task = dag.tasks.get(producer).ok_or_else(|| {
                    SpecError::task(&id, format!("arguments.artifacts.{input}"), format!("unknown task {producer:?}"))
                })?;
                if !plan.components[&producer_task.component].output_artifacts.contains_key(output) {
                    return Err(SpecError::task(
                        &id,
                        format!("arguments.artifacts.{input}"),
                        format!("task {producer:?} has no output artifact {output:?}"),
                    ));
                }
            }
        }
        edges.insert(task_name.clone(), task.depends_on.clone());
    }
    if let Some(cycle) = graph::find_cycle(&edges) {
        return Err(SpecError::Cycle { dag: name.to_owned(), cycle });
    }
    Ok(())
}
