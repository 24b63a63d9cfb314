//! Argo `WorkflowTemplate`s and `ClusterWorkflowTemplate`s: stored, listed,
//! replaced and deleted, and inlined into the workflows that use them
//! (`templateRef`, `workflowTemplateRef`) when those are submitted, as
//! Argo resolves them when a workflow starts.

use std::collections::BTreeMap;

use chrono::Utc;
use model::{Principal, Verb};
use serde_json::{Value, json};

use crate::{Engine, Error, Result, access, spec};

/// Where cluster-scoped templates are stored, and whom they are checked against.
const CLUSTER: &str = "";
/// How deep templates may refer to templates.
const MAX_REF_DEPTH: usize = 10;

/// A stored template's scope: a namespace, or the cluster.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// A `WorkflowTemplate` of this namespace.
    Namespace(&'a str),
    /// A `ClusterWorkflowTemplate`.
    Cluster,
}

impl Scope<'_> {
    fn key(&self) -> &str {
        match self {
            Scope::Namespace(ns) => ns,
            Scope::Cluster => CLUSTER,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Scope::Namespace(_) => "WorkflowTemplate",
            Scope::Cluster => "ClusterWorkflowTemplate",
        }
    }
}

impl Engine {
    async fn authorize_scope(&self, principal: &Principal, scope: Scope<'_>, verb: Verb) -> Result<()> {
        match scope {
            Scope::Namespace(ns) => self.existing_namespace(principal, ns, verb).await.map(|_| ()),
            // Cluster-scoped objects are checked as the cluster's, `*`.
            Scope::Cluster => access::authorize(principal, "*", verb),
        }
    }

    /// Stores a new template after checking it; `replace` overwrites one of
    /// the same name. Answers with the object as stored.
    pub async fn put_workflow_template(
        &self,
        principal: &Principal,
        scope: Scope<'_>,
        mut object: Value,
        replace: bool,
    ) -> Result<Value> {
        self.authorize_scope(principal, scope, if replace { Verb::Update } else { Verb::Create }).await?;
        let name = object["metadata"]["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Error::InvalidRequest { message: "template.metadata.name is required".into() })?
            .to_owned();
        model::ResourceName::parse(&name).map_err(|source| Error::InvalidName { field: "metadata.name", source })?;
        object["kind"] = json!(scope.kind());
        object["apiVersion"] = json!("argoproj.io/v1alpha1");
        if let Scope::Namespace(ns) = scope {
            object["metadata"]["namespace"] = json!(ns);
        }
        spec::check_template_library(&object)?;
        let now = Utc::now();
        let query = if replace {
            "UPDATE workflow_templates SET object = ?3, updated_at = ?4 WHERE namespace = ?1 AND name = ?2"
        } else {
            "INSERT INTO workflow_templates (namespace, name, object, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (namespace, name) DO NOTHING"
        };
        let done = sqlx::query(query)
            .bind(scope.key())
            .bind(&name)
            .bind(object.to_string())
            .bind(now)
            .execute(self.store.pool())
            .await?;
        match (done.rows_affected(), replace) {
            (0, true) => Err(Error::NotFound { kind: scope.kind(), name }),
            (0, false) => Err(Error::AlreadyExists { kind: scope.kind(), name }),
            _ => Ok(object),
        }
    }

    /// One stored template.
    pub async fn workflow_template(&self, principal: &Principal, scope: Scope<'_>, name: &str) -> Result<Value> {
        self.authorize_scope(principal, scope, Verb::Get).await?;
        let object: Option<String> =
            sqlx::query_scalar("SELECT object FROM workflow_templates WHERE namespace = ?1 AND name = ?2")
                .bind(scope.key())
                .bind(name)
                .fetch_optional(self.store.pool())
                .await?;
        let object = object.ok_or_else(|| Error::NotFound { kind: scope.kind(), name: name.to_owned() })?;
        serde_json::from_str(&object).map_err(|e| Error::Corrupt { what: "workflow template", detail: e.to_string() })
    }

    /// The scope's templates by name (at most 500).
    pub async fn workflow_templates(&self, principal: &Principal, scope: Scope<'_>) -> Result<Vec<Value>> {
        self.authorize_scope(principal, scope, Verb::List).await?;
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT object FROM workflow_templates WHERE namespace = ?1 ORDER BY name LIMIT 500")
                .bind(scope.key())
                .fetch_all(self.store.pool())
                .await?;
        rows.iter()
            .map(|o| {
                serde_json::from_str(o).map_err(|e| Error::Corrupt { what: "workflow template", detail: e.to_string() })
            })
            .collect()
    }

    /// Deletes a stored template; workflows submitted with it keep their copy.
    pub async fn delete_workflow_template(&self, principal: &Principal, scope: Scope<'_>, name: &str) -> Result<()> {
        self.authorize_scope(principal, scope, Verb::Delete).await?;
        let done = sqlx::query("DELETE FROM workflow_templates WHERE namespace = ?1 AND name = ?2")
            .bind(scope.key())
            .bind(name)
            .execute(self.store.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound { kind: scope.kind(), name: name.to_owned() });
        }
        Ok(())
    }

    /// An Argo workflow with its `workflowTemplateRef` and `templateRef`s
    /// replaced by copies of the stored templates they name (read in
    /// `namespace` or the cluster); any other spec unchanged.
    pub async fn resolve_template_refs(&self, principal: &Principal, namespace: &str, spec: Value) -> Result<Value> {
        let is_argo = spec["apiVersion"].as_str().is_some_and(|v| v.starts_with("argoproj.io/"));
        if !is_argo {
            return Ok(spec);
        }
        let mut workflow = spec;
        let body = if workflow["kind"] == "CronWorkflow" { "/spec/workflowSpec" } else { "/spec" };
        let Some(spec) = workflow.pointer_mut(body) else { return Ok(workflow) };
        if let Some(reference) = spec.get("workflowTemplateRef").cloned() {
            let stored = self.referenced(principal, namespace, &reference, "spec.workflowTemplateRef").await?;
            let mut merged = stored["spec"].clone();
            for (key, value) in spec.as_object().into_iter().flatten() {
                if key != "workflowTemplateRef" {
                    merged[key] = value.clone();
                }
            }
            *spec = merged;
        }
        let mut copied: BTreeMap<String, ()> = BTreeMap::new();
        for _ in 0..MAX_REF_DEPTH {
            let refs = template_refs(spec);
            if refs.is_empty() {
                return Ok(workflow);
            }
            for (reference, field) in refs {
                let stored = self.referenced(principal, namespace, &reference, &field).await?;
                let prefix = stored["metadata"]["name"].as_str().unwrap_or_default().to_owned();
                if copied.insert(prefix.clone(), ()).is_none() {
                    let templates =
                        spec["templates"].as_array_mut().ok_or_else(|| invalid("spec.templates", "must be a list"))?;
                    for template in stored["spec"]["templates"].as_array().into_iter().flatten() {
                        templates.push(prefixed(template, &prefix));
                    }
                }
                point_at_copies(spec, &reference, &prefix);
            }
        }
        Err(invalid("templateRef", &format!("templates refer to templates more than {MAX_REF_DEPTH} deep")))
    }

    async fn referenced(
        &self,
        principal: &Principal,
        namespace: &str,
        reference: &Value,
        field: &str,
    ) -> Result<Value> {
        let name = reference["name"].as_str().ok_or_else(|| invalid(field, "needs a name"))?;
        let scope = if reference["clusterScope"].as_bool() == Some(true) {
            Scope::Cluster
        } else {
            Scope::Namespace(namespace)
        };
        self.workflow_template(principal, scope, name).await.map_err(|e| match e {
            Error::NotFound { kind, name } => invalid(field, &format!("no {kind} named {name:?}")),
            other => other,
        })
    }
}

fn invalid(field: &str, problem: &str) -> Error {
    Error::InvalidSpec(spec::SpecError::Shape { path: field.to_owned(), message: problem.to_owned() })
}

/// Every `templateRef` of the workflow's DAG tasks and steps, with where it is.
fn template_refs(spec: &Value) -> Vec<(Value, String)> {
    let mut found = Vec::new();
    for template in spec["templates"].as_array().into_iter().flatten() {
        let name = template["name"].as_str().unwrap_or_default();
        for task in tasks_of(template) {
            if let Some(reference) = task.get("templateRef").filter(|_| task.get("template").is_none()) {
                let task_name = task["name"].as_str().unwrap_or_default();
                found.push((reference.clone(), format!("task {name}/{task_name}: templateRef")));
            }
        }
    }
    found
}

fn tasks_of(template: &Value) -> impl Iterator<Item = &Value> {
    let dag = template["dag"]["tasks"].as_array().into_iter().flatten();
    let steps = template["steps"].as_array().into_iter().flatten().filter_map(Value::as_array).flatten();
    dag.chain(steps)
}

/// A stored template's template renamed `<stored>.<name>`, its own
/// references to siblings renamed alike.
fn prefixed(template: &Value, prefix: &str) -> Value {
    let mut copy = template.clone();
    let name = copy["name"].as_str().unwrap_or_default().to_owned();
    copy["name"] = json!(format!("{prefix}.{name}"));
    let rename = |task: &mut Value| {
        if let Some(sibling) = task["template"].as_str().map(str::to_owned) {
            task["template"] = json!(format!("{prefix}.{sibling}"));
        }
    };
    if let Some(tasks) = copy.pointer_mut("/dag/tasks").and_then(Value::as_array_mut) {
        tasks.iter_mut().for_each(rename);
    }
    if let Some(groups) = copy.pointer_mut("/steps").and_then(Value::as_array_mut) {
        groups.iter_mut().filter_map(Value::as_array_mut).flatten().for_each(rename);
    }
    copy
}

/// Points the tasks using `reference` at the copied templates.
fn point_at_copies(spec: &mut Value, reference: &Value, prefix: &str) {
    let target = format!("{prefix}.{}", reference["template"].as_str().unwrap_or_default());
    let point = |task: &mut Value| {
        if task.get("templateRef") == Some(reference) && task.get("template").is_none() {
            task["template"] = json!(target);
            task.as_object_mut().map(|t| t.remove("templateRef"));
        }
    };
    for template in spec["templates"].as_array_mut().into_iter().flatten() {
        if let Some(tasks) = template.pointer_mut("/dag/tasks").and_then(Value::as_array_mut) {
            tasks.iter_mut().for_each(point);
        }
        if let Some(groups) = template.pointer_mut("/steps").and_then(Value::as_array_mut) {
            groups.iter_mut().filter_map(Value::as_array_mut).flatten().for_each(point);
        }
    }
}
