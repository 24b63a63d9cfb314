//! Every namespace the viewer may read, with what its running workloads
//! use against what they requested and the GPUs they hold.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One namespace's totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamespaceRow {
    /// Its name.
    pub namespace: String,
    /// Notebooks and run attempts running.
    pub workloads: usize,
    /// CPU used of requested, e.g. "0.75 of 2.00 cores".
    pub cpu: String,
    /// Memory used of requested.
    pub memory: String,
    /// GPUs held, and how many of them idle, e.g. "3 (2 idle)".
    pub gpus: String,
}

/// The table; nothing when no namespace has a workload running.
#[component]
pub fn NamespaceTotals(rows: Vec<NamespaceRow>) -> impl IntoView {
    (!rows.is_empty()).then(|| {
        view! {
            <section class="card" data-testid="namespace-totals">
                <h2 class="card__title">"Namespaces: used against requested"</h2>
                <table class="table">
                    <thead><tr><th>"Namespace"</th><th>"Workloads"</th><th>"CPU"</th><th>"Memory"</th><th>"GPUs held"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr data-testid="namespace-total">
                                <td><a href=format!("/utilization?ns={}", r.namespace)>{r.namespace.clone()}</a></td>
                                <td>{r.workloads}</td><td>{r.cpu}</td><td>{r.memory}</td><td>{r.gpus}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        }
    })
}
