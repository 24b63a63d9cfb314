//! A Python environment of a step's own, over its runtime's, for steps
//! that install packages (KFP's lightweight components run `python3 -m pip
//! install 'kfp==<the compiler's version>'` first). Without it such a step
//! would change the shared runtime for every later step and run: installing
//! another kfp over the one the engine's own steps rely on.
//!
//! The overlay is a virtualenv without pip whose site-packages holds a
//! `.pth` line naming the runtime's site-packages: everything the runtime
//! has is importable and counts as installed (a pin it already satisfies
//! needs no network), and what the step installs lands in the overlay, in
//! front of the runtime's, and goes away with the attempt. pip leaves the
//! runtime's packages alone (they are outside the overlay's environment).

use std::path::{Path, PathBuf};

use tokio::process::Command;

/// Whether a command line installs Python packages.
pub fn installs_packages(argv: &[String]) -> bool {
    argv.iter().any(|a| a.contains("pip install") || a.contains("pip3 install"))
}

/// Makes the overlay in `dir` over the runtime whose `bin` is `runtime_bin`
/// and the prepared environments `layers` (searched before the runtime);
/// its `bin`, to put first on `PATH`. `None` when the runtime has no
/// `python3`.
pub async fn prepare(runtime_bin: &Path, dir: &Path, layers: &[PathBuf]) -> Result<Option<PathBuf>, String> {
    let python = runtime_bin.join("python3");
    if !python.exists() {
        return Ok(None);
    }
    let mut search = String::new();
    for layer in layers {
        search.push_str(&format!("{}\n", purelib(&layer.join("bin/python3")).await?.display()));
    }
    search.push_str(&format!("{}\n", purelib(&python).await?.display()));
    let made = Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(dir)
        .env_remove("PYTHONPATH")
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !made.status.success() {
        return Err(format!("python3 -m venv failed: {}", String::from_utf8_lossy(&made.stderr).trim()));
    }
    let bin = dir.join("bin");
    let own_packages = purelib(&bin.join("python3")).await?;
    let write = |path: PathBuf, text: String| {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(own_packages.join("ferroflow-runtime.pth"), search)?;
    // `pip` and `pip3` install into the overlay too, not through the
    // runtime's own scripts.
    for name in ["pip", "pip3"] {
        let script = bin.join(name);
        write(script.clone(), format!("#!/bin/sh\nexec \"{}\" -m pip \"$@\"\n", bin.join("python3").display()))?;
        set_executable(&script)?;
    }
    Ok(Some(bin))
}

/// The site-packages directory of the interpreter `python`.
async fn purelib(python: &Path) -> Result<PathBuf, String> {
    let out = Command::new(python)
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!("{} cannot name its site-packages", python.display()));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn set_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin")
    }

    async fn python(bin: &Path, code: &str) -> std::process::Output {
        Command::new(bin.join("python3")).args(["-c", code]).output().await.unwrap()
    }

    #[test]
    fn package_installs_are_recognized() {
        let argv = |s: &str| vec!["sh".to_owned(), "-c".to_owned(), s.to_owned()];
        assert!(installs_packages(&argv("python3 -m pip install --quiet 'kfp==2.14.3' && \"$0\"")));
        assert!(installs_packages(&argv("pip3 install pandas")));
        assert!(!installs_packages(&argv("python3 -m kfp.dsl.executor_main")));
    }

    /// Needs the test venv (`scripts/setup.sh --test`); no network.
    #[tokio::test]
    async fn a_step_installs_into_its_own_overlay_and_the_runtime_stays_as_it_was() {
        assert!(runtime().join("python3").exists(), "run scripts/setup.sh --test");
        let dir = tempfile::tempdir().unwrap();
        let bin = prepare(&runtime(), &dir.path().join("py"), &[]).await.unwrap().expect("the runtime has python3");
        // What the runtime has is importable and counts as installed: a pin
        // it satisfies needs no index.
        let kfp = python(&runtime(), "import importlib.metadata as m; print(m.version('kfp'))").await;
        let version = String::from_utf8_lossy(&kfp.stdout).trim().to_owned();
        let pinned = Command::new(bin.join("pip"))
            .args(["install", "--no-index", "--quiet", &format!("kfp=={version}")])
            .output()
            .await
            .unwrap();
        assert!(pinned.status.success(), "{}", String::from_utf8_lossy(&pinned.stderr));
        // A package installed by the step lands in the overlay only.
        let wheel = dir.path().join("ffprobe_pkg-0.1-py3-none-any.whl");
        let build = format!(
            "import zipfile\nz = zipfile.ZipFile({wheel:?}, 'w')\nz.writestr('ffprobe_pkg/__init__.py', 'X = 1\\n')\n\
             z.writestr('ffprobe_pkg-0.1.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: ffprobe-pkg\\nVersion: 0.1\\n')\n\
             z.writestr('ffprobe_pkg-0.1.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')\n\
             z.writestr('ffprobe_pkg-0.1.dist-info/RECORD', '')\nz.close()",
            wheel = wheel.display().to_string()
        );
        assert!(python(&runtime(), &build).await.status.success());
        let installed = Command::new(bin.join("python3"))
            .args(["-m", "pip", "install", "--no-index", "--quiet"])
            .arg(&wheel)
            .output()
            .await
            .unwrap();
        assert!(installed.status.success(), "{}", String::from_utf8_lossy(&installed.stderr));
        let seen = python(&bin, "import ffprobe_pkg, kfp, sys; print(ffprobe_pkg.X, sys.prefix)").await;
        let seen = String::from_utf8_lossy(&seen.stdout).into_owned();
        assert!(seen.starts_with("1 ") && seen.contains(&dir.path().display().to_string()), "{seen}");
        let runtime_sees = python(&runtime(), "import ffprobe_pkg").await;
        assert!(!runtime_sees.status.success(), "the runtime must not see the step's package");
    }
}
