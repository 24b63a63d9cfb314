//! Paged lists as the KFP API asks for them: a page size, an opaque
//! keyset cursor, `sort_by` (`"created_at desc"`), and a JSON filter.
//!
//! A page is one SQL query: the scope (a namespace, a pipeline) and the
//! filter become `WHERE` terms, the cursor becomes a row-value comparison on
//! `(sort column, id)`, and `LIMIT page_size + 1` tells whether a next page
//! exists. No `OFFSET`, no `COUNT(*)`.

mod cursor;
mod filter;

use chrono::{DateTime, Utc};
use sqlx::{Row, sqlite::SqliteRow};

pub use filter::{Filter, Operation, Predicate, PredicateValue};

use crate::{Error, Result};

/// Items per page when the caller gives no size.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Most items one page may hold.
pub const MAX_PAGE_SIZE: u32 = 200;

/// What the caller asked for.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// Items per page; 0 means the default.
    pub page_size: u32,
    /// The `next_page_token` of the previous page, or empty for the first.
    pub page_token: String,
    /// `"<field>"` or `"<field> desc"`; empty means newest first.
    pub sort_by: String,
    /// KFP filter JSON; empty means everything.
    pub filter: String,
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Token for the next page; empty on the last.
    pub next_page_token: String,
    /// How many items the whole list holds, where it was known without a
    /// count: on a first page that is also the last.
    pub total_size: Option<u64>,
}

/// How a column's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text, compared as text.
    Text,
    /// A UTC time stored by sqlx as RFC 3339 text.
    Time,
    /// An integer.
    Int,
}

/// A field the API may filter or sort on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    /// The API's name for it, e.g. `display_name`.
    pub name: &'static str,
    /// The SQL column, e.g. `display_name`.
    pub column: &'static str,
    pub kind: Kind,
    /// Whether lists may be sorted by it (never-null columns only, so the
    /// cursor comparison holds).
    pub sortable: bool,
}

impl Field {
    pub const fn new(name: &'static str, column: &'static str, kind: Kind, sortable: bool) -> Self {
        Self { name, column, kind, sortable }
    }
}

/// What a resource's list can filter and sort on.
#[derive(Debug)]
pub(crate) struct Table {
    /// The resource, for error messages ("runs").
    pub resource: &'static str,
    /// Its id column, the tie-breaker of every order.
    pub id_column: &'static str,
    pub fields: &'static [Field],
}

impl Table {
    fn field(&self, name: &str) -> Result<&Field> {
        self.fields.iter().find(|f| f.name == name).ok_or_else(|| {
            let known: Vec<_> = self.fields.iter().map(|f| f.name).collect();
            invalid(format!(
                "{} cannot be filtered or sorted by {name:?}; known fields: {}",
                self.resource,
                known.join(", ")
            ))
        })
    }
}

/// A value bound into a list query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// A planned page query: `WHERE ... ORDER BY ... LIMIT ...` and its values.
#[derive(Debug)]
pub(crate) struct PageQuery {
    clauses: String,
    binds: Vec<Bind>,
    sort: cursor::Sort,
    filter_text: String,
    page_size: u32,
    first_page: bool,
}

/// Plans the page `options` asks for of `table`, within `scope`
/// (`column = value` terms every row must meet).
pub(crate) fn plan(table: &Table, scope: &[(&str, Bind)], options: &ListOptions) -> Result<PageQuery> {
    let page_size = match options.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    let token = cursor::Token::decode(&options.page_token)?;
    // A token carries the order and filter it was made for, as KFP's does,
    // so later pages cannot drift from the first.
    let (sort_text, filter_text) = match &token {
        Some(t) => (t.sort_by.clone(), t.filter.clone()),
        None => (options.sort_by.clone(), options.filter.clone()),
    };
    let sort = cursor::Sort::parse(table, &sort_text)?;
    let filter = Filter::parse(&filter_text)?;

    let mut terms = Vec::new();
    let mut binds = Vec::new();
    for (column, value) in scope {
        terms.push(format!("{column} = ?"));
        binds.push(value.clone());
    }
    for predicate in &filter.predicates {
        let field = table.field(&predicate.key)?;
        let (term, values) = predicate.to_sql(field)?;
        terms.push(term);
        binds.extend(values);
    }
    if let Some(token) = &token {
        let (term, values) = sort.after(table, &token.last_key, &token.last_id)?;
        terms.push(term);
        binds.extend(values);
    }
    let direction = if sort.descending { "DESC" } else { "ASC" };
    let mut clauses = String::new();
    if !terms.is_empty() {
        clauses.push_str(" WHERE ");
        clauses.push_str(&terms.join(" AND "));
    }
    clauses.push_str(&format!(
        " ORDER BY {col} {direction}, {id} {direction} LIMIT {limit}",
        col = sort.field.column,
        id = table.id_column,
        limit = page_size + 1
    ));
    Ok(PageQuery { clauses, binds, sort, filter_text, page_size, first_page: token.is_none() })
}

impl PageQuery {
    /// The column the page is sorted by; select it as `sort_key`.
    pub fn sort_column(&self) -> &'static str {
        self.sort.field.column
    }

    /// Runs `select` (which must end where [`Self::clauses`] begin and select
    /// the sort column as `sort_key` and the id as `id`) and cuts the page.
    pub async fn fetch<T>(
        &self,
        pool: &sqlx::SqlitePool,
        select: &str,
        decode: impl Fn(&SqliteRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let sql = format!("{select}{}", self.clauses);
        let mut query = sqlx::query(&sql);
        for bind in &self.binds {
            query = match bind {
                Bind::Text(v) => query.bind(v),
                Bind::Int(v) => query.bind(v),
                Bind::Time(v) => query.bind(v),
            };
        }
        let mut rows = query.fetch_all(pool).await?;
        let more = rows.len() > self.page_size as usize;
        rows.truncate(self.page_size as usize);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => cursor::Token {
                sort_by: self.sort.text(),
                filter: self.filter_text.clone(),
                last_key: cursor::key_of(last, self.sort.field.kind)?,
                last_id: last.try_get("id")?,
            }
            .encode(),
            _ => String::new(),
        };
        let total_size = (self.first_page && !more).then_some(rows.len() as u64);
        let items = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next_page_token, total_size })
    }
}

pub(crate) fn invalid(message: String) -> Error {
    Error::InvalidRequest { message }
}
