//! Argo's expression tags (`{{=...}}`, expr-lang): the subset Argo documents
//! for template tags, evaluated with CEL, whose syntax covers it once `and`,
//! `or` and `not` are written as `&&`, `||` and `!`. Supported: comparisons,
//! arithmetic, `? :`, `in`, `asInt`, `asFloat`, `string`, `jsonpath`, and
//! `sprig.` string functions listed in [`SPRIG`]; any other function is
//! refused by name when the spec is read.

use std::sync::Arc;

use cel_interpreter::{Context, ExecutionError, Program, Value as Cel, extractors::This};
use serde_json::Value;

/// Functions an expression may call besides CEL's operators.
pub const FUNCTIONS: [&str; 5] = ["asInt", "asFloat", "string", "jsonpath", "int"];
/// `sprig.` functions an expression may call.
pub const SPRIG: [&str; 12] = [
    "upper",
    "lower",
    "trim",
    "trimPrefix",
    "trimSuffix",
    "replace",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "repeat",
    "quote",
    "squote",
];

/// The expression in CEL's words, or why it is not in the supported subset.
pub fn translate(expression: &str) -> Result<String, String> {
    let mut out = String::with_capacity(expression.len());
    let mut chars = expression.char_indices().peekable();
    let bytes = expression;
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                // A string literal, copied as written.
                out.push(c);
                let mut escaped = false;
                for (_, d) in chars.by_ref() {
                    out.push(d);
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == c {
                        break;
                    }
                }
            }
            '#' => return Err("expression: `#` (map/filter predicates) is not supported".into()),
            c if c.is_alphabetic() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &bytes[i..end];
                let after_dot = out.trim_end().ends_with('.');
                let called = bytes[end..].trim_start().starts_with('(');
                match word {
                    "and" if !after_dot => out.push_str("&&"),
                    "or" if !after_dot => out.push_str("||"),
                    "not" if !after_dot => out.push('!'),
                    _ if called && after_dot => {
                        let target = out.trim_end().trim_end_matches('.');
                        if !target.ends_with("sprig") {
                            return Err(format!("expression: method {word:?} is not supported"));
                        }
                        if !SPRIG.contains(&word) {
                            return Err(format!(
                                "expression: sprig.{word} is not supported (supported: sprig.{})",
                                SPRIG.join(", sprig.")
                            ));
                        }
                        out.push_str(word);
                    }
                    _ if called && !FUNCTIONS.contains(&word) => {
                        return Err(format!(
                            "expression: function {word:?} is not supported (supported: {}, sprig.*)",
                            FUNCTIONS.join(", ")
                        ));
                    }
                    _ => out.push_str(word),
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Compiles the translated expression; the parser's panics on malformed
/// input are caught (see `conditions::compile_cel`).
pub fn compile(expression: &str) -> Result<Program, String> {
    let cel = translate(expression)?;
    match std::panic::catch_unwind(|| Program::compile(&cel)) {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(e)) => Err(format!("invalid expression {expression:?}: {e}")),
        Err(_) => Err(format!("invalid expression {expression:?}")),
    }
}

/// Evaluates `expression` over `variables` (`inputs`, `workflow`, `tasks`,
/// `steps`, `item`), as text the way Argo substitutes it.
pub fn evaluate(expression: &str, variables: &Value) -> Result<String, String> {
    let program = compile(expression)?;
    let mut context = Context::default();
    for (name, value) in variables.as_object().into_iter().flatten() {
        context
            .add_variable(name.as_str(), value.clone())
            .map_err(|e| format!("expression: cannot bind {name}: {e}"))?;
    }
    context.add_variable("sprig", serde_json::json!({})).map_err(|e| e.to_string())?;
    add_functions(&mut context);
    let executed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.execute(&context)));
    let value = match executed {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => return Err(format!("expression {expression:?} failed: {e}")),
        Err(_) => return Err(format!("expression {expression:?} failed")),
    };
    Ok(as_text(&value))
}

fn as_text(value: &Cel) -> String {
    match value {
        Cel::String(s) => s.to_string(),
        Cel::Int(n) => n.to_string(),
        Cel::UInt(n) => n.to_string(),
        Cel::Float(f) => f.to_string(),
        Cel::Bool(b) => b.to_string(),
        Cel::Null => "null".into(),
        Cel::List(items) => Value::Array(items.iter().map(|i| Value::String(as_text(i))).collect()).to_string(),
        other => format!("{other:?}"),
    }
}

fn text(value: &Cel) -> String {
    as_text(value)
}

fn add_functions(context: &mut Context) {
    context.add_function("asInt", |value: Cel| -> Result<i64, ExecutionError> {
        let t = text(&value);
        t.trim()
            .parse()
            .or_else(|_| t.trim().parse::<f64>().map(|f| f as i64))
            .map_err(|_| ExecutionError::function_error("asInt", format!("{t:?} is not a number")))
    });
    context.add_function("asFloat", |value: Cel| -> Result<f64, ExecutionError> {
        let t = text(&value);
        t.trim().parse().map_err(|_| ExecutionError::function_error("asFloat", format!("{t:?} is not a number")))
    });
    context.add_function("jsonpath", |json: Arc<String>, path: Arc<String>| -> Result<Cel, ExecutionError> {
        let doc: Value = serde_json::from_str(&json)
            .map_err(|e| ExecutionError::function_error("jsonpath", format!("not JSON: {e}")))?;
        let found = json_path(&doc, &path)
            .ok_or_else(|| ExecutionError::function_error("jsonpath", format!("{path:?} matches nothing")))?;
        cel_interpreter::to_value(found).map_err(|e| ExecutionError::function_error("jsonpath", e.to_string()))
    });
    context.add_function("upper", |This(_): This<Cel>, s: Arc<String>| s.to_uppercase());
    context.add_function("lower", |This(_): This<Cel>, s: Arc<String>| s.to_lowercase());
    context.add_function("trim", |This(_): This<Cel>, s: Arc<String>| s.trim().to_owned());
    context.add_function("trimPrefix", |This(_): This<Cel>, p: Arc<String>, s: Arc<String>| {
        s.strip_prefix(p.as_str()).unwrap_or(&s).to_owned()
    });
    context.add_function("trimSuffix", |This(_): This<Cel>, p: Arc<String>, s: Arc<String>| {
        s.strip_suffix(p.as_str()).unwrap_or(&s).to_owned()
    });
    context.add_function("replace", |This(_): This<Cel>, old: Arc<String>, new: Arc<String>, s: Arc<String>| {
        s.replace(old.as_str(), &new)
    });
    context.add_function("contains", |This(_): This<Cel>, part: Arc<String>, s: Arc<String>| s.contains(part.as_str()));
    context.add_function("hasPrefix", |This(_): This<Cel>, p: Arc<String>, s: Arc<String>| s.starts_with(p.as_str()));
    context.add_function("hasSuffix", |This(_): This<Cel>, p: Arc<String>, s: Arc<String>| s.ends_with(p.as_str()));
    context.add_function("repeat", |This(_): This<Cel>, n: i64, s: Arc<String>| s.repeat(n.clamp(0, 10_000) as usize));
    context.add_function("quote", |This(_): This<Cel>, s: Arc<String>| format!("{:?}", s.as_str()));
    context.add_function("squote", |This(_): This<Cel>, s: Arc<String>| format!("'{s}'"));
}

/// `$.a.b[0]` over a JSON document.
fn json_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = doc;
    let rest = path.trim().strip_prefix('$').unwrap_or(path.trim());
    for part in rest.split('.').filter(|p| !p.is_empty()) {
        let (key, indices) = part.split_once('[').map_or((part, ""), |(k, i)| (k, i));
        if !key.is_empty() {
            at = at.get(key)?;
        }
        for index in indices.split('[').filter(|i| !i.is_empty()) {
            at = at.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn argo_expressions_evaluate_as_text() {
        let vars = json!({
            "inputs": {"parameters": {"n": "3", "name": "ada", "doc": "{\"a\": {\"b\": [5, 6]}}"}},
            "workflow": {"parameters": {"env": "prod"}},
        });
        let eval = |e: &str| evaluate(e, &vars).unwrap();
        assert_eq!(eval("asInt(inputs.parameters.n) + 1"), "4");
        assert_eq!(eval("asFloat(inputs.parameters.n) * 1.5"), "4.5");
        assert_eq!(eval("asInt(inputs.parameters.n) > 2 and workflow.parameters.env == 'prod'"), "true");
        assert_eq!(eval("not (inputs.parameters['n'] == '3') ? 'no' : 'yes'"), "yes");
        assert_eq!(eval("sprig.upper(inputs.parameters.name)"), "ADA");
        assert_eq!(eval("sprig.replace('a', 'o', inputs.parameters.name)"), "odo");
        assert_eq!(eval("jsonpath(inputs.parameters.doc, '$.a.b[1]')"), "6");
        assert_eq!(eval("string(asInt(inputs.parameters.n) * 2)"), "6");
        assert_eq!(eval("'or' + ' and'"), "or and");
    }

    #[test]
    fn unsupported_functions_are_named() {
        assert_eq!(
            compile("sprig.b64enc(x)").err().unwrap(),
            format!("expression: sprig.b64enc is not supported (supported: sprig.{})", SPRIG.join(", sprig."))
        );
        assert!(compile("xs[#]").err().unwrap().contains("`#`"));
        assert!(compile("filter(xs, # > 1)").err().unwrap().contains("function \"filter\" is not supported"));
        assert!(compile("toJson(x)").err().unwrap().starts_with("expression: function \"toJson\" is not supported"));
    }
}
