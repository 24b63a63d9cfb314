//! Pipelines and their versions: named, validated specs that runs start from.
//!
//! A version's spec is validated when it is stored, so a run made from it
//! fails only for reasons of the run (parameters, steps), never the spec.

use chrono::{DateTime, Utc};
use model::{Principal, Verb};
use serde_json::Value;
use sqlx::{Row, sqlite::SqliteRow};

use crate::{
    Engine, Error, Result, access,
    listing::{self, Bind, Field, Kind, ListOptions, Page, Table},
    spec, store,
};

/// A pipeline: a name that versions share.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// UUID.
    pub id: String,
    /// Where it lives.
    pub namespace: String,
    /// Unique in the namespace.
    pub name: String,
    /// What the UI shows.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// One version of a pipeline: a validated spec.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineVersion {
    /// UUID.
    pub id: String,
    /// The pipeline it belongs to.
    pub pipeline_id: String,
    /// Unique within the pipeline.
    pub name: String,
    /// What the UI shows.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// The spec as JSON: the IR, or `{pipeline_spec, platform_spec}`.
    pub spec: Value,
    /// Where the code that made it lives, if given.
    pub code_source_url: String,
    /// Where the package was fetched from, if it was.
    pub package_url: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The spec as it was uploaded, when it came as a file.
    pub source: Option<String>,
}

/// What a caller gives to create a pipeline.
#[derive(Clone, Debug, Default)]
pub struct NewPipeline {
    /// Unique in the namespace; defaults to the display name, then to the
    /// spec's pipeline name.
    pub name: String,
    /// Defaults to the name.
    pub display_name: String,
    /// Free text.
    pub description: String,
}

/// What a caller gives to create a version.
#[derive(Clone, Debug, Default)]
pub struct NewVersion {
    /// Unique within the pipeline; defaults to the display name, then to a
    /// name made from the pipeline's and the time.
    pub name: String,
    /// Defaults to the name.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// The spec, as JSON.
    pub spec: Value,
    /// Where the code lives.
    pub code_source_url: String,
    /// Where the package came from.
    pub package_url: String,
    /// The spec as uploaded (YAML with its comments), when it came as a
    /// file of text.
    pub source: Option<String>,
}

const PIPELINES: Table = Table {
    resource: "pipelines",
    id_column: "id",
    fields: &[
        Field::new("pipeline_id", "id", Kind::Text, true),
        Field::new("name", "name", Kind::Text, true),
        Field::new("display_name", "display_name", Kind::Text, true),
        Field::new("description", "description", Kind::Text, true),
        Field::new("created_at", "created_at", Kind::Time, true),
    ],
};

const VERSIONS: Table = Table {
    resource: "pipeline versions",
    id_column: "id",
    fields: &[
        Field::new("pipeline_version_id", "id", Kind::Text, true),
        Field::new("name", "name", Kind::Text, true),
        Field::new("display_name", "display_name", Kind::Text, true),
        Field::new("description", "description", Kind::Text, true),
        Field::new("created_at", "created_at", Kind::Time, true),
    ],
};

const PIPELINE_COLUMNS: &str = "id, namespace, name, display_name, description, created_at";
const VERSION_COLUMNS: &str =
    "id, pipeline_id, name, display_name, description, spec, code_source_url, package_url, created_at, source";

/// Longest name or display name accepted.
const MAX_NAME_BYTES: usize = 256;
/// Longest description accepted.
const MAX_DESCRIPTION_BYTES: usize = 16 * 1024;

impl Engine {
    /// Creates a pipeline, with its first version when `version` is given,
    /// in one transaction: a spec that fails validation leaves nothing.
    pub async fn create_pipeline(
        &self,
        principal: &Principal,
        namespace: &str,
        pipeline: NewPipeline,
        version: Option<NewVersion>,
    ) -> Result<(Pipeline, Option<PipelineVersion>)> {
        let namespace = self.existing_namespace(principal, namespace, Verb::Create).await?;
        let mut version = version;
        if let Some(v) = version.as_mut() {
            // Stored templates are copied in now, as Argo does when a workflow starts.
            v.spec = self.resolve_template_refs(principal, namespace.as_str(), std::mem::take(&mut v.spec)).await?;
        }
        let plan = version.as_ref().map(|v| spec::parse_json(&v.spec)).transpose()?;
        let name = first_nonempty([&pipeline.name, &pipeline.display_name])
            .unwrap_or_else(|| plan.as_ref().map(|p| p.name.clone()).unwrap_or_default());
        check_text("pipeline name", &name, MAX_NAME_BYTES, true)?;
        let display_name = first_nonempty([&pipeline.display_name]).unwrap_or_else(|| name.clone());
        check_text("pipeline display_name", &display_name, MAX_NAME_BYTES, true)?;
        // Without a description of its own, a pipeline says what its spec says.
        let description = first_nonempty([&pipeline.description])
            .or_else(|| version.as_ref().and_then(|v| spec::description(&v.spec)))
            .unwrap_or_default();
        check_text("pipeline description", &description, MAX_DESCRIPTION_BYTES, false)?;
        let created = Pipeline {
            id: uuid::Uuid::new_v4().to_string(),
            namespace: namespace.to_string(),
            name,
            display_name,
            description,
            created_at: Utc::now(),
        };
        let mut tx = self.store.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO pipelines (id, namespace, name, display_name, description, created_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, name) DO NOTHING",
        )
        .bind(&created.id)
        .bind(&created.namespace)
        .bind(&created.name)
        .bind(&created.display_name)
        .bind(&created.description)
        .bind(created.created_at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(Error::AlreadyExists { kind: "pipeline", name: created.name });
        }
        let version = match (version, plan) {
            (Some(version), Some(_)) => Some(insert_version(&mut tx, &created, version).await?),
            _ => None,
        };
        let kind =
            model::EventKind::PipelineCreated { pipeline_id: created.id.clone(), name: created.display_name.clone() };
        let event = crate::events::record(&mut tx, &namespace, &principal.name, kind).await?;
        tx.commit().await?;
        self.events().publish(event);
        Ok((created, version))
    }

    /// Adds a version to a pipeline after validating its spec.
    pub async fn create_pipeline_version(
        &self,
        principal: &Principal,
        pipeline_id: &str,
        version: NewVersion,
    ) -> Result<PipelineVersion> {
        let pipeline = self.pipeline(principal, pipeline_id).await?;
        access::authorize(principal, &pipeline.namespace, Verb::Create)?;
        let mut version = version;
        version.spec =
            self.resolve_template_refs(principal, &pipeline.namespace, std::mem::take(&mut version.spec)).await?;
        spec::parse_json(&version.spec)?;
        let mut tx = self.store.write().await?;
        let created = insert_version(&mut tx, &pipeline, version).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// One pipeline.
    pub async fn pipeline(&self, principal: &Principal, id: &str) -> Result<Pipeline> {
        let row = sqlx::query(&format!("SELECT {PIPELINE_COLUMNS} FROM pipelines WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        let pipeline = decode_pipeline(&store::found(row, "pipeline", id)?)?;
        access::authorize(principal, &pipeline.namespace, Verb::Get)?;
        Ok(pipeline)
    }

    /// The pipeline named `name` in `namespace`.
    pub async fn pipeline_by_name(&self, principal: &Principal, namespace: &str, name: &str) -> Result<Pipeline> {
        access::authorize(principal, namespace, Verb::Get)?;
        let row = sqlx::query(&format!("SELECT {PIPELINE_COLUMNS} FROM pipelines WHERE namespace = ? AND name = ?"))
            .bind(namespace)
            .bind(name)
            .fetch_optional(self.store.pool())
            .await?;
        decode_pipeline(&store::found(row, "pipeline", name)?)
    }

    /// A page of the pipelines in `namespace`.
    pub async fn list_pipelines(
        &self,
        principal: &Principal,
        namespace: &str,
        options: &ListOptions,
    ) -> Result<Page<Pipeline>> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        let query = listing::plan(&PIPELINES, &[("namespace", Bind::Text(namespace.to_string()))], options)?;
        let select = format!("SELECT {PIPELINE_COLUMNS}, {} AS sort_key FROM pipelines", query.sort_column());
        query.fetch(self.store.pool(), &select, decode_pipeline).await
    }

    /// Deletes a pipeline. One that still has versions is deleted only with
    /// `cascade`, as KFP does.
    pub async fn delete_pipeline(&self, principal: &Principal, id: &str, cascade: bool) -> Result<()> {
        let pipeline = self.pipeline(principal, id).await?;
        access::authorize(principal, &pipeline.namespace, Verb::Delete)?;
        let mut tx = self.store.write().await?;
        let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pipeline_versions WHERE pipeline_id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if versions > 0 && !cascade {
            return Err(Error::FailedPrecondition {
                message: format!(
                    "pipeline {id} still has {versions} version(s); delete them first or pass cascade=true"
                ),
            });
        }
        sqlx::query("DELETE FROM pipelines WHERE id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One version of a pipeline.
    pub async fn pipeline_version(
        &self,
        principal: &Principal,
        pipeline_id: &str,
        version_id: &str,
    ) -> Result<PipelineVersion> {
        self.pipeline(principal, pipeline_id).await?;
        let row =
            sqlx::query(&format!("SELECT {VERSION_COLUMNS} FROM pipeline_versions WHERE id = ? AND pipeline_id = ?"))
                .bind(version_id)
                .bind(pipeline_id)
                .fetch_optional(self.store.pool())
                .await?;
        decode_version(&store::found(row, "pipeline version", version_id)?)
    }

    /// The newest version of a pipeline.
    pub async fn latest_pipeline_version(&self, principal: &Principal, pipeline_id: &str) -> Result<PipelineVersion> {
        self.pipeline(principal, pipeline_id).await?;
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM pipeline_versions WHERE pipeline_id = ? ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(pipeline_id)
        .fetch_optional(self.store.pool())
        .await?;
        let row = row.ok_or_else(|| Error::NotFound {
            kind: "pipeline version",
            name: format!("(pipeline {pipeline_id} has no versions)"),
        })?;
        decode_version(&row)
    }

    /// One level of a version's DAG, laid out, and the version's plan.
    pub async fn pipeline_version_view(
        &self,
        principal: &Principal,
        pipeline_id: &str,
        version_id: &str,
        scope: &str,
    ) -> Result<(model::dag::DagView, spec::Plan)> {
        let version = self.pipeline_version(principal, pipeline_id, version_id).await?;
        let plan = spec::parse_json(&version.spec)?;
        let scope = if scope.is_empty() { crate::runs::dag_view::default_scope(&plan) } else { scope.to_owned() };
        Ok((crate::runs::dag_view::build(&plan, &scope, None)?, plan))
    }

    /// A page of a pipeline's versions.
    pub async fn list_pipeline_versions(
        &self,
        principal: &Principal,
        pipeline_id: &str,
        options: &ListOptions,
    ) -> Result<Page<PipelineVersion>> {
        let pipeline = self.pipeline(principal, pipeline_id).await?;
        access::authorize(principal, &pipeline.namespace, Verb::List)?;
        let query = listing::plan(&VERSIONS, &[("pipeline_id", Bind::Text(pipeline.id))], options)?;
        let select = format!("SELECT {VERSION_COLUMNS}, {} AS sort_key FROM pipeline_versions", query.sort_column());
        query.fetch(self.store.pool(), &select, decode_version).await
    }

    /// Deletes one version; runs made from it keep their copy of the spec.
    pub async fn delete_pipeline_version(
        &self,
        principal: &Principal,
        pipeline_id: &str,
        version_id: &str,
    ) -> Result<()> {
        let pipeline = self.pipeline(principal, pipeline_id).await?;
        access::authorize(principal, &pipeline.namespace, Verb::Delete)?;
        let deleted = sqlx::query("DELETE FROM pipeline_versions WHERE id = ? AND pipeline_id = ?")
            .bind(version_id)
            .bind(pipeline_id)
            .execute(self.store.pool())
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(Error::NotFound { kind: "pipeline version", name: version_id.to_owned() });
        }
        Ok(())
    }
}

async fn insert_version(
    tx: &mut sqlx::SqliteConnection,
    pipeline: &Pipeline,
    version: NewVersion,
) -> Result<PipelineVersion> {
    let now = Utc::now();
    let name = first_nonempty([&version.name, &version.display_name])
        .unwrap_or_else(|| format!("{}-{}", pipeline.name, now.format("%Y%m%d-%H%M%S%.6f")));
    check_text("pipeline version name", &name, MAX_NAME_BYTES, true)?;
    let display_name = first_nonempty([&version.display_name]).unwrap_or_else(|| name.clone());
    check_text("pipeline version display_name", &display_name, MAX_NAME_BYTES, true)?;
    let description =
        first_nonempty([&version.description]).or_else(|| spec::description(&version.spec)).unwrap_or_default();
    check_text("pipeline version description", &description, MAX_DESCRIPTION_BYTES, false)?;
    let created = PipelineVersion {
        id: uuid::Uuid::new_v4().to_string(),
        pipeline_id: pipeline.id.clone(),
        name,
        display_name,
        description,
        spec: version.spec,
        code_source_url: version.code_source_url,
        package_url: version.package_url,
        created_at: now,
        source: version.source,
    };
    let inserted = sqlx::query(
        "INSERT INTO pipeline_versions (id, pipeline_id, name, display_name, description, spec, code_source_url, package_url, created_at, source)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pipeline_id, name) DO NOTHING",
    )
    .bind(&created.id)
    .bind(&created.pipeline_id)
    .bind(&created.name)
    .bind(&created.display_name)
    .bind(&created.description)
    .bind(created.spec.to_string())
    .bind(&created.code_source_url)
    .bind(&created.package_url)
    .bind(created.created_at)
    .bind(&created.source)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(Error::AlreadyExists { kind: "pipeline version", name: created.name });
    }
    Ok(created)
}

fn first_nonempty<const N: usize>(candidates: [&String; N]) -> Option<String> {
    candidates.into_iter().find(|s| !s.trim().is_empty()).cloned()
}

/// Refuses empty (where required), overlong and control-character text.
pub(crate) fn check_text(field: &str, text: &str, max: usize, required: bool) -> Result<()> {
    let problem = if required && text.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if text.len() > max {
        Some(format!("is longer than {max} bytes"))
    } else if required && let Err(e) = model::display_name(text) {
        Some(e.to_string())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::InvalidRequest { message: format!("{field} {problem}") }),
        None => Ok(()),
    }
}

fn decode_pipeline(row: &SqliteRow) -> Result<Pipeline> {
    Ok(Pipeline {
        id: row.try_get("id")?,
        namespace: row.try_get("namespace")?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        created_at: row.try_get("created_at")?,
    })
}

fn decode_version(row: &SqliteRow) -> Result<PipelineVersion> {
    let spec: String = row.try_get("spec")?;
    Ok(PipelineVersion {
        id: row.try_get("id")?,
        pipeline_id: row.try_get("pipeline_id")?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        spec: serde_json::from_str(&spec)
            .map_err(|e| Error::Corrupt { what: "pipeline spec", detail: e.to_string() })?,
        code_source_url: row.try_get("code_source_url")?,
        package_url: row.try_get("package_url")?,
        created_at: row.try_get("created_at")?,
        source: row.try_get("source")?,
    })
}
