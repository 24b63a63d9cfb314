//! Light or dark: the OS default unless the user picked one, remembered in
//! a cookie so that the server renders the page in it (no flash of the
//! other theme, and no inline script the CSP would have to allow).

use leptos::prelude::*;
use leptos_meta::Html;

/// The cookie that remembers the choice.
const COOKIE: &str = "ferroflow_theme";

/// The choices, as stored: "" follows the OS.
const CHOICES: [(&str, &str); 3] = [("", "System"), ("light", "Light"), ("dark", "Dark")];

/// The theme named in a `Cookie` header, if it names one of ours.
pub fn from_cookies(header: &str) -> &'static str {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .find_map(|(_, value)| CHOICES.iter().map(|(v, _)| *v).find(|v| !v.is_empty() && *v == value))
        .unwrap_or("")
}

/// The theme this request (or this browser) asked for.
fn requested() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::COOKIE)?.to_str().ok().map(from_cookies))
            .unwrap_or("")
            .to_owned()
    }
    #[cfg(not(feature = "ssr"))]
    {
        current_cookies().map(|c| from_cookies(&c).to_owned()).unwrap_or_default()
    }
}

#[cfg(not(feature = "ssr"))]
fn current_cookies() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let document = web_sys::window()?.document()?.dyn_into::<web_sys::HtmlDocument>().ok()?;
        document.cookie().ok()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Remembers `theme` for a year.
fn remember(theme: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(document) =
            web_sys::window().and_then(|w| w.document()).and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        {
            let age = if theme.is_empty() { 0 } else { 31_536_000 };
            let _ = document.set_cookie(&format!("{COOKIE}={theme}; path=/; max-age={age}; SameSite=Lax"));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

/// The theme picker in the header; sets `data-theme` on `<html>`.
#[component]
pub fn ThemePicker() -> impl IntoView {
    let theme = RwSignal::new(requested());
    view! {
        <Html attr:data-theme=move || { let t = theme.get(); (!t.is_empty()).then_some(t) } />
        <select class="input theme-picker" aria-label="Colour theme" data-testid="theme"
            on:change=move |ev| {
                let chosen = event_target_value(&ev);
                remember(&chosen);
                theme.set(chosen);
            }>
            {CHOICES.iter().map(|(value, label)| view! {
                <option value=*value selected=move || theme.get() == *value>{*label}</option>
            }).collect_view()}
        </select>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_names_the_theme_and_nothing_else() {
        assert_eq!(from_cookies("a=1; ferroflow_theme=dark; b=2"), "dark");
        assert_eq!(from_cookies("ferroflow_theme=light"), "light");
        assert_eq!(from_cookies("ferroflow_theme=\"><script>"), "", "only known values");
        assert_eq!(from_cookies(""), "");
    }
}
