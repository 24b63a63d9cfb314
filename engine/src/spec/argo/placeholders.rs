//! Argo's `{{...}}` template tags -> [`Piece`]s.

use crate::spec::Piece;

/// The strftime letters `{{workflow.creationTimestamp.<letter>}}` takes.
const STRFTIME_LETTERS: [&str; 20] =
    ["Y", "m", "d", "H", "M", "S", "y", "j", "b", "B", "a", "A", "I", "p", "U", "W", "u", "w", "Z", "z"];

/// `{{tasks.X.ip}}` on the local backend.
const LOCAL_IP: &str = "127.0.0.1";

/// Splits text into literals and placeholders; names any it does not know.
pub fn parse_pieces(raw: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Literal(rest[..start].to_owned()));
        }
        let end = rest[start..].find("}}").ok_or_else(|| format!("unterminated placeholder in {raw:?}"))?;
        pieces.push(tag(rest[start + 2..start + end].trim())?);
        rest = &rest[start + end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_owned()));
    }
    Ok(pieces)
}

fn tag(tag: &str) -> Result<Piece, String> {
    if let Some(expression) = tag.strip_prefix('=') {
        crate::runs::expr::compile(expression)?;
        return Ok(Piece::Expression(expression.trim().to_owned()));
    }
    let parts: Vec<&str> = tag.split('.').collect();
    let piece = match parts.as_slice() {
        ["inputs", "parameters", name] => Piece::InputValue((*name).to_owned()),
        ["inputs", "artifacts", name, "path"] => Piece::InputArtifactPath((*name).to_owned()),
        ["outputs", "parameters", name, "path"] => Piece::OutputParameterFile((*name).to_owned()),
        ["outputs", "artifacts", name, "path"] => Piece::OutputArtifactPath((*name).to_owned()),
        ["workflow", "parameters", name] => Piece::PipelineInput((*name).to_owned()),
        ["workflow", "name"] => Piece::Run("job_name".into()),
        ["workflow", "uid"] => Piece::Run("job_uuid".into()),
        ["workflow", "namespace"] => Piece::Run("namespace".into()),
        ["workflow", "status"] => Piece::Run("status".into()),
        ["workflow", "duration"] => Piece::Run("duration".into()),
        ["workflow", "scheduledTime"] => Piece::Run("scheduled_time".into()),
        ["workflow", "creationTimestamp"] => Piece::Run("created_at".into()),
        ["workflow", "creationTimestamp", letter] if STRFTIME_LETTERS.contains(letter) => {
            Piece::Run(format!("created_at.{letter}"))
        }
        ["retries"] => Piece::Run("retries".into()),
        ["pod", "name"] => Piece::Run("task_name".into()),
        ["tasks" | "steps", task, "outputs", "parameters", output] => {
            Piece::TaskOutput { task: (*task).to_owned(), output: (*output).to_owned() }
        }
        ["tasks" | "steps", task, "outputs", "result"] => {
            Piece::TaskOutput { task: (*task).to_owned(), output: "result".into() }
        }
        ["tasks" | "steps", task, "status"] => Piece::TaskStatus((*task).to_owned()),
        // Daemons run on this machine, as every local step does.
        ["tasks" | "steps", _, "ip"] => Piece::Literal(LOCAL_IP.into()),
        ["tasks" | "steps", task, "exitCode"] => Piece::TaskExitCode((*task).to_owned()),
        ["tasks" | "steps", task, "outputs", "parameters"] => Piece::TaskOutputParameters((*task).to_owned()),
        ["inputs", "parameters"] => Piece::InputParameters,
        ["workflow", "failures"] => Piece::Run("failures".into()),
        ["item"] => Piece::Item(None),
        ["item", field] => Piece::Item(Some((*field).to_owned())),
        _ => return Err(format!("unknown placeholder {{{{{tag}}}}}")),
    };
    Ok(piece)
}

/// Tasks an expression reads: `tasks.t...`, `steps.t...`, `tasks['t']...`.
pub fn expression_tasks(expression: &str) -> Vec<String> {
    let mut tasks = Vec::new();
    for prefix in ["tasks.", "steps.", "tasks['", "steps['", "tasks[\"", "steps[\""] {
        let mut rest = expression;
        while let Some(at) = rest.find(prefix) {
            let preceded = rest[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
            let name: String = rest[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if !preceded && !name.is_empty() && !tasks.contains(&name) {
                tasks.push(name);
            }
            rest = &rest[at + prefix.len()..];
        }
    }
    tasks
}

/// `{{tasks.t.outputs.artifacts.a}}` -> (`t`, `a`); `{{inputs.artifacts.a}}` -> (None, `a`).
pub fn artifact_ref(raw: &str) -> Option<(Option<String>, String)> {
    let inner = raw.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    match inner.split('.').collect::<Vec<_>>().as_slice() {
        ["tasks" | "steps", task, "outputs", "artifacts", name] => Some((Some((*task).to_owned()), (*name).to_owned())),
        ["inputs", "artifacts", name] => Some((None, (*name).to_owned())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_argo_tags() {
        assert_eq!(
            parse_pieces("x={{ inputs.parameters.a }}, {{tasks.gen.outputs.result}}").unwrap(),
            vec![
                Piece::Literal("x=".into()),
                Piece::InputValue("a".into()),
                Piece::Literal(", ".into()),
                Piece::TaskOutput { task: "gen".into(), output: "result".into() },
            ]
        );
        assert_eq!(parse_pieces("{{item.k}}").unwrap(), vec![Piece::Item(Some("k".into()))]);
        assert_eq!(parse_pieces("{{inputs.secret}}").unwrap_err(), "unknown placeholder {{inputs.secret}}");
        assert_eq!(parse_pieces("{{=1 + 1}}").unwrap(), vec![Piece::Expression("1 + 1".into())]);
        assert!(parse_pieces("{{=toJson(x)}}").unwrap_err().contains("function \"toJson\" is not supported"));
        assert_eq!(artifact_ref("{{tasks.a.outputs.artifacts.data}}"), Some((Some("a".into()), "data".into())));
    }
}
