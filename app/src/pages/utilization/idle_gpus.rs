//! The table of GPUs held while idle, across every namespace the viewer
//! may read: who holds them and since when, longest first, so an admin
//! can ask for them back (or let GPU idle culling do it).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A workload holding idle GPUs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdleGpuRow {
    /// Its namespace.
    pub namespace: String,
    /// `notebook` or `run`.
    pub kind: String,
    /// Notebook name or run id.
    pub name: String,
    /// GPUs held, e.g. "GPU 0, GPU 3".
    pub gpus: String,
    /// Idle since (UTC).
    pub since: String,
    /// How long, e.g. "1 h 5 min".
    pub idle_for: String,
}

/// `seconds` in words: "42 s", "5 min", "1 h 5 min".
#[cfg(any(feature = "ssr", test))]
pub fn idle_for(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{} s", s.max(0)),
        s if s < 3_600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
    }
}

/// The table, or a line saying none is idle.
#[component]
pub fn IdleGpus(rows: Vec<IdleGpuRow>) -> impl IntoView {
    view! {
        <section class="card" data-testid="idle-gpus">
            <h2 class="card__title">"Idle GPUs held"</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"No GPU is held idle."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Namespace"</th><th>"Held by"</th><th>"GPUs"</th><th>"Idle since"</th><th>"Idle for"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let page = if r.kind == "notebook" { "notebooks" } else { "runs" };
                                let href = format!("/{page}/{}?ns={}", r.name, r.namespace);
                                view! {
                                    <tr data-testid="idle-gpu">
                                        <td>{r.namespace}</td>
                                        <td><a href=href>{format!("{} {}", r.kind, r.name)}</a></td>
                                        <td>{r.gpus}</td><td>{r.since}</td><td>{r.idle_for}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::idle_for;

    #[test]
    fn idle_time_reads_in_the_largest_units() {
        assert_eq!(idle_for(42), "42 s");
        assert_eq!(idle_for(300), "5 min");
        assert_eq!(idle_for(3_900), "1 h 5 min");
        assert_eq!(idle_for(-3), "0 s", "clock skew is not negative time");
    }
}
