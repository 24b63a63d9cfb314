//! KFP command-line placeholders (`{{$.inputs.parameters['x']}}`, `{{$}}`,
//! and the JSON-encoded `Concat` / `IfPresent`) -> [`Arg`]s and [`Piece`]s.

use serde_json::Value;

use crate::spec::{Arg, Piece};

/// Why a placeholder was not understood.
pub type PlaceholderError = String;

/// Parses one argv entry as the KFP compiler writes it.
pub fn parse_arg(raw: &str) -> Result<Arg, PlaceholderError> {
    let trimmed = raw.trim_start();
    if trimmed.starts_with("{\"Concat\"") || trimmed.starts_with("{\"IfPresent\"") {
        let value: Value =
            serde_json::from_str(raw).map_err(|e| format!("malformed structured placeholder {raw:?}: {e}"))?;
        return structured(&value);
    }
    Ok(Arg::Concat(parse_pieces(raw)?))
}

fn structured(value: &Value) -> Result<Arg, PlaceholderError> {
    match value {
        Value::String(s) => parse_arg(s),
        Value::Object(map) if map.contains_key("Concat") => {
            let parts = map["Concat"].as_array().ok_or("Concat takes a list")?;
            let mut pieces = Vec::new();
            for part in parts {
                match structured(part)? {
                    Arg::Concat(p) => pieces.extend(p),
                    Arg::IfPresent { .. } => {
                        return Err("IfPresent inside Concat is not supported".into());
                    }
                }
            }
            Ok(Arg::Concat(pieces))
        }
        Value::Object(map) if map.contains_key("IfPresent") => {
            let body = &map["IfPresent"];
            let input = body.get("InputName").and_then(Value::as_str).ok_or("IfPresent needs InputName")?.to_owned();
            let list = |key: &str| -> Result<Vec<Arg>, PlaceholderError> {
                match body.get(key) {
                    None | Some(Value::Null) => Ok(vec![]),
                    Some(Value::Array(items)) => items.iter().map(structured).collect(),
                    Some(other) => Ok(vec![structured(other)?]),
                }
            };
            Ok(Arg::IfPresent { input, then: list("Then")?, otherwise: list("Else")? })
        }
        other => Err(format!("unknown structured placeholder {other}")),
    }
}

/// Splits text into literals and `{{...}}` placeholders.
pub fn parse_pieces(raw: &str) -> Result<Vec<Piece>, PlaceholderError> {
    let mut pieces = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find("{{$") {
        if start > 0 {
            pieces.push(Piece::Literal(rest[..start].to_owned()));
        }
        let end = rest[start..].find("}}").ok_or_else(|| format!("unterminated placeholder in {raw:?}"))?;
        pieces.push(placeholder(&rest[start + 2..start + end])?);
        rest = &rest[start + end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_owned()));
    }
    Ok(pieces)
}

/// One placeholder, without the braces: `$`, `$.inputs.parameters['x']`, ...
fn placeholder(inner: &str) -> Result<Piece, PlaceholderError> {
    let inner = inner.trim();
    if inner == "$" {
        return Ok(Piece::ExecutorInput);
    }
    let path = inner.strip_prefix("$.").ok_or_else(|| format!("unknown placeholder {{{{{inner}}}}}"))?;
    if let Some(run) = path.strip_prefix("pipeline_") {
        return match run {
            "job_name"
            | "job_resource_name"
            | "job_uuid"
            | "task_name"
            | "task_uuid"
            | "root"
            | "job_create_time_utc"
            | "job_schedule_time_utc" => Ok(Piece::Run(run.to_owned())),
            _ => Err(format!("unknown placeholder {{{{{inner}}}}}")),
        };
    }
    let (kind, rest) = if let Some(rest) = path.strip_prefix("inputs.parameters[") {
        ("input_parameter", rest)
    } else if let Some(rest) = path.strip_prefix("inputs.artifacts[") {
        ("input_artifact", rest)
    } else if let Some(rest) = path.strip_prefix("outputs.parameters[") {
        ("output_parameter", rest)
    } else if let Some(rest) = path.strip_prefix("outputs.artifacts[") {
        ("output_artifact", rest)
    } else {
        return Err(format!("unknown placeholder {{{{{inner}}}}}"));
    };
    let (name, suffix) = quoted_name(rest).ok_or_else(|| format!("malformed placeholder {{{{{inner}}}}}"))?;
    let name = name.to_owned();
    match (kind, suffix) {
        ("input_parameter", "") => Ok(Piece::InputValue(name)),
        ("input_artifact", ".path") => Ok(Piece::InputArtifactPath(name)),
        ("input_artifact", ".uri") => Ok(Piece::InputArtifactUri(name)),
        ("input_artifact", ".metadata") => Ok(Piece::InputArtifactMetadata(name)),
        ("input_artifact", "") => Ok(Piece::InputArtifactList(name)),
        ("output_parameter", ".output_file") => Ok(Piece::OutputParameterFile(name)),
        ("output_artifact", ".path") => Ok(Piece::OutputArtifactPath(name)),
        ("output_artifact", ".uri") => Ok(Piece::OutputArtifactUri(name)),
        ("output_artifact", ".metadata") => Ok(Piece::OutputArtifactMetadata(name)),
        _ => Err(format!("unknown placeholder {{{{{inner}}}}}")),
    }
}

/// `'name'].rest` -> (`name`, `.rest`).
fn quoted_name(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let s = &s[1..];
    let close = s.find(quote)?;
    let name = &s[..close];
    let rest = s[close + 1..].strip_prefix(']')?;
    Some((name, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_and_placeholders() {
        assert_eq!(
            parse_pieces("--x={{$.inputs.parameters['a b']}}!").unwrap(),
            vec![Piece::Literal("--x=".into()), Piece::InputValue("a b".into()), Piece::Literal("!".into())]
        );
        assert_eq!(parse_pieces("{{$}}").unwrap(), vec![Piece::ExecutorInput]);
        assert_eq!(
            parse_pieces("{{$.outputs.artifacts['model'].path}}").unwrap(),
            vec![Piece::OutputArtifactPath("model".into())]
        );
    }

    #[test]
    fn structured_placeholders() {
        let concat = r#"{"Concat": ["{{$.inputs.parameters['greeting']}}", ", ", "x"]}"#;
        assert_eq!(
            parse_arg(concat).unwrap(),
            Arg::Concat(vec![
                Piece::InputValue("greeting".into()),
                Piece::Literal(", ".into()),
                Piece::Literal("x".into())
            ])
        );
        let if_present =
            r#"{"IfPresent": {"InputName": "s", "Then": ["--s", "{{$.inputs.parameters['s']}}"], "Else": ["--no-s"]}}"#;
        let Arg::IfPresent { input, then, otherwise } = parse_arg(if_present).unwrap() else { panic!("IfPresent") };
        assert_eq!(input, "s");
        assert_eq!(then.len(), 2);
        assert_eq!(otherwise, vec![Arg::Concat(vec![Piece::Literal("--no-s".into())])]);
    }

    #[test]
    fn unknown_placeholders_are_named() {
        assert_eq!(
            parse_pieces("{{$.inputs.secrets['x']}}").unwrap_err(),
            "unknown placeholder {{$.inputs.secrets['x']}}"
        );
        assert_eq!(parse_pieces("{{$.inputs").unwrap_err(), "unterminated placeholder in \"{{$.inputs\"");
    }
}
