//! Hostile and broken specs against the engine: failures propagate as KFP
//! and Argo propagate them, recursion is refused or bounded, runs cannot
//! grow without end. The catalogue of faults is in `server/tests/faults.rs`.

mod common;

use common::{harness, harness_with, task, workspace};
use engine::{
    runs::{RunLimits, State},
    spec,
};
use serde_json::json;

/// a fails; b and c come after a; d after b and c. Neither KFP nor Argo
/// runs b, c or d; Argo's `depends` can still ask for a's failure.
const ARGO_DIAMOND: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: diamond-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: exit, arguments: {parameters: [{name: code, value: "1"}]}}
      - {name: b, template: exit, dependencies: [a], arguments: {parameters: [{name: code, value: "0"}]}}
      - {name: c, template: exit, dependencies: [a], arguments: {parameters: [{name: code, value: "0"}]}}
      - {name: d, template: exit, dependencies: [b, c], arguments: {parameters: [{name: code, value: "0"}]}}
      - {name: on, template: exit, depends: "a.Failed", arguments: {parameters: [{name: code, value: "0"}]}}
      - {name: n, template: exit, depends: "b.Omitted && on", arguments: {parameters: [{name: code, value: "0"}]}}
      - {name: y, template: exit, when: "1 == 2", arguments: {parameters: [{name: code, value: "0"}]}}
      - {name: after-y, template: exit, dependencies: [y], arguments: {parameters: [{name: code, value: "0"}]}}
  - name: exit
    inputs: {parameters: [{name: code}]}
    container: {image: python:3.11, command: [python3, -c, "import sys; sys.exit(int(sys.argv[1]))", "{{inputs.parameters.code}}"]}
"#;

#[tokio::test]
async fn argo_tasks_after_a_failure_are_omitted_and_depends_reads_it() {
    let h = harness().await;
    let report = common::start(&h, ARGO_DIAMOND, &[]).await.unwrap();
    assert_eq!(report.state, State::Failed, "{report:#?}");
    let state = |path: &str| task(&report, &format!("(root)/main/{path}")).state;
    assert_eq!(state("a"), State::Failed);
    for omitted in ["b", "c", "d"] {
        assert_eq!(state(omitted), State::Skipped, "{omitted} must not run: {report:#?}");
    }
    let tasks = h.engine.task_records(&report.run_id).await.unwrap();
    let d = tasks.iter().find(|t| t.path == "(root)/main/d").unwrap();
    assert_eq!(d.reason.as_deref(), Some("upstream task b did not run"));
    // `depends` sees a's failure and b's omission.
    assert_eq!(state("on"), State::Succeeded);
    assert_eq!(state("n"), State::Succeeded);
    // A task skipped by its `when` counts as done for `dependencies`.
    assert_eq!(state("y"), State::Skipped);
    assert_eq!(state("after-y"), State::Succeeded);
}

#[tokio::test]
async fn kfp_tasks_after_a_failure_do_not_run_and_the_exit_handler_does() {
    let h = harness().await;
    // Compiled by kfp 2.17.3 from kfp-diamond-after-failure.py.
    let yaml =
        std::fs::read_to_string(workspace().join("engine/tests/fixtures/kfp-diamond-after-failure.yaml")).unwrap();
    let report = common::start(&h, &yaml, &[]).await.unwrap();
    assert_eq!(report.state, State::Failed, "{report:#?}");
    let tasks = h.engine.task_records(&report.run_id).await.unwrap();
    let state_of = |name: &str| {
        let t = tasks.iter().find(|t| t.path.ends_with(&format!("/{name}"))).unwrap_or_else(|| panic!("{name}"));
        t.state.as_str().to_owned()
    };
    assert_eq!(state_of("step"), "FAILED");
    for name in ["step-2", "step-3", "step-4"] {
        assert_eq!(state_of(name), "SKIPPED", "{name} ran after its upstream failed: {tasks:#?}");
    }
    assert_eq!(state_of("report"), "SUCCEEDED", "the exit handler runs after a failure");
}

fn kfp_recursive() -> serde_json::Value {
    let yaml = std::fs::read(workspace().join("examples/kfp/nested.yaml")).unwrap();
    let mut ir = spec::load_json(&yaml).unwrap();
    let tasks = ir["components"]["comp-inner"]["dag"]["tasks"].as_object_mut().unwrap();
    let first = tasks.values_mut().next().unwrap();
    first["componentRef"]["name"] = json!("comp-inner");
    ir
}

const ARGO_RECURSIVE: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: forever-}
spec:
  entrypoint: grow
  templates:
  - name: grow
    dag:
      tasks:
      - {name: leaf, template: echo}
      - {name: again, template: grow}
  - name: echo
    container: {image: python:3.11, command: [python3, -c, "print(1)"]}
"#;

#[test]
fn a_component_or_template_that_contains_itself_is_refused_naming_the_cycle() {
    let kfp = spec::parse_json(&kfp_recursive()).unwrap_err().to_string();
    assert!(kfp.contains("comp-inner -> comp-inner") && kfp.contains("cannot run itself"), "{kfp}");
    let argo = spec::parse(ARGO_RECURSIVE.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        argo,
        "component \"grow\": tasks: contains itself (grow -> grow); without a `when` or loop on the way it never ends"
    );
    // Argo's own recursion under a condition stays valid.
    let coinflip =
        ARGO_RECURSIVE.replace("template: grow}", "template: grow, when: \"{{tasks.leaf.outputs.result}} == 2\"}");
    spec::parse(coinflip.as_bytes()).unwrap();
}

#[tokio::test]
async fn recursion_under_a_condition_that_always_holds_stops_at_the_depth_limit() {
    let limits = RunLimits { max_depth: 6, ..RunLimits::default() };
    let h = harness_with(|runner| runner.with_limits(limits)).await;
    let always = ARGO_RECURSIVE.replace(
        "template: grow}",
        "template: grow, dependencies: [leaf], when: \"{{tasks.leaf.outputs.result}} == 1\"}",
    );
    let report = common::start(&h, &always, &[]).await.unwrap();
    assert_eq!(report.state, State::Failed, "{report:#?}");
    let error = report.error.clone().unwrap_or_default();
    assert!(error.contains("nested 7 deep; the limit is 6 (max_nesting_depth)"), "{error}");
    // Leaves at depths 2 to 6 ran; the one at 7 was refused.
    let leaves: Vec<State> = report.tasks.iter().filter(|t| t.name.ends_with("/leaf")).map(|t| t.state).collect();
    assert_eq!(leaves.iter().filter(|s| **s == State::Succeeded).count(), 5, "{report:#?}");
    assert_eq!(leaves.len(), 6, "{report:#?}");
}

#[tokio::test]
async fn a_run_that_fans_out_past_its_limits_fails_naming_them() {
    let limits = RunLimits { max_tasks: 5, max_loop_items: 8, ..RunLimits::default() };
    let h = harness_with(|runner| runner.with_limits(limits)).await;
    let fan = |n: usize| {
        format!(
            r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: fan-}}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {{name: each, template: echo, withSequence: {{count: "{n}"}}}}
  - name: echo
    container: {{image: python:3.11, command: [python3, -c, "print(1)"]}}
"#
        )
    };
    let wide = common::start(&h, &fan(9), &[]).await.unwrap();
    assert_eq!(wide.state, State::Failed);
    let error = wide.error.unwrap_or_default();
    assert!(error.contains("the loop has 9 items; the limit is 8 (max_loop_items)"), "{error}");
    let many = common::start(&h, &fan(8), &[]).await.unwrap();
    assert_eq!(many.state, State::Failed);
    let error = many.error.unwrap_or_default();
    assert!(error.contains("the run reached its limit of 5 tasks (max_tasks_per_run)"), "{error}");
    // `main` and four iterations make five.
    let ran = many.tasks.iter().filter(|t| t.state == State::Succeeded && t.name.contains("each")).count();
    assert_eq!(ran, 4, "{:#?}", many.tasks);
}

#[tokio::test]
async fn a_run_past_its_deadline_is_ended_and_fails_naming_it() {
    let limits = RunLimits { max_run_seconds: Some(1), ..RunLimits::default() };
    let h = harness_with(|runner| runner.with_limits(limits)).await;
    let slow = ARGO_DIAMOND.replace("import sys; sys.exit(int(sys.argv[1]))", "import time; time.sleep(600)");
    let started = std::time::Instant::now();
    let report = common::start(&h, &slow, &[]).await.unwrap();
    assert_eq!(report.state, State::Failed, "{report:#?}");
    assert_eq!(report.error.as_deref(), Some("the run took longer than 1 s (max_run_seconds)"));
    assert!(started.elapsed() < std::time::Duration::from_secs(300), "the sleeping step was ended");
    assert_eq!(task(&report, "(root)/main/a").state, State::Canceled);
}

#[tokio::test]
async fn a_run_left_running_with_nothing_driving_it_is_picked_up_by_the_watchdog() {
    let h = harness().await;
    let gate = h._dir.path().join("gate");
    let yaml = format!(
        r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: orphan-}}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {{name: a, template: wait}}
      - {{name: b, template: wait, dependencies: [a]}}
  - name: wait
    retryStrategy: {{limit: 1}}
    container: {{image: python:3.11, command: [python3, -c, "import os, sys, time\nwhile not os.path.exists(sys.argv[1]): time.sleep(0.05)", "{}"]}}
"#,
        gate.display()
    );
    // Another driver (a runner of its own over the same store) starts the
    // run and stops driving it without recording anything: the run is
    // RUNNING, its step alive, and nothing follows it. (This harness runs
    // steps without `ferroflow supervise`, so the abandoned attempt leaves
    // no exit status: it is marked lost and retried once, as its policy says.)
    let backend = engine::backend::local::LocalBackend::new().with_default_runtime(common::python_runtime());
    let other = engine::runs::Runner::new(
        h.engine.clone(),
        std::sync::Arc::new(backend),
        engine::backend::Ledger::detect(0),
        h._dir.path().to_owned(),
    );
    let plan = spec::parse(yaml.as_bytes()).unwrap();
    let driving = tokio::spawn(async move {
        other.run(&model::Principal::local(), "default", plan, Default::default(), Default::default()).await
    });
    let principal = model::Principal::local();
    let run_id = loop {
        let runs = h.engine.list_runs(&principal, "default", None, &Default::default()).await.unwrap();
        if let Some(run) = runs.items.first() {
            let tasks = h.engine.task_records(&run.id).await.unwrap();
            if tasks.iter().any(|t| t.path.ends_with("/a") && t.state.as_str() == "RUNNING") {
                break run.id.clone();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    driving.abort();
    assert!(driving.await.unwrap_err().is_cancelled());

    // Seen undriven on two rounds in a row, it is picked up.
    let mut suspects = Default::default();
    assert!(h.runner.adopt_orphans(&mut suspects).await.unwrap().is_empty(), "not on the first sight");
    assert_eq!(h.runner.adopt_orphans(&mut suspects).await.unwrap(), vec![run_id.clone()]);
    std::fs::write(&gate, "").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let run = h.engine.run_record(&principal, &run_id).await.unwrap();
        if run.state != "RUNNING" {
            assert_eq!(run.state, "SUCCEEDED", "{run:#?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the adopted run never ended");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Once driven, it is nobody's orphan.
    assert!(h.runner.adopt_orphans(&mut suspects).await.unwrap().is_empty());
}
