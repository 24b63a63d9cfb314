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

#[tokio::test]
async fn importer_artifact_loops_list_placeholders_and_resources_from_inputs() {
    let h = harness().await;
    let source = h._dir.path().join("imports/source.txt");
    std::fs::write(&source, "imported text\n").unwrap();
    let uri = format!("file://{}", source.display());
    let report = run(&h, "kfp/cluster_settings.yaml", &[("source_uri", json!(uri))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    // The importer's artifact read by a task whose CPU and memory come from
    // pipeline inputs; its Kubernetes settings did not stop it here.
    assert_eq!(report.outputs["Output"], json!("imported text"));
    // A loop over the three artifacts of a sub-pipeline's list output.
    let count = report.tasks.iter().filter(|t| t.name.starts_with("root/for-loop-1[") && t.name.ends_with("/measure"));
    assert_eq!(count.count(), 3);
    let artifacts = h.engine.run_artifacts(&model::Principal::local(), &report.run_id).await.unwrap();
    let imported = artifacts.iter().find(|a| a.task == "root/importer").expect("the imported artifact is listed");
    assert_eq!(imported.metadata["origin"], "upload");
    // The container component got the list of artifacts as JSON.
    let joined = artifacts.iter().find(|a| a.task == "root/cat-all").unwrap();
    let list: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&joined.uri).unwrap()).unwrap();
    let texts: Vec<String> =
        list.as_array().unwrap().iter().map(|a| std::fs::read_to_string(a["uri"].as_str().unwrap()).unwrap()).collect();
    assert_eq!(texts, ["ab", "cde", "f"]);
    assert_eq!(list[1]["metadata"]["length"], 3);
}

#[tokio::test]
async fn an_importer_outside_the_allowed_directories_is_refused_by_name() {
    let h = harness().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = elsewhere.path().join("secret");
    std::fs::write(&secret, "no").unwrap();
    let report = run(&h, "kfp/cluster_settings.yaml", &[("source_uri", json!(secret.display().to_string()))]).await;
    assert_eq!(report.state, State::Failed);
    let error = report.error.unwrap_or_default();
    assert!(error.contains("root/importer: importer:") && error.contains("outside the artifact store"), "{error}");
    let s3 = run(&h, "kfp/cluster_settings.yaml", &[("source_uri", json!("s3://bucket/data.csv"))]).await;
    assert!(s3.error.unwrap_or_default().contains("the s3:// scheme is not served on this machine"));
}

#[tokio::test]
async fn a_resource_from_a_bad_input_fails_the_task_naming_it() {
    let h = harness().await;
    let source = h._dir.path().join("imports/source.txt");
    std::fs::write(&source, "x").unwrap();
    let report = run(
        &h,
        "kfp/cluster_settings.yaml",
        &[("source_uri", json!(source.display().to_string())), ("cpu", json!("lots"))],
    )
    .await;
    assert_eq!(report.state, State::Failed);
    let error = report.error.unwrap_or_default();
    assert!(
        error.contains("root/read-text: resources.cpu: \"lots\" (from the task's inputs) is not a CPU quantity"),
        "{error}"
    );
}

#[tokio::test]
async fn a_step_asking_for_gpus_on_a_host_without_is_refused_at_submission() {
    let h = harness().await; // Ledger::detect(0): no GPUs handed out (no GPU here either).
    let plan = engine::spec::parse(&std::fs::read(common::workspace().join("examples/kfp/gpu.yaml")).unwrap()).unwrap();
    let err = h
        .runner
        .run(
            &model::Principal::local(),
            "default",
            plan,
            Default::default(),
            tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "task \"train\" asks for 1 GPU; this machine hands out none (setting `gpus`)");
    assert!(h.engine.runs_by_state().await.unwrap().is_empty(), "nothing was committed");
}

#[tokio::test]
async fn run_placeholders_in_arguments_and_the_exit_handlers_final_status() {
    let h = harness().await;
    let fine = run(&h, "kfp/placeholders.yaml", &[]).await;
    assert_eq!(fine.state, State::Succeeded, "{fine:#?}");
    let shown = common::task_output(&h, &fine, "root/exit-handler-1/show", "Output").await;
    let parts: Vec<String> = shown.as_str().unwrap().split('|').map(str::to_owned).collect();
    let runs = h.engine.list_runs(&model::Principal::local(), "default", None, &Default::default()).await.unwrap();
    let record = runs.items.iter().find(|r| r.id == fine.run_id).unwrap();
    // Job name and resource name: the run's name; its id; the task's name and id.
    assert!(parts[0].starts_with("placeholders-") && parts[1] == parts[0], "{parts:?}");
    assert_eq!(parts[0], record.display_name);
    assert_eq!(parts[2], fine.run_id);
    assert_eq!(parts[3], "show");
    assert!(parts[4].starts_with(&fine.run_id) && parts[4].len() > fine.run_id.len(), "{parts:?}");
    // The final status as KFP's backend reports it: the ML Metadata state.
    let status = common::task_output(&h, &fine, "root/report", "Output").await;
    assert_eq!(status, json!("COMPLETE exit-handler-1"));
    let failed = run(&h, "kfp/placeholders.yaml", &[("y", json!(true))]).await;
    assert_eq!(failed.state, State::Failed, "{failed:#?}");
    assert_eq!(common::task_output(&h, &failed, "root/report", "Output").await, json!("FAILED exit-handler-1"));
}

#[tokio::test]
async fn returned_artifacts_made_by_the_component_reach_the_next_task() {
    let h = harness().await;
    let report = run(&h, "kfp/pythonic.yaml", &[("n", json!(7))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(report.outputs["Output"], json!("trained on 7"));
}

#[tokio::test]
async fn an_inner_loop_runs_over_a_field_of_the_outer_item() {
    let h = harness().await;
    let report = run(&h, "kfp/nested_items.yaml", &[]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(report.outputs["Output"], json!("halo:11,hello:1,hello:2"));
}
