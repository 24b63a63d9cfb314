//! Python environments prepared once per (runtime, package set) and shared
//! by every step that asks for the same packages.
//!
//! KFP's lightweight components start with `pip install 'kfp==<version>'`
//! (and their `packages_to_install`). Run as they are, ten loop iterations
//! would run ten installs at once, racing in one environment, each over
//! the network. Instead the installs a step's command line asks for are
//! read from it, run once under a lock into an environment layered on the
//! runtime (`data_dir/environments/<key>`), and each attempt gets an
//! overlay over that environment: its preamble finds everything satisfied,
//! and whatever it still installs lands in its own overlay. Neither the
//! runtime nor a prepared environment is ever written by a step.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::process::Command;

/// What a step's command line installs: each `pip install`'s arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirements(pub Vec<Vec<String>>);

/// Options that install somewhere else than the environment, or read files
/// whose contents are not on the command line: such a step prepares its
/// own environment, as before.
const NOT_SHAREABLE: [&str; 10] =
    ["--target", "-t", "--prefix", "--root", "--user", "-r", "--requirement", "-c", "--constraint", "-e"];

/// The installs in `argv` when they can be prepared ahead: every `pip
/// install` with literal arguments (no shell variables, no placeholders).
pub fn requirements(argv: &[String]) -> Option<Requirements> {
    let mut installs = Vec::new();
    for arg in argv {
        for line in arg.lines() {
            let mut rest = line;
            while let Some(at) =
                ["pip install", "pip3 install"].iter().filter_map(|p| rest.find(p).map(|i| (i, p.len()))).min()
            {
                let after = &rest[at.0 + at.1..];
                let words = shlex::split(after)?;
                let args: Vec<String> =
                    words.into_iter().take_while(|w| !matches!(w.as_str(), "&&" | "||" | ";" | "|")).collect();
                let literal = args.iter().all(|a| !a.contains('$') && !a.contains("{{") && !a.contains('`'));
                let shareable =
                    args.iter().all(|a| !NOT_SHAREABLE.iter().any(|o| a == o || a.starts_with(&format!("{o}="))));
                if !literal || !shareable || args.is_empty() {
                    return None;
                }
                installs.push(args);
                rest = after;
            }
        }
    }
    (!installs.is_empty()).then_some(Requirements(installs))
}

/// A prepared environment, as `ferroflow runtimes list` shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Prepared {
    /// Its directory.
    #[serde(skip)]
    pub dir: PathBuf,
    /// The runtime's `bin` it is layered on.
    pub runtime: PathBuf,
    /// The installs it was prepared with.
    pub requirements: Requirements,
    /// When it was prepared.
    pub created: chrono::DateTime<chrono::Utc>,
    /// When a step last used it (its marker file's time).
    #[serde(skip)]
    pub last_used: Option<SystemTime>,
}

const DESCRIPTION: &str = "ferroflow-environment.json";
const LAST_USED: &str = "last-used";

/// The prepared environments under one directory.
#[derive(Clone, Debug, Default)]
pub struct Environments {
    root: PathBuf,
    preparing: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Environments {
    /// Environments kept in `root` (created when first needed).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), preparing: Default::default() }
    }

    /// The environment for `requirements` over `runtime_bin`, prepared now
    /// unless it was before; the error is pip's own, naming the package.
    pub async fn prepare(&self, runtime_bin: &Path, requirements: &Requirements) -> Result<PathBuf, String> {
        let key = key(runtime_bin, requirements);
        let dir = self.root.join(&key);
        // One preparation per key at a time; the others wait and find it.
        let lock = self
            .preparing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone();
        let _turn = lock.lock().await;
        if !dir.join(DESCRIPTION).exists() {
            self.build(runtime_bin, requirements, &dir).await?;
        }
        touch(&dir.join(LAST_USED));
        Ok(dir)
    }

    async fn build(&self, runtime_bin: &Path, requirements: &Requirements, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(&self.root).map_err(|e| format!("cannot create {}: {e}", self.root.display()))?;
        // Built aside and renamed in, so a crash never leaves half of one.
        let building = self.root.join(format!(".building-{}", uuid::Uuid::new_v4()));
        let result = async {
            let bin = super::python_overlay::prepare(runtime_bin, &building, &[])
                .await?
                .ok_or_else(|| format!("the runtime {} has no python3", runtime_bin.display()))?;
            for args in &requirements.0 {
                let out = Command::new(bin.join("python3"))
                    .args(["-m", "pip", "install", "--disable-pip-version-check"])
                    .args(args)
                    .env_remove("PYTHONPATH")
                    .output()
                    .await
                    .map_err(|e| format!("cannot run pip: {e}"))?;
                if !out.status.success() {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).rev().take(6).collect();
                    let tail: Vec<&str> = tail.into_iter().rev().collect();
                    return Err(format!("pip install {} failed: {}", args.join(" "), tail.join(" / ")));
                }
            }
            let description = Prepared {
                dir: dir.to_owned(),
                runtime: runtime_bin.to_owned(),
                requirements: requirements.clone(),
                created: chrono::Utc::now(),
                last_used: None,
            };
            let text = serde_json::to_string_pretty(&description).map_err(|e| e.to_string())?;
            std::fs::write(building.join(DESCRIPTION), text)
                .map_err(|e| format!("cannot describe the environment: {e}"))?;
            std::fs::rename(&building, dir).map_err(|e| format!("cannot move the environment into place: {e}"))
        }
        .await;
        if result.is_err() {
            let _removed = std::fs::remove_dir_all(&building);
        }
        result
    }

    /// Every prepared environment, oldest first.
    pub fn list(&self) -> Vec<Prepared> {
        let Ok(entries) = std::fs::read_dir(&self.root) else { return Vec::new() };
        let mut found: Vec<Prepared> = entries
            .flatten()
            .filter_map(|entry| {
                let dir = entry.path();
                let text = std::fs::read_to_string(dir.join(DESCRIPTION)).ok()?;
                let mut prepared: Prepared = serde_json::from_str(&text).ok()?;
                prepared.last_used = std::fs::metadata(dir.join(LAST_USED)).and_then(|m| m.modified()).ok();
                prepared.dir = dir;
                Some(prepared)
            })
            .collect();
        found.sort_by_key(|p| p.created);
        found
    }

    /// Removes the environments no step used for `unused_for`, and
    /// leftovers of preparations that were cut short; what it removed.
    pub fn prune(&self, unused_for: Duration) -> std::io::Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        let now = SystemTime::now();
        for prepared in self.list() {
            let idle = prepared.last_used.and_then(|t| now.duration_since(t).ok()).unwrap_or(Duration::MAX);
            if idle >= unused_for {
                std::fs::remove_dir_all(&prepared.dir)?;
                removed.push(prepared.dir);
            }
        }
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(".building-") {
                    std::fs::remove_dir_all(entry.path())?;
                    removed.push(entry.path());
                }
            }
        }
        Ok(removed)
    }
}

/// The environment's name: the runtime and the installs, hashed.
fn key(runtime_bin: &Path, requirements: &Requirements) -> String {
    let mut hasher = Sha256::new();
    hasher.update(runtime_bin.display().to_string());
    hasher.update(serde_json::to_vec(requirements).unwrap_or_default());
    hasher.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn touch(path: &Path) {
    if let Err(e) = std::fs::write(path, b"") {
        tracing::warn!(path = %path.display(), error = %e, "cannot mark a prepared environment as used");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec![
            "sh".into(),
            "-c".into(),
            script.into(),
            "sh".into(),
            "-ec".into(),
            "python3 -m kfp.dsl.executor_main".into(),
        ]
    }

    #[test]
    fn the_installs_of_a_kfp_preamble_are_read() {
        // As kfp 2.17.3 writes a component with packages_to_install.
        let preamble = "\nif ! [ -x \"$(command -v pip)\" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location 'ffprobe-pkg==0.1'  &&  python3 -m pip install --quiet --no-warn-script-location 'kfp==2.17.3' '--no-deps' 'typing-extensions>=3.7.4,<5; python_version<\"3.9\"' && \"$0\" \"$@\"\n";
        let found = requirements(&sh(preamble)).unwrap();
        assert_eq!(
            found.0,
            vec![
                vec!["--quiet", "--no-warn-script-location", "ffprobe-pkg==0.1"],
                vec![
                    "--quiet",
                    "--no-warn-script-location",
                    "kfp==2.17.3",
                    "--no-deps",
                    "typing-extensions>=3.7.4,<5; python_version<\"3.9\""
                ],
            ]
        );
    }

    #[test]
    fn installs_that_cannot_be_shared_are_left_to_the_step() {
        assert_eq!(requirements(&sh("pip install \"$PKG\"")), None);
        assert_eq!(requirements(&sh("pip install --target /tmp/x pandas")), None);
        assert_eq!(requirements(&sh("pip install -r requirements.txt")), None);
        assert_eq!(requirements(&sh("pip install '{{$.inputs.parameters['p']}}'")), None);
        assert_eq!(requirements(&sh("python3 train.py")), None);
        assert_eq!(requirements(&sh("pip install 'unbalanced")), None);
    }

    #[test]
    fn the_key_follows_runtime_and_packages() {
        let a = Requirements(vec![vec!["kfp==2.17.3".into()]]);
        let b = Requirements(vec![vec!["kfp==2.14.3".into()]]);
        assert_ne!(key(Path::new("/r"), &a), key(Path::new("/r"), &b));
        assert_ne!(key(Path::new("/r"), &a), key(Path::new("/s"), &a));
        assert_eq!(key(Path::new("/r"), &a), key(Path::new("/r"), &a.clone()));
    }
}
