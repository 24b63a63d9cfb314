//! The normalized pipeline: what the scheduler runs, whatever the source.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A validated pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The pipeline's name.
    pub name: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// Parameters the run is started with.
    pub inputs: BTreeMap<String, ParameterDef>,
    /// Components by name: executables and DAGs. `root` names the DAG to run.
    pub components: BTreeMap<String, Component>,
    /// The component run as the pipeline.
    pub root: String,
    /// Task run after the root DAG finishes, whatever its outcome (Argo `onExit`).
    pub on_exit: Option<Task>,
    /// What the pipeline asks for that this machine keeps but does not
    /// apply (Kubernetes settings), one line each, shown with its runs.
    #[serde(default)]
    pub notices: Vec<String>,
    /// When the pipeline runs by itself (Argo `CronWorkflow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<CronSchedule>,
}

/// An Argo `CronWorkflow`'s schedule, checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CronSchedule {
    /// Cron expressions (`schedule` and `schedules`), five fields each.
    pub crons: Vec<String>,
    /// IANA time zone the expressions are read in; UTC when `None`.
    pub timezone: Option<String>,
    /// What a fire does while an earlier run still goes.
    pub concurrency: ConcurrencyPolicy,
    /// A fire missed by more than this many seconds is skipped.
    pub starting_deadline_seconds: Option<u64>,
    /// Whether it is paused.
    pub suspend: bool,
    /// Successful runs kept (Argo's default: 3).
    pub successful_history: u32,
    /// Failed runs kept (Argo's default: 1).
    pub failed_history: u32,
}

/// Argo's `concurrencyPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConcurrencyPolicy {
    /// Runs may overlap.
    Allow,
    /// A fire is skipped while a run goes.
    Forbid,
    /// A fire stops the running run first.
    Replace,
}

/// The type of a parameter, in KFP's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParameterType {
    /// Text.
    String,
    /// A whole number.
    NumberInteger,
    /// A floating-point number.
    NumberDouble,
    /// `true` or `false`.
    Boolean,
    /// A JSON array.
    List,
    /// A JSON object.
    Struct,
    /// A task's final status (`PipelineTaskFinalStatus`), set by the engine.
    TaskFinalStatus,
}

impl ParameterType {
    /// Whether `value` is of this type. Integers written as `2.0` (as the
    /// KFP compiler writes them) count as integers.
    pub fn admits(self, value: &Value) -> bool {
        match self {
            Self::String => value.is_string(),
            Self::NumberInteger => value.as_f64().is_some_and(|f| f.fract() == 0.0),
            Self::NumberDouble => value.is_number(),
            Self::Boolean => value.is_boolean(),
            Self::List => value.is_array(),
            Self::Struct | Self::TaskFinalStatus => value.is_object(),
        }
    }
}

/// A declared input or output parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterDef {
    /// Its type.
    pub kind: ParameterType,
    /// Value used when none is given.
    pub default: Option<Value>,
    /// Whether it may be left out.
    pub optional: bool,
    /// For outputs: the file the process writes the value to, when the spec
    /// fixes it (Argo `valueFrom.path`).
    pub path: Option<String>,
    /// The values it may take, when the spec lists them (Argo `enum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<Value>>,
}

impl ParameterDef {
    /// Whether `value` is one of the listed choices (always, when none are).
    pub fn allows(&self, name: &str, value: &Value) -> Result<(), String> {
        match &self.choices {
            Some(choices) if !choices.contains(value) => {
                let listed: Vec<String> = choices.iter().map(Value::to_string).collect();
                Err(format!("parameter {name:?}: {value} is not one of {}", listed.join(", ")))
            }
            _ => Ok(()),
        }
    }
}

/// A declared artifact input or output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArtifactDef {
    /// Schema title, e.g. `system.Dataset`.
    pub schema: String,
    /// Whether it is a list of artifacts.
    pub is_list: bool,
    /// Whether it may be left out.
    pub optional: bool,
    /// Where the process reads or writes it, when the spec fixes it (Argo `path`).
    pub path: Option<String>,
}

/// A component: its interface and what it does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Input parameters.
    pub input_parameters: BTreeMap<String, ParameterDef>,
    /// Input artifacts.
    pub input_artifacts: BTreeMap<String, ArtifactDef>,
    /// Output parameters.
    pub output_parameters: BTreeMap<String, ParameterDef>,
    /// Output artifacts.
    pub output_artifacts: BTreeMap<String, ArtifactDef>,
    /// A process to run, or a DAG of tasks.
    pub body: Body,
}

/// What a component does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// Runs one process.
    Container(Container),
    /// Runs tasks.
    Dag(Dag),
    /// Brings an existing artifact into the run (KFP `dsl.importer`).
    Importer(Importer),
    /// One HTTP request (Argo `http`), toward allowed hosts only.
    Http(HttpCall),
    /// Waits until resumed, or for a time (Argo `suspend`).
    Suspend {
        /// Seconds to wait; until resumed when `None`.
        seconds: Option<f64>,
    },
    /// Accepted, but needs what this machine does not have: the task fails
    /// at run time with `reason`, which names the feature and the setting
    /// or backend that provides it (Argo `resource` and `http` templates).
    Unavailable {
        /// Why it cannot run here.
        reason: String,
    },
}

/// An Argo `http` template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpCall {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The URL, with placeholders.
    pub url: Vec<Piece>,
    /// Headers, values with placeholders.
    pub headers: Vec<(String, Vec<Piece>)>,
    /// The body, with placeholders.
    pub body: Option<Vec<Piece>>,
    /// Argo's `successCondition`, an expression over `response`.
    pub success_condition: Option<String>,
    /// Seconds before the request is given up.
    pub timeout_seconds: u64,
}

/// A KFP importer: its one output artifact is an artifact that exists already.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Importer {
    /// Where the artifact is.
    pub uri: ImportUri,
    /// Schema title of the artifact, e.g. `system.Dataset`.
    pub schema: String,
    /// Metadata given in the pipeline.
    pub metadata: Value,
    /// Whether KFP would register the artifact again rather than reuse it.
    pub reimport: bool,
}

/// The URI an importer reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportUri {
    /// Written in the pipeline.
    Constant(String),
    /// Given by an input parameter of the importer.
    Parameter(String),
}

/// A process: image, command line with placeholders, environment, resources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Container {
    /// The image, mapped to a local runtime by the local backend.
    pub image: String,
    /// `command` then `args`, as one argv template.
    pub argv: Vec<Arg>,
    /// Environment variables (values may hold placeholders).
    pub env: BTreeMap<String, Vec<Piece>>,
    /// Resource requests.
    pub resources: Resources,
    /// Script fed as a file (Argo `script` templates), with its tags.
    #[serde(default, deserialize_with = "script_pieces")]
    pub script: Option<Vec<Piece>>,
    /// Whether stdout becomes the output `result` (Argo).
    pub stdout_result: bool,
    /// Set for an Argo `daemon: true` step: it counts as done once ready
    /// and keeps running until the DAG or steps around it end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon: Option<Daemon>,
}

/// How a daemon step tells it is ready (its `readinessProbe`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Daemon {
    /// The check; without one, ready once its process started.
    pub probe: Option<Probe>,
    /// Seconds before the first check.
    pub initial_delay_seconds: u64,
}

/// A readiness check, as Kubernetes runs them, against the local process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// `httpGet`: a 2xx or 3xx answer from `http://127.0.0.1:{port}{path}`.
    Http {
        /// Request path.
        path: String,
        /// Port on this machine.
        port: u16,
    },
    /// `tcpSocket`: a connection to the port is accepted.
    Tcp {
        /// Port on this machine.
        port: u16,
    },
    /// `exec`: the command exits with status 0.
    Exec {
        /// The command, run directly (no shell).
        argv: Vec<String>,
    },
}

/// Requested resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// CPU cores, in thousandths.
    pub cpu_milli: Option<u64>,
    /// Memory in bytes.
    pub memory_bytes: Option<u64>,
    /// Number of GPUs.
    pub gpus: u32,
    /// Requests given by placeholders over the task's inputs (KFP
    /// `set_cpu_limit(pipeline_input)`), resolved and checked at launch:
    /// `cpu`, `memory`, `gpus`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub from_inputs: BTreeMap<String, Vec<Piece>>,
}

/// One argument of an argv template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    /// Text and placeholders concatenated into one argument.
    Concat(Vec<Piece>),
    /// Arguments present only when an input is given (KFP `IfPresent`).
    IfPresent {
        /// The input whose presence decides.
        input: String,
        /// Arguments when it is present.
        then: Vec<Arg>,
        /// Arguments when it is not.
        otherwise: Vec<Arg>,
    },
}

/// A piece of an argument: literal text or a value filled in at launch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Piece {
    /// Text as written.
    Literal(String),
    /// The whole executor input as JSON (KFP `{{$}}`).
    ExecutorInput,
    /// The value of an input parameter.
    InputValue(String),
    /// Local path of an input artifact.
    InputArtifactPath(String),
    /// URI of an input artifact.
    InputArtifactUri(String),
    /// Metadata of an input artifact, as JSON.
    InputArtifactMetadata(String),
    /// A list of input artifacts as JSON, in `ExecutorInput`'s shape
    /// (`{"artifacts": [{name, uri, metadata, type}]}`).
    InputArtifactList(String),
    /// File the process writes an output parameter to.
    OutputParameterFile(String),
    /// Local path to write an output artifact to.
    OutputArtifactPath(String),
    /// URI of an output artifact.
    OutputArtifactUri(String),
    /// Metadata of an output artifact known at launch, as JSON.
    OutputArtifactMetadata(String),
    /// A run-level value: `job_name`, `job_uuid`, `task_name`, `task_uuid`, `pipeline_root`, ...
    Run(String),
    /// A parameter the run was started with (Argo `workflow.parameters.x`).
    PipelineInput(String),
    /// An output parameter of a sibling task (Argo `tasks.t.outputs.parameters.p`,
    /// `outputs.result` as output `result`).
    TaskOutput {
        /// The producing task.
        task: String,
        /// Its output.
        output: String,
    },
    /// The current loop item, or one field of it (Argo `item`, `item.key`).
    Item(Option<String>),
    /// How a sibling task ended, in Argo's words (`Succeeded`, `Failed`,
    /// `Skipped`, `Error`): `tasks.t.status`.
    TaskStatus(String),
    /// A sibling task's exit status: `tasks.t.exitCode`.
    TaskExitCode(String),
    /// All output parameters of a sibling task as JSON; of a loop, a list
    /// with one object per iteration: `tasks.t.outputs.parameters`.
    TaskOutputParameters(String),
    /// All input parameters as JSON, `[{"name", "value"}]`: `inputs.parameters`.
    InputParameters,
    /// An Argo expression tag, `{{=asInt(inputs.parameters.n) + 1}}`.
    Expression(String),
}

/// Tasks and how they connect.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dag {
    /// Tasks by name.
    pub tasks: BTreeMap<String, Task>,
    /// Where the DAG's output parameters come from: (task, output), the
    /// first of the candidates that produced one (several for KFP's `OneOf`).
    pub output_parameters: BTreeMap<String, Vec<(String, String)>>,
    /// Where the DAG's output artifacts come from, likewise.
    pub output_artifacts: BTreeMap<String, Vec<(String, String)>>,
    /// Output parameters computed from the tasks' results once the DAG
    /// ended (Argo `valueFrom.expression`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub output_expressions: BTreeMap<String, String>,
    /// Output artifacts chosen by an expression over the tasks' results
    /// (Argo `fromExpression`), which names one task's output artifact.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub output_artifact_expressions: BTreeMap<String, String>,
    /// Most tasks of this DAG running at once (Argo `parallelism`).
    pub parallelism: Option<u32>,
}

/// One node of a DAG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The component it runs.
    pub component: String,
    /// Tasks that must finish first.
    pub depends_on: Vec<String>,
    /// When it may start.
    pub trigger: Trigger,
    /// Where each input parameter comes from.
    pub parameters: BTreeMap<String, ParameterSource>,
    /// Where each input artifact comes from.
    pub artifacts: BTreeMap<String, ArtifactSource>,
    /// Run once per item (KFP `ParallelFor`, Argo `withItems`/`withParam`).
    pub iterator: Option<Iterator>,
    /// Retries after failure.
    pub retry: Option<RetryPolicy>,
    /// Whether results may come from the cache.
    pub cache: bool,
    /// Seconds after which the attempt is stopped.
    pub timeout_seconds: Option<u64>,
}

/// When a task may start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// Run once all upstream tasks completed, even failed (exit handlers).
    pub after_failures: bool,
    /// Conditions that must all hold; the task is skipped otherwise.
    pub conditions: Vec<Condition>,
}

/// A condition that decides whether a task runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// KFP's CEL subset, over `inputs.parameter_values[...]`.
    Cel(String),
    /// Argo's `when` expression, after placeholder substitution.
    ArgoWhen(Vec<Piece>),
    /// Argo `depends` logic over upstream task results.
    ArgoDepends(String),
}

/// Where a parameter value comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterSource {
    /// A constant.
    Constant(Value),
    /// An input parameter of the enclosing component (or the pipeline).
    ComponentInput(String),
    /// An output parameter of a sibling task.
    TaskOutput {
        /// The producing task.
        task: String,
        /// Its output.
        output: String,
    },
    /// The current item of the iterator.
    LoopItem {
        /// Key within the item, for items that are objects.
        field: Option<String>,
    },
    /// One field of an input parameter of the enclosing component that
    /// holds an object (KFP's `parameterExpressionSelector` over a loop
    /// item: `item.p_a`, also from an outer loop's item).
    ComponentInputField {
        /// The input.
        input: String,
        /// The key within it.
        field: String,
    },
    /// The final status of a task (exit handlers).
    TaskFinalStatus(String),
    /// A text template with placeholders (Argo).
    Template(Vec<Piece>),
}

/// Where an artifact comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactSource {
    /// An input artifact of the enclosing component.
    ComponentInput(String),
    /// An output artifact of a sibling task.
    TaskOutput {
        /// The producing task.
        task: String,
        /// Its output.
        output: String,
    },
}

/// Fan-out of a task over items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iterator {
    /// The items.
    pub items: ItemsSource,
    /// Input of the task's component that receives each item (KFP); Argo
    /// tasks read the item through [`Piece::Item`] instead.
    pub item_input: Option<String>,
    /// Most iterations running at once; 0 = no limit.
    pub parallelism: u32,
}

/// Where a loop's items come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemsSource {
    /// Items written in the spec.
    Raw(Vec<Value>),
    /// Items from a parameter (a JSON list).
    Parameter(ParameterSource),
    /// Each artifact of a list of artifacts (KFP `artifactIterator`); the
    /// item is the input artifact named by `item_input`.
    Artifacts(ArtifactSource),
    /// Numbers written as text (Argo `withSequence`).
    Sequence(Sequence),
}

/// Argo's `withSequence`, its bounds read when the loop starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sequence {
    /// How many numbers, from `start`; excludes `end`.
    pub count: Option<ParameterSource>,
    /// The first number; 0 when unset.
    pub start: Option<ParameterSource>,
    /// The last number, included; may be below `start` (counting down).
    pub end: Option<ParameterSource>,
    /// A printf format with one `%d` (`%02d`, `%5d`); `%d` when unset.
    pub format: Option<String>,
}

/// One number of a sequence written with `format` (Go's `%d`, `%03d`,
/// `%5d`, `%-5d`, `%%`, text around it).
pub fn format_sequence_item(format: &str, n: i64) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    let mut verbs = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let (mut zero, mut left, mut width) = (false, false, String::new());
        while let Some(&f) = chars.peek() {
            match f {
                '0' if width.is_empty() => zero = true,
                '-' => left = true,
                d if d.is_ascii_digit() => width.push(d),
                _ => break,
            }
            chars.next();
        }
        if chars.next() != Some('d') {
            return Err(format!("format {format:?}: only %d verbs are supported"));
        }
        verbs += 1;
        let width: usize = if width.is_empty() { 0 } else { width.parse().map_err(|_| "width too large")? };
        if width > 64 {
            return Err(format!("format {format:?}: width {width} is too large"));
        }
        match (left, zero) {
            (true, _) => out.push_str(&format!("{n:<width$}")),
            (false, true) => out.push_str(&format!("{n:0width$}")),
            (false, false) => out.push_str(&format!("{n:>width$}")),
        }
    }
    if verbs != 1 {
        return Err(format!("format {format:?} needs exactly one %d"));
    }
    Ok(out)
}

/// A `withSequence`'s items once its bounds are known, refused past `max`.
pub fn sequence_items(
    count: Option<i64>,
    start: i64,
    end: Option<i64>,
    format: Option<&str>,
    max: usize,
) -> Result<Vec<Value>, String> {
    let numbers: Vec<i64> = match (count, end) {
        (Some(count), _) if count < 0 => return Err(format!("count {count} is negative")),
        (Some(count), _) => {
            if count as u64 > max as u64 {
                return Err(format!("the loop has {count} items; the limit is {max} (max_loop_items)"));
            }
            (0..count).map(|i| start + i).collect()
        }
        (None, Some(end)) => {
            let len = start.abs_diff(end).saturating_add(1);
            if len > max as u64 {
                return Err(format!("the loop has {len} items; the limit is {max} (max_loop_items)"));
            }
            if end >= start { (start..=end).collect() } else { (end..=start).rev().collect() }
        }
        (None, None) => return Err("withSequence needs count or end".into()),
    };
    numbers
        .into_iter()
        .map(|n| match format {
            Some(format) => format_sequence_item(format, n).map(Value::String),
            None => Ok(Value::String(n.to_string())),
        })
        .collect()
}

/// How often and how soon to retry a failed task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Wait before the first retry, in seconds.
    pub backoff_seconds: f64,
    /// Factor the wait grows by on each retry.
    pub backoff_factor: f64,
    /// Longest wait, in seconds.
    pub backoff_max_seconds: f64,
}

impl RetryPolicy {
    /// Seconds to wait before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> f64 {
        let exp = self.backoff_factor.powi(retry.saturating_sub(1) as i32);
        (self.backoff_seconds * exp).min(self.backoff_max_seconds)
    }
}

/// A stored script: pieces, or the plain text plans stored before scripts
/// had placeholders.
fn script_pieces<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<Piece>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Pieces(Vec<Piece>),
        Text(String),
    }
    Ok(Option::<Stored>::deserialize(deserializer)?.map(|stored| match stored {
        Stored::Pieces(pieces) => pieces,
        Stored::Text(text) => vec![Piece::Literal(text)],
    }))
}

impl Piece {
    /// The sibling task this piece reads, when it reads one.
    pub fn sibling(&self) -> Option<&str> {
        match self {
            Piece::TaskOutput { task, .. }
            | Piece::TaskStatus(task)
            | Piece::TaskExitCode(task)
            | Piece::TaskOutputParameters(task) => Some(task),
            _ => None,
        }
    }
}

impl Plan {
    /// The root DAG.
    pub fn root_dag(&self) -> &Dag {
        match &self.components[&self.root].body {
            Body::Dag(dag) => dag,
            _ => unreachable!("validation makes the root a DAG"),
        }
    }

    /// The component a task path runs (`(root)/main/step`, loop
    /// iterations written `step[2]`).
    pub fn component_at(&self, path: &str) -> Option<&Component> {
        let mut segments = path.split('/');
        let mut component = self.components.get(segments.next()?)?;
        for segment in segments {
            let name = segment.split_once('[').map_or(segment, |(name, _)| name);
            let Body::Dag(dag) = &component.body else { return None };
            component = self.components.get(&dag.tasks.get(name)?.component)?;
        }
        Some(component)
    }

    /// A chain of components that contains itself through its DAGs'
    /// tasks, e.g. `[a, b, a]`; `None` when there is none. With
    /// `allow_guarded`, a reference made under a condition or a loop does
    /// not count: Argo's documented recursion (a template calling itself
    /// `when` a coin says so) ends by itself, and runs are bounded in depth.
    pub fn recursion(&self, allow_guarded: bool) -> Option<Vec<String>> {
        let edges = self
            .components
            .iter()
            .map(|(name, component)| {
                let Body::Dag(dag) = &component.body else { return (name.clone(), Vec::new()) };
                let guarded = |t: &Task| !t.trigger.conditions.is_empty() || t.iterator.is_some();
                let used = dag.tasks.values().filter(|t| !(allow_guarded && guarded(t)));
                (name.clone(), used.map(|t| t.component.clone()).collect())
            })
            .collect();
        super::graph::find_cycle(&edges)
    }

    /// Number of tasks over all DAGs (iterations not expanded).
    pub fn task_count(&self) -> usize {
        self.components
            .values()
            .map(|c| match &c.body {
                Body::Dag(d) => d.tasks.len(),
                _ => 0,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sequences_count_up_down_and_format_as_argo_does() {
        let seq = |count, start, end, format| sequence_items(count, start, end, format, 100).unwrap();
        assert_eq!(seq(Some(3), 0, None, None), [json!("0"), json!("1"), json!("2")]);
        assert_eq!(seq(None, 2, Some(4), None), [json!("2"), json!("3"), json!("4")]);
        assert_eq!(seq(None, 5, Some(3), Some("id-%02d")), [json!("id-05"), json!("id-04"), json!("id-03")]);
        assert_eq!(seq(Some(0), 7, None, None), Vec::<Value>::new());
        assert_eq!(format_sequence_item("%-3d|%%", 7).unwrap(), "7  |%");
        assert!(format_sequence_item("%s", 1).is_err());
        assert!(sequence_items(Some(101), 0, None, None, 100).unwrap_err().contains("(max_loop_items)"));
        assert!(sequence_items(None, i64::MIN, Some(i64::MAX), None, 100).is_err());
    }

    #[test]
    fn integers_written_as_floats_are_integers() {
        assert!(ParameterType::NumberInteger.admits(&json!(2.0)));
        assert!(!ParameterType::NumberInteger.admits(&json!(2.5)));
        assert!(!ParameterType::NumberInteger.admits(&json!("2")));
        assert!(ParameterType::List.admits(&json!([1])));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy =
            RetryPolicy { max_retries: 5, backoff_seconds: 1.0, backoff_factor: 2.0, backoff_max_seconds: 5.0 };
        let waits: Vec<f64> = (1..=5).map(|r| policy.backoff(r)).collect();
        assert_eq!(waits, [1.0, 2.0, 4.0, 5.0, 5.0]);
    }
}
