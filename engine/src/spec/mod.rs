//! Pipeline specs: KFP v2 IR YAML and Argo Workflow YAML, parsed within
//! bounds and compiled to one [`Plan`] that nothing downstream needs to
//! know the origin of.
//!
//! ```
//! let yaml = br#"
//! apiVersion: argoproj.io/v1alpha1
//! kind: Workflow
//! metadata: {generateName: hello-}
//! spec:
//!   entrypoint: main
//!   templates:
//!   - name: main
//!     container: {image: alpine, command: [echo, hi]}
//! "#;
//! let plan = engine::spec::parse(yaml).unwrap();
//! assert_eq!(plan.name, "hello");
//! ```

mod argo;
mod error;
mod graph;
mod kfp;
mod plan;
pub(crate) mod quantity;
mod text;
mod yaml;

pub use error::SpecError;
pub use graph::find_cycle;
pub use plan::*;
pub use yaml::{MAX_DEPTH, MAX_SPEC_BYTES};

/// Which language a spec is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecFormat {
    /// KFP v2 pipeline IR, as `kfp.compiler` writes it.
    KfpIr,
    /// An Argo `Workflow` or `WorkflowTemplate`.
    ArgoWorkflow,
}

/// Parses and validates a spec, in either format.
pub fn parse(bytes: &[u8]) -> Result<Plan, SpecError> {
    parse_json(&load_json(bytes)?)
}

/// Loads a spec file (bounded) into the JSON form the KFP API stores and
/// serves, without validating it: the IR, or `{pipeline_spec,
/// platform_spec}` when the file holds a platform spec after it, as `kfp`
/// writes them. Scalars that the spec's own fields read as text (names,
/// images, Argo parameter values) stay the text written; the rest follows
/// the YAML core schema ([`yaml`]). [`parse_json`] validates it.
pub fn load_json(bytes: &[u8]) -> Result<serde_json::Value, SpecError> {
    let documents = match yaml::load(bytes) {
        Ok(documents) => documents,
        Err(_) if looks_like_python(bytes) => return Err(SpecError::PythonSource),
        Err(e) => return Err(e),
    };
    if documents.first().is_some_and(|d| detect_node(d).is_none()) && looks_like_python(bytes) {
        return Err(SpecError::PythonSource);
    }
    let first = documents.first().ok_or(SpecError::Empty)?;
    // Reading the typed spec marks its text fields; a shape error is
    // reported by the validation that follows, on the JSON.
    match detect_node(first) {
        Some(SpecFormat::KfpIr) => kfp::mark_text(first),
        Some(SpecFormat::ArgoWorkflow) => argo::mark_text(first),
        None => {}
    }
    let mut json: Vec<serde_json::Value> = documents.iter().map(|d| yaml::to_json(d)).collect();
    match json.len() {
        1 => Ok(json.remove(0)),
        _ => {
            let platform = json.remove(1);
            Ok(serde_json::json!({"pipeline_spec": json.remove(0), "platform_spec": platform}))
        }
    }
}

/// Whether `bytes` read as a pipeline's Python source: a line starting
/// with `import`, `from ... import`, `def` or a `@dsl.` decorator.
fn looks_like_python(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    text.lines().map(str::trim_start).any(|line| {
        line.starts_with("import ")
            || (line.starts_with("from ") && line.contains(" import "))
            || line.starts_with("def ")
            || line.starts_with("@dsl.")
    })
}

/// Parses and validates a spec given as JSON, as the KFP API carries it:
/// the IR itself, `{pipeline_spec, platform_spec}`, or an Argo workflow.
pub fn parse_json(value: &serde_json::Value) -> Result<Plan, SpecError> {
    let documents = match value.get("pipeline_spec") {
        Some(spec) => {
            let mut documents = vec![spec.clone()];
            documents.extend(value.get("platform_spec").cloned());
            documents
        }
        None => vec![value.clone()],
    };
    let format = detect(&documents[0])?;
    let plan = match format {
        SpecFormat::KfpIr => kfp::compile(&documents)?,
        SpecFormat::ArgoWorkflow => argo::compile(&documents[0])?,
    };
    // KFP's compiler never writes a component that contains itself; Argo
    // allows it under a condition.
    if let Some(cycle) = plan.recursion(format == SpecFormat::ArgoWorkflow) {
        return Err(SpecError::Component {
            component: cycle[0].clone(),
            field: "tasks".to_owned(),
            message: format!(
                "contains itself ({}){}",
                cycle.join(" -> "),
                match format {
                    SpecFormat::KfpIr => "; a pipeline cannot run itself",
                    SpecFormat::ArgoWorkflow => "; without a `when` or loop on the way it never ends",
                }
            ),
        });
    }
    Ok(plan)
}

/// Checks an Argo `WorkflowTemplate` or `ClusterWorkflowTemplate` before
/// it is stored: the whole workflow when it has an entrypoint, else each
/// of its templates.
pub fn check_template_library(object: &serde_json::Value) -> Result<(), SpecError> {
    argo::check_library(object)
}

/// A spec as YAML, for people to read and edit; [`load_json`] reads it
/// back to the same value.
pub fn to_yaml(value: &serde_json::Value) -> String {
    serde_saphyr::to_string(value).unwrap_or_else(|e| format!("# cannot write the spec as YAML: {e}\n"))
}

/// What a spec says about itself: KFP's `pipelineInfo.description` (a
/// compiled pipeline's docstring), or Argo's
/// `workflows.argoproj.io/description` annotation.
pub fn description(spec: &serde_json::Value) -> Option<String> {
    let ir = if spec.get("pipeline_spec").is_some() { &spec["pipeline_spec"] } else { spec };
    [&ir["pipelineInfo"]["description"], &spec["metadata"]["annotations"]["workflows.argoproj.io/description"]]
        .into_iter()
        .find_map(|v| v.as_str().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned))
}

/// Reads and parses a spec file.
pub fn parse_file(path: &std::path::Path) -> Result<Plan, SpecError> {
    parse(&read_file(path)?)
}

/// Reads a spec file. At most one byte past [`MAX_SPEC_BYTES`] is read,
/// so a huge file is refused without loading it.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, SpecError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| SpecError::Read { path: path.display().to_string(), message: e.to_string() };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_SPEC_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    Ok(bytes)
}

/// Whether a loaded spec is an Argo template library: a `WorkflowTemplate`
/// or `ClusterWorkflowTemplate` without an entrypoint, which is stored and
/// used through `templateRef` rather than run.
pub fn is_template_library(object: &serde_json::Value) -> bool {
    matches!(object["kind"].as_str(), Some("WorkflowTemplate" | "ClusterWorkflowTemplate"))
        && object["spec"]["entrypoint"].as_str().is_none_or(str::is_empty)
}

/// Whether `name` may name a task or template: letters, digits, `-`, `_`
/// and `.`, at most 128 bytes (what both KFP and Argo accept).
pub(crate) fn is_valid_task_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Checks a parameter or artifact name: it becomes a file name under the
/// run's directories, so it may not leave them.
pub(crate) fn check_io_name(component: &str, field: &str, name: &str) -> Result<(), SpecError> {
    let safe =
        !name.is_empty() && name.len() <= 128 && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    if safe {
        Ok(())
    } else {
        Err(SpecError::component(component, field, format!("{name:?} is not a valid input or output name")))
    }
}

fn detect_node(document: &yaml::Node) -> Option<SpecFormat> {
    if document.get("apiVersion").and_then(yaml::Node::text).is_some_and(|v| v.starts_with("argoproj.io/")) {
        Some(SpecFormat::ArgoWorkflow)
    } else if document.get("pipelineInfo").is_some() || document.get("schemaVersion").is_some() {
        Some(SpecFormat::KfpIr)
    } else {
        None
    }
}

fn detect(document: &serde_json::Value) -> Result<SpecFormat, SpecError> {
    let api_version = document.get("apiVersion").and_then(|v| v.as_str()).unwrap_or_default();
    if api_version.starts_with("argoproj.io/") {
        return Ok(SpecFormat::ArgoWorkflow);
    }
    if document.get("pipelineInfo").is_some() || document.get("schemaVersion").is_some() {
        return Ok(SpecFormat::KfpIr);
    }
    Err(SpecError::UnknownFormat)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_spec_describes_itself_in_kfp_or_argo_terms() {
        let kfp = json!({"pipelineInfo": {"name": "p", "description": "Trains a model."}});
        assert_eq!(description(&kfp).as_deref(), Some("Trains a model."));
        let wrapped = json!({"pipeline_spec": kfp, "platform_spec": {}});
        assert_eq!(description(&wrapped).as_deref(), Some("Trains a model."));
        let argo = json!({"metadata": {"annotations": {"workflows.argoproj.io/description": " Greets. "}}});
        assert_eq!(description(&argo).as_deref(), Some("Greets."));
        assert_eq!(description(&json!({"pipelineInfo": {"description": ""}})), None);
    }
}
