//! The new-notebook form as Kubeflow's Jupyter web app posts it, checked
//! and turned into a [`NotebookSpec`]. Every refusal names the field.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::SpawnerConfig;
use crate::spec::quantity;

/// Longest notebook name: Kubernetes gives a StatefulSet's pods a suffix,
/// and Kubeflow keeps names to 52 characters for that.
pub const MAX_NAME_LEN: usize = 52;

/// Most data volumes on one notebook.
pub const MAX_DATA_VOLUMES: usize = 16;

/// The body of `POST /api/namespaces/{ns}/notebooks`, keys as Kubeflow
/// spells them. Unknown keys are ignored, as Kubeflow's web app does.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotebookForm {
    /// The notebook's name (a DNS-1123 label).
    pub name: String,
    /// `jupyter`, `group-one` (VS Code) or `group-two` (RStudio).
    pub server_type: String,
    /// An image from the config's list.
    pub image: String,
    /// Any image, used when set.
    pub custom_image: String,
    /// Recorded; locally there is nothing to pull.
    pub image_pull_policy: String,
    /// CPU request, e.g. `0.5` or `500m`.
    pub cpu: Value,
    /// CPU limit.
    pub cpu_limit: Value,
    /// Memory request, e.g. `1Gi`.
    pub memory: Value,
    /// Memory limit.
    pub memory_limit: Value,
    /// `{"vendor": "nvidia.com/gpu", "num": "1" | "none"}`.
    pub gpus: Value,
    /// `{"mount": ..., "newPvc": {...}}` or `{"existingSource": {...}}`.
    pub workspace: Value,
    /// A list of volumes like the workspace.
    pub datavols: Vec<Value>,
    /// Names of configurations (presets of environment) to apply.
    pub configurations: Vec<String>,
    /// Whether to give the server a large `/dev/shm`.
    pub shm: bool,
    /// Recorded for the cluster backend.
    pub affinity_config: String,
    /// Recorded for the cluster backend.
    pub toleration_group: String,
}

/// A volume a notebook mounts: locally, a directory under the data dir.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// Its name (a DNS-1123 label): names the directory.
    pub name: String,
    /// Where the notebook sees it (Kubeflow's `mount`).
    pub mount: String,
}

/// A checked notebook spec: what is stored and launched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotebookSpec {
    /// Server type.
    pub server_type: String,
    /// The image (custom or from the list).
    pub image: String,
    /// Image pull policy, recorded.
    pub image_pull_policy: String,
    /// CPU request in thousandths of a core.
    pub cpu_milli: u64,
    /// CPU limit in thousandths of a core.
    pub cpu_limit_milli: u64,
    /// Memory request in bytes.
    pub memory_bytes: u64,
    /// Memory limit in bytes.
    pub memory_limit_bytes: u64,
    /// GPU vendor (resource name), when GPUs are asked for.
    pub gpu_vendor: String,
    /// GPUs asked for.
    pub gpus: u32,
    /// The workspace volume (the server's working directory), if any.
    pub workspace: Option<Volume>,
    /// Data volumes.
    pub data_volumes: Vec<Volume>,
    /// Configurations applied.
    pub configurations: Vec<String>,
    /// Large shared memory.
    pub shm: bool,
}

/// Why a form was refused; the message names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FormError {
    /// The form key, e.g. `cpuLimit`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

fn refuse(field: &str, problem: impl Into<String>) -> FormError {
    FormError { field: field.to_owned(), problem: problem.into() }
}

/// Checks a DNS-1123 label of at most `max` characters.
pub fn check_name(field: &str, name: &str, max: usize) -> Result<(), FormError> {
    if name.is_empty() {
        return Err(refuse(field, "is required"));
    }
    if name.len() > max {
        return Err(refuse(field, format!("{name:?} is {} characters long; the limit is {max}", name.len())));
    }
    let valid = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid {
        return Err(refuse(
            field,
            format!("{name:?} must be lower-case letters, digits and '-', starting and ending with a letter or digit"),
        ));
    }
    Ok(())
}

/// A quantity given as a string or a number.
fn quantity_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Keeps `result`'s value, or notes its problem and gives `None`.
fn noted<T>(problems: &mut Vec<FormError>, result: Result<T, FormError>) -> Option<T> {
    result.map_err(|e| problems.push(e)).ok()
}

impl NotebookForm {
    /// Checks the form against the spawner config, filling defaults (and
    /// forcing read-only fields to their configured values); refused for
    /// its first problem. [`NotebookForm::check_all`] names every one.
    pub fn check(&self, config: &SpawnerConfig) -> Result<(String, NotebookSpec), FormError> {
        self.check_all(config).map_err(|mut problems| problems.remove(0))
    }

    /// Checks every field, so that a form can show each problem next to
    /// its field at once; refused with at least one problem.
    pub fn check_all(&self, config: &SpawnerConfig) -> Result<(String, NotebookSpec), Vec<FormError>> {
        let mut problems = Vec::new();
        let p = &mut problems;
        noted(p, check_name("name", &self.name, MAX_NAME_LEN));
        let server_type = if self.server_type.is_empty() { "jupyter" } else { self.server_type.as_str() };
        let image = noted(p, self.image(config, server_type));
        let cpu =
            noted(p, self.resource("cpu", &self.cpu, &config.cpu.value, config.cpu.read_only, quantity::cpu_milli));
        let cpu_limit = cpu.and_then(|cpu| {
            noted(p, self.limit("cpuLimit", &self.cpu_limit, cpu, config.cpu.limit_factor, quantity::cpu_milli))
        });
        let memory = noted(
            p,
            self.resource("memory", &self.memory, &config.memory.value, config.memory.read_only, quantity::bytes),
        );
        let memory_limit = memory.and_then(|memory| {
            noted(p, self.limit("memoryLimit", &self.memory_limit, memory, config.memory.limit_factor, quantity::bytes))
        });
        let gpus = noted(p, self.gpus(config));
        let workspace = if config.workspace.read_only || self.workspace.is_null() {
            Some(config.workspace_default(&self.name))
        } else {
            noted(p, volume("workspace", &self.workspace, &self.name))
        };
        if self.datavols.len() > MAX_DATA_VOLUMES {
            p.push(refuse("datavols", format!("at most {MAX_DATA_VOLUMES} data volumes")));
        }
        let mut data_volumes = Vec::new();
        for (i, v) in self.datavols.iter().enumerate().take(MAX_DATA_VOLUMES) {
            match noted(p, volume(&format!("datavols[{i}]"), v, &self.name)) {
                Some(Some(v)) => data_volumes.push(v),
                Some(None) => p.push(refuse(&format!("datavols[{i}]"), "names no volume")),
                None => {}
            }
        }
        for c in &self.configurations {
            if !config.configurations.iter().any(|known| &known.name == c) {
                p.push(refuse("configurations", format!("{c:?} is not a configured configuration")));
            }
        }
        let (
            Some(image),
            Some(cpu),
            Some(cpu_limit),
            Some(memory),
            Some(memory_limit),
            Some((gpu_vendor, gpus)),
            Some(workspace),
            true,
        ) = (image, cpu, cpu_limit, memory, memory_limit, gpus, workspace, problems.is_empty())
        else {
            return Err(problems);
        };
        let spec = NotebookSpec {
            server_type: server_type.to_owned(),
            image,
            image_pull_policy: if self.image_pull_policy.is_empty() {
                "IfNotPresent".to_owned()
            } else {
                self.image_pull_policy.clone()
            },
            cpu_milli: cpu,
            cpu_limit_milli: cpu_limit,
            memory_bytes: memory,
            memory_limit_bytes: memory_limit,
            gpu_vendor,
            gpus,
            workspace,
            data_volumes,
            configurations: self.configurations.clone(),
            shm: if config.shm.read_only { config.shm.value } else { self.shm },
        };
        Ok((self.name.clone(), spec))
    }

    /// The image: custom when given (and allowed), else from the list.
    fn image(&self, config: &SpawnerConfig, server_type: &str) -> Result<String, FormError> {
        let images = config.images_for(server_type).ok_or_else(|| {
            refuse("serverType", format!("{server_type:?} is not one of jupyter, group-one, group-two"))
        })?;
        let image = if !self.custom_image.trim().is_empty() {
            if !config.allow_custom_image {
                return Err(refuse("customImage", "custom images are turned off by the administrator"));
            }
            self.custom_image.trim().to_owned()
        } else if self.image.is_empty() || config.image.read_only {
            images.value.clone()
        } else if images.options.contains(&self.image) || self.image == images.value {
            self.image.clone()
        } else {
            return Err(refuse("image", format!("{:?} is not in the configured list; use customImage", self.image)));
        };
        check_image(&image)?;
        Ok(image)
    }

    fn resource(
        &self,
        field: &str,
        given: &Value,
        default: &str,
        read_only: bool,
        parse: fn(&str) -> Option<u64>,
    ) -> Result<u64, FormError> {
        let text = if read_only { None } else { quantity_text(given) }.unwrap_or_else(|| default.to_owned());
        parse(&text)
            .filter(|v| *v > 0)
            .ok_or_else(|| refuse(field, format!("{text:?} is not a positive Kubernetes quantity")))
    }

    fn limit(
        &self,
        field: &str,
        given: &Value,
        request: u64,
        factor: Option<f64>,
        parse: fn(&str) -> Option<u64>,
    ) -> Result<u64, FormError> {
        let Some(text) = quantity_text(given) else {
            return Ok(factor.map_or(request, |f| (request as f64 * f).round() as u64));
        };
        let limit = parse(&text).ok_or_else(|| refuse(field, format!("{text:?} is not a Kubernetes quantity")))?;
        if limit < request {
            return Err(refuse(field, format!("{text:?} is below the request")));
        }
        Ok(limit)
    }

    fn gpus(&self, config: &SpawnerConfig) -> Result<(String, u32), FormError> {
        if self.gpus.is_null() || config.gpus.read_only {
            return Ok((String::new(), 0));
        }
        let num = match &self.gpus["num"] {
            Value::Null => return Ok((String::new(), 0)),
            Value::String(s) if s == "none" || s.is_empty() => return Ok((String::new(), 0)),
            Value::String(s) => s.parse::<u32>().map_err(|_| refuse("gpus.num", format!("{s:?} is not a number")))?,
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| refuse("gpus.num", format!("{n} is not a whole number")))?,
            other => return Err(refuse("gpus.num", format!("{other} is not a number"))),
        };
        if num == 0 {
            return Ok((String::new(), 0));
        }
        let vendor = self.gpus["vendor"].as_str().unwrap_or_default();
        if !config.gpus.vendors.iter().any(|v| v.limits_key == vendor) {
            return Err(refuse("gpus.vendor", format!("{vendor:?} is not a configured GPU vendor")));
        }
        Ok((vendor.to_owned(), num))
    }
}

/// Checks an image reference: no whitespace, control characters or shell
/// characters, bounded; it names a runtime, never a command.
fn check_image(image: &str) -> Result<(), FormError> {
    let ok = image.len() <= 256
        && image.bytes().all(|b| b.is_ascii_alphanumeric() || b"./:@_-".contains(&b))
        && !image.starts_with(['-', '.']);
    if !ok {
        return Err(refuse("image", format!("{image:?} is not an image reference")));
    }
    Ok(())
}

/// A workspace or data volume from Kubeflow's shape: a new PVC's name
/// (with `{notebook-name}` filled in) or an existing claim's name.
fn volume(field: &str, value: &Value, notebook: &str) -> Result<Option<Volume>, FormError> {
    if value.is_null() {
        return Ok(None);
    }
    let name = value["newPvc"]["metadata"]["name"]
        .as_str()
        .or_else(|| value["existingSource"]["persistentVolumeClaim"]["claimName"].as_str())
        .ok_or_else(|| refuse(field, "needs newPvc.metadata.name or existingSource.persistentVolumeClaim.claimName"))?
        .replace("{notebook-name}", notebook);
    check_name(&format!("{field} name"), &name, 63)?;
    let mount = value["mount"].as_str().unwrap_or("/home/jovyan").to_owned();
    if !mount.starts_with('/') || mount.contains("..") || mount.len() > 256 {
        return Err(refuse(&format!("{field}.mount"), format!("{mount:?} is not an absolute path")));
    }
    Ok(Some(Volume { name, mount }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(value: Value) -> NotebookForm {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn defaults_fill_what_the_form_leaves_out() {
        let (name, spec) = form(json!({"name": "my-nb"})).check(&SpawnerConfig::default()).unwrap();
        assert_eq!(name, "my-nb");
        assert_eq!(spec.server_type, "jupyter");
        assert_eq!(spec.cpu_milli, 500);
        assert_eq!(spec.cpu_limit_milli, 600, "limit factor 1.2");
        assert_eq!(spec.memory_bytes, 1 << 30);
        assert_eq!(spec.workspace.unwrap().name, "my-nb-workspace");
        assert_eq!(spec.gpus, 0);
    }

    #[test]
    fn a_kubeflow_body_is_read_as_kubeflow_sends_it() {
        let body = json!({
            "name": "train", "serverType": "jupyter", "image": "", "customImage": "my/jupyter:1",
            "cpu": "2", "cpuLimit": "4", "memory": "4Gi", "memoryLimit": "", "gpus": {"num": "1", "vendor": "nvidia.com/gpu"},
            "workspace": {"mount": "/home/jovyan", "newPvc": {"metadata": {"name": "{notebook-name}-volume"}}},
            "datavols": [{"mount": "/data", "existingSource": {"persistentVolumeClaim": {"claimName": "shared-data"}}}],
            "configurations": [], "shm": true, "affinityConfig": "", "tolerationGroup": ""
        });
        let (_, spec) = form(body).check(&SpawnerConfig::default()).unwrap();
        assert_eq!((spec.cpu_milli, spec.cpu_limit_milli), (2000, 4000));
        assert_eq!(spec.image, "my/jupyter:1");
        assert_eq!((spec.gpu_vendor.as_str(), spec.gpus), ("nvidia.com/gpu", 1));
        assert_eq!(spec.workspace.unwrap().name, "train-volume");
        assert_eq!(spec.data_volumes, vec![Volume { name: "shared-data".into(), mount: "/data".into() }]);
        assert!(spec.shm);
    }

    #[test]
    fn refusals_name_the_field() {
        let config = SpawnerConfig::default();
        let refused = |body: Value| form(body).check(&config).unwrap_err().to_string();
        assert!(refused(json!({"name": "My_NB"})).starts_with("name: "));
        assert!(refused(json!({"name": "a".repeat(53)})).contains("limit is 52"));
        assert!(refused(json!({"name": "nb", "serverType": "emacs"})).starts_with("serverType: "));
        assert!(refused(json!({"name": "nb", "cpu": "lots"})).starts_with("cpu: "));
        assert!(refused(json!({"name": "nb", "cpu": "2", "cpuLimit": "1"})).contains("below the request"));
        assert!(
            refused(json!({"name": "nb", "gpus": {"num": "1", "vendor": "acme.com/tpu"}})).starts_with("gpus.vendor")
        );
        assert!(refused(json!({"name": "nb", "customImage": "x; rm -rf /"})).starts_with("image: "));
        assert!(refused(json!({"name": "nb", "image": "not/listed"})).starts_with("image: "));
        assert!(refused(json!({"name": "nb", "configurations": ["nope"]})).starts_with("configurations: "));
        assert!(refused(json!({"name": "nb", "datavols": [{"mount": "/d"}]})).starts_with("datavols[0]: "));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let body =
            json!({"name": "Bad Name", "cpu": "lots", "memory": "1Gi", "memoryLimit": "1Mi", "gpus": {"num": "x"}});
        let problems = form(body).check_all(&SpawnerConfig::default()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "cpu", "memoryLimit", "gpus.num"]);
    }
}
