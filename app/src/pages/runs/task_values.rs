//! A task's inputs, outputs and metrics as people read them: one row per
//! parameter or artifact (name, type, value or a link to download it),
//! never the raw JSON with the server's file paths; scalar metrics
//! (`Output[Metrics]`, `log_metric`) as a table of their own.

use serde::{Deserialize, Serialize};
#[cfg(any(feature = "ssr", test))]
use serde_json::Value;

/// Longest value shown in a row; the rest is cut with an ellipsis.
#[cfg(any(feature = "ssr", test))]
const MAX_VALUE_CHARS: usize = 2000;

/// One input or output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueRow {
    /// Its name, as the component declares it.
    pub name: String,
    /// `string`, `number`, `list`... for parameters; the schema
    /// (`system.Dataset`) for artifacts.
    pub kind: String,
    /// The value; for an artifact, what it says about itself (its file
    /// name, its metadata).
    pub value: String,
    /// Where to download an artifact this run stored.
    pub href: Option<String>,
}

/// Rows of `values` (`{parameters, artifacts}` as a task records them).
/// `link` gives the download address of an artifact by its URI, when the
/// run stored it.
#[cfg(any(feature = "ssr", test))]
pub fn rows(values: &Value, link: impl Fn(&str) -> Option<String>) -> Vec<ValueRow> {
    let mut rows = Vec::new();
    if let Some(parameters) = values["parameters"].as_object() {
        for (name, value) in parameters {
            let name = name.strip_prefix("pipelinechannel--").unwrap_or(name).to_owned();
            rows.push(ValueRow { name, kind: kind_of(value).to_owned(), value: shown(value), href: None });
        }
        // By the names people see, not by KFP's prefixed keys.
        rows.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if let Some(artifacts) = values["artifacts"].as_object() {
        for (name, list) in artifacts {
            for artifact in list.as_array().into_iter().flatten() {
                let uri = artifact["uri"].as_str().unwrap_or_default();
                rows.push(ValueRow {
                    name: name.strip_prefix("pipelinechannel--").unwrap_or(name).to_owned(),
                    kind: artifact["schema"].as_str().filter(|s| !s.is_empty()).unwrap_or("artifact").to_owned(),
                    value: describe_artifact(uri, &artifact["metadata"]),
                    href: link(uri),
                });
            }
        }
    }
    rows
}

/// The scalar metrics in artifacts of schema `system.Metrics`: (name,
/// value) from each one's metadata, as KFP's `log_metric` writes them.
#[cfg(any(feature = "ssr", test))]
pub fn metrics<'a>(artifacts: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Vec<(String, String)> {
    artifacts
        .into_iter()
        .filter(|(schema, _)| *schema == "system.Metrics")
        .filter_map(|(_, metadata)| metadata.as_object())
        .flat_map(|fields| fields.iter().filter(|(k, _)| *k != "display_name"))
        .map(|(name, value)| (name.clone(), shown(value)))
        .collect()
}

#[cfg(any(feature = "ssr", test))]
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "list",
        Value::Object(_) => "struct",
        Value::Null => "none",
    }
}

#[cfg(any(feature = "ssr", test))]
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    text.chars().take(MAX_VALUE_CHARS - 1).chain(['\u{2026}']).collect()
}

/// An artifact in words: a remote URI as it is; a file on this machine by
/// its name only; its metadata when it has any.
#[cfg(any(feature = "ssr", test))]
fn describe_artifact(uri: &str, metadata: &Value) -> String {
    let place = if uri.contains("://") && !uri.starts_with("file://") {
        uri.to_owned()
    } else {
        uri.rsplit('/').find(|s| !s.is_empty()).unwrap_or("stored artifact").to_owned()
    };
    match metadata.as_object().filter(|m| !m.is_empty()) {
        Some(fields) => format!("{place} {}", shown(&Value::Object(fields.clone()))),
        None => place,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parameters_and_artifacts_become_rows_without_server_paths() {
        let values = json!({
            "parameters": {"pipelinechannel--lr": 0.3, "epochs": 3, "name": "run a", "layers": [1, 2]},
            "artifacts": {"model": [{"name": "model", "uri": "/srv/data/artifacts/r/t/model", "schema": "system.Model", "metadata": {}}],
                          "remote": [{"name": "remote", "uri": "gs://bucket/x", "schema": "", "metadata": {"rows": 10}}]},
        });
        let found =
            rows(&values, |uri| (uri == "/srv/data/artifacts/r/t/model").then(|| "/ui/artifacts/r/t/model".into()));
        let flat: Vec<(&str, &str, &str, Option<&str>)> =
            found.iter().map(|r| (r.name.as_str(), r.kind.as_str(), r.value.as_str(), r.href.as_deref())).collect();
        assert_eq!(
            flat,
            [
                ("epochs", "integer", "3", None),
                ("layers", "list", "[1,2]", None),
                ("lr", "number", "0.3", None),
                ("name", "string", "run a", None),
                ("model", "system.Model", "model", Some("/ui/artifacts/r/t/model")),
                ("remote", "artifact", "gs://bucket/x {\"rows\":10}", None),
            ]
        );
        assert!(found.iter().all(|r| !r.value.contains("/srv/")));
    }

    #[test]
    fn metrics_are_read_from_metrics_artifacts_only() {
        let metrics_meta = json!({"accuracy": 0.91, "display_name": "metrics", "loss": 0.2});
        let other = json!({"accuracy": 1});
        assert_eq!(
            metrics([("system.Metrics", &metrics_meta), ("system.Dataset", &other)]),
            [("accuracy".to_owned(), "0.91".to_owned()), ("loss".to_owned(), "0.2".to_owned())]
        );
    }
}
