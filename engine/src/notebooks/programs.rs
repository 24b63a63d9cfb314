//! Where the programs that serve each notebook type are: JupyterLab,
//! code-server and RStudio Server, looked up in the runtime directories
//! first and then on `PATH`.

use std::path::PathBuf;

/// Where the programs of the server types are.
#[derive(Clone, Debug, Default)]
pub struct Programs {
    /// `jupyter` (JupyterLab), if found.
    pub jupyter: Option<PathBuf>,
    /// `code-server`, if found.
    pub code_server: Option<PathBuf>,
    /// `rserver` (RStudio), if found.
    pub rstudio: Option<PathBuf>,
}

impl Programs {
    /// Looks for each program in `extra` (e.g. `.venv/bin`), then on `PATH`.
    pub fn find(extra: &[PathBuf]) -> Self {
        let find = |name: &str| {
            let found =
                extra.iter().map(|dir| dir.join(name)).find(|p| p.is_file()).or_else(|| which::which(name).ok());
            // Servers run in their workspace: a relative path would not be found there.
            found.map(|p| p.canonicalize().unwrap_or(p))
        };
        Self { jupyter: find("jupyter"), code_server: find("code-server"), rstudio: find("rserver") }
    }

    /// The program of a server type, or why there is none.
    pub fn for_type(&self, server_type: &str) -> std::result::Result<&PathBuf, String> {
        let (program, name) = match server_type {
            "jupyter" => (&self.jupyter, "jupyter (pip install jupyterlab)"),
            "group-one" => (&self.code_server, "code-server"),
            "group-two" => (&self.rstudio, "rserver (RStudio Server)"),
            other => return Err(format!("unknown server type {other:?}")),
        };
        program.as_ref().ok_or_else(|| format!("{name} is not installed on this machine"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_found_in_a_relative_directory_are_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("jupyter"), "").unwrap();
        let relative = pathdiff(&bin);
        let programs = Programs::find(&[relative]);
        let jupyter = programs.jupyter.expect("jupyter found in the extra directory");
        assert!(jupyter.is_absolute(), "{jupyter:?}");
        assert_eq!(jupyter, bin.join("jupyter").canonicalize().unwrap());
    }

    #[test]
    fn a_missing_program_makes_its_type_unavailable_with_a_reason() {
        let programs = Programs { jupyter: None, code_server: None, rstudio: None };
        assert_eq!(
            programs.for_type("jupyter").unwrap_err(),
            "jupyter (pip install jupyterlab) is not installed on this machine"
        );
        assert!(programs.for_type("group-nine").unwrap_err().contains("unknown server type"));
    }

    /// `dir` relative to the current directory (`../..` as needed).
    fn pathdiff(dir: &std::path::Path) -> PathBuf {
        let cwd = std::env::current_dir().unwrap();
        let depth = cwd.components().count() - 1;
        let mut relative = PathBuf::new();
        for _ in 0..depth {
            relative.push("..");
        }
        relative.join(dir.strip_prefix("/").unwrap())
    }
}
