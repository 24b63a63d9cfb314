/// Why a spec was refused. Every variant names where the problem is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The file is bigger than the limit.
    #[error("spec is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The file is not UTF-8.
    #[error("spec is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The YAML could not be parsed, or broke a limit.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// The file is a pipeline's Python source, which must be compiled first.
    #[error(
        "this is Python source, not a compiled pipeline: compile it first (`kfp dsl compile --py FILE.py --output FILE.yaml`) and upload the YAML"
    )]
    PythonSource,
    /// There is no document in the file.
    #[error("spec is empty")]
    Empty,
    /// Neither KFP IR nor an Argo Workflow.
    #[error(
        "not a pipeline spec: expected KFP IR (pipelineInfo, schemaVersion) or an Argo Workflow (apiVersion: argoproj.io/v1alpha1)"
    )]
    UnknownFormat,
    /// A field has the wrong shape.
    #[error("{path}: {message}")]
    Shape {
        /// Dotted path of the field.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A task is wrong.
    #[error("task {task:?}: {field}: {message}")]
    Task {
        /// The task (qualified by its DAG for nested ones: `dag/task`).
        task: String,
        /// The field of the task.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A component or template is wrong.
    #[error("component {component:?}: {field}: {message}")]
    Component {
        /// The component or template.
        component: String,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Tasks depend on each other in a circle.
    #[error("dependency cycle in {dag:?}: {}", cycle.join(" -> "))]
    Cycle {
        /// The DAG holding the cycle.
        dag: String,
        /// The tasks of the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
}

impl SpecError {
    pub(crate) fn task(task: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Task { task: task.to_owned(), field: field.into(), message: message.into() }
    }

    pub(crate) fn component(component: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Component { component: component.to_owned(), field: field.into(), message: message.into() }
    }

    /// Deserializes `value` into `T`, naming the path of a field that does not fit.
    pub(crate) fn typed<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, Self> {
        serde_path_to_error::deserialize(value)
            .map_err(|e| Self::Shape { path: e.path().to_string(), message: e.inner().to_string() })
    }
}
