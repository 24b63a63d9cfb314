//! Argo workflows written the way users write them, run end to end as local
//! processes with Argo's results.

mod common;

use common::{harness, run, task, task_output};
use engine::runs::State;
use serde_json::json;

#[tokio::test]
async fn fixed_output_paths_belong_to_each_attempt() {
    let h = harness().await;
    // Both runs write /tmp/said.txt at once; each reads back its own.
    let (first, second) = ([("message", json!("first run"))], [("message", json!("second run"))]);
    let (one, two) = tokio::join!(run(&h, "argo/dag-diamond.yaml", &first), run(&h, "argo/dag-diamond.yaml", &second));
    for (report, message) in [(&one, "first run"), (&two, "second run")] {
        assert_eq!(report.state, State::Succeeded, "{report:#?}");
        assert_eq!(task_output(&h, report, "(root)/diamond/a", "said").await, json!(message));
        assert_eq!(task(report, "(root)/diamond/c").state, State::Succeeded);
    }
}

#[tokio::test]
async fn task_states_exit_codes_aggregated_loop_outputs_and_the_exit_handler() {
    let h = harness().await;
    let failed = run(&h, "argo/exit-status.yaml", &[("n", json!("3")), ("y", json!("yes"))]).await;
    assert_eq!(failed.state, State::Failed, "{failed:#?}");
    // total read `{{tasks.square.outputs.result}}` and `.outputs.parameters`
    // as JSON lists over the three iterations: 1 + 4 + 9.
    assert_eq!(task_output(&h, &failed, "(root)/main/total", "sum").await, json!("14"));
    // A task after the failure reads its status and exit code.
    assert_eq!(task_output(&h, &failed, "(root)/main/check", "seen").await, json!("Failed 3 Succeeded"));
    assert_eq!(
        task_output(&h, &failed, "(root)/main/check", "inputs").await,
        json!(r#"[{"name":"text","value":"Failed 3 Succeeded"}]"#)
    );
    // The exit handler sees the workflow's status and its failed steps.
    assert_eq!(task_output(&h, &failed, "(root)/on-exit", "line").await, json!("status=Failed failed=maybe-fail"));

    let fine = run(&h, "argo/exit-status.yaml", &[("y", json!("no"))]).await;
    assert_eq!(fine.state, State::Succeeded, "{fine:#?}");
    assert_eq!(task_output(&h, &fine, "(root)/main/check", "seen").await, json!("Succeeded 0 Succeeded"));
    assert_eq!(task_output(&h, &fine, "(root)/on-exit", "line").await, json!("status=Succeeded failed="));
}

/// Waits (bounded) for `path` to reach `state` on the progress channel.
async fn reached(progress: &mut tokio::sync::mpsc::UnboundedReceiver<(String, State)>, path: &str, state: State) {
    let wait = async {
        while let Some((p, s)) = progress.recv().await {
            if p == path && s == state {
                return;
            }
        }
        panic!("the run ended before {path} was {state:?}");
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), wait).await.expect("progress in time");
}

#[tokio::test]
async fn a_suspended_step_waits_until_the_run_is_resumed() {
    let (h, mut progress) = common::harness_with_progress().await;
    let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/approval.yaml")).unwrap();
    let driving = common::start(&h, &yaml, &[("env", json!("prod"))]);
    reached(&mut progress, "(root)/main/approve", State::Running).await;
    // The timed pause ends on its own; the gate does not.
    reached(&mut progress, "(root)/main/wait", State::Succeeded).await;
    let runs = h.engine.list_runs(&model::Principal::local(), "default", None, &Default::default()).await.unwrap();
    let run_id = runs.items[0].id.clone();
    let tasks = h.engine.task_records(&run_id).await.unwrap();
    let gate = tasks.iter().find(|t| t.path == "(root)/main/approve").unwrap();
    assert_eq!((gate.state.as_str(), gate.reason.as_deref()), ("RUNNING", Some("suspended until the run is resumed")));
    assert!(tasks.iter().all(|t| t.path != "(root)/main/deploy"), "deploy waits for the gate");
    // Whoever resumes answers the gate's supplied output; deploy reads it.
    let supplied = [("approve".to_owned(), "YES".to_owned())].into();
    h.runner.resume_suspended(&model::Principal::local(), &run_id, supplied).await.unwrap();
    let report = driving.await.unwrap();
    assert_eq!(task_output(&h, &report, "(root)/main/approve", "approve").await, json!("YES"));
    // Steps this machine cannot run fail naming the backend or setting they need.
    assert_eq!(task(&report, "(root)/main/deploy").state, State::Succeeded);
    assert_eq!(task(&report, "(root)/main/apply").state, State::Skipped, "{report:#?}");
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
}

#[tokio::test]
async fn cluster_only_steps_fail_at_run_time_naming_what_runs_them() {
    let (h, mut progress) = common::harness_with_progress().await;
    let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/approval.yaml")).unwrap();
    // No gate, and the cluster steps' condition true.
    let yaml = yaml.replace("    suspend: {}", "    suspend: {duration: \"0\"}");
    let plan = engine::spec::parse(yaml.as_bytes()).unwrap();
    let parameters = [("on".to_owned(), json!("true"))].into();
    let report =
        h.runner.run(&model::Principal::local(), "default", plan, parameters, Default::default()).await.unwrap();
    drop(progress.try_recv());
    assert_eq!(report.state, State::Failed);
    let tasks = h.engine.task_records(&report.run_id).await.unwrap();
    let reason = |path: &str| tasks.iter().find(|t| t.path == path).unwrap().reason.clone().unwrap_or_default();
    assert!(reason("(root)/main/apply").contains("run with the Kubernetes backend"), "{}", reason("(root)/main/apply"));
    assert!(reason("(root)/main/notify").contains("`http_allow_hosts`"), "{}", reason("(root)/main/notify"));
}

#[tokio::test]
async fn an_enum_parameter_refuses_other_values_by_name() {
    let h = harness().await;
    let plan =
        engine::spec::parse(&std::fs::read(common::workspace().join("examples/argo/approval.yaml")).unwrap()).unwrap();
    let parameters = [("env".to_owned(), json!("qa"))].into();
    let err =
        h.runner.run(&model::Principal::local(), "default", plan, parameters, Default::default()).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid parameters: parameter \"env\": \"qa\" is not one of \"dev\", \"prod\"");
}

#[tokio::test]
async fn a_cron_workflow_runs_its_workflow_once_on_demand() {
    let h = harness().await;
    let report = run(&h, "argo/nightly.yaml", &[("y", json!("1999"))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(task_output(&h, &report, "(root)/report", "line").await, json!("report for 1999"));
}

#[tokio::test]
async fn expression_tags_arithmetic_sprig_jsonpath_and_conditions() {
    let h = harness().await;
    let report = run(&h, "argo/expressions.yaml", &[]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(task_output(&h, &report, "(root)/main/scaled", "seen").await, json!("40 ADA"));
    assert_eq!(task_output(&h, &report, "(root)/main/picked", "seen").await, json!("2"));
    assert_eq!(task(&report, "(root)/main/big").state, State::Succeeded);
    let small = run(&h, "argo/expressions.yaml", &[("n", json!("2"))]).await;
    assert_eq!(task(&small, "(root)/main/big").state, State::Skipped);
    let refused = engine::spec::parse(
        std::fs::read_to_string(common::workspace().join("examples/argo/expressions.yaml"))
            .unwrap()
            .replace("sprig.upper(", "sprig.b64enc(")
            .as_bytes(),
    )
    .unwrap_err()
    .to_string();
    assert!(refused.contains("sprig.b64enc is not supported (supported: sprig.upper,"), "{refused}");
}

#[tokio::test]
async fn stored_templates_are_used_through_template_refs() {
    use engine::templates::Scope;
    let h = harness().await;
    let me = model::Principal::local();
    let library = engine::spec::load_json(
        &std::fs::read(common::workspace().join("examples/argo/shared-templates.yaml")).unwrap(),
    )
    .unwrap();
    h.engine.put_workflow_template(&me, Scope::Namespace("default"), library.clone(), false).await.unwrap();
    let mut cluster = library.clone();
    cluster["metadata"]["name"] = json!("shared-cluster");
    h.engine.put_workflow_template(&me, Scope::Cluster, cluster, false).await.unwrap();
    let again = h.engine.put_workflow_template(&me, Scope::Namespace("default"), library, false).await.unwrap_err();
    assert_eq!(again.to_string(), "WorkflowTemplate shared already exists");

    let workflow =
        engine::spec::load_json(&std::fs::read(common::workspace().join("examples/argo/uses-templates.yaml")).unwrap())
            .unwrap();
    let resolved = h.engine.resolve_template_refs(&me, "default", workflow.clone()).await.unwrap();
    let plan = engine::spec::parse_json(&resolved).unwrap();
    let report = h.runner.run(&me, "default", plan, Default::default(), Default::default()).await.unwrap();
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(task_output(&h, &report, "(root)/main/hello", "said").await, json!("** hello yes **"));
    assert_eq!(task_output(&h, &report, "(root)/main/cluster", "said").await, json!("from the cluster"));
    assert_eq!(task(&report, "(root)/main/after").state, State::Succeeded);

    h.engine.delete_workflow_template(&me, Scope::Cluster, "shared-cluster").await.unwrap();
    let missing = h.engine.resolve_template_refs(&me, "default", workflow).await.unwrap_err();
    assert_eq!(
        missing.to_string(),
        "invalid pipeline spec: task main/cluster: templateRef: no ClusterWorkflowTemplate named \"shared-cluster\""
    );
}

#[tokio::test]
async fn a_cron_workflow_becomes_a_recurring_run_that_follows_its_policy() {
    use engine::recurring::{NewRecurringRun, Schedule, Trigger, cron_workflow::next, scheduler::fire_due};
    let h = harness().await;
    let me = model::Principal::local();
    // A step that outlives the next fire, so that Forbid has something to forbid.
    let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/nightly.yaml")).unwrap().replace(
        r#"command: [sh, -c, 'echo "report for {{inputs.parameters.y}}" > /tmp/line']"#,
        r#"command: [sleep, "60"]"#,
    );
    let new = NewRecurringRun {
        namespace: "default".into(),
        display_name: "nightly-report".into(),
        description: String::new(),
        experiment_id: None,
        source: engine::runs::RunSource::Spec(engine::spec::load_json(yaml.as_bytes()).unwrap()),
        parameters: json!({}),
        pipeline_root: String::new(),
        schedule: Schedule { trigger: Trigger::Every(60), start: None, end: None },
        max_concurrency: 10,
        no_catchup: true,
        enabled: true,
    };
    let recurring = h.engine.create_recurring_run(&me, new).await.unwrap();
    let policy = recurring.cron_workflow.clone().expect("the CronWorkflow's policy is kept");
    assert_eq!(recurring.schedule.trigger, Trigger::Cron("0 2 * * *".into()), "its first schedule is shown");
    let running = |h: &common::Harness| {
        let engine = h.engine.clone();
        async move { engine.runs_by_state().await.unwrap().into_iter().map(|(_, n)| n).sum::<i64>() }
    };
    let first = next(&policy, None, recurring.created_at).unwrap();
    fire_due(&h.runner, first + chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(running(&h).await, 1, "the first due time fires");
    // Forbid: the next time comes while that run still goes.
    let second = next(&policy, Some(first), recurring.created_at).unwrap();
    fire_due(&h.runner, second + chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(running(&h).await, 1, "Forbid skips a fire while a run goes");
    let recurring = h.engine.recurring_run(&me, &recurring.id).await.unwrap();
    assert_eq!(recurring.last_scheduled_at, Some(second), "the skipped time counts as handled");
    // Missed by more than startingDeadlineSeconds (300): skipped too.
    let third = next(&policy, Some(second), recurring.created_at).unwrap();
    fire_due(&h.runner, third + chrono::Duration::seconds(400)).await.unwrap();
    assert_eq!(running(&h).await, 1);
    let runs = h.engine.list_runs(&me, "default", None, &Default::default()).await.unwrap();
    h.runner.terminate(&me, &runs.items[0].id).await.unwrap();
}

/// A one-request HTTP server that answers `status` with `body` and hands
/// back the request it read.
async fn answer_once(status: &'static str, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/records", listener.local_addr().unwrap());
    let served = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 8192];
        let n = socket.read(&mut request).await.unwrap();
        let reply = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        socket.write_all(reply.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&request[..n]).into_owned()
    });
    (url, served)
}

#[tokio::test]
async fn http_steps_call_allowed_hosts_only_and_check_their_answer() {
    let h = harness().await; // allows 127.0.0.1
    let (url, served) = answer_once("201 Created", r#"{"id": 42}"#).await;
    let report = run(&h, "argo/webhook.yaml", &[("endpoint", json!(url))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    let request = served.await.unwrap();
    assert!(request.starts_with("POST /records HTTP/1.1"), "{request}");
    assert!(request.ends_with(r#"{"n": 7}"#), "{request}");
    assert_eq!(task_output(&h, &report, "(root)/main/show", "seen").await, json!("42"));

    let (url, _served) = answer_once("200 OK", "{}").await;
    let wrong = run(&h, "argo/webhook.yaml", &[("endpoint", json!(url))]).await;
    assert!(wrong.error.unwrap_or_default().contains("answered 200"), "successCondition decides");

    let elsewhere = run(&h, "argo/webhook.yaml", &[("endpoint", json!("http://169.254.169.254/latest"))]).await;
    assert_eq!(
        elsewhere.error.as_deref(),
        Some("(root)/main/create: http: host \"169.254.169.254\" is not in the setting `http_allow_hosts`")
    );
}

#[tokio::test]
async fn a_stopped_workflow_runs_its_exit_handler_and_a_terminated_one_does_not() {
    let yaml = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: stoppable-}
spec:
  entrypoint: main
  onExit: report
  templates:
  - name: main
    steps:
    - - {name: long, template: wait}
  - name: wait
    container: {image: alpine, command: [sleep, "60"]}
  - name: report
    container: {image: alpine, command: [echo, "{{workflow.status}}"]}
"#;
    for (verb, exit_handler) in [("stop", State::Succeeded), ("terminate", State::Canceled)] {
        let h = harness().await;
        let driving = common::start(&h, yaml, &[]);
        // Steps report when they end; that the sleep has started shows in its record.
        let id = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            loop {
                let runs = h.engine.list_runs(&model::Principal::local(), "default", None, &Default::default()).await;
                if let Some(run) = runs.ok().and_then(|r| r.items.into_iter().next()) {
                    let tasks = h.engine.task_records(&run.id).await.unwrap();
                    if tasks.iter().any(|t| t.path == "(root)/main/long" && t.attempt.is_some()) {
                        return run.id;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the step starts in time");
        match verb {
            "stop" => h.runner.stop(&model::Principal::local(), &id).await.unwrap(),
            _ => h.runner.terminate(&model::Principal::local(), &id).await.unwrap(),
        }
        let report = driving.await.unwrap();
        assert_eq!(report.state, State::Canceled, "{verb}: {report:#?}");
        assert_eq!(task(&report, "(root)/main/long").state, State::Canceled, "{verb}");
        assert_eq!(task(&report, "(root)/on-exit").state, exit_handler, "{verb}: {report:#?}");
    }
}

#[tokio::test]
async fn a_daemon_serves_the_steps_after_it_and_stops_with_its_scope() {
    let h = harness().await;
    let report = run(&h, "argo/daemon-service.yaml", &[]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    // Both clients reached the daemon at {{steps.server.ip}} once its probe passed.
    for client in ["ask", "ask-again"] {
        let answer = task_output(&h, &report, &format!("(root)/main/{client}"), "answer").await;
        assert_eq!(answer, json!("hello from the daemon, on=yes"));
    }
    // Stopped when the steps ended, and recorded so, as Argo does.
    let tasks = h.engine.task_records(&report.run_id).await.unwrap();
    let server = tasks.iter().find(|t| t.path == "(root)/main/server").unwrap();
    assert_eq!(server.state, "SUCCEEDED");
    assert_eq!(server.reason.as_deref(), Some("daemon stopped when its DAG or steps ended"));
    assert!(std::net::TcpStream::connect(("127.0.0.1", 18931)).is_err(), "the daemon's port is closed");

    // A daemon that exits before it is ready fails its step; nothing after it runs.
    let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/daemon-service.yaml")).unwrap();
    let yaml = yaml.replace("import functools, http.server, os", "raise SystemExit(3)");
    let plan = engine::spec::parse(yaml.as_bytes()).unwrap();
    let failed =
        h.runner.run(&model::Principal::local(), "default", plan, Default::default(), Default::default()).await;
    let failed = failed.unwrap();
    assert_eq!(failed.state, State::Failed, "{failed:#?}");
    assert_eq!(task(&failed, "(root)/main/server").state, State::Failed);
    assert_eq!(task(&failed, "(root)/main/ask").state, State::Skipped);
}

#[test]
fn daemon_probes_name_what_is_wrong() {
    let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/daemon-service.yaml")).unwrap();
    let refused =
        |from: &str, to: &str| engine::spec::parse(yaml.replace(from, to).as_bytes()).unwrap_err().to_string();
    let unknown_port = refused("port: web", "port: admin");
    assert!(unknown_port.contains("port \"admin\" is neither a number nor a named container port"), "{unknown_port}");
    let two_checks = refused("        httpGet:\n", "        tcpSocket: {port: 1}\n        httpGet:\n");
    assert!(two_checks.contains("needs exactly one of httpGet, tcpSocket, exec"), "{two_checks}");
    let not_a_container = refused("  - name: main\n    steps:", "  - name: main\n    daemon: true\n    steps:");
    assert!(not_a_container.contains("only container and script templates can be daemons"), "{not_a_container}");
}

#[tokio::test]
async fn outputs_computed_by_expressions_take_the_branch_that_ran() {
    let h = harness().await;
    for (n, verdict, doubled) in [("7", "7 is odd", "14"), ("10", "10 is even", "20")] {
        let report = run(&h, "argo/conditional-outputs.yaml", &[("n", json!(n))]).await;
        assert_eq!(report.state, State::Succeeded, "{report:#?}");
        assert_eq!(task_output(&h, &report, "(root)/main", "verdict").await, json!(verdict));
        assert_eq!(task_output(&h, &report, "(root)/main", "doubled").await, json!(doubled));
        // The artifact of the branch that ran, chosen by fromExpression.
        let tasks = h.engine.task_records(&report.run_id).await.unwrap();
        let main = tasks.iter().find(|t| t.path == "(root)/main").unwrap();
        let uri = main.outputs["artifacts"]["said"][0]["uri"].as_str().unwrap();
        assert_eq!(std::fs::read_to_string(uri).unwrap(), format!("{verdict}\n"));
    }
    // An expression that cannot be evaluated fails the steps, naming the output.
    let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/conditional-outputs.yaml")).unwrap();
    let plan =
        engine::spec::parse(yaml.replace("workflow.parameters.n) * 2", "steps.nowhere.outputs.result) * 2").as_bytes())
            .unwrap();
    let report =
        h.runner.run(&model::Principal::local(), "default", plan, Default::default(), Default::default()).await;
    let report = report.unwrap();
    assert_eq!(report.state, State::Failed, "{report:#?}");
    let tasks = h.engine.task_records(&report.run_id).await.unwrap();
    let main = tasks.iter().find(|t| t.path == "(root)/main").unwrap();
    assert!(main.reason.as_deref().unwrap_or_default().contains("output \"doubled\""), "{main:#?}");
}

/// The id of the only run of a fresh harness, once it is recorded.
async fn only_run(h: &common::Harness) -> String {
    let runs = h.engine.list_runs(&model::Principal::local(), "default", None, &Default::default()).await.unwrap();
    runs.items[0].id.clone()
}

#[tokio::test]
async fn a_gate_refuses_an_answer_outside_its_enum_and_defaults_to_its_input() {
    for (supplied, gate, deploy) in
        [(Some("MAYBE"), State::Failed, None), (None, State::Succeeded, Some(State::Skipped))]
    {
        let (h, mut progress) = common::harness_with_progress().await;
        let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/approval.yaml")).unwrap();
        let driving = common::start(&h, &yaml, &[]);
        reached(&mut progress, "(root)/main/approve", State::Running).await;
        let answer = supplied.map(|s| [("approve".to_owned(), s.to_owned())].into()).unwrap_or_default();
        h.runner.resume_suspended(&model::Principal::local(), &only_run(&h).await, answer).await.unwrap();
        let report = driving.await.unwrap();
        assert_eq!(task(&report, "(root)/main/approve").state, gate, "{report:#?}");
        let tasks = h.engine.task_records(&report.run_id).await.unwrap();
        let approve = tasks.iter().find(|t| t.path == "(root)/main/approve").unwrap();
        match deploy {
            // The input's default, NO, is the answer: deploy's condition is false.
            Some(state) => assert_eq!(task(&report, "(root)/main/deploy").state, state),
            None => assert!(approve.reason.as_deref().unwrap_or_default().contains("\"MAYBE\""), "{approve:#?}"),
        }
    }
}

#[tokio::test]
async fn a_suspended_workflow_starts_no_new_step_until_resumed() {
    let (h, mut progress) = common::harness_with_progress().await;
    // The first step waits for a file the test writes once it suspended the run.
    let gate = tempfile::tempdir().unwrap();
    let flag = gate.path().join("go");
    let yaml = std::fs::read_to_string(common::workspace().join("examples/argo/conditional-outputs.yaml")).unwrap();
    let waiting = format!(
        "import os, time\n        while not os.path.exists({:?}): time.sleep(0.02)\n        print(",
        flag.display().to_string()
    );
    let yaml = yaml.replacen("print(\"even\"", &format!("{waiting}\"even\""), 1);
    let driving = common::start(&h, &yaml, &[]);
    // Suspended once its first step is running (it cannot end before the flag).
    let run_id = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let runs = h.engine.list_runs(&model::Principal::local(), "default", None, &Default::default()).await;
            if let Some(run) = runs.unwrap().items.first() {
                let tasks = h.engine.task_records(&run.id).await.unwrap();
                if tasks.iter().any(|t| t.path == "(root)/main/check" && t.state == "RUNNING") {
                    return run.id.clone();
                }
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the first step runs");
    h.runner.suspend(&model::Principal::local(), &run_id).await.unwrap();
    assert!(h.runner.is_suspended(&run_id));
    std::fs::write(&flag, b"").unwrap();
    // The running step finishes; the next does not start while suspended.
    reached(&mut progress, "(root)/main/check", State::Succeeded).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while let Some((path, _)) = progress.recv().await {
            if path.ends_with("/on-odd") {
                return path;
            }
        }
        String::new()
    });
    assert!(next.await.is_err(), "on-odd started while the workflow was suspended");
    h.runner.resume_suspended(&model::Principal::local(), &run_id, Default::default()).await.unwrap();
    let report = driving.await.unwrap();
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(task_output(&h, &report, "(root)/main", "verdict").await, json!("7 is odd"));
}

#[tokio::test]
async fn inline_templates_retries_and_the_workflows_times() {
    let h = harness().await;
    let report = run(&h, "argo/inline-and-times.yaml", &[]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    // The third attempt (two retries) succeeded, reading {{retries}}.
    assert_eq!(task_output(&h, &report, "(root)/main/flaky", "tries").await, json!("2"));
    assert_eq!(task(&report, "(root)/main/flaky").attempts, 3);
    let stamp = task_output(&h, &report, "(root)/main/times/stamp", "stamp").await;
    let parts: Vec<&str> = stamp.as_str().unwrap().split('|').collect();
    let created = chrono::DateTime::parse_from_rfc3339(parts[1]).expect("creationTimestamp is RFC 3339");
    assert_eq!(parts[0], created.format("%Y").to_string());
    // Not a scheduled run: its schedule time is its creation time.
    assert_eq!(parts[2], parts[1]);
    let duration: f64 = parts[3].parse().expect("duration in seconds");
    assert!(duration >= 0.0, "{duration}");
}
