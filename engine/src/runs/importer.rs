//! KFP importers (`dsl.importer`): an artifact that exists already becomes
//! the task's output. Locally that is a file of this Ferroflow's artifact
//! store or a `file://` path under an import directory (`import_dirs`).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{
    Progress, RunContext, State,
    executor::Outcome,
    record::{self, TaskKey},
    values::{ArtifactValue, Values},
};
use crate::spec::{Component, ImportUri, Importer};

/// Imports the artifact and records the task, or fails it naming why.
pub(super) async fn run(
    ctx: &RunContext,
    name: &str,
    component: &Component,
    importer: &Importer,
    inputs: &Values,
    path: &str,
) -> Outcome {
    let key = TaskKey { run_id: &ctx.run_id, path, name };
    let resolved = uri(importer, inputs).and_then(|uri| local_path(&uri, &ctx.artifacts_dir, &ctx.import_roots));
    let output = component.output_artifacts.keys().next().cloned().unwrap_or_else(|| "artifact".into());
    let recorded = match resolved {
        Ok(file) => {
            let artifact = ArtifactValue {
                name: output.clone(),
                uri: file.display().to_string(),
                schema: importer.schema.clone(),
                metadata: importer.metadata.clone(),
            };
            let outputs = Values { artifacts: [(output, vec![artifact.clone()])].into(), ..Values::default() };
            record::task_imported(&ctx.store, key, &json!(outputs), &artifact)
                .await
                .map(|()| outputs)
                .map_err(|e| format!("cannot record the import: {e}"))
        }
        Err(reason) => Err(reason),
    };
    match recorded {
        Ok(outputs) => {
            ctx.report(Progress { path, state: State::Succeeded, attempts: 0, cached: false });
            Outcome {
                state: State::Succeeded,
                outputs,
                reason: None,
                exit_code: None,
                iterations: None,
                omitted: false,
            }
        }
        Err(reason) => {
            if let Err(e) = record::task_ended(&ctx.store, key, State::Failed, &json!(null), None, Some(&reason)).await
            {
                tracing::error!(run.id = %ctx.run_id, task.path = %path, "cannot record a failed import: {e}");
            }
            ctx.report(Progress { path, state: State::Failed, attempts: 0, cached: false });
            Outcome::failed(format!("{path}: {reason}"))
        }
    }
}

fn uri(importer: &Importer, inputs: &Values) -> Result<String, String> {
    match &importer.uri {
        ImportUri::Constant(uri) => Ok(uri.clone()),
        ImportUri::Parameter(name) => match inputs.parameters.get(name) {
            Some(serde_json::Value::String(uri)) => Ok(uri.clone()),
            Some(other) => Err(format!("importer: the URI parameter {name:?} is {other}, not text")),
            None => Err(format!("importer: the URI parameter {name:?} was not given")),
        },
    }
}

/// The file a URI names, which must lie in the artifact store or under an
/// import directory once links and `..` are resolved.
pub fn local_path(uri: &str, artifacts_dir: &Path, import_roots: &[PathBuf]) -> Result<PathBuf, String> {
    let path = match uri.split_once("://") {
        Some(("file", rest)) => PathBuf::from(rest),
        Some((scheme, _)) => {
            return Err(format!(
                "importer: {uri:?}: the {scheme}:// scheme is not served on this machine; import an artifact of \
                 this Ferroflow or a file:// path under an import directory (setting `import_dirs`)"
            ));
        }
        None => PathBuf::from(uri),
    };
    if !path.is_absolute() {
        return Err(format!("importer: {uri:?} is not an absolute path or a file:// URI"));
    }
    let real = path.canonicalize().map_err(|e| format!("importer: {uri:?}: {e}"))?;
    let allowed = std::iter::once(artifacts_dir)
        .chain(import_roots.iter().map(PathBuf::as_path))
        .filter_map(|root| root.canonicalize().ok())
        .any(|root| real.starts_with(root));
    if allowed {
        Ok(real)
    } else {
        Err(format!(
            "importer: {uri:?} is outside the artifact store and the import directories (setting `import_dirs`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_under_the_store_or_an_import_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (store, shared, other) =
            (dir.path().join("artifacts"), dir.path().join("shared"), dir.path().join("other"));
        for d in [&store, &shared, &other] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("f"), "x").unwrap();
        }
        std::os::unix::fs::symlink(other.join("f"), shared.join("link")).unwrap();
        let roots = [shared.clone()];
        let at = |uri: &str| local_path(uri, &store, &roots);
        assert_eq!(at(&store.join("f").display().to_string()).unwrap(), store.join("f").canonicalize().unwrap());
        assert!(at(&format!("file://{}", shared.join("f").display())).is_ok());
        let outside = at(&format!("file://{}/../other/f", shared.display())).unwrap_err();
        assert!(outside.contains("outside the artifact store"), "{outside}");
        assert!(at(&format!("file://{}", shared.join("link").display())).unwrap_err().contains("outside"));
        let s3 = at("s3://bucket/key").unwrap_err();
        assert!(s3.contains("the s3:// scheme is not served"), "{s3}");
        assert!(at("relative/f").unwrap_err().contains("not an absolute path"));
        assert!(at(&format!("file://{}", shared.join("missing").display())).unwrap_err().contains("No such file"));
    }
}
