//! What an attempt asks of the ledger: the container's fixed requests, and
//! those given by placeholders over the task's inputs (KFP
//! `set_cpu_limit(pipeline_input)`), which are checked only at launch.

use crate::{
    backend::Request,
    spec::{Body, Container, Piece, Plan, quantity},
};

use super::values::{Values, as_argument};

/// The request of one attempt, or why a value from the inputs is not one.
pub fn requested(spec: &Container, inputs: &Values) -> Result<Request, String> {
    let mut request = Request {
        cpu_milli: spec.resources.cpu_milli.unwrap_or(0),
        memory_bytes: spec.resources.memory_bytes.unwrap_or(0),
        gpus: spec.resources.gpus,
    };
    for (resource, pieces) in &spec.resources.from_inputs {
        let text = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Literal(text) => Ok(text.clone()),
                Piece::InputValue(name) => inputs
                    .parameters
                    .get(name)
                    .map(as_argument)
                    .ok_or_else(|| format!("resources.{resource}: input {name:?} was not given")),
                other => Err(format!("resources.{resource}: {other:?} cannot give a quantity")),
            })
            .collect::<Result<String, String>>()?;
        let bad = |what: &str| format!("resources.{resource}: {text:?} (from the task's inputs) is not {what}");
        match resource.as_str() {
            "cpu" => request.cpu_milli = quantity::cpu_milli(&text).ok_or_else(|| bad("a CPU quantity"))?,
            "memory" => request.memory_bytes = quantity::bytes(&text).ok_or_else(|| bad("a memory quantity"))?,
            "gpus" => request.gpus = text.trim().parse().map_err(|_| bad("a GPU count"))?,
            other => return Err(format!("resources.{other}: not a resource")),
        }
    }
    Ok(request)
}

/// Refuses a plan whose steps ask for more GPUs than this machine hands
/// out, naming the first such task, before anything runs.
pub fn check_gpus(plan: &Plan, available: u32) -> Result<(), String> {
    for (dag_name, component) in &plan.components {
        let Body::Dag(dag) = &component.body else { continue };
        for (task_name, task) in &dag.tasks {
            let Some(Body::Container(container)) = plan.components.get(&task.component).map(|c| &c.body) else {
                continue;
            };
            let wanted = container.resources.gpus;
            if wanted > available {
                let task_id =
                    if *dag_name == plan.root { task_name.clone() } else { format!("{dag_name}/{task_name}") };
                let has = if available == 0 { "none".to_owned() } else { available.to_string() };
                return Err(format!(
                    "task {task_id:?} asks for {wanted} GPU{}; this machine hands out {has} (setting `gpus`)",
                    if wanted == 1 { "" } else { "s" }
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::spec::Resources;

    fn container(from_inputs: &[(&str, &str)]) -> Container {
        Container {
            image: "python".into(),
            argv: vec![],
            env: Default::default(),
            resources: Resources {
                cpu_milli: Some(250),
                from_inputs: from_inputs
                    .iter()
                    .map(|(k, input)| ((*k).to_owned(), vec![Piece::InputValue((*input).to_owned())]))
                    .collect(),
                ..Resources::default()
            },
            script: None,
            stdout_result: false,
            daemon: None,
        }
    }

    #[test]
    fn requests_from_inputs_are_resolved_and_checked() {
        let inputs = Values {
            parameters: [("c".to_owned(), json!("1500m")), ("m".to_owned(), json!("1Gi")), ("g".to_owned(), json!(2))]
                .into(),
            ..Values::default()
        };
        let request = requested(&container(&[("cpu", "c"), ("memory", "m"), ("gpus", "g")]), &inputs).unwrap();
        assert_eq!((request.cpu_milli, request.memory_bytes, request.gpus), (1500, 1 << 30, 2));
        assert_eq!(requested(&container(&[]), &inputs).unwrap().cpu_milli, 250);
        let bad = Values { parameters: [("c".to_owned(), json!("lots"))].into(), ..Values::default() };
        assert_eq!(
            requested(&container(&[("cpu", "c")]), &bad).unwrap_err(),
            "resources.cpu: \"lots\" (from the task's inputs) is not a CPU quantity"
        );
        assert_eq!(
            requested(&container(&[("memory", "x")]), &bad).unwrap_err(),
            "resources.memory: input \"x\" was not given"
        );
    }
}
