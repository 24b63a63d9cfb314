//! Links in KFP's own form, as `kfp.Client` prints them
//! (`http://host/#/runs/details/<id>`): the part after `#` never reaches
//! the server, so the page that loads (Home) sends the browser on to the
//! page the link means.

use leptos::prelude::*;

/// The page a KFP fragment (`#/runs/details/<id>`...) means, if any.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code, reason = "called in the browser; tested on the server"))]
pub fn target(fragment: &str) -> Option<String> {
    let path = fragment.strip_prefix("#/")?;
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let safe = |id: &&str| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match parts.as_slice() {
        ["runs", "details", id, ..] if safe(id) => Some(format!("/runs/{id}")),
        ["experiments", "details", id, ..] if safe(id) => Some(format!("/runs?experiment={id}")),
        ["pipelines", "details", id, "version", version, ..] if safe(id) && safe(version) => {
            Some(format!("/pipelines/{id}?version={version}"))
        }
        ["pipelines", "details", id, ..] if safe(id) => Some(format!("/pipelines/{id}")),
        ["recurringrun", "details", _, ..] | ["recurringruns", ..] => Some("/recurring-runs".to_owned()),
        ["runs", ..] => Some("/runs".to_owned()),
        ["pipelines", ..] => Some("/pipelines".to_owned()),
        ["experiments", ..] => Some("/experiments".to_owned()),
        _ => None,
    }
}

/// Sends the browser on when the address carries a KFP fragment.
#[component]
pub fn FollowKfpLinks() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(window) = web_sys::window() else { return };
        let Ok(hash) = window.location().hash() else { return };
        if let Some(to) = target(&hash) {
            leptos_router::hooks::use_navigate()(
                &to,
                leptos_router::NavigateOptions { replace: true, ..Default::default() },
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfp_links_lead_to_the_pages_they_mean() {
        assert_eq!(target("#/runs/details/6b3f-01"), Some("/runs/6b3f-01".into()));
        assert_eq!(target("#/experiments/details/e1"), Some("/runs?experiment=e1".into()));
        assert_eq!(target("#/pipelines/details/p1"), Some("/pipelines/p1".into()));
        assert_eq!(target("#/pipelines/details/p1/version/v2"), Some("/pipelines/p1?version=v2".into()));
        assert_eq!(target("#/recurringrun/details/r1"), Some("/recurring-runs".into()));
        assert_eq!(target("#/runs/details/<script>"), Some("/runs".into()));
        assert_eq!(target("#top"), None);
        assert_eq!(target(""), None);
    }
}
