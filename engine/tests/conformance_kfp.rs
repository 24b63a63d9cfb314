//! Pipelines written the way users write them, compiled by the real `kfp`
//! (`examples/kfp/*.py`, `examples/kfp/regenerate.sh`), run end to end as
//! local processes with KFP's results: dynamic fan-out over task outputs,
//! nested loops, `Collected` of parameters and artifacts, loop items that are
//! dicts, conditions reading upstream outputs, `If/Elif/Else` with `OneOf`.

mod common;

use common::{harness, run, task};
use engine::runs::State;
use serde_json::json;

#[tokio::test]
async fn parallel_for_over_task_outputs_nested_loops_and_collected() {
    let h = harness().await;
    let report = run(&h, "kfp/dynamic.yaml", &[("n", json!(3))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    // make_list(3) = [1, 2, 3]; doubled = [2, 4, 6].
    assert_eq!(report.outputs["doubled"], json!(12));
    // The inner loop over [10, 100] inside each outer iteration, collected
    // flat across both loops: (1 + 2 + 3) * 110.
    assert_eq!(report.outputs["products"], json!(660));
    // Loop items that are dicts, read field by field (`config.lr`); `on` is a key.
    assert_eq!(report.outputs["words"], json!("lr=0 on=0,lr=1 on=1,lr=2 on=0"));
    // A list of artifacts collected from the loop, read by one task.
    assert_eq!(report.outputs["data"], json!(12));
    for i in 0..3 {
        assert_eq!(task(&report, &format!("root/for-loop-1[{i}]/double")).state, State::Succeeded);
        for j in 0..2 {
            assert_eq!(task(&report, &format!("root/for-loop-1[{i}]/for-loop-3[{j}]/multiply")).attempts, 1);
        }
    }
    assert!(report.tasks.iter().all(|t| !t.name.contains("for-loop-1[3]")), "one iteration per item");
}

#[tokio::test]
async fn an_empty_list_from_upstream_runs_no_iteration() {
    let h = harness().await;
    let report = run(&h, "kfp/dynamic.yaml", &[("n", json!(0))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(report.outputs["doubled"], json!(0));
    assert_eq!(report.outputs["words"], json!(""));
    assert!(report.tasks.iter().all(|t| !t.name.contains("/double")), "{report:#?}");
}

#[tokio::test]
async fn conditions_read_upstream_outputs_and_one_of_picks_the_branch_taken() {
    let h = harness().await;
    // seed 4: heads; roll(4) = 5 > 3, so the nested "high" branch shouts.
    let heads = run(&h, "kfp/branches.yaml", &[("seed", json!(4))]).await;
    assert_eq!(heads.state, State::Succeeded, "{heads:#?}");
    assert_eq!(task(&heads, "root/condition-1/condition-branches-2/condition-3/shout").state, State::Succeeded);
    assert_eq!(task(&heads, "root/condition-1/condition-branches-2/condition-4").state, State::Skipped);
    assert_eq!(task(&heads, "root/condition-5").state, State::Skipped);
    assert_eq!(task(&heads, "root/condition-6/say-3").state, State::Succeeded, "y defaults to true");
    // Elif taken: OneOf returns that branch's output.
    assert_eq!(heads.outputs["Output"], json!("HEADS!HEADS!"));

    // seed 5: tails; the Else branch's output; y = false skips its branch.
    let tails = run(&h, "kfp/branches.yaml", &[("seed", json!(5)), ("y", json!(false))]).await;
    assert_eq!(tails.state, State::Succeeded, "{tails:#?}");
    assert_eq!(task(&tails, "root/condition-1").state, State::Skipped);
    assert_eq!(task(&tails, "root/condition-5/say-2").state, State::Succeeded);
    assert_eq!(task(&tails, "root/condition-6").state, State::Skipped);
    assert_eq!(tails.outputs["Output"], json!("tails again"));

    // seed 2: heads, roll(2) = 3, the nested Else ("low") runs instead.
    let low = run(&h, "kfp/branches.yaml", &[("seed", json!(2))]).await;
    assert_eq!(task(&low, "root/condition-1/condition-branches-2/condition-4/say").state, State::Succeeded);
    assert_eq!(task(&low, "root/condition-1/condition-branches-2/condition-3").state, State::Skipped);
}
