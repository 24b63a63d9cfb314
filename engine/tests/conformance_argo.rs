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
        assert_eq!(task_output(&h, report, "(root)/diamond/a", "said").await, json!(format!("{message}\n")));
        assert_eq!(task(report, "(root)/diamond/c").state, State::Succeeded);
    }
}
