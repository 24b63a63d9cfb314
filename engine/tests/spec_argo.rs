//! Argo Workflows (examples/argo) -> Plan, and refusals with their messages.

use engine::spec::{self, ArtifactSource, Body, Condition, ItemsSource, ParameterSource, Piece};

fn example(name: &str) -> String {
    let path = format!("{}/../examples/argo/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn refusal(yaml: &str) -> String {
    spec::parse(yaml.as_bytes()).expect_err("refused").to_string()
}

fn dag<'a>(plan: &'a spec::Plan, component: &str) -> &'a spec::Dag {
    match &plan.components[component].body {
        Body::Dag(dag) => dag,
        _ => panic!("{component} is not a DAG"),
    }
}

#[test]
fn diamond_dag_with_parameters_artifacts_conditions_retries_and_exit_handler() {
    let plan = spec::parse(example("dag-diamond").as_bytes()).unwrap();
    assert_eq!(plan.name, "dag-diamond");
    assert_eq!(plan.inputs["count"].default, Some(serde_json::json!("3")));
    assert_eq!(
        plan.root_dag().tasks["diamond"].parameters["message"],
        ParameterSource::ComponentInput("message".into())
    );
    assert_eq!(plan.root_dag().parallelism, Some(2));
    let diamond = dag(&plan, "diamond");
    assert_eq!(diamond.tasks["b"].depends_on, ["a"]);
    assert_eq!(
        diamond.tasks["b"].parameters["text"],
        ParameterSource::TaskOutput { task: "a".into(), output: "said".into() }
    );
    assert_eq!(
        diamond.tasks["c"].artifacts["data"],
        ArtifactSource::TaskOutput { task: "a".into(), output: "data".into() }
    );
    assert_eq!(diamond.tasks["d"].depends_on, ["b", "c"]);
    assert!(matches!(
        &diamond.tasks["d"].trigger.conditions[..],
        [Condition::ArgoDepends(depends), Condition::ArgoWhen(_)] if depends == "b && (c.Succeeded || c.Failed)"
    ));
    let retry = diamond.tasks["b"].retry.as_ref().unwrap();
    assert_eq!((retry.max_retries, retry.backoff_seconds, retry.backoff_max_seconds), (2, 1.0, 60.0));
    let exit = plan.on_exit.as_ref().unwrap();
    assert_eq!(exit.component, "report");
    assert!(exit.trigger.after_failures);
    let Body::Container(produce) = &plan.components["produce"].body else { panic!() };
    assert_eq!(produce.resources.cpu_milli, Some(100));
    assert_eq!(produce.resources.memory_bytes, Some(64 << 20));
    assert_eq!(plan.components["produce"].output_parameters["said"].path.as_deref(), Some("/tmp/said.txt"));
    let Body::Container(shout) = &plan.components["shout"].body else { panic!() };
    assert!(matches!(&shout.script.as_deref().unwrap()[0], spec::Piece::Literal(text) if text.contains("print(")));
}

#[test]
fn steps_run_in_sequence_and_loops_fan_out() {
    let plan = spec::parse(example("steps-loop").as_bytes()).unwrap();
    let main = dag(&plan, "main");
    assert!(main.tasks["generate"].depends_on.is_empty());
    assert_eq!(main.tasks["square-items"].depends_on, ["generate"]);
    let items = main.tasks["square-items"].iterator.as_ref().unwrap();
    assert_eq!(items.items, ItemsSource::Raw(vec![1.into(), 2.into(), 3.into()]));
    assert_eq!(main.tasks["square-items"].parameters["x"], ParameterSource::LoopItem { field: None });
    let generated = main.tasks["square-generated"].iterator.as_ref().unwrap();
    assert_eq!(
        generated.items,
        ItemsSource::Parameter(ParameterSource::TaskOutput { task: "generate".into(), output: "result".into() })
    );
    assert_eq!(main.tasks["square-generated"].parameters["x"], ParameterSource::LoopItem { field: Some("n".into()) });
}

#[test]
fn unknown_template_is_named_with_the_task() {
    let yaml = example("dag-diamond").replace("template: count-lines", "template: count-words");
    assert_eq!(refusal(&yaml), "task \"diamond/c\": template: unknown template \"count-words\"");
}

#[test]
fn unknown_dependency_is_named() {
    let yaml = example("dag-diamond")
        .replace("dependencies: [a]\n        template: shout", "dependencies: [z]\n        template: shout");
    assert_eq!(refusal(&yaml), "task \"diamond/b\": dependencies: unknown task \"z\"");
}

#[test]
fn cycles_are_printed() {
    let yaml = example("dag-diamond").replacen(
        "      - name: a\n        template: produce",
        "      - name: a\n        dependencies: [d]\n        template: produce",
        1,
    );
    assert_eq!(refusal(&yaml), "dependency cycle in \"diamond\": a -> d -> b -> a");
}

#[test]
fn missing_inputs_and_unknown_outputs_are_named() {
    let yaml = example("steps-loop").replace(
        "    - - name: generate\n        template: gen-list",
        "    - - name: generate\n        template: square",
    );
    assert_eq!(refusal(&yaml), "task \"main/generate\": arguments.parameters.x: required input is missing");
    let yaml = example("dag-diamond").replace("tasks.a.outputs.parameters.said", "tasks.a.outputs.parameters.sang");
    assert_eq!(
        refusal(&yaml),
        "task \"diamond/b\": arguments.parameters.text: task \"a\" has no output parameter \"sang\""
    );
}

#[test]
fn unknown_placeholders_and_entrypoint_are_named() {
    let yaml = example("dag-diamond").replace("{{workflow.status}}", "{{workflow.mood}}");
    assert_eq!(
        refusal(&yaml),
        "component \"report\": args: unknown placeholder {{workflow.mood}}".replace("args", "command")
    );
    let yaml = example("dag-diamond").replace("entrypoint: diamond", "entrypoint: circle");
    assert_eq!(refusal(&yaml), "spec.entrypoint: no template named \"circle\"");
}

#[test]
fn templates_of_no_known_kind_say_so() {
    let yaml = example("dag-diamond").replace(
        "  - name: report\n    container:",
        "  - name: wait\n    retryStrategy: {limit: 1}\n  - name: report\n    container:",
    );
    assert_eq!(
        refusal(&yaml),
        "component \"wait\": template: needs exactly one of container, script, dag, steps, suspend, resource, http, \
         plugin, containerSet"
    );
    let timed = example("dag-diamond").replace(
        "  - name: report\n    container:",
        "  - name: wait\n    suspend: {duration: soon}\n  - name: report\n    container:",
    );
    assert_eq!(
        refusal(&timed),
        "component \"wait\": suspend.duration: \"soon\" is not a duration like \"30s\" or \"2m\""
    );
}

#[test]
fn placeholders_become_pieces() {
    let plan = spec::parse(example("dag-diamond").as_bytes()).unwrap();
    let d = &dag(&plan, "diamond").tasks["d"];
    let ParameterSource::Template(pieces) = &d.parameters["text"] else { panic!("template") };
    assert_eq!(pieces[1], Piece::Literal(" and ".into()));
}

#[test]
fn names_that_would_leave_the_run_directory_are_refused() {
    let yaml = example("dag-diamond")
        .replace("- name: said", "- name: ../../etc/said")
        .replace("parameters.said", "parameters.x");
    assert_eq!(
        refusal(&yaml),
        "component \"produce\": outputs.../../etc/said: \"../../etc/said\" is not a valid input or output name"
    );
}

#[test]
fn a_cron_workflow_is_its_workflow_with_a_checked_schedule() {
    let plan = spec::parse(example("nightly").as_bytes()).unwrap();
    assert_eq!(plan.name, "nightly-report");
    let schedule = plan.schedule.unwrap();
    assert_eq!(schedule.crons, ["0 2 * * *", "30 14 * * 1-5"]);
    assert_eq!(schedule.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(schedule.concurrency, spec::ConcurrencyPolicy::Forbid);
    assert_eq!(
        (schedule.starting_deadline_seconds, schedule.successful_history, schedule.failed_history),
        (Some(300), 5, 2)
    );
    assert!(plan.inputs.contains_key("y"));
    for (from, to, message) in [
        (
            "  timezone: Europe/Paris",
            "  timezone: Mars/Olympus",
            "spec.timezone: \"Mars/Olympus\" is not an IANA time zone",
        ),
        (
            "  concurrencyPolicy: Forbid",
            "  concurrencyPolicy: Never",
            "spec.concurrencyPolicy: \"Never\" is not one of Allow, Forbid, Replace",
        ),
        ("  - \"0 2 * * *\"", "  - \"0 25 * * *\"", "spec.schedules[0]: \"0 25 * * *\" is not a cron schedule"),
        (
            "  schedules:\n  - \"0 2 * * *\"\n  - \"30 14 * * 1-5\"\n",
            "",
            "spec.schedule: a CronWorkflow needs schedule or schedules",
        ),
    ] {
        let err = refusal(&example("nightly").replace(from, to));
        assert!(err.starts_with(message), "{err}");
    }
}

#[test]
fn references_to_stored_templates_are_refused_by_name() {
    let task_ref = example("dag-diamond")
        .replace("        template: count-lines\n", "        templateRef: {name: shared, template: count-lines}\n");
    assert_eq!(
        refusal(&task_ref),
        "task \"diamond/c\": templateRef: \"count-lines\" of stored template \"shared\" is copied in when the \
         workflow is uploaded or submitted to the server; a file read alone cannot use it"
    );
    let workflow_ref = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\n\
                        spec:\n  workflowTemplateRef: {name: shared}\n";
    assert!(refusal(workflow_ref).starts_with("spec.workflowTemplateRef: the stored WorkflowTemplate is copied in"));
}

/// The reason a template is refused when it runs, if it is.
fn unavailable(plan: &spec::Plan, component: &str) -> String {
    match &plan.components[component].body {
        Body::Unavailable { reason } => reason.clone(),
        other => panic!("{component} runs here: {other:?}"),
    }
}

#[test]
fn what_needs_a_cluster_or_a_plugin_is_accepted_and_refused_when_it_runs() {
    let yaml = example("dag-diamond").replace(
        "  - name: report\n    container:",
        "  - name: hello\n    plugin: {hello: {}}\n  - name: group\n    containerSet: {containers: [{name: a, image: alpine}]}\n  \
         - name: configured\n    inputs:\n      parameters:\n      - name: msg\n        valueFrom:\n          \
         configMapKeyRef: {name: settings, key: msg}\n    container: {image: alpine, command: [echo, \"{{inputs.parameters.msg}}\"]}\n  \
         - name: report\n    container:",
    );
    let plan = spec::parse(yaml.as_bytes()).unwrap();
    assert!(unavailable(&plan, "hello").contains("executor plugin"));
    assert!(unavailable(&plan, "group").contains("containerSet templates"));
    assert_eq!(
        unavailable(&plan, "configured"),
        "input parameter \"msg\" comes from a ConfigMap (valueFrom.configMapKeyRef): ConfigMaps are read with the \
         Kubernetes backend (backend = \"kubernetes\")"
    );
}

#[test]
fn arguments_a_template_does_not_declare_are_passed_unused_as_argo_allows() {
    let yaml = example("dag-diamond").replace(
        "          - name: text\n            value: \"{{inputs.parameters.message}}\"",
        "          - name: text\n            value: \"{{inputs.parameters.message}}\"\n          - name: unused\n            value: \"1\"",
    );
    let plan = spec::parse(yaml.as_bytes()).unwrap();
    assert!(dag(&plan, "diamond").tasks["a"].parameters.contains_key("unused"));
}

#[test]
fn a_template_library_is_checked_template_by_template() {
    let library = spec::load_json(example("shared-templates").as_bytes()).unwrap();
    assert!(spec::is_template_library(&library));
    spec::check_template_library(&library).unwrap();
    let workflow = spec::load_json(example("dag-diamond").as_bytes()).unwrap();
    assert!(!spec::is_template_library(&workflow));
}
