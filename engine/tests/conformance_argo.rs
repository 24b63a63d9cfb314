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
