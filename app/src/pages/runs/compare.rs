//! Runs side by side, as KFP's run comparison: pick 2 to 10 runs in the
//! list; their parameters and scalar metrics in columns, one row per name,
//! the rows whose values differ highlighted.

#[cfg(any(feature = "ssr", test))]
use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{StateBadge, api::RunSummary};
use crate::{error::AppError, namespace::use_namespace, shell::Loading};

/// Fewest and most runs compared at once.
pub const COMPARED: std::ops::RangeInclusive<usize> = 2..=10;

/// One name's values across the compared runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareRow {
    /// The parameter's or metric's name.
    pub name: String,
    /// Its value in each run, in the runs' order; empty where a run has none.
    pub values: Vec<String>,
    /// Whether the runs disagree on it.
    pub differs: bool,
}

/// What the comparison page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The runs, in the order picked.
    pub runs: Vec<RunSummary>,
    /// Their parameters.
    pub parameters: Vec<CompareRow>,
    /// Their scalar metrics (`Output[Metrics]`); a name logged by more
    /// than one task of a run is prefixed with the task.
    pub metrics: Vec<CompareRow>,
}

/// Rows of each name found in any of `columns` (one map per run).
#[cfg(any(feature = "ssr", test))]
pub fn side_by_side(columns: &[BTreeMap<String, String>]) -> Vec<CompareRow> {
    let names: std::collections::BTreeSet<&String> = columns.iter().flat_map(|c| c.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let values: Vec<String> = columns.iter().map(|c| c.get(name).cloned().unwrap_or_default()).collect();
            let differs = values.windows(2).any(|w| w[0] != w[1]);
            CompareRow { name: name.clone(), values, differs }
        })
        .collect()
}

/// Runs `ids` (2 to 10, comma-separated) side by side.
#[server(CompareRuns, "/api/ui", endpoint = "compare_runs")]
pub async fn compare_runs(ids: String) -> Result<Comparison, AppError> {
    use crate::error::ssr::{engine, principal};
    let ids: Vec<&str> = ids.split(',').map(str::trim).filter(|id| !id.is_empty()).collect();
    if !COMPARED.contains(&ids.len()) {
        return Err(AppError::Invalid(format!(
            "pick {} to {} runs to compare; {} picked",
            COMPARED.start(),
            COMPARED.end(),
            ids.len()
        )));
    }
    let (engine, principal) = (engine()?, principal()?);
    let (mut runs, mut parameters, mut metrics) = (Vec::new(), Vec::new(), Vec::new());
    for id in ids {
        let record = engine.run_without_tasks(&principal, id).await?;
        parameters.push(engine::runs::values::parameter_texts(&record.parameters).into_iter().collect());
        let artifacts = engine.run_artifacts(&principal, id).await?;
        let logged: Vec<(&str, Vec<(String, String)>)> = artifacts
            .iter()
            .map(|a| (a.task.as_str(), super::task_values::metrics([(a.schema_title.as_str(), &a.metadata)])))
            .filter(|(_, m)| !m.is_empty())
            .collect();
        metrics.push(metric_columns(&logged));
        runs.push(super::api::summary(record));
    }
    Ok(Comparison { runs, parameters: side_by_side(&parameters), metrics: side_by_side(&metrics) })
}

/// One run's metrics by name: a name logged by more than one task is
/// prefixed with each task's path (without the root).
#[cfg(feature = "ssr")]
fn metric_columns(logged: &[(&str, Vec<(String, String)>)]) -> BTreeMap<String, String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, metrics) in logged {
        for (name, _) in metrics {
            *seen.entry(name).or_default() += 1;
        }
    }
    let mut column = BTreeMap::new();
    for (task, metrics) in logged {
        let task = task.split_once('/').map_or(*task, |(_, rest)| rest);
        for (name, value) in metrics {
            let key = if seen[name.as_str()] > 1 { format!("{task}: {name}") } else { name.clone() };
            column.insert(key, value.clone());
        }
    }
    column
}

/// The comparison page, `/runs/compare?ns=&ids=a&ids=b` (as the runs
/// list's form sends it) or `ids=a,b`.
#[component]
pub fn CompareRunsPage() -> impl IntoView {
    let query = use_query_map();
    let namespace = use_namespace();
    let ids = Memo::new(move |_| query.with(|q| q.get_all("ids").unwrap_or_default().join(",")));
    let comparison = Resource::new(move || ids.get(), compare_runs);
    view! {
        <Title text="Compare runs" />
        <p class="page-lead"><a href=move || format!("/runs?ns={}", namespace.get())>"Runs"</a></p>
        <h1 class="page-title">"Compare runs"</h1>
        <Transition fallback=|| view! { <Loading what="the runs" /> }>
            {move || comparison.get().map(|result| match result {
                Ok(c) => view! { <ComparisonTables comparison=c /> }.into_any(),
                Err(e) => view! { <p class="notice notice--danger" role="alert" data-testid="compare-error">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ComparisonTables(comparison: Comparison) -> impl IntoView {
    let ns = use_namespace().get_untracked();
    let runs = comparison.runs.clone();
    let header = move || {
        runs.iter()
            .map(|r| {
                view! {
                    <th scope="col">
                        <a href=format!("/runs/{}?ns={ns}", r.id)>{r.display_name.clone()}</a>
                        " " <StateBadge state=r.state.clone() />
                    </th>
                }
            })
            .collect_view()
            .into_any()
    };
    let section = move |title: &'static str, rows: Vec<CompareRow>, header: AnyView| {
        view! {
            <section class="card">
                <h2 class="card__title">{title}</h2>
                {if rows.is_empty() {
                    view! { <p class="muted">{format!("None of these runs has {}.", title.to_lowercase())}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll">
                            <table class="table compare" data-testid=format!("compare-{}", title.to_lowercase())>
                                <thead><tr><th scope="col">"Name"</th>{header}</tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|row| view! {
                                        <tr class:compare__differs=row.differs data-differs=row.differs.to_string()>
                                            <th scope="row">{row.name}</th>
                                            {row.values.into_iter().map(|v| view! { <td><code>{v}</code></td> }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </section>
        }
    };
    view! {
        {section("Parameters", comparison.parameters, header())}
        {section("Metrics", comparison.metrics, header())}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_cover_every_name_and_mark_disagreement() {
        let a = BTreeMap::from([("lr".to_owned(), "0.1".to_owned()), ("epochs".to_owned(), "3".to_owned())]);
        let b = BTreeMap::from([("lr".to_owned(), "0.3".to_owned()), ("epochs".to_owned(), "3".to_owned())]);
        let c = BTreeMap::from([("lr".to_owned(), "0.3".to_owned())]);
        let rows = side_by_side(&[a, b, c]);
        assert_eq!(
            rows[0],
            CompareRow { name: "epochs".into(), values: vec!["3".into(), "3".into(), String::new()], differs: true }
        );
        assert_eq!(rows[1].values, ["0.1", "0.3", "0.3"]);
        assert!(rows[1].differs);
        let same = BTreeMap::from([("n".to_owned(), "1".to_owned())]);
        assert!(!side_by_side(&[same.clone(), same])[0].differs);
    }
}
