//! Graph checks over task dependencies: pure functions.

use std::collections::BTreeMap;

/// A cycle in `edges` (task -> tasks it depends on), as the tasks in order
/// with the first repeated at the end; `None` when the graph is acyclic.
/// Deterministic: tasks are visited in name order.
pub fn find_cycle(edges: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    for start in edges.keys() {
        if marks.contains_key(start.as_str()) {
            continue;
        }
        // Iterative DFS: (node, index of the next dependency to visit).
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Visiting);
        while let Some((node, next)) = stack.last_mut() {
            let deps = edges.get(*node).map(Vec::as_slice).unwrap_or_default();
            if let Some(dep) = deps.get(*next) {
                *next += 1;
                match marks.get(dep.as_str()) {
                    Some(Mark::Visiting) => {
                        let from = stack.iter().position(|(n, _)| n == dep).expect("on the stack");
                        let mut cycle: Vec<String> = stack[from..].iter().map(|(n, _)| (*n).to_owned()).collect();
                        cycle.push(dep.clone());
                        return Some(cycle);
                    }
                    Some(Mark::Done) => {}
                    None => {
                        marks.insert(dep, Mark::Visiting);
                        stack.push((dep, 0));
                    }
                }
            } else {
                marks.insert(node, Mark::Done);
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        edges.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect()
    }

    #[test]
    fn names_the_cycle() {
        let g = graph(&[("a", &["c"]), ("b", &["a"]), ("c", &["b"]), ("d", &[])]);
        assert_eq!(find_cycle(&g).unwrap(), ["a", "c", "b", "a"]);
        assert_eq!(find_cycle(&graph(&[("a", &["a"])])).unwrap(), ["a", "a"]);
    }

    #[test]
    fn diamonds_are_not_cycles() {
        let g = graph(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("d", &["b", "c"])]);
        assert_eq!(find_cycle(&g), None);
    }

    proptest! {
        /// Edges only from higher to lower numbers can never form a cycle;
        /// adding one edge back from the lowest to the highest of a path must.
        #[test]
        fn forward_edges_are_acyclic(n in 2usize..40, seed in proptest::collection::vec((0usize..40, 0usize..40), 0..120)) {
            let mut g: BTreeMap<String, Vec<String>> = (0..n).map(|i| (format!("t{i:02}"), vec![])).collect();
            for (a, b) in seed {
                let (a, b) = (a % n, b % n);
                if a > b {
                    g.get_mut(&format!("t{a:02}")).unwrap().push(format!("t{b:02}"));
                }
            }
            prop_assert_eq!(find_cycle(&g), None);
            g.get_mut("t00").unwrap().push(format!("t{:02}", n - 1));
            g.get_mut(&format!("t{:02}", n - 1)).unwrap().push("t00".into());
            prop_assert!(find_cycle(&g).is_some());
        }
    }
}
