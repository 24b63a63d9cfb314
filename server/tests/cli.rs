//! The `ferroflow` command line, run as a process.

use std::process::Command;

fn ferroflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ferroflow"))
        .args(args)
        .output()
        .expect("runs")
}

fn examples(path: &str) -> String {
    format!("{}/../examples/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn validate_accepts_compiled_kfp_and_argo_pipelines() {
    for file in [
        "kfp/linear.yaml",
        "kfp/control.yaml",
        "argo/dag-diamond.yaml",
    ] {
        let out = ferroflow(&["validate", &examples(file)]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
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
    assert!(
        stderr.contains(
            "task \"greet\": inputs.parameters.times.producerTask: unknown task \"nope\""
        ),
        "{stderr}"
    );
}

#[test]
fn config_default_prints_a_file_that_loads() {
    let out = ferroflow(&["config", "default"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bind = \"127.0.0.1:8080\""), "{text}");
}
