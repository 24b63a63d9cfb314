//! Deciding whether a task runs: KFP's CEL conditions, Argo `when`
//! expressions (after placeholder substitution) and Argo `depends` logic.
//! Pure functions over values.

use std::collections::BTreeMap;

use serde_json::Value;

use super::propagation::Ended;

/// Evaluates a KFP trigger condition, e.g.
/// `int(inputs.parameter_values['n']) > 2`, over the task's input values.
pub fn cel(expression: &str, parameter_values: &BTreeMap<String, Value>) -> Result<bool, String> {
    let program = compile_cel(expression)?;
    let mut context = cel_interpreter::Context::default();
    let inputs = serde_json::json!({ "parameter_values": parameter_values });
    context.add_variable("inputs", inputs).map_err(|e| format!("cannot bind condition inputs: {e}"))?;
    // Like compiling, executing a tree the parser recovered from can panic.
    let executed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.execute(&context)));
    match executed {
        Ok(Ok(cel_interpreter::Value::Bool(b))) => Ok(b),
        Ok(Ok(other)) => Err(format!("condition {expression:?} gave {other:?}, not a boolean")),
        Ok(Err(e)) => Err(format!("condition {expression:?} failed: {e}")),
        Err(_) => Err(format!("invalid condition {expression:?}")),
    }
}

/// Compiles a CEL expression. The parser of `cel-interpreter` 0.10 panics
/// on some malformed input instead of returning an error; a spec must not
/// be able to crash the server, so the panic is caught and reported.
pub fn compile_cel(expression: &str) -> Result<cel_interpreter::Program, String> {
    match std::panic::catch_unwind(|| cel_interpreter::Program::compile(expression)) {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(e)) => Err(format!("invalid condition {expression:?}: {e}")),
        Err(_) => Err(format!("invalid condition {expression:?}")),
    }
}

/// Evaluates an Argo `depends` expression over upstream results: a bare
/// name means `Succeeded || Skipped || Daemoned`.
pub fn depends(expression: &str, results: &BTreeMap<String, Ended>) -> Result<bool, String> {
    let mut parser = Parser::new(expression, |atom: &str| {
        let (task, result) = atom.split_once('.').unwrap_or((atom, ""));
        let ended = *results.get(task).ok_or_else(|| format!("unknown task {task:?}"))?;
        Ok(match result {
            "" => matches!(ended, Ended::Succeeded | Ended::Skipped),
            "Succeeded" => ended == Ended::Succeeded,
            "Failed" | "Errored" => ended == Ended::Failed,
            "Skipped" => ended == Ended::Skipped,
            "Omitted" => ended == Ended::Omitted,
            "Daemoned" => false,
            other => return Err(format!("unknown result {other:?}")),
        })
    });
    parser.expression()
}

/// Evaluates an Argo `when` after substitution, e.g. `5 > 2 && heads == heads`.
pub fn when(expression: &str) -> Result<bool, String> {
    let mut parser = Parser::new(expression, comparison);
    parser.expression()
}

/// `a OP b` with numbers compared as numbers and anything else as text;
/// a lone `true`/`false` is itself.
fn comparison(atom: &str) -> Result<bool, String> {
    const OPERATORS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];
    let Some((op, at)) = OPERATORS.iter().find_map(|op| atom.find(op).map(|at| (*op, at))) else {
        return match unquote(atom) {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(format!("{other:?} is not a condition")),
        };
    };
    let (left, right) = (unquote(&atom[..at]), unquote(&atom[at + op.len()..]));
    let ordering = match (left.parse::<f64>(), right.parse::<f64>()) {
        (Ok(l), Ok(r)) => l.partial_cmp(&r).ok_or("NaN in condition")?,
        _ => left.cmp(right),
    };
    Ok(match op {
        "==" => ordering.is_eq(),
        "!=" => !ordering.is_eq(),
        "<" => ordering.is_lt(),
        ">" => ordering.is_gt(),
        "<=" => ordering.is_le(),
        _ => ordering.is_ge(),
    })
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(s)
}

/// `||` over `&&` over `!` and parentheses; atoms are decided by `atom`.
struct Parser<'a, F> {
    rest: &'a str,
    atom: F,
}

impl<'a, F: FnMut(&str) -> Result<bool, String>> Parser<'a, F> {
    fn new(text: &'a str, atom: F) -> Self {
        Self { rest: text, atom }
    }

    fn expression(&mut self) -> Result<bool, String> {
        let value = self.or()?;
        if self.rest.trim().is_empty() { Ok(value) } else { Err(format!("unexpected {:?}", self.rest.trim())) }
    }

    fn eat(&mut self, token: &str) -> bool {
        let trimmed = self.rest.trim_start();
        match trimmed.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut value = self.and()?;
        while self.eat("||") {
            value |= self.and()?;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut value = self.not()?;
        while self.eat("&&") {
            value &= self.not()?;
        }
        Ok(value)
    }

    fn not(&mut self) -> Result<bool, String> {
        let trimmed = self.rest.trim_start();
        if trimmed.starts_with('!') && !trimmed.starts_with("!=") {
            self.rest = &trimmed[1..];
            return Ok(!self.not()?);
        }
        if self.eat("(") {
            let value = self.or()?;
            if !self.eat(")") {
                return Err("missing ')'".into());
            }
            return Ok(value);
        }
        let trimmed = self.rest.trim_start();
        let end = [trimmed.find("&&"), trimmed.find("||"), trimmed.find(')')]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(trimmed.len());
        let atom = trimmed[..end].trim();
        if atom.is_empty() {
            return Err("empty term".into());
        }
        self.rest = &trimmed[end..];
        (self.atom)(atom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kfp_conditions_as_the_compiler_writes_them() {
        let values: BTreeMap<String, Value> = [
            ("pipelinechannel--total-Output".to_owned(), json!(14)),
            ("pipelinechannel--threshold".to_owned(), json!(10)),
        ]
        .into();
        let gt = "int(inputs.parameter_values['pipelinechannel--total-Output']) > int(inputs.parameter_values['pipelinechannel--threshold'])";
        assert_eq!(cel(gt, &values), Ok(true));
        assert_eq!(cel(&format!("!({gt})"), &values), Ok(false));
        let coin: BTreeMap<String, Value> = [("c".to_owned(), json!("heads"))].into();
        assert_eq!(cel("inputs.parameter_values['c'] == 'heads'", &coin), Ok(true));
        assert!(cel("inputs.parameter_values['c'] +", &coin).is_err());
    }

    #[test]
    fn argo_depends_logic() {
        let results: BTreeMap<String, Ended> =
            [("a".to_owned(), Ended::Succeeded), ("b".to_owned(), Ended::Failed), ("c".to_owned(), Ended::Skipped)]
                .into();
        assert_eq!(depends("a && (b.Succeeded || b.Failed)", &results), Ok(true));
        assert_eq!(depends("a && b", &results), Ok(false));
        assert_eq!(depends("!b.Succeeded && c", &results), Ok(true));
        assert!(depends("a && z", &results).is_err());
    }

    #[test]
    fn argo_when_after_substitution() {
        assert_eq!(when("3 > 2"), Ok(true));
        assert_eq!(when("10 < 9"), Ok(false));
        assert_eq!(when("heads == heads && 1 != 2"), Ok(true));
        assert_eq!(when("\"tails\" == heads || (2 >= 2)"), Ok(true));
        assert!(when("what").is_err());
    }
}
