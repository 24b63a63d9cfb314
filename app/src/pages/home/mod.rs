//! The home page: what is new in the namespace at a glance.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

mod recent;

use recent::{RecentPipelines, RecentRuns};

use super::{activity::ActivityFeed, notebooks::RecentNotebooks, utilization::UtilizationSummary};
use crate::namespace::{href_in, use_namespace};

/// Cards for recent notebooks, pipelines and runs, and the activity feed.
#[component]
pub fn HomePage() -> impl IntoView {
    let namespace = use_namespace();
    view! {
        <Title text="" />
        <h1 class="page-title">"Home"</h1>
        <p class="page-lead">
            "Namespace " <strong data-testid="current-namespace">{move || namespace.get().to_string()}</strong>
        </p>
        <div class="cards">
            <Card title="Recent notebooks" link="/notebooks">
                <RecentNotebooks />
            </Card>
            <Card title="Utilization" link="/utilization">
                <UtilizationSummary />
            </Card>
            <Card title="Recent pipelines" link="/pipelines">
                <RecentPipelines />
            </Card>
            <Card title="Recent runs" link="/runs">
                <RecentRuns />
            </Card>
            <Card title="Activity" link="/activity">
                <ActivityFeed limit=8 />
            </Card>
        </div>
    }
}

/// A titled card with a link to the page that shows all of it.
#[component]
fn Card(title: &'static str, link: &'static str, children: Children) -> impl IntoView {
    let namespace = use_namespace();
    view! {
        <section class="card" aria-label=title>
            <header class="card__header">
                <h2 class="card__title">{title}</h2>
                <A href=href_in(link, namespace) attr:class="card__more">"View all"</A>
            </header>
            {children()}
        </section>
    }
}
