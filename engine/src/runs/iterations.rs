//! Loop iterations as people tell them apart: by their item (`lr=0.3`),
//! not by a position (`for-loop-2[2]`). An iteration's label is made of
//! the input parameters that differ between the loop's iterations, read
//! from what each recorded as its inputs.

use std::collections::{BTreeMap, BTreeSet};

use model::dag::Iteration;
use serde_json::Value;

use super::TaskRecord;

/// Longest label, in characters.
const MAX_LABEL: usize = 60;

/// Longest value inside a label.
const MAX_VALUE: usize = 24;

/// Most iterations listed for one loop; the count says how many there are.
pub const MAX_LISTED: usize = 1000;

/// The index of an iteration of the loop at `loop_path`, if `path` is one.
pub fn index_in(loop_path: &str, path: &str) -> Option<u32> {
    path.strip_prefix(loop_path)?.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// The recorded iterations of the loop at `loop_path`, by index.
pub fn of_loop<'t>(loop_path: &str, tasks: &'t [TaskRecord]) -> BTreeMap<u32, &'t TaskRecord> {
    tasks.iter().filter_map(|t| Some((index_in(loop_path, &t.path)?, t))).collect()
}

/// Labels of the loop's recorded iterations by index: the parameters
/// whose values differ between them (all of one lone iteration's), or
/// `item N` when none do.
pub fn labels(iterations: &BTreeMap<u32, &TaskRecord>) -> BTreeMap<u32, String> {
    let parameters: BTreeMap<u32, Vec<(String, String)>> =
        iterations.iter().map(|(i, t)| (*i, named_values(&t.inputs["parameters"]))).collect();
    let differing: BTreeSet<&str> = if parameters.len() == 1 {
        parameters.values().flatten().map(|(k, _)| k.as_str()).collect()
    } else {
        let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (k, v) in parameters.values().flatten() {
            seen.entry(k).or_default().insert(v);
        }
        seen.into_iter().filter(|(_, values)| values.len() > 1).map(|(k, _)| k).collect()
    };
    parameters
        .iter()
        .map(|(i, values)| {
            let parts: Vec<String> = values
                .iter()
                .filter(|(k, _)| differing.contains(k.as_str()))
                .map(|(k, v)| if k.is_empty() { v.clone() } else { format!("{k}={v}") })
                .collect();
            let label = if parts.is_empty() { format!("item {i}") } else { shorten(&parts.join(", "), MAX_LABEL) };
            (*i, label)
        })
        .collect()
}

/// Each task's path as people read it, in `tasks`' order: without the
/// root, each iteration named by its item (`sweep (lr=0.3)/train` for
/// `root/sweep[1]/train`).
pub fn readable_paths(tasks: &[TaskRecord]) -> Vec<String> {
    let mut labels_by_loop: BTreeMap<&str, BTreeMap<u32, String>> = BTreeMap::new();
    tasks
        .iter()
        .map(|task| {
            let mut out = Vec::new();
            let mut end = 0;
            for segment in task.path.split('/') {
                let start = end + usize::from(end > 0);
                end = start + segment.len();
                if start == 0 {
                    continue; // the root
                }
                let Some((name, index)) = segment.strip_suffix(']').and_then(|s| s.split_once('[')) else {
                    out.push(segment.to_owned());
                    continue;
                };
                let loop_path = &task.path[..start + name.len()];
                let labels = labels_by_loop.entry(loop_path).or_insert_with(|| labels(&of_loop(loop_path, tasks)));
                match index.parse::<u32>().ok().and_then(|i| labels.get(&i)) {
                    Some(label) => out.push(format!("{name} ({label})")),
                    None => out.push(segment.to_owned()),
                }
            }
            if out.is_empty() { task.path.clone() } else { out.join("/") }
        })
        .collect()
}

/// The loop's iterations for a picker: every index due (`size`, when
/// known), labelled, stated (`PENDING` before it started), at most
/// [`MAX_LISTED`]. `opens_body` when each iteration is a sub-DAG to open.
pub fn list(loop_path: &str, tasks: &[TaskRecord], size: Option<u32>, opens_body: bool) -> Vec<Iteration> {
    let recorded = of_loop(loop_path, tasks);
    let labels = labels(&recorded);
    let due = size.unwrap_or(0).max(recorded.keys().next_back().map_or(0, |i| i + 1));
    (0..due)
        .take(MAX_LISTED)
        .map(|index| {
            let task = recorded.get(&index);
            Iteration {
                index,
                label: labels.get(&index).cloned().unwrap_or_else(|| format!("item {index}")),
                state: task.map_or_else(|| "PENDING".to_owned(), |t| t.state.clone()),
                task_id: task.map(|t| t.id.clone()),
                opens: (opens_body && task.is_some()).then(|| format!("{loop_path}[{index}]")),
            }
        })
        .collect()
}

/// An iteration's parameters as (name, value) text, the name as a person
/// wrote it: KFP's `pipelinechannel--` prefix dropped, and the loop item
/// itself unnamed (its fields named when it is an object).
fn named_values(parameters: &Value) -> Vec<(String, String)> {
    let Some(object) = parameters.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in object {
        let name = name.strip_prefix("pipelinechannel--").unwrap_or(name);
        let is_item = name.contains("loop-item");
        match (is_item, item_object(value)) {
            (true, Some(fields)) => {
                out.extend(fields.iter().map(|(k, v)| (k.clone(), shorten(&text(v), MAX_VALUE))));
            }
            (true, None) => out.push((String::new(), shorten(&text(value), MAX_VALUE))),
            (false, _) => out.push((name.to_owned(), shorten(&text(value), MAX_VALUE))),
        }
    }
    out
}

/// A loop item that is an object, given as one or as its JSON text.
fn item_object(value: &Value) -> Option<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map.clone()),
        Value::String(text) => serde_json::from_str::<Value>(text).ok()?.as_object().cloned(),
        _ => None,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    text.chars().take(max - 1).chain(['\u{2026}']).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn iteration(path: &str, parameters: Value) -> TaskRecord {
        TaskRecord { inputs: json!({ "parameters": parameters }), ..TaskRecord::at(path, "SUCCEEDED") }
    }

    #[test]
    fn iterations_are_labelled_by_what_differs_between_them() {
        let tasks = [
            iteration("root/sweep[0]", json!({"lr": "0.1", "epochs": "3"})),
            iteration("root/sweep[1]", json!({"lr": "0.3", "epochs": "3"})),
            iteration("root/sweep[1]/inner", json!({"lr": "0.3"})),
        ];
        let labels = labels(&of_loop("root/sweep", &tasks));
        assert_eq!(labels.values().collect::<Vec<_>>(), ["lr=0.1", "lr=0.3"]);
    }

    #[test]
    fn kfp_loop_items_are_shown_as_values_and_objects_by_field() {
        let tasks = [
            iteration("root/for-loop-2[0]", json!({"pipelinechannel--loop-item-param-1": "{\"a\": 1, \"b\": \"x\"}"})),
            iteration("root/for-loop-2[1]", json!({"pipelinechannel--loop-item-param-1": "{\"a\": 2, \"b\": \"x\"}"})),
            iteration("root/other[0]", json!({"pipelinechannel--n-loop-item": 7})),
        ];
        let found = labels(&of_loop("root/for-loop-2", &tasks));
        assert_eq!(found.values().collect::<Vec<_>>(), ["a=1", "a=2"]);
        assert_eq!(labels(&of_loop("root/other", &tasks))[&0], "7");
    }

    #[test]
    fn paths_read_with_items_for_positions() {
        let tasks = [
            iteration("root/sweep[0]", json!({"lr": "0.1"})),
            iteration("root/sweep[1]", json!({"lr": "0.3"})),
            iteration("root/sweep[1]/train", json!({})),
            iteration("root", json!({})),
        ];
        assert_eq!(readable_paths(&tasks), ["sweep (lr=0.1)", "sweep (lr=0.3)", "sweep (lr=0.3)/train", "root"]);
    }

    #[test]
    fn every_due_iteration_is_listed_the_unstarted_pending() {
        let tasks =
            [iteration("root/sweep[0]", json!({"lr": "0.1"})), iteration("root/sweep[1]", json!({"lr": "0.2"}))];
        let listed = list("root/sweep", &tasks, Some(4), true);
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[1].opens.as_deref(), Some("root/sweep[1]"));
        assert_eq!(
            (listed[3].state.as_str(), listed[3].label.as_str(), listed[3].opens.as_ref()),
            ("PENDING", "item 3", None)
        );
        assert!(index_in("root/sweep", "root/sweeping[1]").is_none());
    }
}
