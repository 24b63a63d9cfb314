//! KFP's Kubernetes platform spec (the second document `kfp-kubernetes`
//! writes: secrets, PVCs, node selectors, tolerations, ...). It is kept with
//! the pipeline and the run; on this machine it cannot apply, so each task
//! that carries settings gets a notice naming them instead of a refusal.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ir;

/// One notice per task whose executor has Kubernetes settings.
pub fn notices(spec: &ir::PipelineSpec, platform: Option<&Value>) -> Vec<String> {
    let Some(executors) =
        platform.and_then(|p| p.pointer("/platforms/kubernetes/deploymentSpec/executors")).and_then(Value::as_object)
    else {
        return Vec::new();
    };
    // Executor label -> the components it runs.
    let mut components_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, component) in &spec.components {
        if let Some(label) = &component.executor_label {
            components_of.entry(label.as_str()).or_default().push(name.as_str());
        }
    }
    let dags = spec.components.values().chain(std::iter::once(&spec.root)).filter_map(|c| c.dag.as_ref());
    let mut notices = Vec::new();
    for dag in dags {
        for (task_name, task) in &dag.tasks {
            let settings = components_of
                .iter()
                .filter(|(_, components)| components.contains(&task.component_ref.name.as_str()))
                .filter_map(|(label, _)| executors.get(*label)?.as_object())
                .flat_map(|settings| settings.keys().cloned())
                .collect::<Vec<_>>();
            if !settings.is_empty() {
                notices.push(format!(
                    "task {task_name:?}: Kubernetes settings ({}) are kept with the run but not applied on this \
                     machine; the Kubernetes backend applies them",
                    settings.join(", ")
                ));
            }
        }
    }
    notices.sort();
    notices
}
