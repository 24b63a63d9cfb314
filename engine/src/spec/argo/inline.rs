//! Argo's `inline` templates (a DAG task or step that carries its template
//! instead of naming one), lifted out into templates of their own before
//! the workflow is read, so the rest of the reader sees named templates.

use serde_json::Value;

/// How deep inline templates may nest.
const MAX_NESTING: usize = 10;

/// The document with each inline template moved into its templates
/// (`spec.templates`, a CronWorkflow's `spec.workflowSpec.templates`),
/// named `<template>.<task>`, and its task naming it.
pub(super) fn lift(document: &Value) -> Value {
    let mut document = document.clone();
    let at = if document.pointer("/spec/workflowSpec").is_some() {
        "/spec/workflowSpec/templates"
    } else {
        "/spec/templates"
    };
    let Some(templates) = document.pointer_mut(at).and_then(Value::as_array_mut) else {
        return document;
    };
    let mut pending: Vec<Value> = std::mem::take(templates);
    let mut done = Vec::with_capacity(pending.len());
    for _ in 0..MAX_NESTING {
        let mut lifted = Vec::new();
        for mut template in pending {
            let parent = template["name"].as_str().unwrap_or_default().to_owned();
            let dag_tasks = template.pointer_mut("/dag/tasks").and_then(Value::as_array_mut).map(|t| t.iter_mut());
            for task in dag_tasks.into_iter().flatten() {
                lifted.extend(take_inline(&parent, task));
            }
            let groups = template.get_mut("steps").and_then(Value::as_array_mut).into_iter().flatten();
            for step in groups.filter_map(Value::as_array_mut).flatten() {
                lifted.extend(take_inline(&parent, step));
            }
            done.push(template);
        }
        if lifted.is_empty() {
            break;
        }
        pending = lifted;
    }
    if let Some(templates) = document.pointer_mut(at).and_then(Value::as_array_mut) {
        *templates = done;
    }
    document
}

/// The task's inline template, named for it, the task now naming it.
fn take_inline(parent: &str, task: &mut Value) -> Option<Value> {
    let mut inline = task.as_object_mut()?.remove("inline")?;
    let name = format!("{parent}.{}", task["name"].as_str().unwrap_or_default());
    inline.as_object_mut()?.insert("name".into(), Value::String(name.clone()));
    task["template"] = Value::String(name);
    Some(inline)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn inline_templates_become_named_ones_nested_too() {
        let workflow = json!({"spec": {"templates": [{"name": "main", "dag": {"tasks": [
            {"name": "a", "inline": {"steps": [[{"name": "b", "inline": {"container": {"image": "alpine"}}}]]}}
        ]}}]}});
        let lifted = super::lift(&workflow);
        let names: Vec<&str> =
            lifted["spec"]["templates"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["main", "main.a", "main.a.b"]);
        assert_eq!(lifted["spec"]["templates"][0]["dag"]["tasks"][0]["template"], "main.a");
        assert_eq!(lifted["spec"]["templates"][1]["steps"][0][0]["template"], "main.a.b");
        assert_eq!(lifted["spec"]["templates"][2]["container"]["image"], "alpine");
    }
}
