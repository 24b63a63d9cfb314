//! Artifacts across runs: what the Artifacts page lists, newest first,
//! by type and run.

use chrono::{DateTime, Utc};
use model::{Principal, Verb};

use crate::{Engine, Error, Result};

/// Most artifacts on one page.
pub const MAX_PAGE: u32 = 200;

/// Which artifacts to list.
#[derive(Clone, Debug, Default)]
pub struct ArtifactQuery {
    /// Only this schema title (e.g. `system.Model`); empty for all.
    pub schema_title: String,
    /// Only this run's; empty for all.
    pub run_id: String,
    /// The token of the page to read (from [`ArtifactPage::next`]); empty for the first.
    pub page_token: String,
    /// How many, 1 to [`MAX_PAGE`].
    pub page_size: u32,
}

/// An artifact with the run and task that wrote it.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ListedArtifact {
    /// Where it is.
    pub uri: String,
    /// Output name.
    pub name: String,
    /// Schema title.
    pub schema_title: String,
    /// Size of a single-file artifact.
    pub size_bytes: Option<i64>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The run.
    pub run_id: String,
    /// The run's name.
    pub run_name: String,
    /// The task that wrote it.
    pub task_id: String,
    /// That task's path in the run.
    pub task_path: String,
}

/// One page of artifacts.
#[derive(Clone, Debug, PartialEq)]
pub struct ArtifactPage {
    /// The artifacts, newest first.
    pub items: Vec<ListedArtifact>,
    /// Token of the next page; empty on the last.
    pub next: String,
}

impl Engine {
    /// A page of `namespace`'s artifacts, newest first; keyset paging on
    /// (created_at, uri), so deep pages cost what the first does.
    pub async fn list_artifacts(
        &self,
        principal: &Principal,
        namespace: &str,
        query: &ArtifactQuery,
    ) -> Result<ArtifactPage> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        if !(1..=MAX_PAGE).contains(&query.page_size) {
            return Err(Error::InvalidRequest { message: format!("page_size must be 1 to {MAX_PAGE}") });
        }
        let (before_time, before_uri) = match query.page_token.split_once('|') {
            Some((time, uri)) => {
                let time = DateTime::parse_from_rfc3339(time)
                    .map_err(|_| Error::InvalidRequest { message: "invalid artifacts page_token".to_owned() })?;
                (Some(time.with_timezone(&Utc)), uri.to_owned())
            }
            None if query.page_token.is_empty() => (None, String::new()),
            None => return Err(Error::InvalidRequest { message: "invalid artifacts page_token".to_owned() }),
        };
        let mut items: Vec<ListedArtifact> = sqlx::query_as(
            "SELECT a.uri, a.name, a.schema_title, a.size_bytes, a.created_at,
                    r.id AS run_id, r.display_name AS run_name, t.id AS task_id, t.path AS task_path
             FROM artifacts a JOIN runs r ON r.id = a.run_id JOIN tasks t ON t.id = a.task_id
             WHERE r.namespace = ?1
               AND (?2 = '' OR a.schema_title = ?2)
               AND (?3 = '' OR a.run_id = ?3)
               AND (?4 IS NULL OR (a.created_at, a.uri) < (?4, ?5))
             ORDER BY a.created_at DESC, a.uri DESC
             LIMIT ?6",
        )
        .bind(namespace.as_str())
        .bind(&query.schema_title)
        .bind(&query.run_id)
        .bind(before_time)
        .bind(&before_uri)
        .bind(i64::from(query.page_size) + 1)
        .fetch_all(self.store.pool())
        .await?;
        let next = if items.len() > query.page_size as usize {
            items.truncate(query.page_size as usize);
            items.last().map(|a| format!("{}|{}", a.created_at.to_rfc3339(), a.uri)).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ArtifactPage { items, next })
    }

    /// The schema titles of `namespace`'s artifacts, for the type filter.
    pub async fn artifact_types(&self, principal: &Principal, namespace: &str) -> Result<Vec<String>> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT a.schema_title FROM artifacts a JOIN runs r ON r.id = a.run_id
             WHERE r.namespace = ? ORDER BY 1 LIMIT 100",
        )
        .bind(namespace.as_str())
        .fetch_all(self.store.pool())
        .await?)
    }
}
