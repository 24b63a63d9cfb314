//! `cargo xtask`: builds Ferroflow without cargo-leptos.
//!
//! `cargo xtask build [--release]` compiles the `frontend` crate to wasm,
//! runs `wasm-bindgen` (and `wasm-opt` for release), names the JS, wasm and
//! CSS by content hash, precompresses them, copies `public/`, writes
//! `hash.txt` next to the binary (the format leptos reads) and builds the
//! `ferroflow` binary. The site lands in `<target>/<profile>/site`, where
//! the binary looks for it by default.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
};

mod bench;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};

/// The wasm-bindgen version the `wasm-bindgen` crate is pinned to.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const OUTPUT_NAME: &str = "ferroflow";

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the site and the `ferroflow` binary.
    Build {
        /// Optimized build: release binary, size-optimized wasm run through wasm-opt.
        #[arg(long)]
        release: bool,
    },
    /// Build only the site (wasm, JS, CSS, static files).
    Site {
        /// As for `build`.
        #[arg(long)]
        release: bool,
    },
    /// Measure the release build: SSR latency, idle RSS, wasm size.
    Bench,
    /// Measure the pipeline engine against kfp.local (needs .venv from `scripts/setup.sh --test`).
    BenchPipelines,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Task::Build { release } => {
            let paths = Paths::new(release)?;
            build_site(&paths)?;
            build_server(&paths)
        }
        Task::Site { release } => build_site(&Paths::new(release)?),
        Task::Bench => bench::run(&Paths::new(true)?.profile_dir),
        Task::BenchPipelines => {
            let paths = Paths::new(true)?;
            run(Command::new(paths.workspace.join(".venv/bin/python"))
                .arg(paths.workspace.join("bench/pipelines.py"))
                .arg(paths.profile_dir.join("ferroflow")))
        }
    }
}

struct Paths {
    release: bool,
    workspace: PathBuf,
    target: PathBuf,
    /// `<target>/debug` or `<target>/release`: where the binary and hash.txt go.
    profile_dir: PathBuf,
}

impl Paths {
    fn new(release: bool) -> Result<Self> {
        // `cargo run` sets CARGO_MANIFEST_DIR for the process: the checkout
        // it was run in, even when a shared target dir holds an xtask built
        // from another checkout.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
        let workspace = manifest_dir.parent().context("xtask lives in the workspace")?.to_owned();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|t| if t.is_relative() { workspace.join(t) } else { t })
            .unwrap_or_else(|| workspace.join("target"));
        let profile_dir = target.join(if release { "release" } else { "debug" });
        Ok(Self { release, workspace, target, profile_dir })
    }
}

fn build_site(paths: &Paths) -> Result<()> {
    check_wasm_bindgen()?;
    let wasm_profile = if paths.release { "wasm-release" } else { "dev" };
    run(Command::new(env!("CARGO"))
        .current_dir(&paths.workspace)
        .args(["build", "--package", "frontend", "--lib", "--target", "wasm32-unknown-unknown"])
        .args(["--profile", wasm_profile]))?;
    let wasm_dir = if paths.release { "wasm-release" } else { "debug" };
    let wasm = paths.target.join("wasm32-unknown-unknown").join(wasm_dir).join("frontend.wasm");

    let bindgen_out = paths.target.join("xtask-bindgen");
    let _ = fs::remove_dir_all(&bindgen_out);
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-name", OUTPUT_NAME, "--out-dir"])
        .arg(&bindgen_out)
        .arg(&wasm))?;
    let js_file = bindgen_out.join(format!("{OUTPUT_NAME}.js"));
    let wasm_file = bindgen_out.join(format!("{OUTPUT_NAME}_bg.wasm"));
    if paths.release {
        let wasm_opt = paths.workspace.join("node_modules/.bin/wasm-opt");
        if !wasm_opt.exists() {
            bail!(
                "{} is missing: run scripts/setup.sh (npm's binaryen; Debian's wasm-opt breaks hydration)",
                wasm_opt.display()
            );
        }
        run(Command::new(wasm_opt)
            .args(["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "-o"])
            .arg(&wasm_file)
            .arg(&wasm_file))?;
    }

    let site = paths.profile_dir.join("site");
    let _ = fs::remove_dir_all(&site);
    let pkg = site.join("pkg");
    fs::create_dir_all(&pkg)?;
    let css = concat_css(&paths.workspace.join("style"))?;
    let js = fs::read(&js_file)?;
    let wasm = fs::read(&wasm_file)?;
    // The JS glue and the wasm change together and share one hash, so the
    // server names both from one output name: `<name>.js` and `<name>_bg.wasm`,
    // as leptos expects of unhashed builds. It then never reads hash.txt per page.
    let code_hash = content_hash(&[js.as_slice(), wasm.as_slice()].concat());
    let css_hash = content_hash(&css);
    write_compressed(&pkg.join(format!("{OUTPUT_NAME}.{code_hash}.js")), &js)?;
    write_compressed(&pkg.join(format!("{OUTPUT_NAME}.{code_hash}_bg.wasm")), &wasm)?;
    write_compressed(&pkg.join(format!("{OUTPUT_NAME}.{css_hash}.css")), &css)?;
    let hashes = format!("js: {code_hash}\nwasm: {code_hash}\ncss: {css_hash}\n");
    copy_public(&paths.workspace.join("public"), &site)?;
    fs::create_dir_all(&paths.profile_dir)?;
    fs::write(paths.profile_dir.join("hash.txt"), hashes)?;
    println!("site: {} (wasm {} KB raw, {} KB gzip)", site.display(), wasm.len() / 1024, gzip(&wasm)?.len() / 1024);
    Ok(())
}

fn build_server(paths: &Paths) -> Result<()> {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.current_dir(&paths.workspace).args([
        "build",
        "--package",
        "server",
        "--bin",
        "ferroflow",
        "--package",
        "supervisor",
        "--bin",
        "ferroflow-supervise",
    ]);
    if paths.release {
        cargo.arg("--release");
    }
    run(&mut cargo)?;
    println!("binary: {}", paths.profile_dir.join("ferroflow").display());
    Ok(())
}

fn check_wasm_bindgen() -> Result<()> {
    let output = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .context("wasm-bindgen is not installed: run scripts/setup.sh")?;
    let version = String::from_utf8_lossy(&output.stdout);
    if !version.contains(WASM_BINDGEN_VERSION) {
        bail!("wasm-bindgen {WASM_BINDGEN_VERSION} is needed, found {version:?}: run scripts/setup.sh");
    }
    Ok(())
}

fn run(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// The style sheets in `style/`, in name order, as one file.
fn concat_css(dir: &Path) -> Result<Vec<u8>> {
    let mut files: Vec<_> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "css"))
        .collect();
    files.sort();
    let mut css = Vec::new();
    for file in files {
        css.extend(fs::read(&file)?);
        css.push(b'\n');
    }
    Ok(css)
}

fn copy_public(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from)? {
        let path = entry?.path();
        if path.is_file() {
            let bytes = fs::read(&path)?;
            write_compressed(&to.join(path.file_name().context("file has a name")?), &bytes)?;
        }
    }
    Ok(())
}

fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..10].iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `path`, and `.gz`/`.br` beside it for files that shrink.
fn write_compressed(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes)?;
    let compressible = path
        .extension()
        .is_some_and(|e| ["js", "wasm", "css", "svg", "ico", "txt", "json"].contains(&e.to_str().unwrap_or("")));
    if !compressible || bytes.len() < 256 {
        return Ok(());
    }
    fs::write(with_suffix(path, ".gz"), gzip(bytes)?)?;
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        writer.write_all(bytes)?;
    }
    fs::write(with_suffix(path, ".br"), br)?;
    Ok(())
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
