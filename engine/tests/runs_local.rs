//! Runs the example pipelines end to end as local processes: KFP components
//! run by the real kfp SDK (`.venv`, made by `scripts/setup.sh --test`) and
//! Argo container/script templates.

mod common;

use std::collections::BTreeMap;

use common::{harness, run, task, workspace};
use engine::{runs::State, spec};
use model::Principal;
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn kfp_linear_chain_passes_typed_parameters() {
    let h = harness().await;
    let report = run(&h, "kfp/linear.yaml", &[("x", json!(4)), ("name", json!("Ada"))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(task(&report, "root/greet").state, State::Succeeded);
    assert_eq!(task(&report, "root/add-2").attempts, 1);
    // (4 + 2) + 3 = 9 greetings: the int stayed an int through two steps.
    assert_eq!(report.outputs["Output"], json!(["hello Ada"; 9].join(" ")));
}

#[tokio::test]
async fn kfp_artifacts_flow_from_dataset_to_model_and_container() {
    let h = harness().await;
    let report = run(&h, "kfp/artifacts.yaml", &[("rows", json!(4))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    for t in ["root/make-data", "root/train", "root/count-lines"] {
        assert_eq!(task(&report, t).state, State::Succeeded, "{t}");
    }
    let artifacts = h.engine.run_artifacts(&Principal::local(), &report.run_id).await.unwrap();
    let data = artifacts.iter().find(|a| a.task == "root/make-data").unwrap();
    assert_eq!((data.name.as_str(), data.schema_title.as_str()), ("data", "system.Dataset"));
    assert_eq!(data.metadata["rows"], 4, "metadata written by the component is kept");
    assert_eq!(std::fs::read_to_string(&data.uri).unwrap().lines().count(), 4);
    let model = artifacts.iter().find(|a| a.task == "root/train").unwrap();
    assert_eq!(std::fs::read_to_string(&model.uri).unwrap(), "slope=6.0");
    let stranger = Principal { name: "mallory".into() };
    assert!(h.engine.run_artifacts(&stranger, &report.run_id).await.is_err());
}

#[tokio::test]
async fn artifacts_are_listed_by_namespace_type_and_run_in_pages() {
    use engine::artifacts::ArtifactQuery;
    let h = harness().await;
    let first = run(&h, "kfp/artifacts.yaml", &[("rows", json!(2))]).await;
    let second = run(&h, "kfp/artifacts.yaml", &[("rows", json!(3))]).await;
    let me = Principal::local();
    let per_run = h.engine.run_artifacts(&me, &first.run_id).await.unwrap().len();
    // Page through everything two at a time: each artifact once, newest first.
    let (mut seen, mut token) = (Vec::new(), String::new());
    loop {
        let query = ArtifactQuery { page_size: 2, page_token: token.clone(), ..Default::default() };
        let page = h.engine.list_artifacts(&me, "default", &query).await.unwrap();
        seen.extend(page.items);
        if page.next.is_empty() {
            break;
        }
        token = page.next;
    }
    assert_eq!(seen.len(), 2 * per_run);
    assert!(seen.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    let mut uris: Vec<_> = seen.iter().map(|a| a.uri.clone()).collect();
    uris.dedup();
    assert_eq!(uris.len(), seen.len(), "no artifact twice");
    let models = ArtifactQuery { schema_title: "system.Model".into(), page_size: 50, ..Default::default() };
    let models = h.engine.list_artifacts(&me, "default", &models).await.unwrap().items;
    assert_eq!(models.len(), 2);
    assert!(models.iter().all(|a| a.schema_title == "system.Model" && a.task_path == "root/train"));
    let of_second = ArtifactQuery { run_id: second.run_id.clone(), page_size: 50, ..Default::default() };
    let of_second = h.engine.list_artifacts(&me, "default", &of_second).await.unwrap().items;
    assert_eq!(of_second.len(), per_run);
    assert!(of_second.iter().all(|a| a.run_id == second.run_id));
    let types = h.engine.artifact_types(&me, "default").await.unwrap();
    assert!(types.contains(&"system.Dataset".to_owned()) && types.contains(&"system.Model".to_owned()));
    let bad = ArtifactQuery { page_token: "not a token".into(), page_size: 5, ..Default::default() };
    assert!(h.engine.list_artifacts(&me, "default", &bad).await.unwrap_err().to_string().contains("page_token"));
    let stranger = Principal { name: "mallory".into() };
    let any = ArtifactQuery { page_size: 5, ..Default::default() };
    assert!(h.engine.list_artifacts(&stranger, "default", &any).await.is_err());
}

#[tokio::test]
async fn kfp_loops_conditions_retries_and_exit_handler() {
    let h = harness().await;
    let marker = h._dir.path().join("flaky-marker");
    let report = run(&h, "kfp/control.yaml", &[("marker", json!(marker.display().to_string()))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    // 1 + 4 + 9 = 14 > 10: the "big" branch ran, the other was skipped.
    assert_eq!(task(&report, "root/exit-handler-1/condition-branches-3/condition-4/announce").state, State::Succeeded);
    assert_eq!(task(&report, "root/exit-handler-1/condition-branches-3/condition-5").state, State::Skipped);
    assert_eq!(task(&report, "root/exit-handler-1/for-loop-2[2]/square").state, State::Succeeded);
    let flaky = task(&report, "root/exit-handler-1/flaky");
    assert_eq!((flaky.state, flaky.attempts), (State::Succeeded, 2));
    assert_eq!(task(&report, "root/cleanup").state, State::Succeeded);
}

#[tokio::test]
async fn kfp_caching_reuses_outputs_on_the_second_run() {
    let h = harness().await;
    let first = run(&h, "kfp/linear.yaml", &[]).await;
    assert!(first.tasks.iter().all(|t| !t.cached));
    let second = run(&h, "kfp/linear.yaml", &[]).await;
    assert_eq!(second.state, State::Succeeded);
    assert!(second.tasks.iter().all(|t| t.cached && t.state == State::Cached), "{second:#?}");
}

#[tokio::test]
async fn cached_outputs_expire_after_the_ttl() {
    let mut h = harness().await;
    h.runner = h.runner.clone().with_cache_ttl(std::time::Duration::ZERO);
    run(&h, "kfp/linear.yaml", &[]).await;
    let second = run(&h, "kfp/linear.yaml", &[]).await;
    assert!(second.tasks.iter().all(|t| !t.cached), "{second:#?}");
}

#[tokio::test]
async fn kfp_nested_pipeline_outputs_feed_the_outer_dag() {
    let h = harness().await;
    let report = run(&h, "kfp/nested.yaml", &[("x", json!(5))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(task(&report, "root/inner/double-2").state, State::Succeeded);
    assert_eq!(task(&report, "root/double").state, State::Succeeded);
    assert_eq!(report.outputs["Output"], json!(40));
}

#[tokio::test]
async fn kfp_container_components_with_placeholders() {
    let h = harness().await;
    let report = run(&h, "kfp/container.yaml", &[]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
}

#[tokio::test]
async fn argo_steps_and_loops() {
    let h = harness().await;
    let report = run(&h, "argo/steps-loop.yaml", &[]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    assert_eq!(task(&report, "(root)/main/square-generated[3]").state, State::Succeeded);
    assert_eq!(task(&report, "(root)/main/square-items[0]").state, State::Succeeded);
}

#[tokio::test]
async fn wrong_parameters_are_refused_before_anything_runs() {
    let h = harness().await;
    let plan = spec::parse(&std::fs::read(workspace().join("examples/kfp/linear.yaml")).unwrap()).unwrap();
    let err = h
        .runner
        .run(
            &Principal::local(),
            "default",
            plan,
            BTreeMap::from([("x".to_owned(), json!("five"))]),
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid parameters: parameter \"x\": \"five\" is not a NumberInteger");
}

#[tokio::test]
async fn argo_dag_with_parameters_artifacts_depends_when_and_exit_handler() {
    let h = harness().await;
    let report = run(&h, "argo/dag-diamond.yaml", &[("message", json!("hi there"))]).await;
    assert_eq!(report.state, State::Succeeded, "{report:#?}");
    for t in ["(root)/diamond/a", "(root)/diamond/b", "(root)/diamond/c", "(root)/diamond/d", "(root)/on-exit"] {
        assert_eq!(task(&report, t).state, State::Succeeded, "{t}");
    }
    // when: "{{inputs.parameters.count}} > 2" is false for count=1.
    let report = run(&h, "argo/dag-diamond.yaml", &[("count", json!("1"))]).await;
    assert_eq!(task(&report, "(root)/diamond/d").state, State::Skipped);
}
