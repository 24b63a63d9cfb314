//! Pages whose objects arrive with later features. Each shows what will be
//! listed there, in the current namespace, as an empty state.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{namespace::use_namespace, shell::EmptyState};

#[component]
fn ListPage(title: &'static str, icon: &'static str, empty: &'static str, hint: &'static str) -> impl IntoView {
    let namespace = use_namespace();
    view! {
        <Title text=title />
        <h1 class="page-title">{title}</h1>
        <section class="card">
            <EmptyState icon title=move || format!("{empty} in {}", namespace.get()) hint />
        </section>
    }
}

/// Resource and GPU utilization.
#[component]
pub fn UtilizationPage() -> impl IntoView {
    view! { <ListPage title="Utilization" icon="gauge" empty="No utilization samples"
    hint="CPU, memory and GPU use of notebooks and runs are charted here, allocated against used." /> }
}
