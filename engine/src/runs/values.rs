//! Values flowing between tasks, and filling them into command lines and
//! KFP's `ExecutorInput`.

use std::{collections::BTreeMap, path::PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::spec::{Arg, ParameterType, Piece};

/// An artifact as it travels between tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArtifactValue {
    /// Output name it was produced under.
    pub name: String,
    /// Where it is: a local path for the local backend.
    pub uri: String,
    /// Schema title, e.g. `system.Dataset`.
    pub schema: String,
    /// Metadata the producer wrote.
    pub metadata: Value,
}

/// Parameters and artifacts of a task or DAG.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Values {
    /// Parameter values by name.
    pub parameters: BTreeMap<String, Value>,
    /// Artifacts by name.
    pub artifacts: BTreeMap<String, Vec<ArtifactValue>>,
}

/// Everything a placeholder may refer to when one attempt is launched.
#[derive(Debug)]
pub struct Fill<'a> {
    /// The task's resolved inputs.
    pub inputs: &'a Values,
    /// Output parameter name -> file the process writes it to.
    pub output_parameter_files: &'a BTreeMap<String, PathBuf>,
    /// Output artifacts to be written.
    pub output_artifacts: &'a BTreeMap<String, ArtifactValue>,
    /// The whole executor input, for `{{$}}`.
    pub executor_input: &'a Value,
    /// Run-level values: `job_name`, `job_uuid`, `task_name`, ...
    pub run: &'a BTreeMap<String, String>,
    /// Parameters the run was started with.
    pub pipeline_inputs: &'a BTreeMap<String, Value>,
    /// The loop item, inside an iteration.
    pub item: Option<&'a Value>,
}

/// A run's parameters (a JSON object) as (name, text) pairs, by name.
pub fn parameter_texts(parameters: &Value) -> Vec<(String, String)> {
    parameters.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), as_argument(v))).collect()
}

/// A value as one command-line argument: strings as they are, the rest as JSON.
pub fn as_argument(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The field of a loop item, or the item itself.
pub fn item_field(item: &Value, field: Option<&str>) -> Option<Value> {
    match field {
        None => Some(item.clone()),
        Some(f) => item.get(f).cloned(),
    }
}

/// No output files or artifacts: what a fill outside a process launch has.
static NO_FILES: BTreeMap<String, PathBuf> = BTreeMap::new();
static NO_ARTIFACTS: BTreeMap<String, ArtifactValue> = BTreeMap::new();

impl<'a> Fill<'a> {
    /// A fill for text the engine itself reads (task arguments, `when`,
    /// `http` requests): inputs, run values and the loop item, no outputs.
    pub fn outside_process(
        inputs: &'a Values,
        run: &'a BTreeMap<String, String>,
        pipeline_inputs: &'a BTreeMap<String, Value>,
        item: Option<&'a Value>,
    ) -> Self {
        Fill {
            inputs,
            output_parameter_files: &NO_FILES,
            output_artifacts: &NO_ARTIFACTS,
            executor_input: &Value::Null,
            run,
            pipeline_inputs,
            item,
        }
    }
}

impl Fill<'_> {
    /// Expands argv templates into the arguments of the process.
    pub fn argv(&self, args: &[Arg]) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for arg in args {
            match arg {
                Arg::Concat(pieces) => out.push(self.text(pieces)?),
                Arg::IfPresent { input, then, otherwise } => {
                    let present =
                        self.inputs.parameters.contains_key(input) || self.inputs.artifacts.contains_key(input);
                    out.extend(self.argv(if present { then } else { otherwise })?);
                }
            }
        }
        Ok(out)
    }

    /// Concatenates pieces into one string.
    pub fn text(&self, pieces: &[Piece]) -> Result<String, String> {
        pieces.iter().map(|piece| self.piece(piece)).collect()
    }

    /// What an Argo expression may read: `inputs`, `workflow`, `item`, and
    /// (where sibling tasks are in scope) `tasks`/`steps`. Parameters are text.
    pub fn expression_variables(&self, tasks: Option<Value>) -> Value {
        let text = |v: &Value| Value::String(as_argument(v));
        let inputs: serde_json::Map<String, Value> =
            self.inputs.parameters.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        let mut workflow: serde_json::Map<String, Value> =
            [("name", "job_name"), ("uid", "job_uuid"), ("namespace", "namespace"), ("status", "status")]
                .into_iter()
                .filter_map(|(name, key)| Some((name.to_owned(), Value::String(self.run.get(key)?.clone()))))
                .collect();
        workflow.insert(
            "parameters".into(),
            Value::Object(self.pipeline_inputs.iter().map(|(k, v)| (k.clone(), text(v))).collect()),
        );
        let mut variables = json!({ "inputs": { "parameters": inputs }, "workflow": workflow });
        if let Some(item) = self.item {
            variables["item"] = item.clone();
        }
        if let Some(tasks) = tasks {
            variables["steps"] = tasks.clone();
            variables["tasks"] = tasks;
        }
        variables
    }

    fn piece(&self, piece: &Piece) -> Result<String, String> {
        let artifact = |name: &str| {
            self.inputs
                .artifacts
                .get(name)
                .and_then(|a| a.first())
                .ok_or_else(|| format!("input artifact {name:?} was not provided"))
        };
        Ok(match piece {
            Piece::Literal(text) => text.clone(),
            Piece::ExecutorInput => self.executor_input.to_string(),
            Piece::InputValue(name) => as_argument(
                self.inputs.parameters.get(name).ok_or_else(|| format!("input parameter {name:?} was not provided"))?,
            ),
            Piece::InputArtifactPath(name) | Piece::InputArtifactUri(name) => artifact(name)?.uri.clone(),
            Piece::InputArtifactMetadata(name) => artifact(name)?.metadata.to_string(),
            Piece::InputArtifactList(name) => {
                let list = self.inputs.artifacts.get(name).map(Vec::as_slice).unwrap_or_default();
                // A JSON list of artifacts, the shape KFP's own test pipelines
                // read (`[d['uri'] for d in json.loads(...)]`).
                Value::Array(list.iter().map(artifact_json).collect()).to_string()
            }
            Piece::OutputArtifactMetadata(name) => self
                .output_artifacts
                .get(name)
                .ok_or_else(|| format!("no output artifact {name:?}"))?
                .metadata
                .to_string(),
            Piece::OutputParameterFile(name) => self
                .output_parameter_files
                .get(name)
                .ok_or_else(|| format!("no output parameter {name:?}"))?
                .display()
                .to_string(),
            Piece::OutputArtifactPath(name) | Piece::OutputArtifactUri(name) => {
                self.output_artifacts.get(name).ok_or_else(|| format!("no output artifact {name:?}"))?.uri.clone()
            }
            Piece::Run(key) => self.run.get(key).cloned().unwrap_or_default(),
            Piece::PipelineInput(name) => as_argument(
                self.pipeline_inputs
                    .get(name)
                    .ok_or_else(|| format!("workflow parameter {name:?} was not provided"))?,
            ),
            Piece::Item(field) => {
                let item = self.item.ok_or("{{item}} outside a loop")?;
                as_argument(
                    &item_field(item, field.as_deref()).ok_or_else(|| format!("loop item has no field {field:?}"))?,
                )
            }
            Piece::Expression(expression) => super::expr::evaluate(expression, &self.expression_variables(None))?,
            Piece::InputParameters => {
                let list: Vec<Value> =
                    self.inputs.parameters.iter().map(|(name, value)| json!({"name": name, "value": value})).collect();
                Value::Array(list).to_string()
            }
            sibling @ (Piece::TaskOutput { .. }
            | Piece::TaskStatus(_)
            | Piece::TaskExitCode(_)
            | Piece::TaskOutputParameters(_)) => {
                return Err(format!("{sibling:?} is not available to a process"));
            }
        })
    }
}

/// An artifact as KFP's `ExecutorInput` writes it.
fn artifact_json(a: &ArtifactValue) -> Value {
    json!({ "name": a.name, "uri": a.uri, "metadata": a.metadata, "type": { "schemaTitle": a.schema } })
}

/// KFP's `ExecutorInput` for one attempt.
pub fn executor_input(
    inputs: &Values,
    output_parameter_files: &BTreeMap<String, PathBuf>,
    output_artifacts: &BTreeMap<String, ArtifactValue>,
    executor_output: &std::path::Path,
) -> Value {
    json!({
        "inputs": {
            "parameterValues": inputs.parameters,
            "artifacts": inputs.artifacts.iter().map(|(name, list)| {
                (name.clone(), json!({ "artifacts": list.iter().map(artifact_json).collect::<Vec<_>>() }))
            }).collect::<serde_json::Map<_, _>>(),
        },
        "outputs": {
            "parameters": output_parameter_files.iter().map(|(name, path)| {
                (name.clone(), json!({ "outputFile": path.display().to_string() }))
            }).collect::<serde_json::Map<_, _>>(),
            "artifacts": output_artifacts.iter().map(|(name, a)| {
                (name.clone(), json!({ "artifacts": [artifact_json(a)] }))
            }).collect::<serde_json::Map<_, _>>(),
            "outputFile": executor_output.display().to_string(),
        }
    })
}

/// Reads an output parameter written as text into a value of its type, as
/// KFP's launcher does: strings as written, everything else as JSON.
pub fn parse_output(kind: ParameterType, text: &str) -> Result<Value, String> {
    match kind {
        ParameterType::String => Ok(Value::String(text.to_owned())),
        _ => {
            let value: Value =
                serde_json::from_str(text.trim()).map_err(|e| format!("{text:?} is not a {kind:?}: {e}"))?;
            if kind.admits(&value) { Ok(value) } else { Err(format!("{value} is not a {kind:?}")) }
        }
    }
}

/// Makes a value fit its declared type where KFP would: `2.0` for an
/// integer parameter becomes `2`; Argo's text parameters stay text.
pub fn coerce(kind: ParameterType, value: Value) -> Value {
    match (kind, &value) {
        (ParameterType::NumberInteger, Value::Number(n)) if n.is_f64() => {
            n.as_f64().filter(|f| f.fract() == 0.0).map_or(value.clone(), |f| json!(f as i64))
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_keep_their_types() {
        assert_eq!(parse_output(ParameterType::NumberInteger, "3\n"), Ok(json!(3)));
        assert_eq!(parse_output(ParameterType::String, "3\n"), Ok(json!("3\n")));
        assert_eq!(parse_output(ParameterType::List, "[1, 2]"), Ok(json!([1, 2])));
        assert!(parse_output(ParameterType::Boolean, "maybe").is_err());
        assert_eq!(coerce(ParameterType::NumberInteger, json!(2.0)), json!(2));
    }

    #[test]
    fn argv_fills_placeholders_and_if_present() {
        let inputs = Values { parameters: [("name".to_owned(), json!("Ada; rm -rf /"))].into(), ..Values::default() };
        let files = BTreeMap::from([("out".to_owned(), PathBuf::from("/o/out"))]);
        let fill = Fill {
            inputs: &inputs,
            output_parameter_files: &files,
            output_artifacts: &BTreeMap::new(),
            executor_input: &json!({}),
            run: &BTreeMap::new(),
            pipeline_inputs: &BTreeMap::new(),
            item: None,
        };
        let args = vec![
            Arg::Concat(vec![Piece::Literal("--name=".into()), Piece::InputValue("name".into())]),
            Arg::IfPresent {
                input: "suffix".into(),
                then: vec![],
                otherwise: vec![Arg::Concat(vec![Piece::Literal("--no-suffix".into())])],
            },
            Arg::Concat(vec![Piece::OutputParameterFile("out".into())]),
        ];
        assert_eq!(fill.argv(&args).unwrap(), ["--name=Ada; rm -rf /", "--no-suffix", "/o/out"]);
    }
}
