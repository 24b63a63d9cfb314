//! The iterations of a loop, to pick one: each named by its item
//! (`lr=0.3`) with its state, every one due listed (not started yet:
//! pending). Shown when a loop of single steps is opened, and beside the
//! body of an iteration being looked at, with that one marked.

use leptos::prelude::*;
use model::dag::Iteration;

use super::StateBadge;
use crate::{dag_graph::encode, error::AppError, shell::Loading};

/// The loop at `loop_path` of run `run_id`, its iterations labelled.
#[server(GetLoopIterations, "/api/ui", endpoint = "loop_iterations")]
pub async fn loop_iterations(run_id: String, loop_path: String) -> Result<Vec<Iteration>, AppError> {
    use crate::error::ssr::{engine, principal};
    Ok(engine()?.loop_iterations(&principal()?, &run_id, &loop_path).await?)
}

/// The loop whose iteration `scope` is, and which one: `root/sweep[2]`
/// gives (`root/sweep`, 2).
pub fn iteration_of(scope: &str) -> Option<(String, u32)> {
    let (loop_path, index) = scope.strip_suffix(']')?.rsplit_once('[')?;
    Some((loop_path.to_owned(), index.parse().ok()?))
}

/// The picker card. `base` is the run page's address; `scope` the level
/// shown, whose task panels the single steps open in.
#[component]
pub fn IterationPicker(
    run_id: String,
    loop_path: String,
    base: String,
    scope: String,
    current: Option<u32>,
    /// Changes when the run starts or ends again: states are read again.
    reload: Memo<usize>,
) -> impl IntoView {
    let name = loop_path.rsplit('/').next().unwrap_or(&loop_path).to_owned();
    let asked = loop_path.clone();
    let iterations = Resource::new(move || reload.get(), move |_| loop_iterations(run_id.clone(), asked.clone()));
    let link = move |it: &Iteration| -> Option<String> {
        if let Some(opens) = &it.opens {
            return Some(format!("{base}&scope={}", encode(opens)));
        }
        let id = it.task_id.as_ref()?;
        Some(format!("{base}&scope={}&loop={}&task={id}", encode(&scope), encode(&loop_path)))
    };
    view! {
        <section class="card iterations" data-testid="iterations">
            <h2 class="card__title">"Iterations of " {name}</h2>
            <Transition fallback=|| view! { <Loading what="the iterations" /> }>
                {move || iterations.get().map(|found: Result<Vec<Iteration>, AppError>| found.map(|found| {
                    let done = found.iter().filter(|i| !matches!(i.state.as_str(), "PENDING" | "RUNNING")).count();
                    let total = found.len();
                    view! {
                        <p class="muted">{format!("{done} of {total} done")}</p>
                        <ol class="iterations__list">
                            {found.into_iter().map(|it| {
                                let here = current == Some(it.index);
                                let href = link(&it);
                                let label = it.label.clone();
                                view! {
                                    <li class:iterations__current=here data-testid="iteration">
                                        {match href {
                                            Some(href) => view! {
                                                <a href=href aria-current=here.then_some("page")>{label}</a>
                                            }.into_any(),
                                            None => view! { <span>{label}</span> }.into_any(),
                                        }}
                                        " " <StateBadge state=it.state.clone() />
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }
                }))}
            </Transition>
        </section>
    }
}
