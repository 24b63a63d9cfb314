//! Builds the [`DagView`] of one level of a plan, with the states of a
//! run's tasks when there is a run.

use std::collections::BTreeMap;

use model::{
    dag::{DagNode, DagView, Iteration, NodeKind, state_rank},
    layout::{self, Spacing},
};

use super::{TaskRecord, iterations};
use crate::{
    Error, Result,
    spec::{Body, Dag, Plan},
};

/// What a run recorded, to state a level's nodes with.
#[derive(Clone, Copy, Debug)]
pub struct Recorded<'a> {
    /// The run's tasks.
    pub tasks: &'a [TaskRecord],
    /// How many iterations each loop has, by the loop's path.
    pub loop_sizes: &'a BTreeMap<String, u32>,
}

/// The level of `plan` at `scope` (`root`, `root/outer`, `root/loop[2]`),
/// its nodes stated from what a run recorded (`None` for a pipeline).
pub fn build(plan: &Plan, scope: &str, run: Option<Recorded<'_>>) -> Result<DagView> {
    let (dag, mut breadcrumbs) = resolve(plan, scope)?;
    let tasks = run.map_or(&[][..], |r| r.tasks);
    for (label, level) in &mut breadcrumbs {
        *label = level_title(level, tasks);
    }
    let title = level_title(scope, tasks);
    let by_path: BTreeMap<&str, &TaskRecord> = tasks.iter().map(|t| (t.path.as_str(), t)).collect();
    let names: Vec<&String> = dag.tasks.keys().collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let mut nodes = Vec::with_capacity(names.len());
    for name in &names {
        let task = &dag.tasks[*name];
        let path = format!("{scope}/{name}");
        let is_dag = matches!(plan.components.get(&task.component).map(|c| &c.body), Some(Body::Dag(_)));
        let node = if task.iterator.is_some() {
            loop_node(name, &path, is_dag, run)
        } else {
            let record = by_path.get(path.as_str());
            let counts = if is_dag { inner_counts(&path, tasks) } else { Vec::new() };
            DagNode {
                name: (*name).clone(),
                kind: if is_dag { NodeKind::Dag } else { NodeKind::Container },
                state: record.map(|t| t.state.clone()).unwrap_or_default(),
                counts,
                attempts: record.map_or(0, |t| t.attempts),
                task_id: record.map(|t| t.id.clone()),
                opens: is_dag.then(|| path.clone()),
                path,
            }
        };
        nodes.push(node);
    }
    let edges: Vec<(usize, usize)> = names
        .iter()
        .enumerate()
        .flat_map(|(i, name)| {
            dag.tasks[*name]
                .depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()))
                .map(move |&d| (d, i))
                .collect::<Vec<_>>()
        })
        .collect();
    let layout = layout::layered(nodes.len(), &edges, &Spacing::default());
    Ok(DagView { scope: scope.to_owned(), breadcrumbs, nodes, edges, layout, title })
}

/// What a level is called: its last segment, and for a loop iteration
/// its item, once recorded (`for-loop-2 (lr=0.3)`).
fn level_title(level: &str, tasks: &[TaskRecord]) -> String {
    let segment = level.rsplit('/').next().unwrap_or(level);
    let Some((name, index)) = segment.strip_suffix(']').and_then(|s| s.split_once('[')) else {
        return if level.contains('/') { segment.to_owned() } else { "pipeline".to_owned() };
    };
    let loop_path = &level[..level.len() - segment.len() + name.len()];
    let index: Option<u32> = index.parse().ok();
    let label = index.and_then(|i| iterations::labels(&iterations::of_loop(loop_path, tasks)).remove(&i));
    match (label, index) {
        (Some(label), _) => format!("{name} ({label})"),
        (None, Some(i)) if !tasks.is_empty() => format!("{name} (item {i})"),
        _ => format!("{name} (each item)"),
    }
}

/// The iterations of the loop at `loop_path` for a picker, from what the
/// run recorded: labelled, every one due listed.
pub fn loop_iterations(plan: &Plan, loop_path: &str, run: Recorded<'_>) -> Result<Vec<Iteration>> {
    let unknown = || Error::NotFound { kind: "loop", name: loop_path.to_owned() };
    let (scope, name) = loop_path.rsplit_once('/').ok_or_else(unknown)?;
    let (dag, _) = resolve(plan, scope)?;
    let task = dag.tasks.get(name).filter(|t| t.iterator.is_some()).ok_or_else(unknown)?;
    let body_is_dag = matches!(plan.components.get(&task.component).map(|c| &c.body), Some(Body::Dag(_)));
    Ok(iterations::list(loop_path, run.tasks, run.loop_sizes.get(loop_path).copied(), body_is_dag))
}

/// The level shown when none is asked for: the root, or the DAG it only
/// wraps (an Argo entrypoint, a KFP pipeline of one sub-pipeline), so the
/// first picture shows steps rather than one box.
pub fn default_scope(plan: &Plan) -> String {
    let mut scope = plan.root.clone();
    let mut component = plan.components.get(&plan.root);
    while let Some(Body::Dag(dag)) = component.map(|c| &c.body) {
        let mut tasks = dag.tasks.iter();
        let (Some((name, task)), None) = (tasks.next(), tasks.next()) else { break };
        let inner = plan.components.get(&task.component);
        if task.iterator.is_some() || !matches!(inner.map(|c| &c.body), Some(Body::Dag(_))) {
            break;
        }
        scope = format!("{scope}/{name}");
        component = inner;
    }
    scope
}

/// The DAG at `scope` and the levels above it.
fn resolve<'p>(plan: &'p Plan, scope: &str) -> Result<(&'p Dag, Vec<(String, String)>)> {
    let unknown = || Error::NotFound { kind: "pipeline level", name: scope.to_owned() };
    let mut segments = scope.split('/');
    if segments.next() != Some(plan.root.as_str()) {
        return Err(unknown());
    }
    let Body::Dag(root) = &plan.components.get(&plan.root).ok_or_else(unknown)?.body else {
        return Err(unknown());
    };
    let mut dag: &Dag = root;
    let mut breadcrumbs = vec![("pipeline".to_owned(), plan.root.clone())];
    let mut path = plan.root.clone();
    for segment in segments {
        let name = segment.split('[').next().unwrap_or(segment);
        let task = dag.tasks.get(name).ok_or_else(unknown)?;
        let Body::Dag(inner) = &plan.components.get(&task.component).ok_or_else(unknown)?.body else {
            return Err(unknown());
        };
        path = format!("{path}/{segment}");
        breadcrumbs.push((segment.to_owned(), path.clone()));
        dag = inner;
    }
    breadcrumbs.pop();
    Ok((dag, breadcrumbs))
}

/// One node for all iterations of a loop, stated by its most pressing
/// iteration, counting those not started yet as `PENDING`. Its body opens
/// at the first iteration (before a run too, to show what each runs).
fn loop_node(name: &str, path: &str, is_dag: bool, run: Option<Recorded<'_>>) -> DagNode {
    let (tasks, size) = run.map_or((&[][..], None), |r| (r.tasks, r.loop_sizes.get(path).copied()));
    let recorded = iterations::of_loop(path, tasks);
    let mut counts = count_states(recorded.values().map(|t| t.state.as_str()));
    let waiting = size.unwrap_or(0).saturating_sub(recorded.len() as u32);
    if waiting > 0 {
        counts.push(("PENDING".to_owned(), waiting));
        counts.sort_by_key(|(s, _)| state_rank(s));
    }
    DagNode {
        name: name.to_owned(),
        path: path.to_owned(),
        kind: NodeKind::Loop,
        state: summary_state(&counts),
        counts,
        attempts: 0,
        task_id: None,
        opens: is_dag.then(|| format!("{path}[0]")),
    }
}

/// States of everything recorded under a sub-DAG.
fn inner_counts(path: &str, tasks: &[TaskRecord]) -> Vec<(String, u32)> {
    let prefix = format!("{path}/");
    count_states(tasks.iter().filter(|t| t.path.starts_with(&prefix)).map(|t| t.state.as_str()))
}

fn count_states<'a>(states: impl Iterator<Item = &'a str>) -> Vec<(String, u32)> {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for state in states {
        *counts.entry(state).or_default() += 1;
    }
    let mut counts: Vec<(String, u32)> = counts.into_iter().map(|(s, n)| (s.to_owned(), n)).collect();
    counts.sort_by_key(|(s, _)| state_rank(s));
    counts
}

fn summary_state(counts: &[(String, u32)]) -> String {
    counts.first().map(|(s, _)| s.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(file: &str) -> Plan {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(file);
        crate::spec::parse_file(&path).unwrap()
    }

    fn task(path: &str, state: &str) -> TaskRecord {
        TaskRecord::at(path, state)
    }

    #[test]
    fn a_loop_is_one_node_stated_by_its_most_pressing_iteration() {
        let plan = plan("kfp/control.yaml");
        let root = build(&plan, &default_scope(&plan), None).unwrap();
        let handler = root.nodes.iter().find(|n| n.kind == NodeKind::Dag).expect("the exit handler is a sub-DAG");
        let scope = handler.opens.clone().unwrap();
        let view = build(&plan, &scope, None).unwrap();
        let looped = view.nodes.iter().find(|n| n.kind == NodeKind::Loop).expect("control.yaml has a ParallelFor");
        let prefix = looped.path.clone();
        let tasks = [
            task(&format!("{prefix}[0]"), "SUCCEEDED"),
            task(&format!("{prefix}[1]"), "FAILED"),
            task(&format!("{prefix}[2]"), "RUNNING"),
            task(&format!("{prefix}[0]/inner"), "SUCCEEDED"),
        ];
        let sizes = BTreeMap::from([(prefix.clone(), 5)]);
        let view = build(&plan, &scope, Some(Recorded { tasks: &tasks, loop_sizes: &sizes })).unwrap();
        let looped = view.nodes.iter().find(|n| n.path == prefix).unwrap();
        assert_eq!(looped.state, "FAILED");
        assert_eq!(looped.counts.iter().map(|(_, n)| n).sum::<u32>(), 5, "iterations due, not what is inside them");
        assert!(looped.counts.contains(&("PENDING".to_owned(), 2)), "{:?}", looped.counts);
        assert_eq!(view.layout.nodes.len(), view.nodes.len());
    }

    #[test]
    fn an_argo_entrypoint_opens_by_default_and_levels_have_breadcrumbs() {
        let plan = plan("argo/dag-diamond.yaml");
        let scope = default_scope(&plan);
        assert_ne!(scope, plan.root, "the wrapping entrypoint DAG is opened");
        let view = build(&plan, &scope, None).unwrap();
        assert!(view.nodes.len() >= 4, "the diamond's steps show");
        assert_eq!(view.breadcrumbs.first().map(|(_, s)| s.as_str()), Some(plan.root.as_str()));
        assert!(build(&plan, "root/nowhere", None).is_err());
    }
}
