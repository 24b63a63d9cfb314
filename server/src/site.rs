//! The built site: where its files are, what the hashed ones are called,
//! and how they are served (precompressed, with cache headers).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use axum::{
    Router,
    http::{HeaderValue, header},
};
use leptos::config::LeptosOptions;
use tower::ServiceBuilder;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use crate::{AppState, settings::executable_dir};

/// Name of the wasm, JS glue and CSS files (before any hash).
pub const OUTPUT_NAME: &str = "ferroflow";

/// File next to the executable that names the content hashes of the site's
/// files (`js: <hash>`, `wasm: <hash>`, `css: <hash>`), written by `cargo xtask build`.
pub const HASH_FILE: &str = "hash.txt";

/// The site as found at start-up.
#[derive(Clone, Debug)]
pub struct Site {
    /// Directory served as the site root.
    pub dir: PathBuf,
    /// Whether file names carry content hashes (then they are cached forever).
    pub hashed: bool,
    /// URL of the stylesheet.
    pub stylesheet: String,
    /// Options for leptos's rendering.
    pub leptos_options: LeptosOptions,
}

impl Site {
    /// Looks at `dir` and the hash file next to the executable.
    pub fn locate(dir: &Path, address: SocketAddr) -> Self {
        // Read once here: with `hash_files` on, leptos would read the file
        // again for every page it renders.
        let hashes = std::fs::read_to_string(executable_dir().join(HASH_FILE)).ok();
        let hashed_name = |kind| hashes.as_deref().and_then(|h| hash_of(h, kind)).map(|h| format!("{OUTPUT_NAME}.{h}"));
        let stylesheet = format!("/{}/{}.css", app::PKG_DIR, hashed_name("css").as_deref().unwrap_or(OUTPUT_NAME));
        let code_name = hashed_name("js");
        let leptos_options = LeptosOptions::builder()
            .output_name(code_name.as_deref().unwrap_or(OUTPUT_NAME))
            .site_root(dir.to_string_lossy().as_ref())
            .site_pkg_dir(app::PKG_DIR)
            .site_addr(address)
            .build();
        Self { dir: dir.to_owned(), hashed: code_name.is_some(), stylesheet, leptos_options }
    }

    /// `/pkg` and the other static files, with the given fallback for paths
    /// that are not files.
    pub fn serve(&self, fallback: Router) -> Router<AppState> {
        let pkg_cache = if self.hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
        let pkg = ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(pkg_cache)))
            .service(precompressed(ServeDir::new(self.dir.join(app::PKG_DIR))));
        let public = ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ))
            .service(precompressed(ServeDir::new(&self.dir)).fallback(fallback.into_service()));
        Router::new().nest_service(&format!("/{}", app::PKG_DIR), pkg).fallback_service(public)
    }
}

fn precompressed<F>(dir: ServeDir<F>) -> ServeDir<F> {
    dir.precompressed_br().precompressed_gzip()
}

fn hash_of<'a>(hashes: &'a str, kind: &str) -> Option<&'a str> {
    hashes.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == kind).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::hash_of;

    #[test]
    fn reads_cargo_leptos_hash_file_format() {
        let file = "js: abc\nwasm: def\ncss: 123\n";
        assert_eq!(hash_of(file, "css"), Some("123"));
        assert_eq!(hash_of(file, "wasm"), Some("def"));
        assert_eq!(hash_of(file, "split"), None);
    }
}
