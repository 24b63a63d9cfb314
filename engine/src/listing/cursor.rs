//! The sort order of a list and the opaque token that continues it.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Row, sqlite::SqliteRow};

use super::{Bind, Field, Kind, Table, invalid};
use crate::Result;

/// Longest page token accepted; a token holds the filter, which is bounded too.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The order of a list: one field and a direction; the id breaks ties.
#[derive(Debug)]
pub(crate) struct Sort {
    pub field: Field,
    pub descending: bool,
}

impl Sort {
    /// Parses `sort_by`: `"<field>"`, `"<field> asc"` or `"<field> desc"`;
    /// empty is `"created_at desc"`, newest first.
    pub fn parse(table: &Table, text: &str) -> Result<Self> {
        let mut words = text.split_whitespace();
        let (name, descending) = match (words.next(), words.next(), words.next()) {
            (None, _, _) => ("created_at", true),
            (Some(name), None, _) => (name, false),
            (Some(name), Some(dir), None) if dir.eq_ignore_ascii_case("desc") => (name, true),
            (Some(name), Some(dir), None) if dir.eq_ignore_ascii_case("asc") => (name, false),
            _ => {
                return Err(invalid(format!(
                    "invalid sort_by {text:?}: expected \"<field>\", \"<field> asc\" or \"<field> desc\""
                )));
            }
        };
        let field = *table.field(name)?;
        if !field.sortable {
            return Err(invalid(format!("{} cannot be sorted by {name:?}", table.resource)));
        }
        Ok(Self { field, descending })
    }

    /// The canonical text of this order, kept in tokens.
    pub fn text(&self) -> String {
        format!("{} {}", self.field.name, if self.descending { "desc" } else { "asc" })
    }

    /// The term selecting rows after `(key, id)` in this order.
    pub fn after(&self, table: &Table, key: &Value, id: &str) -> Result<(String, Vec<Bind>)> {
        let bad = || invalid("page_token is not a token this server issued".to_owned());
        let key = match (self.field.kind, key) {
            (Kind::Int, Value::Number(n)) => Bind::Int(n.as_i64().ok_or_else(bad)?),
            (Kind::Text | Kind::Time, Value::String(s)) => Bind::Text(s.clone()),
            _ => return Err(bad()),
        };
        let op = if self.descending { "<" } else { ">" };
        let term = format!("({}, {}) {op} (?, ?)", self.field.column, table.id_column);
        Ok((term, vec![key, Bind::Text(id.to_owned())]))
    }
}

/// What a page token carries: the list's order and filter, and where the
/// previous page ended.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Token {
    #[serde(rename = "s")]
    pub sort_by: String,
    #[serde(rename = "f")]
    pub filter: String,
    #[serde(rename = "k")]
    pub last_key: Value,
    #[serde(rename = "i")]
    pub last_id: String,
}

impl Token {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("tokens serialize"))
    }

    /// `None` for the empty token of a first page.
    pub fn decode(text: &str) -> Result<Option<Self>> {
        if text.is_empty() {
            return Ok(None);
        }
        let bad = || invalid("page_token is not a token this server issued".to_owned());
        if text.len() > MAX_TOKEN_BYTES {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map(Some).map_err(|_| bad())
    }
}

/// The sort key of a row, as the next token holds it.
pub(crate) fn key_of(row: &SqliteRow, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::Int => Value::from(row.try_get::<i64, _>("sort_key")?),
        Kind::Text | Kind::Time => Value::from(row.try_get::<String, _>("sort_key")?),
    })
}
