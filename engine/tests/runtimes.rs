//! Steps that install packages, as kfp's defaults make every lightweight
//! component do, running side by side on a busy machine: each package set
//! is prepared once and shared, and the runtime is never changed.

mod common;

use std::process::Command;

use common::{harness_with_backend, python_runtime, task_output};
use engine::{backend::environments::Environments, runs::State};
use serde_json::json;

/// A pure-Python wheel `ffprobe_pkg` 0.1 (`X = 1`), built without network.
fn build_wheel(dir: &std::path::Path) -> std::path::PathBuf {
    let wheel = dir.join("ffprobe_pkg-0.1-py3-none-any.whl");
    let build = format!(
        "import zipfile\nz = zipfile.ZipFile({wheel:?}, 'w')\nz.writestr('ffprobe_pkg/__init__.py', 'X = 1\\n')\n\
         z.writestr('ffprobe_pkg-0.1.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: ffprobe-pkg\\nVersion: 0.1\\n')\n\
         z.writestr('ffprobe_pkg-0.1.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')\n\
         z.writestr('ffprobe_pkg-0.1.dist-info/RECORD', '')\nz.close()",
        wheel = wheel.display().to_string()
    );
    let built = Command::new(python_runtime().join("python3")).args(["-c", &build]).status().unwrap();
    assert!(built.success());
    wheel
}

/// A 10-way ParallelFor of a component with kfp's defaults, then one with
/// `packages_to_install`, compiled by the kfp in the test runtime.
fn compile_pipeline(dir: &std::path::Path, wheel: &std::path::Path) -> String {
    let source = format!(
        r#"
from kfp import dsl, compiler

@dsl.component(base_image="python:3.11")
def square(x: int) -> int:
    return x * x

@dsl.component(base_image="python:3.11", packages_to_install=[{wheel:?}])
def total(xs: list) -> int:
    import ffprobe_pkg
    return sum(xs) + ffprobe_pkg.X - 1

@dsl.pipeline(name="squares")
def pipeline(n: list = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]):
    with dsl.ParallelFor(n) as x:
        s = square(x=x)
    total(xs=dsl.Collected(s.output))

compiler.Compiler().compile(pipeline, {out:?})
"#,
        wheel = wheel.display().to_string(),
        out = dir.join("squares.yaml").display().to_string()
    );
    // kfp reads a component's source back from its file.
    let script = dir.join("squares.py");
    std::fs::write(&script, source).unwrap();
    let compiled = Command::new(python_runtime().join("python3")).arg(&script).output().unwrap();
    assert!(compiled.status.success(), "{}", String::from_utf8_lossy(&compiled.stderr));
    std::fs::read_to_string(dir.join("squares.yaml")).unwrap()
}

/// Keeps both cores busy while it lives.
struct CpuHog(Vec<std::process::Child>);

impl CpuHog {
    fn start() -> Self {
        let spin = || Command::new("sh").args(["-c", "while :; do :; done"]).spawn().unwrap();
        Self(vec![spin(), spin()])
    }
}

impl Drop for CpuHog {
    fn drop(&mut self) {
        for child in &mut self.0 {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

fn kfp_version() -> String {
    let out = Command::new(python_runtime().join("python3"))
        .args(["-c", "import importlib.metadata as m; print(m.version('kfp'))"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn parallel_installing_steps_share_one_prepared_environment_per_package_set() {
    let work = tempfile::tempdir().unwrap();
    let wheel = build_wheel(work.path());
    let yaml = compile_pipeline(work.path(), &wheel);
    let environments = work.path().join("environments");
    let h = harness_with_backend(|backend, _| backend.with_environments(&environments), |runner| runner).await;
    let kfp_before = kfp_version();
    let _hog = CpuHog::start();
    for round in 0..10 {
        let report = common::start(&h, &yaml, &[]).await.unwrap();
        assert_eq!(report.state, State::Succeeded, "round {round}: {report:#?}");
        let total = report.tasks.iter().find(|t| t.name.ends_with("/total")).expect("total ran");
        assert_eq!(task_output(&h, &report, &total.name, "Output").await, json!(385), "round {round}");
    }
    // Two package sets (kfp alone; the wheel and kfp), each prepared once.
    let prepared = Environments::new(&environments).list();
    assert_eq!(prepared.len(), 2, "{prepared:#?}");
    let leftovers = std::fs::read_dir(&environments).unwrap().count();
    assert_eq!(leftovers, 2, "no half-built environments are left");
    // The runtime is as it was: the step's packages never reached it.
    assert_eq!(kfp_version(), kfp_before);
    let runtime_sees =
        Command::new(python_runtime().join("python3")).args(["-c", "import ffprobe_pkg"]).output().unwrap();
    assert!(!runtime_sees.status.success(), "the runtime must not see the step's package");
}

#[tokio::test]
async fn a_package_that_cannot_be_installed_fails_the_step_naming_it() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("not_there-1.0-py3-none-any.whl");
    let yaml = compile_pipeline(work.path(), &missing);
    let environments = work.path().join("environments");
    let h = harness_with_backend(|backend, _| backend.with_environments(&environments), |runner| runner).await;
    let report = common::start(&h, &yaml, &[("n", json!([1]))]).await.unwrap();
    assert_eq!(report.state, State::Failed, "{report:#?}");
    let tasks = h.engine.task_records(&report.run_id).await.unwrap();
    let total = tasks.iter().find(|t| t.path.ends_with("/total")).unwrap();
    let attempts = h.engine.task_attempts(&model::Principal::local(), &report.run_id, &total.id).await.unwrap();
    let reason = attempts.last().and_then(|a| a.reason.clone()).unwrap_or_default();
    assert!(reason.contains("cannot prepare the step's Python packages") && reason.contains("not_there"), "{reason}");
    // Nothing half-made stays behind; the kfp-only set was prepared.
    assert_eq!(Environments::new(&environments).list().len(), 1);
    assert_eq!(std::fs::read_dir(&environments).unwrap().count(), 1);
}
