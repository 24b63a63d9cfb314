//! KFP's list filter: JSON predicates, all of which must hold.
//!
//! ```json
//! {"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": "nightly"}]}
//! ```
//!
//! Field names are accepted in proto (`string_value`) and JSON
//! (`stringValue`) spelling, operations by name or number, and `op` as
//! KFP v1 wrote `operation`, as grpc-gateway accepts them all.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Bind, Field, Kind, invalid};
use crate::Result;

/// Longest filter text accepted.
pub const MAX_FILTER_BYTES: usize = 8 * 1024;
/// Most predicates in one filter.
pub const MAX_PREDICATES: usize = 32;
/// Most values in one `IN` predicate.
pub const MAX_IN_VALUES: usize = 100;

/// A parsed filter: every predicate must hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// The predicates, in the order given.
    pub predicates: Vec<Predicate>,
}

/// How a predicate compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `=`
    Equals,
    /// `!=`
    NotEquals,
    /// `>`
    GreaterThan,
    /// `>=`
    GreaterThanEquals,
    /// `<`
    LessThan,
    /// `<=`
    LessThanEquals,
    /// One of a list.
    In,
    /// Contains the text.
    IsSubstring,
}

/// The value a predicate compares with.
#[derive(Clone, Debug, PartialEq)]
pub enum PredicateValue {
    /// `int_value` or `long_value`.
    Int(i64),
    /// `string_value`.
    Text(String),
    /// `timestamp_value`.
    Time(DateTime<Utc>),
    /// `int_values` or `long_values`.
    Ints(Vec<i64>),
    /// `string_values`.
    Texts(Vec<String>),
}

/// One condition on one field.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    /// The API field name.
    pub key: String,
    /// How it compares.
    pub operation: Operation,
    /// With what.
    pub value: PredicateValue,
}

impl Operation {
    fn parse(value: &Value) -> Result<Self> {
        let by_number = |n: i64| match n {
            1 => Some(Self::Equals),
            2 => Some(Self::NotEquals),
            3 => Some(Self::GreaterThan),
            5 => Some(Self::GreaterThanEquals),
            6 => Some(Self::LessThan),
            7 => Some(Self::LessThanEquals),
            8 => Some(Self::In),
            9 => Some(Self::IsSubstring),
            _ => None,
        };
        let by_name = |s: &str| match s {
            "EQUALS" => Some(Self::Equals),
            "NOT_EQUALS" => Some(Self::NotEquals),
            "GREATER_THAN" => Some(Self::GreaterThan),
            "GREATER_THAN_EQUALS" => Some(Self::GreaterThanEquals),
            "LESS_THAN" => Some(Self::LessThan),
            "LESS_THAN_EQUALS" => Some(Self::LessThanEquals),
            "IN" => Some(Self::In),
            "IS_SUBSTRING" => Some(Self::IsSubstring),
            _ => None,
        };
        let parsed = match value {
            Value::Number(n) => n.as_i64().and_then(by_number),
            Value::String(s) => by_name(s),
            _ => None,
        };
        parsed.ok_or_else(|| {
            invalid(format!(
                "invalid filter: unknown operation {value}; expected one of EQUALS, NOT_EQUALS, GREATER_THAN, \
                 GREATER_THAN_EQUALS, LESS_THAN, LESS_THAN_EQUALS, IN, IS_SUBSTRING"
            ))
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Self::Equals => "=",
            Self::NotEquals => "IS NOT",
            Self::GreaterThan => ">",
            Self::GreaterThanEquals => ">=",
            Self::LessThan => "<",
            Self::LessThanEquals => "<=",
            Self::In => "IN",
            Self::IsSubstring => "LIKE",
        }
    }
}

impl Filter {
    /// Parses a filter; empty text is the filter that admits everything.
    pub fn parse(text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        if text.len() > MAX_FILTER_BYTES {
            return Err(invalid(format!("invalid filter: longer than {MAX_FILTER_BYTES} bytes")));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| invalid(format!("invalid filter: not JSON: {e}")))?;
        let Value::Object(object) = value else {
            return Err(invalid("invalid filter: expected a JSON object with \"predicates\"".to_owned()));
        };
        if let Some(unknown) = object.keys().find(|k| *k != "predicates") {
            return Err(invalid(format!("invalid filter: unknown field {unknown:?}")));
        }
        let predicates = match object.get("predicates") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                items.iter().enumerate().map(|(i, p)| Predicate::parse(i, p)).collect::<Result<_>>()?
            }
            Some(_) => return Err(invalid("invalid filter: \"predicates\" must be a list".to_owned())),
        };
        if predicates.len() > MAX_PREDICATES {
            return Err(invalid(format!("invalid filter: more than {MAX_PREDICATES} predicates")));
        }
        Ok(Self { predicates })
    }
}

impl Predicate {
    fn parse(index: usize, value: &Value) -> Result<Self> {
        let fail = |what: String| invalid(format!("invalid filter: predicate {index}: {what}"));
        let Value::Object(fields) = value else { return Err(fail("expected an object".to_owned())) };
        let key = match fields.get("key") {
            Some(Value::String(key)) if !key.is_empty() => key.clone(),
            _ => return Err(fail("\"key\" must name a field".to_owned())),
        };
        let operation = match field(fields, "operation", "operation").or_else(|| fields.get("op")) {
            Some(op) => Operation::parse(op).map_err(|e| fail(e.to_string()))?,
            None => return Err(fail("\"operation\" is missing".to_owned())),
        };
        let mut values = Vec::new();
        for (proto, json) in [
            ("int_value", "intValue"),
            ("long_value", "longValue"),
            ("string_value", "stringValue"),
            ("timestamp_value", "timestampValue"),
            ("int_values", "intValues"),
            ("long_values", "longValues"),
            ("string_values", "stringValues"),
        ] {
            if let Some(v) = field(fields, proto, json) {
                values.push(parse_value(proto, v).map_err(&fail)?);
            }
        }
        if let Some(unknown) = fields.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            return Err(fail(format!("unknown field {unknown:?}")));
        }
        let value = match values.len() {
            1 => values.pop().expect("one value"),
            0 => return Err(fail(format!("no value to compare {key:?} with"))),
            _ => return Err(fail("more than one value".to_owned())),
        };
        let is_list = matches!(value, PredicateValue::Ints(_) | PredicateValue::Texts(_));
        if is_list != (operation == Operation::In) {
            return Err(fail(
                "IN takes a list of values (string_values, int_values, long_values) and no other operation does"
                    .to_owned(),
            ));
        }
        Ok(Self { key, operation, value })
    }

    /// The SQL term for this predicate on `field`, and the values it binds.
    pub(crate) fn to_sql(&self, field: &Field) -> Result<(String, Vec<Bind>)> {
        let mismatch = || {
            invalid(format!(
                "invalid filter: {:?} is {}; {:?} cannot compare it with {}",
                self.key,
                match field.kind {
                    Kind::Text => "text",
                    Kind::Time => "a time",
                    Kind::Int => "a number",
                },
                self.operation,
                self.value.describe()
            ))
        };
        let column = field.column;
        let op = self.operation.sql();
        let (term, binds) = match (&self.value, field.kind) {
            (PredicateValue::Text(s), Kind::Text) if self.operation == Operation::IsSubstring => {
                let pattern = format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                (format!("{column} LIKE ? ESCAPE '\\'"), vec![Bind::Text(pattern)])
            }
            (_, _) if self.operation == Operation::IsSubstring => return Err(mismatch()),
            (PredicateValue::Text(s), Kind::Text) => (format!("{column} {op} ?"), vec![Bind::Text(s.clone())]),
            (PredicateValue::Int(n), Kind::Int) => (format!("{column} {op} ?"), vec![Bind::Int(*n)]),
            (PredicateValue::Time(t), Kind::Time) => (format!("{column} {op} ?"), vec![Bind::Time(*t)]),
            // KFP's UI and older clients compare times as Unix seconds.
            (PredicateValue::Int(n), Kind::Time) => {
                let time = DateTime::from_timestamp(*n, 0).ok_or_else(mismatch)?;
                (format!("{column} {op} ?"), vec![Bind::Time(time)])
            }
            (PredicateValue::Texts(list), Kind::Text) => {
                (in_list(column, list.len()), list.iter().cloned().map(Bind::Text).collect())
            }
            (PredicateValue::Ints(list), Kind::Int) => {
                (in_list(column, list.len()), list.iter().copied().map(Bind::Int).collect())
            }
            _ => return Err(mismatch()),
        };
        Ok((term, binds))
    }
}

const KNOWN_KEYS: [&str; 17] = [
    "key",
    "operation",
    "op",
    "int_value",
    "intValue",
    "long_value",
    "longValue",
    "string_value",
    "stringValue",
    "timestamp_value",
    "timestampValue",
    "int_values",
    "intValues",
    "long_values",
    "longValues",
    "string_values",
    "stringValues",
];

fn field<'a>(fields: &'a Map<String, Value>, proto: &str, json: &str) -> Option<&'a Value> {
    fields.get(proto).or_else(|| fields.get(json)).filter(|v| !v.is_null())
}

fn in_list(column: &str, n: usize) -> String {
    format!("{column} IN ({})", vec!["?"; n].join(", "))
}

impl PredicateValue {
    fn describe(&self) -> &'static str {
        match self {
            Self::Int(_) => "a number",
            Self::Text(_) => "text",
            Self::Time(_) => "a time",
            Self::Ints(_) => "a list of numbers",
            Self::Texts(_) => "a list of text",
        }
    }
}

/// Proto3 JSON writes 64-bit integers as strings; both spellings are taken.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn parse_value(kind: &str, value: &Value) -> Result<PredicateValue, String> {
    let list = |value: &Value| -> Result<Vec<Value>, String> {
        let values = match value.get("values") {
            Some(Value::Array(values)) => values.clone(),
            None | Some(Value::Null) => Vec::new(),
            _ => return Err(format!("{kind} must be {{\"values\": [...]}}")),
        };
        match values.len() {
            0 => Err(format!("{kind} is empty")),
            n if n > MAX_IN_VALUES => Err(format!("{kind} holds more than {MAX_IN_VALUES} values")),
            _ => Ok(values),
        }
    };
    match kind {
        "int_value" | "long_value" => {
            integer(value).map(PredicateValue::Int).ok_or(format!("{kind} must be an integer"))
        }
        "string_value" => {
            value.as_str().map(|s| PredicateValue::Text(s.to_owned())).ok_or(format!("{kind} must be text"))
        }
        "timestamp_value" => value
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| PredicateValue::Time(t.with_timezone(&Utc)))
            .ok_or(format!("{kind} must be an RFC 3339 time such as \"2024-05-01T00:00:00Z\"")),
        "string_values" => list(value)?
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or(format!("{kind} must hold text")))
            .collect::<Result<_, _>>()
            .map(PredicateValue::Texts),
        _ => list(value)?
            .iter()
            .map(|v| integer(v).ok_or(format!("{kind} must hold integers")))
            .collect::<Result<_, _>>()
            .map(PredicateValue::Ints),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_proto_and_json_spellings_and_numbered_operations() {
        let a = Filter::parse(r#"{"predicates":[{"key":"display_name","operation":"EQUALS","string_value":"x"}]}"#)
            .unwrap();
        let b = Filter::parse(r#"{"predicates":[{"key":"display_name","operation":1,"stringValue":"x"}]}"#).unwrap();
        let c = Filter::parse(r#"{"predicates":[{"key":"display_name","op":"EQUALS","stringValue":"x"}]}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.predicates[0].value, PredicateValue::Text("x".into()));
    }

    #[test]
    fn long_values_may_be_strings_and_in_takes_lists() {
        let f = Filter::parse(r#"{"predicates":[{"key":"n","operation":"IN","long_values":{"values":["3", 4]}}]}"#)
            .unwrap();
        assert_eq!(f.predicates[0].value, PredicateValue::Ints(vec![3, 4]));
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases = [
            ("{", "not JSON"),
            ("[]", "expected a JSON object"),
            (r#"{"predicates":[{"key":"a","operation":"LIKE","string_value":"x"}]}"#, "unknown operation \"LIKE\""),
            (r#"{"predicates":[{"key":"a","operation":"EQUALS"}]}"#, "no value to compare \"a\""),
            (r#"{"predicates":[{"key":"a","operation":"IN","string_value":"x"}]}"#, "IN takes a list"),
            (r#"{"predicates":[{"key":"a","operation":"EQUALS","timestamp_value":"yesterday"}]}"#, "RFC 3339"),
            (r#"{"predicates":[{"operation":"EQUALS","string_value":"x"}]}"#, "\"key\" must name a field"),
            (
                r#"{"predicates":[{"key":"a","operation":"EQUALS","string_value":"x","colour":1}]}"#,
                "unknown field \"colour\"",
            ),
            (
                r#"{"predicates":[{"key":"a","operation":"IN","string_values":{"values":[]}}]}"#,
                "string_values is empty",
            ),
        ];
        for (text, expected) in cases {
            let err = Filter::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    fn operation() -> impl Strategy<Value = (&'static str, Operation)> {
        prop_oneof![
            Just(("EQUALS", Operation::Equals)),
            Just(("NOT_EQUALS", Operation::NotEquals)),
            Just(("GREATER_THAN", Operation::GreaterThan)),
            Just(("GREATER_THAN_EQUALS", Operation::GreaterThanEquals)),
            Just(("LESS_THAN", Operation::LessThan)),
            Just(("LESS_THAN_EQUALS", Operation::LessThanEquals)),
            Just(("IS_SUBSTRING", Operation::IsSubstring)),
        ]
    }

    proptest! {
        /// Whatever text a predicate carries, it comes back unchanged:
        /// values are bound, never spliced into SQL.
        #[test]
        fn string_values_round_trip(key in "[a-z_]{1,20}", value in ".{0,64}", (name, op) in operation()) {
            let text = serde_json::json!({"predicates": [{"key": key, "operation": name, "string_value": value}]}).to_string();
            let filter = Filter::parse(&text).unwrap();
            prop_assert_eq!(&filter.predicates[0].key, &key);
            prop_assert_eq!(filter.predicates[0].operation, op);
            prop_assert_eq!(&filter.predicates[0].value, &PredicateValue::Text(value.clone()));
            let field = Field::new("f", "col", Kind::Text, true);
            let (term, binds) = filter.predicates[0].to_sql(&field).unwrap();
            prop_assert!(term.starts_with("col "));
            prop_assert_eq!(binds.len(), 1);
        }

        /// Arbitrary input never panics: it parses or it is refused with a message.
        #[test]
        fn arbitrary_text_is_parsed_or_refused(text in ".{0,200}") {
            if let Err(e) = Filter::parse(&text) {
                prop_assert!(e.to_string().contains("invalid filter"));
            }
        }

        /// Arbitrary JSON values in a predicate are parsed or refused, never panic.
        #[test]
        fn arbitrary_predicates_are_parsed_or_refused(value in any::<i64>(), op in 0i64..12, key in "[a-z_]{0,8}", which in 0usize..4) {
            let field = ["int_value", "long_value", "string_value", "timestamp_value"][which];
            let text = serde_json::json!({"predicates": [{"key": key, "operation": op, field: value}]}).to_string();
            match Filter::parse(&text) {
                Ok(f) => prop_assert_eq!(f.predicates.len(), 1),
                Err(e) => prop_assert!(e.to_string().contains("invalid filter")),
            }
        }
    }
}
