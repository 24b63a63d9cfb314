//! The `ferroflow` command line, run as a process.

use std::process::Command;

fn ferroflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ferroflow")).args(args).output().expect("runs")
}

fn examples(path: &str) -> String {
    format!("{}/../examples/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn validate_accepts_compiled_kfp_and_argo_pipelines() {
    for file in ["kfp/linear.yaml", "kfp/control.yaml", "argo/dag-diamond.yaml"] {
        let out = ferroflow(&["validate", &examples(file)]);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("valid pipeline"));
    }
}

#[test]
fn validate_names_the_problem_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let yaml = std::fs::read_to_string(examples("kfp/linear.yaml"))
        .unwrap()
        .replace("producerTask: add-2", "producerTask: nope");
    std::fs::write(&bad, yaml).unwrap();
    let out = ferroflow(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("task \"greet\": inputs.parameters.times.producerTask: unknown task \"nope\""), "{stderr}");
}

#[test]
fn config_default_prints_a_file_that_loads() {
    let out = ferroflow(&["config", "default"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bind = \"127.0.0.1:8080\""), "{text}");
}

fn venv_bin() -> String {
    let bin = format!("{}/../.venv/bin", env!("CARGO_MANIFEST_DIR"));
    assert!(std::path::Path::new(&bin).join("python3").exists(), "{bin} is missing: run scripts/setup.sh --test");
    bin
}

#[test]
fn run_prints_a_json_report_and_exits_zero_on_success() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ferroflow"))
        .args(["run", &examples("kfp/linear.yaml"), "-p", "x=4", "-p", "name=Ada", "--json", "--data-dir"])
        .arg(data.path())
        .env("FERROFLOW_DEFAULT_RUNTIME", venv_bin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["state"], "SUCCEEDED");
    assert_eq!(report["outputs"]["Output"], ["hello Ada"; 9].join(" "));
    let names: Vec<&str> = report["tasks"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["root/add", "root/add-2", "root/greet"]);
    assert_eq!(report["tasks"][0]["attempts"], 1);
    assert_eq!(report["tasks"][0]["cached"], false);
    // Progress went to stderr, one line per task.
    assert!(String::from_utf8_lossy(&out.stderr).contains("ok  root/greet"));
}

#[test]
fn run_exits_non_zero_when_a_step_fails() {
    let data = tempfile::tempdir().unwrap();
    let spec = data.path().join("fails.yaml");
    std::fs::write(
        &spec,
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: fails}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: alpine, command: [sh, -c, 'echo boom >&2; exit 3']}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ferroflow"))
        .args(["run", spec.to_str().unwrap(), "--json", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["state"], "FAILED");
    assert_eq!(report["tasks"][0]["state"], "FAILED");
    assert!(report["error"].as_str().unwrap().contains("exited with status 3"), "{report}");
}

#[test]
fn run_refuses_unknown_parameters_by_name() {
    let out =
        ferroflow(&["run", &examples("kfp/linear.yaml"), "-p", "y=1", "--data-dir", "/nonexistent/never-created"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pipeline \"linear\" has no parameter \"y\""));
}
