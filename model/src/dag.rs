//! A DAG as the UI draws it: one level of a pipeline (the root or an opened
//! sub-DAG), its nodes with their states, its edges and their layout.
//!
//! Sub-DAGs and loops are single nodes with counts of what is inside until
//! they are opened, so a run of thousands of tasks stays a picture of a
//! few dozen nodes at each level.

use serde::{Deserialize, Serialize};

use crate::layout::Layout;

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A step that runs a container.
    Container,
    /// A sub-DAG; open it to see its tasks.
    Dag,
    /// A loop (`ParallelFor`, `withItems`): one node for all iterations.
    Loop,
}

/// One node of the drawn level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DagNode {
    /// Task name in its DAG.
    pub name: String,
    /// Its path in the run, e.g. `root/train`.
    pub path: String,
    /// What it stands for.
    pub kind: NodeKind,
    /// Its state (`SUCCEEDED`, `RUNNING`, ...); empty before it ran. A loop's
    /// state is its most pressing iteration's.
    pub state: String,
    /// Iterations or inner tasks by state, for loops and sub-DAGs.
    pub counts: Vec<(String, u32)>,
    /// Attempts made, for container steps.
    pub attempts: u32,
    /// The recorded task's id, to open its details.
    pub task_id: Option<String>,
    /// The scope to show when the node is opened, for sub-DAGs and loops.
    pub opens: Option<String>,
}

/// One iteration of a loop, as a picker lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Iteration {
    /// Its position among the loop's items.
    pub index: u32,
    /// What tells it apart: its item, e.g. `lr=0.3`.
    pub label: String,
    /// Its state; `PENDING` before it started.
    pub state: String,
    /// Its task, once recorded.
    pub task_id: Option<String>,
    /// The scope of its body, when the body is a sub-DAG.
    pub opens: Option<String>,
}

/// One level of a pipeline, laid out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DagView {
    /// The path of the shown level, e.g. `root` or `root/for-loop-2[0]`.
    pub scope: String,
    /// The levels above it, outermost first: label and scope.
    pub breadcrumbs: Vec<(String, String)>,
    /// Its nodes.
    pub nodes: Vec<DagNode>,
    /// Dependencies, `(from, to)` node indices.
    pub edges: Vec<(usize, usize)>,
    /// Where the nodes go.
    pub layout: Layout,
    /// What the shown level is called: its task name, and for a loop
    /// iteration its item (`for-loop-2 (lr=0.3)`).
    #[serde(default)]
    pub title: String,
}

/// How urgent a state is to show for a group: failures first, then work
/// in progress, then what ended well.
pub fn state_rank(state: &str) -> u8 {
    match state {
        "FAILED" | "LOST" => 0,
        "RUNNING" => 1,
        "PENDING" => 2,
        "CANCELED" => 3,
        "SUCCEEDED" => 4,
        "CACHED" => 5,
        "SKIPPED" => 6,
        _ => 7,
    }
}
