//! The spawner config: what the new-notebook form offers and defaults to,
//! in the shape of Kubeflow's `spawner_ui_config.yaml`
//! (`spawnerFormDefaults`), read from an admin's YAML file or built in.

use std::{collections::BTreeMap, path::Path};

use serde::{Deserialize, Serialize};

use super::form::Volume;

/// A list of images for one server type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageChoice {
    /// The default.
    pub value: String,
    /// What may be picked.
    #[serde(default)]
    pub options: Vec<String>,
    /// Whether the form may change it.
    #[serde(default)]
    pub read_only: bool,
}

/// CPU or memory: default request and limit factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDefault {
    /// Default request, e.g. `0.5` or `1Gi`.
    pub value: String,
    /// Limit = request x factor when no limit is given; none means limit = request.
    #[serde(default, with = "factor")]
    pub limit_factor: Option<f64>,
    /// Whether the form may change it.
    #[serde(default)]
    pub read_only: bool,
}

/// Kubeflow writes the factor as a string ("1.2") or "none".
mod factor {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(f) => s.serialize_str(&f.to_string()),
            None => s.serialize_str("none"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Factor {
            Number(f64),
            Text(String),
        }
        Ok(match Option::<Factor>::deserialize(d)? {
            None => None,
            Some(Factor::Number(f)) => Some(f),
            Some(Factor::Text(t)) if t == "none" => None,
            Some(Factor::Text(t)) => Some(t.parse().map_err(serde::de::Error::custom)?),
        })
    }
}

/// A GPU vendor the form offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuVendor {
    /// Resource name, e.g. `nvidia.com/gpu`.
    pub limits_key: String,
    /// What the form shows, e.g. `NVIDIA`.
    pub ui_name: String,
}

/// GPUs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuDefault {
    /// Vendors offered.
    pub vendors: Vec<GpuVendor>,
    /// Whether the form may ask for GPUs.
    #[serde(default)]
    pub read_only: bool,
}

/// A yes/no field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Toggle {
    /// The default.
    pub value: bool,
    /// Whether the form may change it.
    #[serde(default)]
    pub read_only: bool,
}

/// The workspace volume's default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceDefault {
    /// Name pattern of a new workspace; `{notebook-name}` is filled in.
    /// Empty for no workspace by default.
    pub name: String,
    /// Where it is mounted.
    pub mount: String,
    /// Whether the form may change it.
    #[serde(default)]
    pub read_only: bool,
}

/// A configuration: a named preset of environment variables (Kubeflow's
/// PodDefaults, as far as a local process has them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// Its name, as the form sends it.
    pub name: String,
    /// What the form shows.
    #[serde(default)]
    pub description: String,
    /// Environment it sets.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// What the new-notebook form offers and defaults to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SpawnerConfig {
    /// JupyterLab images.
    pub image: ImageChoice,
    /// VS Code (code-server) images.
    pub image_group_one: ImageChoice,
    /// RStudio images.
    pub image_group_two: ImageChoice,
    /// Whether any image may be typed in.
    pub allow_custom_image: bool,
    /// CPU.
    pub cpu: ResourceDefault,
    /// Memory.
    pub memory: ResourceDefault,
    /// GPUs.
    pub gpus: GpuDefault,
    /// The workspace volume.
    pub workspace: WorkspaceDefault,
    /// Configurations offered.
    pub configurations: Vec<Configuration>,
    /// Large shared memory.
    pub shm: Toggle,
}

impl Default for SpawnerConfig {
    fn default() -> Self {
        let images = |value: &str, options: &[&str]| ImageChoice {
            value: value.to_owned(),
            options: options.iter().map(|s| s.to_string()).collect(),
            read_only: false,
        };
        Self {
            image: images(
                "kubeflownotebookswg/jupyter-scipy:v1.10.0",
                &[
                    "kubeflownotebookswg/jupyter-scipy:v1.10.0",
                    "kubeflownotebookswg/jupyter-pytorch-full:v1.10.0",
                    "kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.10.0",
                    "kubeflownotebookswg/jupyter-tensorflow-full:v1.10.0",
                ],
            ),
            image_group_one: images(
                "kubeflownotebookswg/codeserver-python:v1.10.0",
                &["kubeflownotebookswg/codeserver-python:v1.10.0"],
            ),
            image_group_two: images(
                "kubeflownotebookswg/rstudio-tidyverse:v1.10.0",
                &["kubeflownotebookswg/rstudio-tidyverse:v1.10.0"],
            ),
            allow_custom_image: true,
            cpu: ResourceDefault { value: "0.5".into(), limit_factor: Some(1.2), read_only: false },
            memory: ResourceDefault { value: "1Gi".into(), limit_factor: Some(1.2), read_only: false },
            gpus: GpuDefault {
                vendors: vec![
                    GpuVendor { limits_key: "nvidia.com/gpu".into(), ui_name: "NVIDIA".into() },
                    GpuVendor { limits_key: "amd.com/gpu".into(), ui_name: "AMD".into() },
                ],
                read_only: false,
            },
            workspace: WorkspaceDefault {
                name: "{notebook-name}-workspace".into(),
                mount: "/home/jovyan".into(),
                read_only: false,
            },
            configurations: Vec::new(),
            shm: Toggle { value: true, read_only: false },
        }
    }
}

/// Why the config file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It could not be read.
    #[error("cannot read the spawner config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// It is not a spawner config; the message says where.
    #[error("the spawner config {path} is invalid: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What and where.
        message: String,
    },
}

/// The file's top level, as Kubeflow's is.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    spawner_form_defaults: SpawnerConfig,
}

impl SpawnerConfig {
    /// Reads an admin's YAML file (`spawnerFormDefaults: ...`); fields it
    /// leaves out keep their defaults.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid { path: shown, message })
    }

    /// Parses the YAML text of a spawner config.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_saphyr::from_str::<File>(text).map(|f| f.spawner_form_defaults).map_err(|e| e.to_string())
    }

    /// The image list of a server type.
    pub fn images_for(&self, server_type: &str) -> Option<&ImageChoice> {
        match server_type {
            "jupyter" => Some(&self.image),
            "group-one" => Some(&self.image_group_one),
            "group-two" => Some(&self.image_group_two),
            _ => None,
        }
    }

    /// The default workspace of notebook `name`, if there is one.
    pub fn workspace_default(&self, name: &str) -> Option<Volume> {
        (!self.workspace.name.is_empty()).then(|| Volume {
            name: self.workspace.name.replace("{notebook-name}", name),
            mount: self.workspace.mount.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_file_overrides_what_it_names_and_keeps_the_rest() {
        let config = SpawnerConfig::parse(
            "spawnerFormDefaults:\n  cpu: {value: '2', limitFactor: 'none', readOnly: true}\n  \
             configurations:\n    - {name: proxy, description: Company proxy, env: {HTTPS_PROXY: 'http://proxy:3128'}}\n",
        )
        .unwrap();
        assert_eq!(config.cpu, ResourceDefault { value: "2".into(), limit_factor: None, read_only: true });
        assert_eq!(config.memory.value, "1Gi", "left out: default");
        assert_eq!(config.configurations[0].env["HTTPS_PROXY"], "http://proxy:3128");
    }

    #[test]
    fn a_broken_file_is_refused_with_where() {
        let error = SpawnerConfig::parse("spawnerFormDefaults:\n  cpu: [not, a, map]\n").unwrap_err();
        assert!(error.contains("cpu") || error.contains("line"), "{error}");
    }

    #[test]
    fn read_only_fields_win_over_the_form() {
        let config = SpawnerConfig {
            cpu: ResourceDefault { value: "1".into(), limit_factor: None, read_only: true },
            ..SpawnerConfig::default()
        };
        let form: super::super::form::NotebookForm =
            serde_json::from_value(serde_json::json!({"name": "nb", "cpu": "8"})).unwrap();
        let (_, spec) = form.check(&config).unwrap();
        assert_eq!(spec.cpu_milli, 1000);
    }
}
