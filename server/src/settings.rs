//! Typed settings, layered: defaults, then a TOML file, then `FERROFLOW_*`
//! environment variables, then command-line flags.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// Everything `ferroflow serve` can be told.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory for the database and everything else Ferroflow stores.
    pub data_dir: PathBuf,
    /// Directory with the built site (wasm, JS, CSS, static files). Defaults
    /// to `site/` next to the executable, where `cargo xtask build` puts it.
    pub site_dir: Option<PathBuf>,
    /// `tracing` filter directives, e.g. `info,ferroflow=debug`.
    pub log: String,
    /// Local runtimes for pipeline steps: image -> directory put first on
    /// `PATH` (e.g. a virtualenv's `bin`).
    #[serde(default)]
    pub runtimes: std::collections::BTreeMap<String, PathBuf>,
    /// Runtime for images not listed in `runtimes`; default: the host's `PATH`.
    #[serde(default)]
    pub default_runtime: Option<PathBuf>,
    /// GPUs this machine hands out to steps and notebooks.
    #[serde(default)]
    pub gpus: u32,
    /// Seconds cached step outputs stay reusable; forever when unset.
    #[serde(default)]
    pub cache_ttl_seconds: Option<u64>,
    /// Directories whose files KFP importers may bring into runs
    /// (`file://` URIs), besides Ferroflow's own artifact store.
    #[serde(default)]
    pub import_dirs: Vec<PathBuf>,
    /// Hosts Argo `http` steps may call (`name`, or `*.domain`); none by
    /// default, so a workflow cannot make the server reach into its network.
    #[serde(default)]
    pub http_allow_hosts: Vec<String>,
    /// The `ferroflow-supervise` binary that wraps each step; default: next
    /// to this executable.
    #[serde(default)]
    pub supervisor: Option<PathBuf>,
    /// Address notebook servers are proxied on. They get an origin of their
    /// own so that a notebook's pages cannot act as the dashboard. Default:
    /// the dashboard's address with the next port (any free port when the
    /// dashboard's is 0).
    #[serde(default)]
    pub notebook_bind: Option<SocketAddr>,
    /// The notebooks' origin as browsers reach it, e.g.
    /// `https://notebooks.example.com`, when a proxy is in front. Default:
    /// the dashboard's host name with the notebook port.
    #[serde(default)]
    pub notebook_url: Option<String>,
    /// The spawner config (Kubeflow's `spawner_ui_config.yaml` shape); the
    /// built-in defaults when unset.
    #[serde(default)]
    pub spawner_config: Option<PathBuf>,
    /// Stop notebooks idle this many seconds (no kernel busy, no
    /// activity); never when unset.
    #[serde(default)]
    pub cull_idle_seconds: Option<u64>,
    /// Stop notebooks whose GPUs were idle this many seconds, even while
    /// their tab is open (no kernel busy); never when unset.
    #[serde(default)]
    pub cull_idle_gpu_seconds: Option<u64>,
    /// How often notebooks are checked for idleness, in seconds.
    #[serde(default = "default_cull_check_seconds")]
    pub cull_check_seconds: u64,
    /// How often utilization is sampled, in seconds.
    #[serde(default = "default_metrics_interval_seconds")]
    pub metrics_interval_seconds: u64,
    /// A DCGM exporter's `/metrics` URL, for a cluster's GPUs.
    #[serde(default)]
    pub dcgm_url: Option<String>,
    /// A Prometheus server (base URL) that stores a DCGM exporter's
    /// series, for a cluster's GPUs.
    #[serde(default)]
    pub prometheus_url: Option<String>,
    /// Days of minute averages kept (in memory and in the database).
    #[serde(default = "default_metrics_retention_days")]
    pub metrics_retention_days: u32,
    /// Tasks one run may start, loop iterations and nested DAGs included.
    #[serde(default = "default_max_tasks_per_run")]
    pub max_tasks_per_run: usize,
    /// DAGs one run may nest inside each other.
    #[serde(default = "default_max_nesting_depth")]
    pub max_nesting_depth: usize,
    /// Items one loop may fan out over.
    #[serde(default = "default_max_loop_items")]
    pub max_loop_items: usize,
    /// Seconds a run may take before it is ended and failed; no bound when unset.
    #[serde(default)]
    pub max_run_seconds: Option<u64>,
    /// Host names requests may be addressed to besides the bind address,
    /// `localhost` and `127.0.0.1` (e.g. `ml.example.com` behind a proxy);
    /// others are refused, which stops DNS-rebinding pages.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

fn default_max_tasks_per_run() -> usize {
    engine::runs::RunLimits::default().max_tasks
}

fn default_max_nesting_depth() -> usize {
    engine::runs::RunLimits::default().max_depth
}

fn default_max_loop_items() -> usize {
    engine::runs::RunLimits::default().max_loop_items
}

fn default_metrics_retention_days() -> u32 {
    7
}

fn default_metrics_interval_seconds() -> u64 {
    1
}

fn default_cull_check_seconds() -> u64 {
    60
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            site_dir: None,
            log: "info,sqlx=warn".to_owned(),
            runtimes: Default::default(),
            default_runtime: None,
            gpus: 0,
            cache_ttl_seconds: None,
            import_dirs: Vec::new(),
            http_allow_hosts: Vec::new(),
            supervisor: None,
            notebook_bind: None,
            notebook_url: None,
            spawner_config: None,
            cull_idle_seconds: None,
            cull_idle_gpu_seconds: None,
            cull_check_seconds: default_cull_check_seconds(),
            metrics_interval_seconds: default_metrics_interval_seconds(),
            dcgm_url: None,
            prometheus_url: None,
            metrics_retention_days: default_metrics_retention_days(),
            max_tasks_per_run: default_max_tasks_per_run(),
            max_nesting_depth: default_max_nesting_depth(),
            max_loop_items: default_max_loop_items(),
            max_run_seconds: None,
            allowed_hosts: Vec::new(),
        }
    }
}

/// The settings could not be assembled.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(#[from] Box<figment::Error>);

impl Settings {
    /// Layers defaults, the optional TOML `file` and `FERROFLOW_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment.merge(Env::prefixed("FERROFLOW_").ignore(&["config"])).extract().map_err(|e| SettingsError(Box::new(e)))
    }

    /// The same settings with every relative path made absolute against the
    /// current directory, once, at start: paths are handed to processes
    /// that run elsewhere (a notebook's Jupyter runs in its workspace), where
    /// a relative path would be resolved a second time.
    pub fn with_absolute_paths(mut self) -> std::io::Result<Self> {
        fn absolute(path: &mut PathBuf) -> std::io::Result<()> {
            *path = std::path::absolute(&*path)?;
            Ok(())
        }
        absolute(&mut self.data_dir)?;
        for path in self
            .site_dir
            .iter_mut()
            .chain(self.default_runtime.iter_mut())
            .chain(self.supervisor.iter_mut())
            .chain(self.spawner_config.iter_mut())
            .chain(self.import_dirs.iter_mut())
            .chain(self.runtimes.values_mut())
        {
            absolute(path)?;
        }
        Ok(self)
    }

    /// Where the built site is.
    pub fn site_dir(&self) -> PathBuf {
        self.site_dir.clone().unwrap_or_else(|| executable_dir().join("site"))
    }
}

/// The directory holding the running executable (and `hash.txt`).
pub fn executable_dir() -> PathBuf {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)).unwrap_or_default()
}

/// A settings file with every default, commented: `ferroflow config default`.
pub fn default_file() -> String {
    let defaults = Settings::default();
    format!(
        "# Ferroflow settings. Every key is optional; environment variables\n\
         # FERROFLOW_<KEY> (e.g. FERROFLOW_BIND) override this file.\n\n\
         # Address to listen on.\nbind = \"{}\"\n\n\
         # Directory for the SQLite database and everything else Ferroflow stores.\ndata_dir = \"{}\"\n\n\
         # Directory with the built site; default: site/ next to the executable.\n# site_dir = \"target/release/site\"\n\n\
         # Log filter (tracing directives).\nlog = \"{}\"\n\n\
         # GPUs handed out to pipeline steps (CUDA_VISIBLE_DEVICES).\ngpus = 0\n\n\
         # Runtime for images without their own: a directory put first on PATH.\n# default_runtime = \".venv/bin\"\n\n\
         # Directories whose files KFP importers may read (file:// URIs),\n\
         # besides Ferroflow's own artifacts.\n# import_dirs = [\"/srv/datasets\"]\n\n\
         # Hosts Argo http steps may call (name, or *.domain); none by default.\n\
         # http_allow_hosts = [\"hooks.example.com\"]\n\n\
         # Notebook servers are proxied on their own origin (a notebook's pages\n\
         # cannot act as the dashboard); default: the next port after `bind`.\n\
         # notebook_bind = \"127.0.0.1:8081\"\n\
         # Their origin as browsers reach it, when a proxy is in front.\n\
         # notebook_url = \"https://notebooks.example.com\"\n\n\
         # The new-notebook form's images, defaults and read-only fields\n\
         # (Kubeflow's spawner_ui_config.yaml shape); built-in when unset.\n\
         # spawner_config = \"spawner_ui_config.yaml\"\n\n\
         # Stop notebooks idle this many seconds (no busy kernel, no activity).\n\
         # cull_idle_seconds = 86400\n\
         # Stop notebooks whose GPUs sat idle this many seconds (no busy kernel).\n\
         # cull_idle_gpu_seconds = 3600\n\
         # How often notebooks are checked for idleness, in seconds.\n\
         cull_check_seconds = 60\n\n\
         # How often CPU, memory and GPU use is sampled, in seconds.\n\
         metrics_interval_seconds = 1\n\
         # Days of minute averages kept, so charts survive a restart.\n\
         metrics_retention_days = 7\n\
         # A DCGM exporter to read a cluster's GPUs from.\n\
         # dcgm_url = \"http://dcgm-exporter.gpu-operator:9400/metrics\"\n\
         # ... or a Prometheus server that scrapes one.\n\
         # prometheus_url = \"http://prometheus.monitoring:9090\"\n\n\
         # Bounds on one run: tasks started, DAGs nested, items per loop, seconds.\n\
         max_tasks_per_run = 10000\n\
         max_nesting_depth = 64\n\
         max_loop_items = 10000\n\
         # max_run_seconds = 604800\n\n\
         # Host names the server answers to besides the bind address,\n\
         # localhost and 127.0.0.1 (others get 421).\n\
         # allowed_hosts = [\"ml.example.com\"]\n\n\
         # Runtimes by image.\n[runtimes]\n# \"python:3.11\" = \"/opt/venvs/py311/bin\"\n",
        defaults.bind,
        defaults.data_dir.display(),
        defaults.log
    )
}

#[cfg(test)]
mod tests {
    #![expect(clippy::result_large_err, reason = "figment::Jail's closures return figment::Error")]

    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("ferroflow.toml", "bind = \"0.0.0.0:9000\"\ndata_dir = \"/srv/ff\"")?;
            jail.set_env("FERROFLOW_DATA_DIR", "/env/ff");
            let settings = Settings::load(Some(Path::new("ferroflow.toml"))).expect("loads");
            assert_eq!(settings.bind, "0.0.0.0:9000".parse().unwrap());
            assert_eq!(settings.data_dir, PathBuf::from("/env/ff"));
            assert_eq!(settings.log, Settings::default().log);
            Ok(())
        });
    }

    #[test]
    fn relative_paths_are_made_absolute_once() {
        let settings = Settings {
            data_dir: PathBuf::from("data"),
            default_runtime: Some(PathBuf::from(".venv/bin")),
            ..Settings::default()
        }
        .with_absolute_paths()
        .unwrap();
        let here = std::env::current_dir().unwrap();
        assert_eq!(settings.data_dir, here.join("data"));
        assert_eq!(settings.default_runtime, Some(here.join(".venv/bin")));
        let again = settings.clone().with_absolute_paths().unwrap();
        assert_eq!(again, settings, "absolute paths stay as they are");
    }

    #[test]
    fn default_file_parses_back_to_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("default.toml", &default_file())?;
            assert_eq!(Settings::load(Some(Path::new("default.toml"))).unwrap(), Settings::default());
            Ok(())
        });
    }

    #[test]
    fn typos_are_refused_by_name() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "bnid = \"x\"")?;
            let err = Settings::load(Some(Path::new("bad.toml"))).unwrap_err();
            assert!(err.to_string().contains("bnid"), "{err}");
            Ok(())
        });
    }
}
