//! Fixed paths written in a template (Argo `valueFrom.path: /tmp/said.txt`,
//! an artifact's `path`) are made the attempt's own: each is moved under the
//! attempt's directory, and the command line, environment and script read
//! the moved path. Two runs of one workflow at once never share a file.

use std::path::{Path, PathBuf};

use crate::spec::Component;

/// Absolute paths of a template and where one attempt keeps each.
#[derive(Clone, Debug, Default)]
pub struct Moves(Vec<(String, PathBuf)>);

impl Moves {
    /// The component's absolute fixed paths, moved under `root`.
    pub fn new(component: &Component, root: &Path) -> Self {
        let fixed = component
            .output_parameters
            .values()
            .filter_map(|d| d.path.as_deref())
            .chain(component.output_artifacts.values().filter_map(|d| d.path.as_deref()))
            .chain(component.input_artifacts.values().filter_map(|d| d.path.as_deref()))
            .filter(|p| p.starts_with('/'));
        let mut moves: Vec<(String, PathBuf)> =
            fixed.map(|p| (p.to_owned(), root.join(p.trim_start_matches('/')))).collect();
        // Longest first, so `/tmp/a.txt.gz` is not taken for `/tmp/a.txt`.
        moves.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        moves.dedup_by(|a, b| a.0 == b.0);
        Self(moves)
    }

    /// Where the attempt keeps `path`; a relative path stays as it is (it
    /// resolves in the attempt's working directory).
    pub fn place(&self, path: &str) -> PathBuf {
        self.0.iter().find(|(from, _)| from == path).map_or_else(|| PathBuf::from(path), |(_, to)| to.clone())
    }

    /// `text` with every fixed path replaced by the attempt's.
    pub fn apply(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        // A path char on either side means a longer path that merely
        // contains this one (`/x/tmp/a`, `/tmp/ab`): left as written.
        let in_path = |c: char| c.is_alphanumeric() || "_-./".contains(c);
        'scan: while !rest.is_empty() {
            let starts_word = !out.chars().next_back().is_some_and(in_path);
            for (from, to) in self.0.iter().filter(|_| starts_word) {
                if let Some(after) = rest.strip_prefix(from.as_str())
                    && !after.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
                {
                    out.push_str(&to.display().to_string());
                    rest = after;
                    continue 'scan;
                }
            }
            let step = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..step]);
            rest = &rest[step..];
        }
        out
    }

    /// Creates the directories the moved paths live in.
    pub fn prepare(&self) -> std::io::Result<()> {
        for (_, to) in &self.0 {
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::spec::{ArtifactDef, Body, Dag, ParameterDef, ParameterType};

    #[test]
    fn fixed_paths_move_under_the_attempt() {
        let def = |path: &str| ParameterDef {
            kind: ParameterType::String,
            default: None,
            optional: false,
            path: Some(path.into()),
            choices: None,
        };
        let artifact =
            |path: &str| ArtifactDef { schema: "a".into(), is_list: false, optional: false, path: Some(path.into()) };
        let component = Component {
            input_parameters: BTreeMap::new(),
            input_artifacts: [("in".to_owned(), artifact("/tmp/in"))].into(),
            output_parameters: [("said".to_owned(), def("/tmp/said.txt")), ("rel".to_owned(), def("out.txt"))].into(),
            output_artifacts: [("gz".to_owned(), artifact("/tmp/said.txt.gz"))].into(),
            body: Body::Dag(Dag::default()),
        };
        let moves = Moves::new(&component, Path::new("/runs/a/fs"));
        assert_eq!(
            moves.apply("echo hi | tee /tmp/said.txt | gzip > /tmp/said.txt.gz; cat /tmp/in /tmp/inner"),
            "echo hi | tee /runs/a/fs/tmp/said.txt | gzip > /runs/a/fs/tmp/said.txt.gz; cat /runs/a/fs/tmp/in /tmp/inner"
        );
        assert_eq!(moves.place("/tmp/said.txt"), Path::new("/runs/a/fs/tmp/said.txt"));
        assert_eq!(moves.place("out.txt"), Path::new("out.txt"));
        assert_eq!(moves.apply("née /tmp/x /a/tmp/in '/tmp/in'"), "née /tmp/x /a/tmp/in '/runs/a/fs/tmp/in'");
    }
}
